// An audit log that stops answering (a network store that hangs, a disk that stalls) never fails
// an append: it just never acknowledges one. The guard counted only refusals as failures, so
// 20,000 tool calls ran in 3 s, none recorded, none refused, nothing reported. An append not
// acknowledged within `auditTimeoutMs` (default 10 s) now counts as a failure of the log: with
// `onAuditFailure: "deny"` actions are refused until the log acknowledges again, and `onError`
// hears of it either way.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { AuditRecord } from "../../audit/index.ts";
import { createGuard, GUARD_RULES, PolicyDeniedError } from "../index.ts";
import type { OnAuditFailure } from "../index.ts";

const POLICY = { path: "stall.policy", text: "package stall\n\nrule no_shell on tool_call {\n  when tool.name == \"shell\"\n  then deny \"no shell\"\n}\n" };

// A log that holds every append unanswered until it recovers, then answers them all and every later one.
function stalling() {
  const waiting: (() => void)[] = [];
  const records: AuditRecord[] = [];
  let stalled = true;
  return {
    records,
    audit: { append: (r: AuditRecord) => (stalled ? new Promise<void>((resolve) => waiting.push(() => (records.push(r), resolve()))) : (records.push(r), Promise.resolve())) },
    recover: () => {
      stalled = false;
      waiting.splice(0).forEach((f) => f());
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const onAuditFailure of ["deny", "allow"] as const satisfies readonly OnAuditFailure[]) {
  test(`an audit log that stops acknowledging is a failing log (onAuditFailure: ${onAuditFailure})`, async () => {
    const log = stalling();
    const errors: unknown[] = [];
    const guard = createGuard({ policies: [POLICY], env: "t", agent: "a", audit: log.audit, auditTimeoutMs: 100, onAuditFailure, onError: (e) => void errors.push(e) });
    const ran: number[] = [];
    const lookup = guard.session("s1", "u1").wrapTool("lookup", async (a: { i: number }) => void ran.push(a.i));
    await lookup({ i: 1 });
    await sleep(300);
    assert.ok(errors.length >= 1, "onError hears that the log stopped acknowledging");
    assert.match(String((errors[0] as Error).message), /acknowledged no append/);
    if (onAuditFailure === "deny") {
      await assert.rejects(lookup({ i: 2 }), (e: unknown) => e instanceof PolicyDeniedError && e.decision.reasons[0]?.rule === GUARD_RULES.audit);
      assert.deepEqual(ran, [1]);
    } else {
      await lookup({ i: 2 });
      assert.deepEqual(ran, [1, 2]);
    }
    // Once the log acknowledges again, actions go on.
    log.recover();
    await sleep(10);
    await lookup({ i: 3 });
    assert.equal(ran.at(-1), 3);
    await guard.flush();
    assert.ok(log.records.length >= 3, "what was queued is recorded once the log answers");
  });
}

test("a log that answers slowly but steadily is not a failing log", async () => {
  const errors: unknown[] = [];
  const guard = createGuard({ policies: [POLICY], env: "t", agent: "a", audit: { append: () => sleep(30) }, auditTimeoutMs: 100, onError: (e) => void errors.push(e) });
  const lookup = guard.session("s1", "u1").wrapTool("lookup", async () => "ok");
  for (let i = 0; i < 12; i++) {
    await lookup({ i });
    await sleep(20);
  }
  await guard.flush();
  assert.deepEqual(errors, []);
});

test("auditTimeoutMs must be a positive number of milliseconds", () => {
  for (const bad of [0, -1, Number.NaN]) assert.throws(() => createGuard({ policies: [POLICY], env: "t", agent: "a", auditTimeoutMs: bad }), /auditTimeoutMs/);
});
