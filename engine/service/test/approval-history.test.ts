// An approval's answer is written back into its session's history (one node on SQLite: the state
// file `palisade serve` keeps beside its log): the held call reads `executed` once approved,
// `approval_refused` once rejected or expired, never `pending` after the answer; a node started
// afresh on the same files reads the same; replay rebuilds the same history from the log.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { AuditLog, generateKey } from "../../audit/index.ts";
import { rebuildHistories } from "../../sdk/history.ts";
import type { RecordedDecision } from "../../sdk/history.ts";
import { SqliteApprovalStore } from "../approval-store-sqlite.ts";
import { SqliteSessionStore } from "../session-store-sqlite.ts";
import { startHarness, toolCall } from "./harness.ts";
import type { Harness } from "./harness.ts";

const outcomes = (r: { body: { payload: { session: { calls: { outcome: string }[] } } } }): string[] => r.body.payload.session.calls.map((c) => c.outcome);

it("on SQLite, approved, rejected and expired calls read executed / approval_refused, after a restart and in replay", async () => {
  const dir = mkdtempSync(join(tmpdir(), "palisade-approval-history-"));
  const state = join(dir, "audit.state.db");
  const signingKey = generateKey("test.local/audit").signerKey;
  const node = async (): Promise<Harness> =>
    startHarness({ sessions: SqliteSessionStore.open(state), approvals: SqliteApprovalStore.open(state), audit: await AuditLog.open(join(dir, "audit.db"), { signingKey }), approvalTimeoutMs: 3000 });
  try {
    const h = await node();
    try {
      const ask = async () => (await h.call("POST", "/v1/decide", "agent", toolCall("export", { to: "x" }, "s1"))).body;
      const approved = await ask();
      const rejected = await ask();
      const expired = await ask();
      assert.equal(approved.decision, "require_approval");
      assert.equal((await h.call("POST", "/v1/approvals", "supervisor", { id: approved.approval.id, action: "approve" })).status, 403, "no role, no answer");
      assert.equal((await h.call("POST", "/v1/approvals", "admin", { id: approved.approval.id, action: "approve" })).status, 200);
      assert.equal((await h.call("POST", "/v1/approvals", "admin", { id: rejected.approval.id, action: "reject" })).status, 200);
      // The third is left to its deadline: expired means refused.
      assert.equal((await h.call("GET", `/v1/approvals/${expired.approval.id}?wait=5`, "agent")).body.status, "expired");
      const next = await h.call("POST", "/v1/decide", "agent", { ...toolCall("lookup", {}, "s1"), payload: "history" });
      assert.deepEqual(outcomes(next), ["executed", "approval_refused", "approval_refused"]);
    } finally {
      await h.close();
    }
    const again = await node();
    try {
      const next = await again.call("POST", "/v1/decide", "agent", { ...toolCall("lookup", {}, "s1"), payload: "history" });
      assert.deepEqual(outcomes(next), ["executed", "approval_refused", "approval_refused", "executed"]);
      const log = again.service.context.audit;
      await log.flush();
      const records = [];
      for (let i = 0, size = await log.size(); i < size; i++) records.push((await log.read(i)).record);
      const replayed = rebuildHistories(records as unknown as RecordedDecision[]).get("s1");
      assert.deepEqual(replayed?.map((c) => c.outcome), ["executed", "approval_refused", "approval_refused", "executed", "executed"]);
    } finally {
      await again.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
