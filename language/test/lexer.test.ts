import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { lex, tokenEnd } from "../lexer.ts";
import { lineIndex } from "../line-index.ts";
import { isValidSpan } from "../span.ts";
import { KEYWORD_WORDS } from "./arbitrary.ts";

function run(text: string) {
  return lex(text, "t.policy", lineIndex(text));
}
function kinds(text: string): string[] {
  const r = run(text);
  assert.deepEqual(r.diagnostics, [], `unexpected diagnostics for ${text}`);
  return r.tokens.map((t) => `${t.tokenType.name}:${t.image}`);
}
function codes(text: string): string[] {
  return run(text).diagnostics.map((d) => `${d.code}@${d.span.start.line}:${d.span.start.col}`);
}

test("every keyword of spec/decisions.md lexes as its own keyword, not as an identifier", () => {
  for (const w of KEYWORD_WORDS) {
    const [t] = run(w).tokens;
    assert.notEqual(t.tokenType.name, "Identifier", w);
    assert.equal(t.image, w);
  }
});

test("keywords that prefix other words do not steal them", () => {
  assert.deepEqual(kinds("default def severity set on_error on input in notes not owner_id"), [
    "Default:default", "Def:def", "Severity:severity", "Set:set", "OnError:on_error", "On:on",
    "Identifier:input", "In:in", "Identifier:notes", "Not:not", "Identifier:owner_id",
  ]);
});

test("numbers and durations", () => {
  assert.deepEqual(kinds("12 3.5 1e3 2.5E-3 1e0 250ms 30s 15m 1.5h 7d"), [
    "GoodNumber:12", "GoodNumber:3.5", "GoodNumber:1e3", "GoodNumber:2.5E-3", "GoodNumber:1e0",
    "Duration:250ms", "Duration:30s", "Duration:15m", "Duration:1.5h", "Duration:7d",
  ]);
});

test("a number run into letters is E105, once, at the number", () => {
  assert.deepEqual(codes("const A = 10x"), ["E105@1:11"]);
  assert.deepEqual(codes("x\n  1e3s"), ["E105@2:3"]);
  assert.deepEqual(codes("2e"), ["E105@1:1"]);
  assert.deepEqual(codes("1e999"), ["E105@1:1"]);
});

test("regex or division is decided by the previous token", () => {
  assert.deepEqual(kinds("a / b / c"), ["Identifier:a", "Slash:/", "Identifier:b", "Slash:/", "Identifier:c"]);
  assert.deepEqual(kinds("x matches /^\\/etc\\//i"), ["Identifier:x", "Matches:matches", "GoodRegex:/^\\/etc\\//i"]);
  assert.deepEqual(kinds("(/a/, [/b/])"), ["LParen:(", "GoodRegex:/a/", "Comma:,", "LBracket:[", "GoodRegex:/b/", "RBracket:]", "RParen:)"]);
  assert.deepEqual(kinds("f(x) / 2 / y"), ["Identifier:f", "LParen:(", "Identifier:x", "RParen:)", "Slash:/", "GoodNumber:2", "Slash:/", "Identifier:y"]);
  // A keyword used as a property ends an operand: `/` divides after it.
  assert.deepEqual(kinds("a.from / 2 / 3"), ["Identifier:a", "Dot:.", "From:from", "Slash:/", "GoodNumber:2", "Slash:/", "GoodNumber:3"]);
  assert.deepEqual(kinds("null / 2 / 1"), ["Null:null", "Slash:/", "GoodNumber:2", "Slash:/", "GoodNumber:1"]);
  assert.deepEqual(kinds("/[/]x/"), ["GoodRegex:/[/]x/"]);
  assert.deepEqual(kinds("a == /x/ + 1"), ["Identifier:a", "EqEq:==", "GoodRegex:/x/", "Plus:+", "GoodNumber:1"]);
});

test("an unterminated regex is E106 at its slash", () => {
  assert.deepEqual(codes("x matches /abc\nconst"), ["E106@1:11"]);
});

test("strings, escapes and their errors", () => {
  assert.deepEqual(kinds('"a\\"b\\\\c\\/\\n\\r\\t\\{\\}\\u0041\\u{1F600}"').length, 1);
  assert.deepEqual(codes('const A = "abc'), ["E101@1:11"]);
  assert.deepEqual(codes('"abc\\'), ["E101@1:1"]);
  assert.deepEqual(codes('"ok" "a\\qb"'), ["E104@1:8"]);
  assert.deepEqual(codes('"\\u12"'), ["E104@1:2"]);
  assert.deepEqual(codes('"\\u{110000}"'), ["E104@1:2"]);
  assert.deepEqual(codes('"a\\x" "\\y"'), ["E104@1:3", "E104@1:8"]);
});

test("comments go to their own group; /// is a doc comment, //// is not", () => {
  const r = run("/// doc\n//// not doc\n// plain\n/* block\n */ rule");
  assert.deepEqual(r.tokens.map((t) => t.image), ["rule"]);
  assert.deepEqual(r.comments.map((c) => c.tokenType.name), ["DocComment", "LineComment", "LineComment", "BlockComment"]);
});

test("an unterminated block comment is E102 and swallows the rest", () => {
  const r = run("rule /* no end\n rule x");
  assert.deepEqual(r.diagnostics.map((d) => `${d.code}@${d.span.start.line}:${d.span.start.col}`), ["E102@1:6"]);
  assert.deepEqual(r.tokens.map((t) => t.image), ["rule"]);
});

test("unexpected characters are E103 with a hint", () => {
  const r = run("a && b\n  c # d");
  assert.deepEqual(r.diagnostics.map((d) => `${d.code}@${d.span.start.line}:${d.span.start.col}`), ["E103@1:3", "E103@2:5"]);
  assert.match(r.diagnostics[0].message, /unexpected characters '&&'/);
  assert.equal(r.diagnostics[0].help, "use 'and'");
  assert.match(r.diagnostics[1].help ?? "", /\/\//);
});

test("a base offset shifts tokens into the enclosing file", () => {
  const text = 'deny "x {a.b}"';
  const r = lex("a.b", "t", lineIndex(text), 9);
  assert.deepEqual(r.tokens.map((t) => [t.image, t.startOffset, tokenEnd(t)]), [["a", 9, 10], [".", 10, 11], ["b", 11, 12]]);
});

test("property: lexing any text never throws and every diagnostic span is valid", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 200 }), (s) => {
      const r = run(s);
      for (const d of r.diagnostics) assert.ok(isValidSpan(d.span, s.length), JSON.stringify(d));
      for (const t of r.tokens) assert.ok(tokenEnd(t) <= s.length);
    }),
    { numRuns: 2000 },
  );
});
