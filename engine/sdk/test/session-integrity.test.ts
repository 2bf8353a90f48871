// A session's history says what its own principal's calls did: another principal under the same
// id, a reused call id, or a resumed call with changed arguments must not read, rewrite or
// approve any of it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createGuard, GUARD_RULES, PolicyDeniedError } from "../index.ts";
import type { AuditRecord } from "../../audit/index.ts";

const POLICY = {
  path: "owner.policy",
  text: `package sessions

rule exfil on tool_call {
  when tool.name == "send_email" and any c in session.calls: c.tool.name == "read_record"
  then deny "no mail after reading records"
}

rule pay_after_otp on tool_call {
  when tool.name == "pay" and not (any c in session.calls: c.tool.name == "verify_otp" and c.outcome == "executed")
  then deny "verify first"
}
`,
};

function denial(rule: string) {
  return (e: unknown): boolean => e instanceof PolicyDeniedError && e.decision.reasons[0]?.rule === rule;
}

test("the same session id under another principal is refused: it reads, extends and resets nothing of the owner's history", async () => {
  const records: AuditRecord[] = [];
  const guard = createGuard({ policies: [POLICY], env: "t", agent: "a", audit: { append: async (r) => void records.push(r) } });
  const alice = guard.session("thread-1", "alice");
  const bob = guard.session("thread-1", "bob");
  await alice.wrapTool("read_record", async () => ({ text: "diagnosis for alice" }))({ id: "alice-secret-id" });

  // Bob neither inherits Alice's history (a deny for the wrong reason) nor sees it in his error.
  let seen: unknown;
  await assert.rejects(bob.wrapTool("lookup", async () => "x")({}), (e: unknown) => {
    seen = (e as PolicyDeniedError).decision.payload;
    return denial(GUARD_RULES.principal)(e);
  });
  assert.ok(!JSON.stringify(seen).includes("alice-secret-id"), "the refusal carried the owner's history");
  assert.deepEqual(bob.check("tool_call", { tool: { name: "lookup", args: {} } }).reasons.map((r) => r.rule), [GUARD_RULES.principal]);
  // ...nor resets it.
  bob.end();
  await assert.rejects(alice.wrapTool("send_email", async () => "sent")({}), /no mail after reading records/);
  assert.equal(guard.session("thread-1", "alice").check("tool_call", { tool: { name: "lookup", args: {} } }).decision, "allow");

  // A step another principal made does not count for the owner: Mallory's verification is not Carol's.
  const mallory = guard.session("thread-2", "mallory");
  await mallory.wrapTool("verify_otp", async () => "ok")({ code: "123" });
  await assert.rejects(guard.session("thread-2", "carol").wrapTool("pay", async () => "paid")({ amount: 5 }), denial(GUARD_RULES.principal));
  assert.equal(await mallory.wrapTool("pay", async () => "paid")({ amount: 5 }), "paid");

  // No principal is a principal too: a session begun without one is not taken over by one.
  await guard.session("thread-3").wrapTool("lookup", async () => "x")({});
  await assert.rejects(guard.session("thread-3", "alice").wrapTool("lookup", async () => "x")({}), denial(GUARD_RULES.principal));
  await assert.rejects(guard.session("thread-1").wrapTool("lookup", async () => "x")({}), denial(GUARD_RULES.principal));

  await guard.flush();
  const refused = records.filter((r) => r.reasons.some((x) => x.rule === GUARD_RULES.principal));
  assert.deepEqual(refused.map((r) => r.principal), ["bob", "bob", "carol", "alice", null], "every refusal is recorded under who tried");
});

test("a call id seen before names that call only when it is that call again: ids that restart each turn neither overwrite nor hide earlier calls", async () => {
  const guard = createGuard({ policies: [POLICY], env: "t", agent: "a" });
  const s = guard.session("ids", "alice");
  await s.runTool("read_record", { id: 1 }, () => "record", { callId: "call_0" });
  // The next turn's first call reuses the id: it must not replace read_record in the history.
  await assert.rejects(s.runTool("send_email", { to: "x@example.com" }, () => "sent", { callId: "call_0" }), /no mail after reading records/);
  // The same tool with other arguments under a reused id is another call too.
  const t = guard.session("ids-2", "alice");
  await t.runTool("verify_otp", { code: "1" }, () => "ok", { callId: "c" });
  await t.runTool("verify_otp", { code: "2" }, () => "ok", { callId: "c" });
  assert.equal(t.check("tool_call", { tool: { name: "pay", args: {} } }).decision, "allow");
  // The same call decided again (a resumed run) is still one entry: checked through the history's length.
  const calls: unknown[] = (t.check("tool_call", { tool: { name: "noop", args: {} } }).payload as { session: { calls: unknown[] } }).session.calls;
  assert.equal(calls.length, 2);
  await t.runTool("verify_otp", { code: "2" }, () => "ok", { callId: "c" });
  assert.equal(((t.check("tool_call", { tool: { name: "noop", args: {} } }).payload as { session: { calls: unknown[] } }).session.calls).length, 2);
});

test("a human's answer held by the framework approves only the arguments the human was asked about", async () => {
  const guard = createGuard({ policies: [{ path: "refund.policy", text: `package refunds\n\nrule big on tool_call {\n  when tool.name == "refund" and tool.args.amount > 500\n  then require_approval "big refund"\n}\n` }], env: "t", agent: "a" });
  const s = guard.session("resume", "alice");
  const pause = (): never => {
    throw new Error("interrupt");
  };
  // The framework pauses the call to ask its human (a graph interrupt), then resumes it with the answer.
  await assert.rejects(s.runTool("refund", { amount: 600 }, () => "paid", { callId: "X", ask: pause }), /interrupt/);
  let ran: unknown;
  await assert.rejects(s.runTool("refund", { amount: 60_000 }, (a) => (ran = a), { callId: "X", approval: { approved: true, by: "human" } }), (e: unknown) => e instanceof PolicyDeniedError && e.denial === "no_approver");
  assert.equal(ran, undefined, "the refund the human never saw did not run");
  // Asked again about the new arguments, the framework pauses again; resumed unchanged, the call runs once.
  await assert.rejects(s.runTool("refund", { amount: 700 }, () => "paid", { callId: "Y", ask: pause }), /interrupt/);
  assert.equal(await s.runTool("refund", { amount: 700 }, () => "paid 700", { callId: "Y", approval: { approved: true, by: "human" } }), "paid 700");
});
