// A call is `executed` from the moment it is let run (spec/sdk.md), so a decision taken while an
// earlier call of the session still runs would read an outcome that has not happened yet. Models
// emit tool calls in parallel and frameworks run them at once (the AI SDK, the Agents SDK and
// LangGraph's ToolNode do): `verify_otp` with a guessed code beside `pay` made the payment, the
// password check failing after it. A decision that reads the history while one of its calls runs
// is taken as if each running call had succeeded and as if it had failed; when the two differ,
// the decision depends on how the call ends, and it is refused (fail closed) until it has.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { AuditRecord } from "../../audit/index.ts";
import { createGuard, GUARD_RULES, PolicyDeniedError } from "../index.ts";

const POLICY = {
  path: "running.policy",
  text: `package running

rule pay_after_otp on tool_call {
  when tool.name == "pay" and not (any c in session.calls: c.tool.name == "verify_otp" and c.outcome == "executed")
  then deny "pay only after a verified one-time password"
}

rule no_wire_after_failure on tool_call {
  when tool.name == "wire" and any c in session.calls: c.tool.name == "transfer" and c.outcome == "failed"
  then deny "no wire after a failed transfer"
}

rule two_lookups on tool_call {
  when tool.name == "lookup" and (count c in session.calls where c.tool.name == "lookup") >= 2
  then deny "at most two lookups a session"
}
`,
};

function setup() {
  const records: AuditRecord[] = [];
  const guard = createGuard({ policies: [POLICY], env: "t", agent: "a", audit: { append: async (r: AuditRecord) => void records.push(r) } });
  const ran: string[] = [];
  const slow = (name: string, fail: (a: Record<string, unknown>) => boolean) => async (a: Record<string, unknown>) => {
    await new Promise((r) => setTimeout(r, 30));
    if (fail(a)) throw new Error(`${name} failed`);
    ran.push(name);
    return "ok";
  };
  const now = (name: string) => async () => void ran.push(name);
  const tools = {
    verify_otp: slow("verify_otp", (a) => a.code !== "482913"),
    transfer: slow("transfer", (a) => a.fail === true),
    pay: now("pay"),
    wire: now("wire"),
    lookup: slow("lookup", () => false),
  };
  return { guard, records, ran, tools };
}

const running = (e: unknown): boolean => e instanceof PolicyDeniedError && e.decision.reasons[0]?.rule === GUARD_RULES.running;

test("a call decided while an earlier call it depends on still runs is refused: a guessed password beside a payment pays nothing", async () => {
  const { guard, ran, tools } = setup();
  const t = guard.session("s1", "u1").wrapTools(tools);
  const [otp, pay] = await Promise.allSettled([t.verify_otp({ code: "000000" }), t.pay({})]);
  assert.equal(otp.status, "rejected");
  assert.equal(pay.status, "rejected");
  assert.ok(running((pay as PromiseRejectedResult).reason), String((pay as PromiseRejectedResult).reason));
  assert.deepEqual(ran, []);
  // The other way round: a transfer that will fail does not let a wire through while it runs.
  const u = guard.session("s2", "u1").wrapTools(tools);
  const [transfer, wire] = await Promise.allSettled([u.transfer({ fail: true }), u.wire({})]);
  assert.equal(transfer.status, "rejected");
  assert.ok(running((wire as PromiseRejectedResult).reason), String((wire as PromiseRejectedResult).reason));
  assert.deepEqual(ran, []);
  await guard.flush();
});

test("once the call has ended, the same step is decided on what happened", async () => {
  const { guard, ran, tools } = setup();
  const s = guard.session("s3", "u1");
  const t = s.wrapTools(tools);
  await t.verify_otp({ code: "482913" });
  await t.pay({});
  assert.deepEqual(ran, ["verify_otp", "pay"]);
  // And a retry after a refusal succeeds once the password check is done.
  const v = guard.session("s4", "u1").wrapTools(tools);
  const otp = v.verify_otp({ code: "482913" });
  await assert.rejects(v.pay({}), running);
  await otp;
  await v.pay({});
  assert.deepEqual(ran, ["verify_otp", "pay", "verify_otp", "pay"]);
  await guard.flush();
});

test("parallel calls whose decisions do not depend on how the running ones end go ahead", async () => {
  const { guard, ran, tools } = setup();
  const t = guard.session("s5", "u1").wrapTools(tools);
  // Counting calls reads the history, but not their outcomes: attempted calls count either way.
  const results = await Promise.allSettled([t.lookup({}), t.lookup({}), t.verify_otp({ code: "482913" }), t.wire({}), t.lookup({})]);
  assert.deepEqual(results.map((r) => r.status), ["fulfilled", "fulfilled", "fulfilled", "fulfilled", "rejected"]);
  assert.match(String((results[4] as PromiseRejectedResult).reason), /at most two lookups/);
  assert.deepEqual(ran.sort(), ["lookup", "lookup", "verify_otp", "wire"]);
  await guard.flush();
});

test("the refusal is recorded as the guard's, and the refused call joins the history as denied", async () => {
  const { guard, records, tools } = setup();
  const s = guard.session("s6", "u1");
  const t = s.wrapTools(tools);
  await Promise.allSettled([t.verify_otp({ code: "000000" }), t.pay({})]);
  await guard.flush();
  const pay = records.find((r) => (r as { tool?: string }).tool === "pay");
  assert.ok(pay, "the refused step is recorded");
  assert.equal((pay as { decision?: string }).decision, "deny");
  assert.deepEqual(((pay as unknown as { reasons?: readonly { rule: string }[] }).reasons ?? []).map((r) => r.rule), [GUARD_RULES.running]);
  const calls = (s.check("tool_call", { tool: { name: "x", args: {} } }).payload as { session: { calls: { tool: { name: string }; outcome: string }[] } }).session.calls;
  assert.deepEqual(calls.map((c) => `${c.tool.name}:${c.outcome}`), ["verify_otp:failed", "pay:denied"]);
});
