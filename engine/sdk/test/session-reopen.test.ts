// A session id used again after `end()` is a new conversation under the same name: its calls must
// never be confused with the ended one's, in the guard's history or in the audit log that replay
// reads, even when a call of the ended conversation is still running and settles late.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { AuditRecord } from "../../audit/index.ts";
import { loadPolicySet } from "../../runtime/index.ts";
import { replayRecords } from "../../environments/replay.ts";
import { createGuard, rebuildHistories } from "../index.ts";
import type { GuardScope, RecordedDecision, SessionCall } from "../index.ts";

const POLICY = {
  path: "r.policy",
  text: `package r

rule no_pay_after_failure on tool_call {
  when tool.name == "pay" and any c in session.calls: c.outcome == "failed"
  then deny "a call of this session failed"
}
`,
};

function harness() {
  const records: AuditRecord[] = [];
  const guard = createGuard({ policies: [POLICY], env: "t", agent: "a", audit: { append: async (r: AuditRecord) => void records.push(r) } });
  return { records, guard };
}

const callsOf = (s: GuardScope): SessionCall[] => (s.check("tool_call", { tool: { name: "probe", args: {} } }).payload as { session: { calls: SessionCall[] } }).session.calls;
const show = (s: GuardScope) => callsOf(s).map((c) => `${c.tool.name}:${c.outcome}`);

function replayed(records: readonly AuditRecord[]) {
  const { policySet } = loadPolicySet([POLICY]);
  assert.ok(policySet);
  return replayRecords(policySet, records.map((record, index) => ({ index, record: record as unknown as Record<string, unknown> })), { env: "t", windowMs: 86_400_000, now: Date.now() + 60_000 });
}

/** A tool whose run the test ends: `fail()` makes it throw. */
function slowTool() {
  let fail!: () => void;
  const done = new Promise<never>((_, reject) => (fail = () => reject(new Error("timed out"))));
  return { run: () => done, fail };
}

test("a call of an ended session that fails late settles its own call, never the reopened session's (live and in replay)", async () => {
  const { records, guard } = harness();
  const old = guard.session("s1", "u1");
  const slow = slowTool();
  await old.runTool("lookup", { q: 1 }, () => "ok");
  const running = old.runTool("fetch", { url: "x" }, slow.run);
  await Promise.resolve();
  old.end();
  // The conversation is over; its running call fails after: nothing of it comes back to life.
  const idle = guard.session("s1", "u1");
  assert.deepEqual(show(idle), [], "the ended session's history is gone");
  const reopened = guard.session("s1", "u1");
  await reopened.runTool("lookup", { q: 2 }, () => "ok");
  await reopened.runTool("search", { q: 3 }, () => "ok");
  slow.fail();
  await assert.rejects(running, /timed out/);
  assert.deepEqual(show(reopened), ["lookup:executed", "search:executed"], "the late failure did not settle the new session's call");
  await reopened.runTool("pay", { amount: 5 }, () => "paid");
  await guard.flush();

  // Every call has one identity in the log: (agent, session, call_seq) never names two calls.
  const decided = records.filter((r) => r.phase === "tool_call" && r.settles !== true && typeof r.call_seq === "number");
  const ids = decided.map((r) => `${r.agent}/${r.session}/${r.call_seq}`);
  assert.equal(new Set(ids).size, ids.length, `call identities repeat: ${ids.join(", ")}`);
  const fetchSeq = decided.find((r) => r.tool === "fetch")!.call_seq;
  const settlement = records.find((r) => r.settles === true)!;
  assert.equal(settlement.call_seq, fetchSeq, "the late settlement names the ended session's call");

  // Replay reads each decision's history as the guard did: the pay decision saw no failure.
  const r = replayed(records);
  assert.equal(r.summary.unverifiable, 0);
  assert.deepEqual(r.changes, [], "replay decides every recorded decision as the guard did");
  const rebuilt = rebuildHistories(records as unknown as RecordedDecision[], "a").get("s1")!;
  assert.deepEqual(rebuilt.map((c) => `${c.tool.name}:${c.outcome}`), ["lookup:executed", "fetch:failed", "lookup:executed", "search:executed", "pay:executed"], "the log's calls of the session id, every opening in call_seq order");
});

test("an ended session's call id, reused by the new session, does not let a late result settle the new call", async () => {
  const { records, guard } = harness();
  const old = guard.session("s2", "u1");
  await old.decideToolCall("fetch", { url: "x" }, { callId: "call_0" });
  old.end();
  const s = guard.session("s2", "u1");
  await s.decideToolCall("lookup", { q: 1 }, { callId: "call_0" });
  // The ended conversation's tool answers now, with an error, under the same call id.
  const view = () => ({ text: "boom", isError: true });
  await old.decideToolResult("fetch", { url: "x" }, { error: "boom" }, 1, { callId: "call_0", view });
  assert.deepEqual(show(s), ["lookup:executed"]);
  await s.runTool("pay", { amount: 5 }, () => "paid");
  await guard.flush();
  assert.deepEqual(replayed(records).changes, []);
});

test("call_seq continues across openings and across a session forgotten for room", async () => {
  const records: AuditRecord[] = [];
  const guard = createGuard({ policies: [POLICY], env: "t", agent: "a", audit: { append: async (r: AuditRecord) => void records.push(r) }, history: { maxSessions: 1 } });
  const a = guard.session("a1", "u1");
  await a.runTool("lookup", {}, () => "ok");
  await a.runTool("lookup", {}, () => "ok");
  a.end();
  await a.runTool("lookup", {}, () => "ok");
  // Another session pushes a1 out; a1's next call is not call 0 again.
  await guard.session("b1", "u1").runTool("lookup", {}, () => "ok");
  await a.runTool("lookup", {}, () => "ok");
  await guard.flush();
  const seqs = records.filter((r) => r.session === "a1" && r.phase === "tool_call").map((r) => r.call_seq);
  assert.deepEqual(seqs, [0, 1, 2, 3]);
  assert.deepEqual(replayed(records).summary.unverifiable, 0);
});
