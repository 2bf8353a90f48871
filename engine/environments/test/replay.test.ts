import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { AuditLog, digest } from "../../audit/index.ts";
import type { AuditRecord } from "../../audit/index.ts";
import { loadPolicySet } from "../../runtime/index.ts";
import { formatReplay, replay } from "../replay.ts";
import { recordTraffic, refund, refundsPolicy, tempDir } from "./support.ts";

function set(limit: number) {
  const { policySet } = loadPolicySet([{ path: "r.policy", text: refundsPolicy(limit) }]);
  assert.ok(policySet);
  return policySet;
}

test("replay on a recorded log lists each input whose decision would change, and a summary", async () => {
  const db = join(tempDir(), "audit.db");
  const now = Date.parse("2026-11-25T12:00:00Z");
  await recordTraffic(db, "staging", set(500), [50, 200, 300, 900].map(refund), { time: new Date(now - 3_600_000) });
  // Outside the window, another environment, and a record without its input: none replayed.
  await recordTraffic(db, "staging", set(500), [200].map(refund), { time: new Date(now - 3 * 86_400_000) });
  await recordTraffic(db, "production", set(500), [200].map(refund), { time: new Date(now - 60_000) });
  await recordTraffic(db, "staging", set(500), [250].map(refund), { time: new Date(now - 60_000), withInput: false });
  // An input altered after recording no longer matches its digest.
  const log = await AuditLog.open(db);
  await log.append({ time: new Date(now - 60_000).toISOString(), agent: "a", env: "staging", principal: null, session: null, phase: "tool_call", tool: "refund", decision: "allow", reasons: [], policy_digest: set(500).digest, input_digest: digest(refund(10)), input: refund(400) } as AuditRecord);
  await log.close();

  const r = await replay(set(100), db, { env: "staging", windowMs: 86_400_000, now });
  assert.deepEqual(r.changes.map((c) => [c.index, c.recorded, c.replayed, c.rules]), [[1, "allow", "deny", ["acme.refunds.large_refund"]], [2, "allow", "deny", ["acme.refunds.large_refund"]]]);
  assert.deepEqual({ ...r.summary, from: undefined, to: undefined }, { env: "staging", from: undefined, to: undefined, decisions: 6, replayed: 4, changed: 2, withoutInput: 1, unverifiable: 1, failed: 0, guardDenials: {}, transitions: { "allow -> deny": 2 } });
  const text = formatReplay(r);
  assert.match(text, /^changed  #1 .* tool_call refund: allow -> deny \(by acme\.refunds\.large_refund\)/m);
  assert.match(text, /replayed 4 of 6 decisions in 'staging' .*: 2 would change \(allow -> deny: 2\)/);
  assert.match(text, /not replayed: 1 recorded without their input, 1 whose input does not match its digest/);

  // The same bundle changes nothing.
  assert.equal((await replay(set(500), db, { env: "staging", windowMs: 86_400_000, now })).summary.changed, 0);
});
