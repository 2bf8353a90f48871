// Events from real engine decisions: the example policies decide, the monitor counts.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../../../test/support.ts";
import { loadPolicySet } from "../../runtime/index.ts";
import { eventFromDecision, totalTokens } from "../event.ts";
import { Monitor } from "../monitor.ts";

test("an engine decision becomes an event the monitor counts by rule", async () => {
  const dir = join(repoRoot, "examples", "policies");
  const sources = readdirSync(dir).filter((f) => f.endsWith(".policy")).map((f) => ({ path: join(dir, f), text: readFileSync(join(dir, f), "utf8") }));
  const { policySet } = loadPolicySet(sources);
  assert.ok(policySet);
  const input = JSON.parse(readFileSync(join(repoRoot, "examples", "inputs", "refund-900.json"), "utf8")) as { tool: { name: string } };
  const decision = policySet.decide("tool_call", input);
  assert.notEqual(decision.decision, "allow", "the example refund needs approval or is denied");
  const e = eventFromDecision(decision, { time: 1000, agent: "support-bot", phase: "tool_call", tool: input.tool.name, latencyMs: 0.01 });
  assert.equal(e.policyDigest, policySet.digest);
  assert.equal(e.rules, decision.reasons, "reasons are shared, not copied");
  const m = new Monitor({ flushIntervalMs: 0, retentionMs: 0 });
  m.record(e);
  await m.flush();
  const [b] = await m.store.buckets({ from: 0, to: 60_000 });
  const counted = decision.decision === "deny" ? b.aggregate.ruleDenials : b.aggregate.ruleApprovals;
  assert.deepEqual([...counted.keys()], decision.reasons.filter((r) => r.effect === decision.decision).map((r) => r.rule));
  assert.equal(b.aggregate.tools.get("refund"), 1);
  await m.close();
});

test("total tokens", () => {
  assert.equal(totalTokens({ time: 0, decision: "allow" }), undefined);
  assert.equal(totalTokens({ time: 0, decision: "allow", tokens: {} }), undefined);
  assert.equal(totalTokens({ time: 0, decision: "allow", tokens: { output: 7 } }), 7);
  assert.equal(totalTokens({ time: 0, decision: "allow", tokens: { input: 3, output: 7 } }), 10);
});
