// Session history: one per conversation, exact over the whole session, each call's outcome.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createGuard, PolicyDeniedError, SessionRequiredError } from "../index.ts";
import type { SessionCall } from "../index.ts";

const EXFIL = {
  path: "exfil.policy",
  text: `package exfil

rule exfiltration on tool_call {
  severity critical
  when tool.name == "send_email"
   and any a then b in session.calls: a.tool.name == "lookup" and b.tool.name == "read_file"
  then deny "customer data may not be mailed after a file read"
}

rule three_reads on tool_call {
  when tool.name == "export" and (count c in session.calls where c.tool.name == "read_file" and c.outcome == "executed") >= 3
  then deny "bulk export after three reads"
}

rule no_secrets on tool_call {
  when tool.name == "read_file" and tool.args.path starts with "/secret"
  then deny "secret files are off limits"
}

rule big_refund on tool_call {
  when tool.name == "refund" and tool.args.amount > 500
  then require_approval "refund needs approval"
}
`,
};

function callsOf(s: { check: ReturnType<typeof createGuard>["check"] }): SessionCall[] {
  const payload = s.check("tool_call", { tool: { name: "x", args: {} } }).payload as { session: { calls: SessionCall[] } };
  return payload.session.calls;
}

const tools = (s: ReturnType<ReturnType<typeof createGuard>["session"]>) =>
  s.wrapTools({ lookup: async () => "ok", read_file: async () => "text", ping: async () => "pong", send_email: async () => "sent", export: async () => "exported", refund: async () => "refunded" });

test("the root guard acts for nobody: enforcing without a session is an error, never a shared history", async () => {
  const guard = createGuard({ policies: [EXFIL], env: "t", agent: "a" });
  assert.throws(() => guard.wrapTool("send_email", async () => "sent"), SessionRequiredError);
  await assert.rejects(guard.enforce("tool_call", { tool: { name: "send_email", args: {} } }), SessionRequiredError);
  // Two anonymous scopes never share history.
  const a = tools(guard.anonymous());
  const b = tools(guard.anonymous());
  await a.lookup({});
  await a.read_file({});
  await assert.rejects(a.send_email({}), /mailed after a file read/);
  assert.equal(await b.send_email({}), "sent");
});

test("one user's history never decides another's: sessions are per conversation", async () => {
  const guard = createGuard({ policies: [EXFIL], env: "t", agent: "a" });
  const userA = tools(guard.session("chat-A", "alice"));
  const userB = tools(guard.session("chat-B", "bob"));
  await userA.lookup({});
  await userA.read_file({});
  assert.equal(await userB.send_email({}), "sent", "B's mail is not blocked by A's reads");
  await assert.rejects(userA.send_email({}), PolicyDeniedError);
});

test("the history cannot be padded: a sequence rule sees the whole session", async () => {
  for (const pings of [0, 64, 65, 1_000]) {
    const guard = createGuard({ policies: [EXFIL], env: "t", agent: "a" });
    const t = tools(guard.session(`pad-${pings}`, "u"));
    await t.lookup({});
    await t.read_file({});
    for (let i = 0; i < pings; i++) await t.ping({ i });
    await assert.rejects(t.send_email({}), /mailed after a file read/, `after ${pings} pings`);
  }
});

test("a session longer than the guard keeps, or one it forgot, fails closed where history is read", async () => {
  const guard = createGuard({ policies: [EXFIL], env: "t", agent: "a", history: { maxCalls: 10, maxSessions: 2 } });
  const t = tools(guard.session("long", "u"));
  await t.lookup({});
  await t.read_file({});
  for (let i = 0; i < 20; i++) await t.ping({});
  await assert.rejects(t.send_email({}), (e: unknown) => e instanceof PolicyDeniedError && e.decision.reasons[0]?.rule === "palisade.session_history");
  assert.equal(await t.ping({}), "pong", "tools no history rule reads are unaffected");
  // Two newer sessions push "old" out of memory: its history is gone, and the guard knows it.
  const old = tools(guard.session("old", "u"));
  await old.lookup({});
  await old.read_file({});
  await tools(guard.session("n1", "u")).ping({});
  await tools(guard.session("n2", "u")).ping({});
  await assert.rejects(old.send_email({}), /no longer held/);
});

test("each call's outcome is what happened: executed, denied, approval refused", async () => {
  const guard = createGuard({ policies: [EXFIL], env: "t", agent: "a", approver: (r) => (r.payload as { tool: { args: { amount: number } } }).tool.args.amount < 1_000 });
  const s = guard.session("outcomes", "u");
  const t = tools(s);
  await assert.rejects(t.read_file({ path: "/secret/a" }), /off limits/);
  await assert.rejects(t.read_file({ path: "/secret/b" }), /off limits/);
  await t.read_file({ path: "/pub/1" });
  await t.refund({ amount: 600 });
  await assert.rejects(t.refund({ amount: 5_000 }), (e: unknown) => e instanceof PolicyDeniedError && e.denial === "approval_refused");
  // Two denied reads and one real one: the count rule counts what ran, so export goes on.
  assert.equal(await t.export({}), "exported");
  const calls = callsOf(s);
  assert.deepEqual(
    calls.map((c) => `${c.tool.name}:${c.decision}:${c.outcome}`),
    ["read_file:deny:denied", "read_file:deny:denied", "read_file:allow:executed", "refund:require_approval:executed", "refund:require_approval:approval_refused", "export:allow:executed"],
  );
});

test("55 concurrent calls of one session keep their decision order, approvals waiting included", async () => {
  const guard = createGuard({ policies: [EXFIL], env: "t", agent: "a", approver: async () => (await new Promise((r) => setTimeout(r, 5)), true) });
  const s = guard.session("burst", "u");
  const t = tools(s);
  await Promise.all(Array.from({ length: 55 }, (_, i) => (i % 11 === 0 ? t.refund({ amount: 900, i }) : t.ping({ i }))));
  const calls = callsOf(s);
  assert.deepEqual(calls.map((c) => (c.tool.args as { i: number }).i), Array.from({ length: 55 }, (_, i) => i));
  assert.ok(calls.every((c) => c.outcome === "executed"));
});

test("a call decided twice under the framework's call id keeps one history entry", async () => {
  const guard = createGuard({ policies: [EXFIL], env: "t", agent: "a" });
  const s = guard.session("resumed", "u");
  s.enforceNow("tool_call", { tool: { name: "lookup", args: {} } }, { callId: "c1" });
  s.enforceNow("tool_call", { tool: { name: "lookup", args: {} } }, { callId: "c1" });
  s.enforceNow("tool_call", { tool: { name: "read_file", args: {} } }, { callId: "c2" });
  const calls = callsOf(s);
  assert.deepEqual(calls.map((c) => c.tool.name), ["lookup", "read_file"]);
});
