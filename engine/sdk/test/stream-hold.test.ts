// A streamed answer must never show what the whole answer's decision hides: a match longer than
// the hold-back, a pattern reached through a def, or a cut between the halves of a character.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createGuard, PolicyDeniedError } from "../index.ts";
import { HOLD_ALL, regexSpan } from "../needs.ts";
import { OutputStream } from "../text.ts";

function guardOf(rules: string) {
  return createGuard({ policies: [{ path: "stream.policy", text: `package stream\n\n${rules}\n` }], env: "t", agent: "a" });
}

/** What the consumer sees of `text` streamed in `chunk`-sized deltas, and whether the stream was denied. */
function stream(rules: string, text: string, chunk: number): { shown: string; pieces: string[]; denied: boolean } {
  const s = new OutputStream(guardOf(rules).session("chat"));
  const pieces: string[] = [];
  try {
    for (let i = 0; i < text.length; i += chunk) {
      const piece = s.push(text.slice(i, i + chunk));
      if (piece !== "") pieces.push(piece);
    }
  } catch (err) {
    assert.ok(err instanceof PolicyDeniedError);
    return { shown: pieces.join(""), pieces, denied: true };
  }
  return { shown: pieces.join(""), pieces, denied: false };
}

const SECRET = `BEGIN${"s".repeat(600)}END`;

test("a match longer than any fixed hold-back never reaches the consumer raw: unbounded regexes, strings under matches, long literals, patterns in defs", async () => {
  const cases: [string, string][] = [
    ["unbounded regex redaction", `rule r on output { then redact /BEGIN[a-z]*END/ in output.text with "[X]" }`],
    ["bounded regex beyond 256", `rule r on output { then redact /BEGINs{600}END/ in output.text with "[X]" }`],
    ["string under matches", `rule r on output { when output.text matches "BEGIN[a-z]*END" then deny "no" }`],
    ["a long literal", `rule r on output { when output.text contains "${SECRET}" then deny "no" }`],
    ["a regex in a def", `def secretive(t) = t matches /BEGIN[a-z]+END/\nrule r on output { when secretive(output.text) then deny "no" }`],
  ];
  for (const [name, rules] of cases) {
    const text = `hello ${SECRET} bye ${"z".repeat(700)}`;
    const { shown, denied } = stream(rules, text, 40);
    assert.ok(!shown.includes("BEGINssss"), `${name}: the secret's start was shown before its end arrived`);
    // What was shown plus the end's decision is what deciding the whole answer gives.
    if (!denied) {
      const s = new OutputStream(guardOf(rules).session("chat2"));
      let all = "";
      for (let i = 0; i < text.length; i += 40) all += s.push(text.slice(i, i + 40));
      all += await s.end().catch(() => "");
      assert.ok(!all.includes("BEGINs"), name);
    }
  }
  // Unbounded is an integer, so that the service's /v1/status can report it as JSON.
  assert.equal(guardOf(cases[0][1]).session("x").core.streamHold, HOLD_ALL);
  assert.equal(regexSpan("a{3}b?", ""), 8);
  assert.equal(regexSpan("a+", ""), Infinity);
  assert.equal(regexSpan("x(?=y{2,})", ""), Infinity);
  assert.equal(regexSpan("(a)\\1", ""), Infinity);
});

test("a stream is never cut between the halves of a surrogate pair, even when a delta ends between them", async () => {
  const rules = `rule r on output { then redact pii.email in output.text with "[E]" }`;
  for (const chunk of [1, 3, 7, 64]) {
    const text = `${"\u{1F600}".repeat(300)} mail bob@example.com ${"\u{1F680}x".repeat(300)}`;
    const s = new OutputStream(guardOf(rules).session("chat"));
    const pieces: string[] = [];
    for (let i = 0; i < text.length; i += chunk) pieces.push(s.push(text.slice(i, i + chunk)));
    pieces.push(await s.end());
    assert.ok(pieces.every((p) => p.isWellFormed()), `chunk ${chunk}: a piece holds half a character`);
    assert.equal(pieces.join(""), text.replace("bob@example.com", "[E]"));
  }
});

test("an answer in parts is denied or rewritten as a whole: a part that alone would be denied (an empty block) does not deny it", async () => {
  const { guardParts } = await import("../text.ts");
  const { createGuard: make } = await import("../index.ts");
  const policy = { path: "p.policy", text: 'package p\nrule empty on output {\n  when output.text == ""\n  then deny "empty answer"\n}\nrule cards on output {\n  then redact pii.credit_card in output.text with "[CARD]"\n}\n' };
  const s = make({ policies: [policy], env: "t", agent: "a" }).session("parts", "u");
  assert.deepEqual(await guardParts(s, "output", ["fine", "", " text"]), ["fine", "", " text"]);
  assert.deepEqual(await guardParts(s, "output", ["card 4111 1111 ", "", "1111 1111"]), ["card [CARD]", "", ""]);
  await assert.rejects(guardParts(s, "output", ["", ""]), /empty answer/);
});

test("a run of invisible characters of any length inside a match does not push the match's start out of the hold-back", async () => {
  const rules = `rule r on output { then redact pii.credit_card in output.text with "[CARD]" }`;
  for (const inv of ["\u200b", "\ufe0f", "\u{e0100}", "\u3164"]) {
    for (const run of [5, 400, 5000]) {
      const card = `4111${inv.repeat(run)} 1111 1111 1111`;
      const text = `card ${card} and ${"more words ".repeat(60)}`;
      for (const chunk of [1, 17, 500]) {
        const s = new OutputStream(guardOf(rules).session("chat"));
        let shown = "";
        for (let i = 0; i < text.length; i += chunk) shown += s.push(text.slice(i, i + chunk));
        assert.ok(!shown.includes("4111"), `${JSON.stringify(inv)} x${run}, chunk ${chunk}: the card's start was shown`);
        shown += await s.end();
        assert.equal(shown, text.replace(card, "[CARD]"), `${JSON.stringify(inv)} x${run}, chunk ${chunk}`);
      }
    }
  }
});

test("a non-ASCII address is redacted whole in a stream: accented letters, combining marks (not counted in the hold-back), other scripts", async () => {
  const rules = `rule r on output { then redact pii.email in output.text with "[E]" }`;
  const addrs = ["josé@example.com", "bo\u0301b@example.com", `b${"\u0301".repeat(60)}b@exa\u0301mple.com`, "用户@例子.广告", "почта@пример.рф", "𝒜lice@exämple.de"];
  const text = `${"words ".repeat(100)}${addrs.join(" and ")}, ${"more words ".repeat(100)}`;
  for (const chunk of [1, 13, 400]) {
    const s = new OutputStream(guardOf(rules).session("chat"));
    let shown = "";
    for (let i = 0; i < text.length; i += chunk) shown += s.push(text.slice(i, i + chunk));
    shown += await s.end();
    assert.equal(shown, `${"words ".repeat(100)}${addrs.map(() => "[E]").join(" and ")}, ${"more words ".repeat(100)}`, `chunk ${chunk}`);
  }
});
