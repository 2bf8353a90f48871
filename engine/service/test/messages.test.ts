// Rule messages that quote the input must not push a decision's audit entry past the log's
// 64 KiB limit (the decision was refused with 503 for an input the service had accepted): they are
// cut with a marker, and the answer and the entry carry the same cut message.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadPolicySet, MAX_MESSAGE_CHARS, MAX_MESSAGES_CHARS } from "../../runtime/index.ts";
import { startHarness, toolCall } from "./harness.ts";
import type { Harness } from "./harness.ts";

const QUOTING = `package quoting

rule no_post on tool_call {
  when tool.name == "post"
  then deny "will not post {tool.args.body}"
}

rule say_post on tool_call {
  when tool.name == "post"
  then warn "posting {tool.args.body} to {tool.args.to}"
}

rule ask_post on tool_call {
  when tool.name == "post"
  then require_approval "approve {tool.args.body}"
}
`;

describe("rule messages quoting large arguments", () => {
  let h: Harness;
  before(async () => {
    const sources = [{ path: "quoting.policy", text: QUOTING }];
    const { policySet } = loadPolicySet(sources);
    assert.ok(policySet);
    h = await startHarness({ policySet, sources });
  });
  after(() => h.close());

  for (const [what, body] of [
    ["ASCII", "x".repeat(39_000)],
    ["three-byte characters", "€".repeat(13_000)],
    ["control characters (six bytes in JSON)", "\u0001".repeat(6_000)],
    ["non-BMP characters", "😀".repeat(9_000)],
  ] as const) {
    it(`records and answers a decision whose messages quote an argument near the input limit (${what})`, async () => {
      const r = await h.call("POST", "/v1/decide", "agent", toolCall("post", { body, to: "all" }));
      assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
      assert.equal(r.body.decision, "deny");
      const messages: string[] = [...r.body.reasons, ...r.body.warnings].map((x: { message: string }) => x.message);
      const first = messages.find((m) => m.startsWith("will not post "));
      assert.ok(first !== undefined);
      assert.match(first, /… \[\d+ more characters\]$/);
      assert.ok(first.length <= MAX_MESSAGE_CHARS + 40);
      assert.ok(messages.join("").length <= MAX_MESSAGES_CHARS + 40 * messages.length);
      assert.ok(messages.every((m) => m.isWellFormed()));
      // The entry holds the answer's messages, cut the same way, and the whole input.
      const audit = h.service.context.audit;
      await audit.flush();
      const entry = (await audit.read((await audit.size()) - 1)).record;
      assert.equal(entry.decision_id, r.body.id);
      assert.deepEqual((entry.reasons as { message?: string }[]).map((x) => x.message), r.body.reasons.map((x: { message: string }) => x.message));
      assert.deepEqual((entry.input as { tool: { args: { body: string } } }).tool.args.body, body);
    });
  }

});
