import { test } from "node:test";
import assert from "node:assert/strict";
import { email } from "../email.ts";
import { assertFinds, assertNone } from "./support.ts";

test("email: finds addresses, trimming sentence punctuation and display names", () => {
  for (const addr of [
    "ann@example.com",
    "Ann.Lee+billing@Sub.Acme.co.uk",
    "first_last@mail-server.example.org",
    "x@a.io",
    "o'brien-1990@xn--bcher-kva.example",
    "user%relay@example.net",
    "a.b.c.d@e-f.g-h.museum",
    "99bottles@beer.de",
  ]) {
    assertFinds(email, addr, addr);
  }
  assertFinds(email, "Write to ann@example.com.", "ann@example.com");
  assertFinds(email, "Ann Lee <ann@example.com>", "ann@example.com");
  assertFinds(email, "mailto:bob@example.org?subject=hi", "bob@example.org");
  assertFinds(email, "cc: a@x.com, b@y.org; c@z.net", ["a@x.com", "b@y.org", "c@z.net"]);
  assertFinds(email, "...ann@example.com", "ann@example.com");
});

test("email: rejects what only looks like an address", () => {
  for (const text of [
    "@example.com",
    "ann@",
    "ann@localhost",
    "ann@example",
    "ann@example.c",
    "ann@example.123",
    "ann@-example.com",
    "ann@example-.com",
    "ann@exa..mple.com",
    "@@@",
    "price: 5 @ 3.50",
    "user@[192.168.0.1]",
  ]) {
    assertNone(email, text);
  }
});

// Issue 17: an address with accented letters, letters of other scripts (RFC 6531 local parts,
// IDN domains) or combining marks was matched only from its last ASCII run (`bo\u0301b@` showed
// `bo\u0301`) or not at all; it is redacted whole (spec/streams.md, "Non-ASCII addresses").
test("email: non-ASCII letters and combining marks are part of the address, never a boundary inside it", () => {
  for (const addr of [
    "josé@example.com",
    "müller@exämple.de",
    "bo\u0301b@example.com",
    "jose\u0301@exa\u0301mple.com",
    "joé1@example.com",
    "用户@例子.广告",
    "почта@пример.рф",
    "χρήστης@παράδειγμα.ελ",
    "δοκιμή@example.com",
    "user@bücher.example",
    "𝒜lice@example.com",
    "ünal.öz@firma.com.tr",
    "bo\u200b\u0301b@example.com",
    "bo\u0301\u200bb@exa\u0301\u200bmple.com",
    "ｊｏｓé＠ｅｘａｍｐｌｅ．ｃｏｍ",
    "josé@example。\u200bcom",
    "用户@例子。com",
  ]) {
    assertFinds(email, addr);
    assertFinds(email, `Write to ${addr}.`, addr);
    assertFinds(email, `<${addr}>`, addr);
  }
  // A space ends the local part in every script; CJK text has none, so the run before `@` is the local part.
  assertFinds(email, "Écrivez à josé@example.com", "josé@example.com");
  assertFinds(email, "請寫信給用户@例子.广告", "請寫信給用户@例子.广告");
  assertFinds(email, "請寫信給：用户@例子.广告。", "用户@例子.广告");
  // Past 64 units of such a run, the last 64 are the local part (an ASCII run that long is still no address).
  const run = "字".repeat(70);
  assertFinds(email, `${run}@例子.广告`, `${run.slice(6)}@例子.广告`);
  const astral = "𠀀".repeat(40);
  assertFinds(email, `${astral}@例子.广告`, `${astral.slice(16)}@例子.广告`);
});

test("email: non-ASCII prose around an `@` is no address", () => {
  for (const text of [
    "merci José @marie",
    "café@maison",
    "谢谢@张三 你好",
    "встреча@офис завтра",
    "ответ@почта.123",
    "prix: 5 € @ 3,50",
    "naïve@résumé",
    "日本語のテキスト。@名前",
    "\u0301@example.com",
    "ä@exämple.ä",
    // CJK full stops fold to the label dot only beside an ASCII label: between CJK words they end a sentence.
    "詳細は@山田さん。よろしく",
    "用户@例子。广告",
  ]) {
    assertNone(email, text);
  }
});

// Issue 17: a symbol ended the local part, so what came before it stayed visible beside the
// redaction (`jean·paul@example.com` showed `jean·`, `o'brien@` showed `o'`). The local part is
// the whole word glued to the `@` (RFC 5322 atext, and any symbol but a bracket, a quote or a
// sentence's punctuation), its last 64 units when longer: the address goes whole.
test("email: a symbol inside the local part is part of it; no piece of a local part is left beside the redaction", () => {
  for (const addr of [
    "jean·paul@example.com",
    "o'brien@example.com",
    "o’brien@example.com",
    "o＇brien@example.com",
    "jean😀paul@example.com",
    "a!b#c$d&e*f/g=h?i^j`k{l|m}n~o@example.com",
    "jean•paul@example.com",
    "ジャン・ポール@example.com",
    "jean§paul@example.com",
    "jean\u00b7\u200bpaul@example.com",
    // Not RFC 5322 dot-atoms, but addresses mail systems issued (Japanese carriers) and readers take for one.
    "ann.@example.com",
    "an..n@example.com",
  ]) {
    assertFinds(email, addr);
    assertFinds(email, `Write to ${addr}.`, addr);
    assertFinds(email, `<${addr}>`, addr);
    assertFinds(email, `(${addr})`, addr);
    assertFinds(email, `"${addr}"`, addr);
    assertFinds(email, `mailto:${addr}`, addr);
    assertFinds(email, `«${addr}»`, addr);
  }
  // Padding before the address does not push it out: the last 64 units are the local part.
  for (const pad of ["!", "·", "a", "😀"]) {
    const text = `${pad.repeat(80)}jean@example.com`;
    const [[s]] = email.find(text);
    assert.ok(s! >= text.indexOf("jean") - 64 + 4 && s! <= text.indexOf("jean"), `${JSON.stringify(pad)}: ${s}`);
    assert.equal(email.find(text)[0]![1], text.length);
  }
  // Brackets, quotes, sentence punctuation (ASCII and CJK) and spaces still end it.
  assertFinds(email, "name=jean@example.com", "name=jean@example.com");
  assertFinds(email, "メール：jean@example.com", "jean@example.com");
  assertFinds(email, "（jean@example.com）", "jean@example.com");
  assertFinds(email, "「jean@example.com」", "jean@example.com");
  assertFinds(email, "好的，jean@example.com", "jean@example.com");
  assertFinds(email, "Fine! jean@example.com", "jean@example.com");
  assertFinds(email, "'jean@example.com'", "jean@example.com");
});
