// A decision's rule messages may quote the input (`deny "will not post {tool.args.body}"`) and
// go wherever the decision goes: the answer, the audit entry (at most 64 KiB), the console. The
// policy set cuts them to a bound when it decides, so every consumer carries the same cut text.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadPolicySet, MAX_MESSAGE_CHARS, MAX_MESSAGES_CHARS } from "../index.ts";
import type { Decision } from "../index.ts";
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
});
