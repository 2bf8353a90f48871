// What a guard records is what replay needs: decisions recorded by the SDK are decided again
// through a candidate policy set before a promotion.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLog } from "../../audit/index.ts";
import { loadPolicySet } from "../../runtime/index.ts";
import { createGuard } from "../../sdk/index.ts";
import { replay } from "../replay.ts";

const policy = (limit: number) => `package shop

rule big_refund on tool_call {
  when tool.name == "refund" and tool.args.amount > ${limit}
  then deny "over ${limit}"
}
`;

test("decisions a guard records can be replayed through a candidate bundle", async () => {
  const db = join(mkdtempSync(join(tmpdir(), "palisade-replay-")), "audit.db");
  const log = await AuditLog.open(db);
  const guard = createGuard({ policies: [{ path: "p.policy", text: policy(500) }], env: "staging", agent: "shop-bot", mode: "enforce", audit: log });
  for (const amount of [50, 200, 400, 600, 900]) guard.check("tool_call", { tool: { name: "refund", args: { amount } } });
  await guard.flush();
  await log.close();

  const { policySet: candidate } = loadPolicySet([{ path: "p.policy", text: policy(300) }]);
  assert.ok(candidate);
  const r = await replay(candidate, db, { env: "staging", windowMs: 86_400_000 });
  assert.equal(r.summary.withoutInput, 0, "the guard records each input");
  assert.equal(r.summary.unverifiable, 0, "each recorded input matches its digest");
  assert.equal(r.summary.replayed, 5);
  assert.equal(r.summary.changed, 1, "only the 400 refund changes from allow to deny");
  assert.deepEqual(r.changes.map((c) => [c.recorded, c.replayed]), [["allow", "deny"]]);
});

test("recordInputs: false keeps only the digest", async () => {
  const db = join(mkdtempSync(join(tmpdir(), "palisade-replay-")), "audit.db");
  const log = await AuditLog.open(db);
  const guard = createGuard({ policies: [{ path: "p.policy", text: policy(500) }], env: "staging", agent: "shop-bot", mode: "enforce", audit: log, recordInputs: false });
  guard.check("tool_call", { tool: { name: "refund", args: { amount: 1 } } });
  await guard.flush();
  await log.close();
  const { policySet } = loadPolicySet([{ path: "p.policy", text: policy(300) }]);
  assert.ok(policySet);
  const r = await replay(policySet, db, { env: "staging", windowMs: 86_400_000 });
  assert.equal(r.summary.withoutInput, 1);
});
