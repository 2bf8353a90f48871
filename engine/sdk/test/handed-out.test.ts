// Nothing the guard hands out aliases what it decided: an approver, an `ask` callback, a caller of
// enforce/check/peek, a catcher of PolicyDeniedError, a monitor and `onError` each get copies (or
// frozen objects), so that what they do to them changes nothing the guard decided, remembers,
// records or runs. Each test mutates what it is handed, then reads the history, the log and what
// the tool ran with.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { AuditRecord } from "../../audit/index.ts";
import { createGuard, PolicyDeniedError } from "../index.ts";
import type { ApprovalRequest, GuardScope } from "../index.ts";
import { POLICY } from "./fixtures.ts";

type Args = Record<string, unknown>;
type Calls = { tool: { name: string; args: Args }; outcome: string }[];

function sink() {
  // Each record as text when the guard hands it over: what the log would have written.
  const records: Record<string, unknown>[] = [];
  return { records, audit: { append: async (r: AuditRecord) => void records.push(JSON.parse(JSON.stringify(r)) as Record<string, unknown>) } };
}

// The history as the guard's next decision reads it (peek records nothing).
function historyOf(s: GuardScope): Calls {
  return JSON.parse(JSON.stringify((s.peek("tool_call", { tool: { name: "x", args: {} } }).payload as { session: { calls: Calls } }).session.calls)) as Calls;
}

const argsIn = (r: Record<string, unknown>) => ((r.input as { tool?: { args?: Args } } | undefined)?.tool?.args ?? {}) as Args;

test("an approver that edits what it is shown (the amount a human approved) changes nothing that runs, is remembered or recorded", async () => {
  const k = sink();
  const seen: string[] = [];
  const guard = createGuard({
    policies: [POLICY],
    env: "t",
    agent: "a",
    audit: k.audit,
    approver: (req: ApprovalRequest) => {
      // A UI that edits the object it shows: every path to the decided arguments.
      for (const edit of [
        () => ((req.payload as { tool: { args: Args } }).tool.args.amount = 40_000),
        () => ((req.decision.payload as { tool: { args: Args } }).tool.args.amount = 40_000),
        () => (req.reasons as unknown[]).push({ rule: "forged" }),
        () => ((req.payload as { session: { calls: unknown[] } }).session.calls as unknown[]).push({ tool: { name: "forged", args: {} } }),
      ]) {
        try {
          edit();
          seen.push("edited");
        } catch (err) {
          seen.push(err instanceof TypeError ? "frozen" : "other");
        }
      }
      return true;
    },
  });
  const s = guard.session("s1", "u1");
  const ran: Args[] = [];
  const refund = s.wrapTool("refund", async (a: Args) => (ran.push({ ...a }), "ok"));
  assert.equal(await refund({ amount: 600 }), "ok");
  assert.deepEqual(seen, ["frozen", "frozen", "frozen", "frozen"]);
  assert.deepEqual(ran, [{ amount: 600 }]);
  assert.deepEqual(historyOf(s).map((c) => c.tool.args), [{ amount: 600 }]);
  await guard.flush();
  // The tool_call entry and the tool_result entry, which carries the arguments it ran with.
  assert.deepEqual(k.records.map(argsIn), [{ amount: 600 }, { amount: 600 }]);
});

test("an approver that edits in sloppy code and approves: the edit is refused loudly (approval_failed), nothing runs", async () => {
  const guard = createGuard({
    policies: [POLICY],
    env: "t",
    agent: "a",
    approver: (req) => {
      (req.payload as { tool: { args: Args } }).tool.args.amount = 40_000;
      return true;
    },
  });
  const s = guard.session("s1", "u1");
  let ran = 0;
  const refund = s.wrapTool("refund", async () => ++ran);
  await assert.rejects(refund({ amount: 600 }), (e: unknown) => e instanceof PolicyDeniedError && e.denial === "approval_failed");
  assert.equal(ran, 0);
  assert.deepEqual(historyOf(s).map((c) => `${String(c.tool.args.amount)}:${c.outcome}`), ["600:approval_refused"]);
});

test("an `ask` callback (a framework's human) is shown a frozen copy, and its answer is kept as it was given", async () => {
  const k = sink();
  const guard = createGuard({ policies: [POLICY], env: "t", agent: "a", audit: k.audit });
  const s = guard.session("s1", "u1");
  let editable = true;
  const answer = { approved: true, by: "alice" };
  const g = await s.enforce("tool_call", { tool: { name: "refund", args: { amount: 600 } } }, {
    ask: async (req) => {
      editable = !Object.isFrozen((req.payload as { tool: { args: Args } }).tool.args);
      return answer;
    },
  });
  // The framework (or the app) changes its answer object afterwards: the log keeps alice.
  answer.by = "mallory";
  assert.equal(editable, false);
  assert.equal(g.approval?.by, "alice");
  assert.throws(() => ((g.approval as { by?: string }).by = "mallory"), TypeError);
  await guard.flush();
  assert.equal((k.records[0].approval as { by?: string }).by, "alice");
});

test("enforceNow/enforce hand out copies: editing payload, input or decision changes neither history nor record", async () => {
  const k = sink();
  const guard = createGuard({ policies: [POLICY], env: "t", agent: "a", audit: k.audit });
  const s = guard.session("s1", "u1");
  const g = s.enforceNow("tool_call", { tool: { name: "search", args: { q: "x", limit: 50 } } });
  assert.ok(!(g instanceof Promise));
  // As before: the payload is the decision's payload, rewritten by `set`; input is as given.
  assert.equal(g.payload, g.decision.payload);
  assert.notEqual(g.payload, g.input);
  assert.equal((g.payload.tool as { args: Args }).args.limit, 10);
  (g.payload.tool as { args: Args }).args.limit = 10_000;
  (g.input.tool as { args: Args }).args.q = "forged";
  (g.decision.reasons as unknown[]).push({ rule: "forged", effect: "allow" });
  ((g.input.session as { calls: unknown[] }).calls as unknown[]).push({ tool: { name: "forged", args: {} } });
  assert.deepEqual(historyOf(s).map((c) => c.tool.args), [{ q: "x", limit: 10 }]);
  await guard.flush();
  assert.deepEqual(argsIn(k.records[0]), { limit: 10, q: "x" });
  assert.deepEqual((k.records[0].reasons as { rule: string }[]).map((r) => r.rule), ["sdktest.clamp_limit"]);
  const g2 = await s.enforce("tool_call", { tool: { name: "lookup", args: { id: 1 } } });
  assert.deepEqual((g2.input.session as { calls: Calls }).calls.map((c) => c.tool.args), [{ q: "x", limit: 10 }]);
  // JSON sees a handed-out decision's payload as before.
  assert.deepEqual(JSON.parse(JSON.stringify(g2.decision)).payload.tool, { args: { id: 1 }, name: "lookup" });
  assert.deepEqual(JSON.parse(JSON.stringify(g2)).input.tool, { args: { id: 1 }, name: "lookup" });
});

test("a handed-out input shows the session as the decision saw it, not the calls made after", async () => {
  const guard = createGuard({ policies: [POLICY], env: "t", agent: "a" });
  const s = guard.session("s1", "u1");
  const first = await s.enforce("tool_call", { tool: { name: "lookup", args: { id: 1 } } });
  await s.enforce("tool_call", { tool: { name: "lookup", args: { id: 2 } } });
  assert.equal((first.input.session as { calls: Calls }).calls.length, 0);
});

test("PolicyDeniedError's decision is a copy: a catcher that edits it changes no history and no record", async () => {
  const k = sink();
  const guard = createGuard({ policies: [POLICY], env: "t", agent: "a", audit: k.audit });
  const s = guard.session("s1", "u1");
  await s.enforce("tool_call", { tool: { name: "lookup", args: { id: 1 } } });
  let caught: PolicyDeniedError | undefined;
  try {
    await s.enforce("tool_call", { tool: { name: "delete_file", args: { path: "/etc" } } });
  } catch (err) {
    caught = err as PolicyDeniedError;
  }
  assert.ok(caught instanceof PolicyDeniedError);
  const p = caught.decision.payload as { tool: { args: Args }; session: { calls: Calls } };
  assert.equal(caught.decision, caught.decision);
  p.tool.args.path = "/tmp";
  p.session.calls[0].tool.args.id = 99;
  p.session.calls.length = 0;
  (caught.decision.reasons as unknown[]).length = 0;
  assert.deepEqual(historyOf(s).map((c) => c.tool.args), [{ id: 1 }, { path: "/etc" }]);
  await guard.flush();
  assert.deepEqual(argsIn(k.records[1]), { path: "/etc" });
  assert.deepEqual((k.records[1].reasons as { rule: string }[]).map((r) => r.rule), ["sdktest.no_delete"]);
});

test("check and peek hand out copies: the session's live history cannot be reached through them", async () => {
  const guard = createGuard({ policies: [POLICY], env: "t", agent: "a" });
  const s = guard.session("s1", "u1");
  await s.enforce("tool_call", { tool: { name: "lookup", args: { id: 1 } } });
  for (const d of [s.check("tool_call", { tool: { name: "x", args: {} } }), s.peek("tool_call", { tool: { name: "x", args: {} } })]) {
    const calls = (d.payload as { session: { calls: Calls } }).session.calls;
    calls[0].tool.args.id = 99;
    calls[0].outcome = "denied";
    calls.push({ tool: { name: "forged", args: {} }, outcome: "executed" });
  }
  assert.deepEqual(historyOf(s).map((c) => `${c.tool.name}:${JSON.stringify(c.tool.args)}:${c.outcome}`), ['lookup:{"id":1}:executed']);
});

test("decideToolCall hands the framework a copy of the decided arguments", async () => {
  const k = sink();
  const guard = createGuard({ policies: [POLICY], env: "t", agent: "a", audit: k.audit });
  const s = guard.session("s1", "u1");
  const args = (await s.decideToolCall("search", { q: "x", limit: 50 })) as Args;
  args.limit = 10_000;
  assert.deepEqual(historyOf(s).map((c) => c.tool.args), [{ q: "x", limit: 10 }]);
  await guard.flush();
  assert.deepEqual(argsIn(k.records[0]), { limit: 10, q: "x" });
});

test("a monitor that edits an outcome event changes nothing later entries record", async () => {
  const k = sink();
  const monitor = { record: (e: unknown) => void ((e as { kind?: string; error?: { type?: string } }).kind === "outcome" && (e as { error?: { type?: string } }).error !== undefined && tryEdit(e as { error: { type?: string } })) };
  const guard = createGuard({ policies: [POLICY], env: "t", agent: "a", audit: k.audit, monitor });
  const s = guard.session("s1", "u1");
  const failing = () => ({ isError: true, content: "no" });
  const view = (r: unknown) => ({ text: String((r as { content: string }).content), isError: true });
  await s.runTool("lookup", { id: 1 }, failing, { view });
  await guard.flush();
  await s.runTool("lookup", { id: 2 }, failing, { view });
  await guard.flush();
  const settled = k.records.filter((r) => r.settles === true).map((r) => (r.error as { type?: string } | undefined)?.type);
  assert.deepEqual(settled, ["ResultError", "ResultError"]);
});

function tryEdit(e: { error: { type?: string } }): void {
  try {
    e.error.type = "Forged";
  } catch {
    // Frozen: the edit is refused, which is the point.
  }
}

test("onError is handed the error; what it does to it changes nothing the guard records about the failure", async () => {
  let fail = true;
  const records: Record<string, unknown>[] = [];
  const audit = { append: async (r: AuditRecord) => (fail ? Promise.reject(new Error("disk full")) : void records.push(JSON.parse(JSON.stringify(r)) as Record<string, unknown>)) };
  const guard = createGuard({ policies: [POLICY], env: "t", agent: "a", audit, onError: (err) => void ((err as Error).message = "all good") });
  const s = guard.session("s1", "u1");
  await s.enforce("tool_call", { tool: { name: "lookup", args: { id: 1 } } });
  await guard.flush().catch(() => undefined);
  fail = false;
  await assert.rejects(s.enforce("tool_call", { tool: { name: "lookup", args: { id: 2 } } }), (e: unknown) => e instanceof PolicyDeniedError && /disk full/.test(e.decision.reasons[0]?.message ?? ""));
  await guard.flush();
  assert.match(String((records[0].reasons as { message?: string }[])[0]?.message), /disk full/);
});
