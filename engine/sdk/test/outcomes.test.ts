// Each call's outcome is what happened: a tool that threw, reported an error or was cancelled
// is `failed` in the history policies read, in the audit log and in what replay rebuilds from it.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { AuditRecord } from "../../audit/index.ts";
import { createGuard, rebuildHistories } from "../index.ts";
import type { GuardScope, RecordedDecision, SessionCall } from "../index.ts";

const POLICY = {
  path: "out.policy",
  text: `package out

rule after_failure on tool_call {
  when tool.name == "pay" and any c in session.calls: c.tool.name == "transfer" and c.outcome == "failed"
  then deny "no payment after a failed transfer"
}

rule transfers on tool_call {
  when tool.name == "audit_export" and (count c in session.calls where c.tool.name == "transfer") >= 2
  then deny "two transfers attempted"
}
`,
};

function sink(): { records: AuditRecord[]; outcomes: Record<string, unknown>[]; audit: { append(r: AuditRecord): Promise<void> }; monitor: { record(e: unknown): void } } {
  const records: AuditRecord[] = [];
  const outcomes: Record<string, unknown>[] = [];
  return {
    records,
    outcomes,
    audit: { append: async (r) => void records.push(r) },
    monitor: { record: (e) => void ((e as { kind?: string }).kind === "outcome" && outcomes.push(e as Record<string, unknown>)) },
  };
}

function callsOf(s: GuardScope): SessionCall[] {
  return (s.check("tool_call", { tool: { name: "x", args: {} } }).payload as { session: { calls: SessionCall[] } }).session.calls;
}

const outcomes = (s: GuardScope) => callsOf(s).map((c) => `${c.tool.name}:${c.outcome}`);

test("a tool that throws is 'failed': it still counts, policies see it, the log and the monitor say so", async () => {
  const k = sink();
  const guard = createGuard({ policies: [POLICY], env: "t", agent: "a", audit: k.audit, monitor: k.monitor });
  const s = guard.session("s1", "u1");
  const t = s.wrapTools({
    transfer: async (a: { fail?: boolean }) => {
      if (a.fail) throw new TypeError("bank said no to alice@example.com");
      return "ok";
    },
    pay: async () => "paid",
    audit_export: async () => "exported",
  });
  await t.transfer({});
  await assert.rejects(t.transfer({ fail: true }), /bank said no/);
  assert.deepEqual(outcomes(s), ["transfer:executed", "transfer:failed"]);
  // Attempted calls count (fail closed: it may have had effects), and `c.outcome == "failed"` is visible to policies.
  await assert.rejects(t.audit_export({}), /two transfers attempted/);
  await assert.rejects(t.pay({}), /after a failed transfer/);
  await guard.flush();
  const settle = k.records.filter((r) => r.settles === true);
  assert.equal(settle.length, 1, "one entry settles the failed call");
  assert.deepEqual({ call_seq: settle[0].call_seq, outcome: settle[0].outcome, tool: settle[0].tool, decision: settle[0].decision, error: settle[0].error, session: settle[0].session }, { call_seq: 1, outcome: "failed", tool: "transfer", decision: "allow", error: { type: "TypeError" }, session: "s1" });
  assert.ok(!JSON.stringify(settle[0]).includes("alice@example.com"), "the error's message (personal data, maybe) is not logged");
  const rebuilt = rebuildHistories(k.records as unknown as RecordedDecision[], "a").get("s1")!;
  assert.deepEqual(rebuilt.map((c) => `${c.tool.name}:${c.outcome}`), ["transfer:executed", "transfer:failed", "audit_export:denied", "pay:denied"]);
  const failed = k.outcomes.find((e) => e.error !== undefined);
  assert.deepEqual(failed?.error, { source: "tool", type: "TypeError", message: "bank said no to alice@example.com" });
});

test("a result that reports an error (MCP isError, a LangChain error message) is 'failed' too; a plain result is not", async () => {
  const k = sink();
  const guard = createGuard({ policies: [POLICY], env: "t", agent: "a", audit: k.audit });
  const s = guard.session("s2", "u1");
  const view = (r: unknown) => ({ text: String((r as { text: string }).text), isError: (r as { isError: boolean }).isError });
  await s.runTool("transfer", {}, () => ({ text: "ok", isError: false }), { view });
  await s.runTool("transfer", {}, () => ({ text: "insufficient funds", isError: true }), { view });
  assert.deepEqual(outcomes(s), ["transfer:executed", "transfer:failed"]);
  await assert.rejects(s.runTool("pay", {}, () => "paid"), /after a failed transfer/);
  await guard.flush();
  assert.deepEqual(rebuildHistories(k.records as unknown as RecordedDecision[], "a").get("s2")!.map((c) => c.outcome), ["executed", "failed", "denied"]);
});

test("a call cancelled while a human was asked does not start, and is 'failed' with the abort", async () => {
  const controller = new AbortController();
  const guard = createGuard({
    policies: [{ path: "a.policy", text: `package a\nrule ask on tool_call {\n  when tool.name == "transfer"\n  then require_approval "a human decides"\n}\n` }],
    env: "t",
    agent: "a",
    approver: async () => {
      controller.abort();
      return true;
    },
  });
  const s = guard.session("s3", "u1");
  let ran = 0;
  await assert.rejects(
    s.runTool("transfer", {}, () => ++ran, { signal: controller.signal }),
    (e: unknown) => e instanceof Error && e.name === "AbortError",
  );
  assert.equal(ran, 0, "the tool never started");
  assert.deepEqual(outcomes(s), ["transfer:failed"]);
});

test("concurrent calls settle out of order: each keeps its own outcome", async () => {
  const guard = createGuard({ policies: [POLICY], env: "t", agent: "a" });
  const s = guard.session("s4", "u1");
  const gates: (() => void)[] = [];
  const t = s.wrapTools({
    transfer: (a: { i: number }) =>
      new Promise<string>((resolve, reject) => {
        gates[a.i] = () => (a.i % 2 === 0 ? reject(new Error(`no ${a.i}`)) : resolve(`ok ${a.i}`));
      }),
  });
  const runs = [0, 1, 2, 3].map((i) => t.transfer({ i }).then(() => "ok", () => "failed"));
  // A call still running has started and may have had effects: executed until it fails.
  assert.deepEqual(outcomes(s), ["transfer:executed", "transfer:executed", "transfer:executed", "transfer:executed"]);
  for (const i of [3, 0, 2, 1]) gates[i]();
  assert.deepEqual(await Promise.all(runs), ["failed", "ok", "failed", "ok"]);
  assert.deepEqual(outcomes(s), ["transfer:failed", "transfer:executed", "transfer:failed", "transfer:executed"]);
});

test("a framework's hook reports the failure by call id (Agents SDK style: decided in a guardrail, run elsewhere)", async () => {
  const k = sink();
  const guard = createGuard({ policies: [POLICY], env: "t", agent: "a", audit: k.audit });
  const s = guard.session("s5", "u1");
  await s.decideToolCall("transfer", {}, { callId: "call_1" });
  s.toolOutcome("transfer", { durationMs: 1, error: { source: "tool", type: "Error", message: "down" } }, "call_1");
  assert.deepEqual(outcomes(s), ["transfer:failed"]);
  await guard.flush();
  assert.equal(k.records.filter((r) => r.settles === true).length, 1);
});

test("a thrown value that cannot be read (a throwing getter, a proxy) is still the tool's error, and the call still 'failed'", async () => {
  const guard = createGuard({ policies: [POLICY], env: "t", agent: "a" });
  const s = guard.session("s6", "u1");
  const hostile = new Proxy(new Error("x"), { get: () => { throw new Error("trap"); }, getPrototypeOf: () => Error.prototype });
  const sym = Symbol("odd");
  // Caught by hand: assert.rejects itself reads the error's fields.
  for (const thrown of [hostile, sym]) {
    let caught: unknown;
    try {
      await s.runTool("transfer", {}, () => {
        throw thrown;
      });
    } catch (e) {
      caught = e;
    }
    assert.ok(caught === thrown, "the tool's own error reaches the caller");
  }
  assert.deepEqual(outcomes(s), ["transfer:failed", "transfer:failed"]);
});

test("rebuilt histories are per agent, whether an entry names its agent by id or as { id }", () => {
  const rec = (agent: unknown, seq: number, name: string) => ({ time: "2026-01-01T00:00:00Z", agent, session: "s", phase: "tool_call", decision: "allow", call_seq: seq, outcome: "executed", input: { tool: { name, args: {} } } });
  const records = [rec("a1", 0, "lookup"), rec({ id: "a2" }, 0, "ping"), rec({ id: "a2" }, 1, "send_email")];
  assert.deepEqual(rebuildHistories(records, "a1").get("s")!.map((c) => c.tool.name), ["lookup"]);
  assert.deepEqual(rebuildHistories(records, "a2").get("s")!.map((c) => c.tool.name), ["ping", "send_email"]);
});
