// A decision's rule messages may quote the input (`deny "will not post {tool.args.body}"`) and
// go wherever the decision goes: the answer, the audit entry (at most 64 KiB), the console. The
// policy set cuts them to a bound when it decides, so every consumer carries the same cut text.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadPolicySet, MAX_MESSAGE_CHARS, MAX_MESSAGES_CHARS } from "../index.ts";
import type { Decision, Reason, RuleError } from "../index.ts";
import { boundMessages } from "../messages.ts";

const QUOTING = `package quoting

rule no_post on tool_call {
  when tool.name == "post"
  then deny "will not post {tool.args.body}"
}

rule say_post on tool_call {
  when tool.name == "post"
  then warn "posting {tool.args.body} to {tool.args.to}"
}

rule broken on tool_call {
  when tool.name == "post" and tool.args.n > 1
  then deny "unreachable"
}
`;

describe("rule messages are bounded when decided", () => {
  for (const evaluator of ["compiled", "reference"] as const) {
    it(`cuts messages quoting a large argument, on the ${evaluator} evaluator`, () => {
      const { policySet } = loadPolicySet([{ path: "quoting.policy", text: QUOTING }], { evaluator });
      assert.ok(policySet);
      const body = "\u{1F600}".repeat(20_000);
      const d = policySet.decide("tool_call", { tool: { name: "post", args: { body, to: "all", n: "x".repeat(5_000) } } });
      assert.equal(d.decision, "deny");
      const messages = [...d.reasons, ...d.warnings, ...d.errors].map((r) => r.message ?? "");
      assert.ok(messages.length >= 2);
      assert.ok(messages.every((m) => m.length <= MAX_MESSAGE_CHARS + 40 && m.isWellFormed()), "each message is cut, never inside a surrogate pair");
      assert.ok(messages.join("").length <= MAX_MESSAGES_CHARS + 40 * messages.length);
      assert.match(d.reasons[0].message ?? "", /^will not post 😀+… \[\d+ more characters\]$/u);
      const small = policySet.decide("tool_call", { tool: { name: "post", args: { body: "hi", to: "all" } } });
      assert.deepEqual(small.reasons.map((r) => r.message), ["will not post hi"]);
    });
  }

  it("leaves short messages as they are, and cuts the rest in rule order", () => {
    const d = (messages: string[]): Decision => ({ decision: "deny", reasons: messages.map((message) => ({ rule: "p.r", effect: "deny", message })), warnings: [], payload: null, errors: [], policy: { digest: "sha256:x" } });
    const short = d(["a", "b"]);
    assert.equal(boundMessages(short), short);
    const cut = boundMessages(d(["a".repeat(1500), "b".repeat(900), "c".repeat(900), "d"]));
    const got = cut.reasons.map((r) => r.message!);
    assert.equal(got[0], `${"a".repeat(MAX_MESSAGE_CHARS)}… [500 more characters]`);
    assert.equal(got[1], "b".repeat(900));
    assert.equal(got[2], `${"c".repeat(MAX_MESSAGES_CHARS - MAX_MESSAGE_CHARS - 900)}… [800 more characters]`);
    assert.equal(got[3], "… [1 more characters]");
    // A cut never leaves half of a surrogate pair.
    const pair = boundMessages(d([`${"a".repeat(MAX_MESSAGE_CHARS - 1)}😀tail`]));
    assert.ok(pair.reasons[0].message!.isWellFormed());
    assert.ok(pair.reasons[0].message!.startsWith("a".repeat(MAX_MESSAGE_CHARS - 1) + "…"));
  });

  it("at each bound nothing is cut; a reason without a message passes; warnings, then errors, share what is left", () => {
    const mk = (reasons: Reason[], warnings: Reason[] = [], errors: RuleError[] = []): Decision => ({ decision: "deny", reasons, warnings, payload: null, errors, policy: { digest: "sha256:x" } });
    const deny = (message?: string): Reason => (message === undefined ? { rule: "p.r", effect: "deny" } : { rule: "p.r", effect: "deny", message });
    const one = mk([deny("a".repeat(MAX_MESSAGE_CHARS))]);
    assert.equal(boundMessages(one), one, "one message of exactly MAX_MESSAGE_CHARS");
    const all = mk([deny("a".repeat(MAX_MESSAGE_CHARS)), deny()], [deny("b".repeat(MAX_MESSAGES_CHARS - MAX_MESSAGE_CHARS))]);
    assert.equal(boundMessages(all), all, "exactly MAX_MESSAGES_CHARS in all");
    const over = boundMessages(mk([deny(), deny("a".repeat(MAX_MESSAGE_CHARS))], [deny("b".repeat(MAX_MESSAGE_CHARS))], [{ rule: "p.e", message: "c".repeat(10), code: "runtime/type" }]));
    assert.deepEqual(over.reasons, [deny(), deny("a".repeat(MAX_MESSAGE_CHARS))], "a message exactly the room left is whole");
    assert.deepEqual(over.warnings, [deny("b".repeat(MAX_MESSAGE_CHARS))]);
    assert.deepEqual(over.errors, [{ rule: "p.e", message: "… [10 more characters]", code: "runtime/type" }]);
    // A long message among the warnings alone, or the errors alone, is cut too.
    assert.equal(boundMessages(mk([], [deny("w".repeat(MAX_MESSAGE_CHARS + 1))])).warnings[0].message, `${"w".repeat(MAX_MESSAGE_CHARS)}… [1 more characters]`);
    assert.equal(boundMessages(mk([], [], [{ rule: "p.e", message: "e".repeat(MAX_MESSAGE_CHARS + 1) }])).errors[0].message, `${"e".repeat(MAX_MESSAGE_CHARS)}… [1 more characters]`);
  });

  it("the cut steps back over a lead surrogate (U+D800 to U+DBFF) only", () => {
    const head = "a".repeat(MAX_MESSAGE_CHARS - 1);
    const cutAt = (c: string): string => boundMessages({ decision: "deny", reasons: [{ rule: "p.r", effect: "deny", message: `${head}${c}xx` }], warnings: [], payload: null, errors: [], policy: { digest: "sha256:x" } }).reasons[0].message!;
    assert.equal(cutAt("\u{10000}"), `${head}… [4 more characters]`, "lead U+D800");
    assert.equal(cutAt("\u{10FFFF}"), `${head}… [4 more characters]`, "lead U+DBFF");
    assert.equal(cutAt("\ud7ff"), `${head}\ud7ff… [2 more characters]`, "below the leads");
    assert.equal(cutAt("\udc00"), `${head}\udc00… [2 more characters]`, "a trail surrogate");
  });
});
