// What a guard records is what replay needs: decisions recorded by the SDK are decided again
// through a candidate policy set before a promotion.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLog } from "../../audit/index.ts";
import { loadPolicySet } from "../../runtime/index.ts";
import { createGuard, PolicyDeniedError } from "../../sdk/index.ts";
import { formatReplay, replay } from "../replay.ts";

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

async function replayOf(db: string, policies: { path: string; text: string }[]) {
  const { policySet } = loadPolicySet(policies);
  assert.ok(policySet);
  return replay(policySet, db, { env: "staging", windowMs: 86_400_000 });
}

const MAIL = {
  path: "m.policy",
  text: `package m

rule exfil on tool_call {
  when tool.name == "send_email" and any c in session.calls: c.tool.name == "lookup"
  then deny "no mail after a lookup"
}

rule after_failure on tool_call {
  when tool.name == "pay" and any c in session.calls: c.outcome == "failed"
  then deny "no payment after a failure"
}
`,
};

test("replay keeps one history per agent: two agents using one session id are not merged", async () => {
  const db = join(mkdtempSync(join(tmpdir(), "palisade-replay-")), "audit.db");
  const log = await AuditLog.open(db);
  const guards = [createGuard({ policies: [MAIL], env: "staging", agent: "support-bot", audit: log }), createGuard({ policies: [MAIL], env: "staging", agent: "mail-bot", audit: log })];
  const [support, mailer] = guards.map((g) => g.session("chat-7", "u1"));
  const ping = mailer.wrapTool("ping", async () => "pong");
  const lookup = support.wrapTool("lookup", async () => "found");
  const send = mailer.wrapTool("send_email", async () => "sent");
  await ping({});
  await lookup({});
  assert.equal(await send({}), "sent", "the mail bot's own history has no lookup");
  for (const g of guards) await g.flush();

  await log.close();
  const r = await replayOf(db, [MAIL]);
  assert.equal(r.summary.unverifiable, 0);
  assert.equal(r.summary.replayed, 6);
  assert.equal(r.summary.changed, 0, `the same policy decides the same: ${JSON.stringify(r.changes)}`);
});

test("replay reads each call's outcome as the decision found it, failures settled later included", async () => {
  const db = join(mkdtempSync(join(tmpdir(), "palisade-replay-")), "audit.db");
  const log = await AuditLog.open(db);
  const guard = createGuard({ policies: [MAIL], env: "staging", agent: "shop", audit: log });
  const s = guard.session("s1", "u1");
  let fail: (e: Error) => void = () => undefined;
  const slow = s.wrapTool("transfer", () => new Promise<string>((_, reject) => (fail = reject)));
  const pay = s.wrapTool("pay", async () => "paid");
  const running = slow({}).catch((e: unknown) => e);
  // Decided while the transfer runs, the payment depends on how it ends: the guard refuses it.
  await assert.rejects(pay({ n: 1 }), /still running/);
  fail(new Error("bank down"));
  await running;
  await assert.rejects(pay({ n: 2 }), /after a failure/);
  await guard.flush();
  await log.close();
  const r = await replayOf(db, [MAIL]);
  // transfer, the refused pay, pay: the settlement entry is no decision, the guard's refusal is not replayed.
  assert.equal(r.summary.decisions, 3);
  assert.equal(r.summary.replayed, 2);
  assert.deepEqual(r.summary.guardDenials, { "palisade.call_running": 1 });
  assert.equal(r.summary.changed, 0, `the same policy decides the same: ${JSON.stringify(r.changes)}`);
});

test("the guard's own refusals are reported as what they are, never as changes a policy makes", async () => {
  const db = join(mkdtempSync(join(tmpdir(), "palisade-replay-")), "audit.db");
  const log = await AuditLog.open(db);
  const guard = createGuard({ policies: [MAIL], env: "staging", agent: "shop", audit: log, toolSchemas: { pay: { type: "object", required: ["n"] } } });
  const pay = guard.session("s1", "alice").wrapTool("pay", async () => "paid");
  const intruder = guard.session("s1", "mallory").wrapTool("pay", async () => "paid");
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.equal(await pay({ n: 1 }), "paid");
  await assert.rejects(intruder({ n: 2 }), /another principal/);
  await assert.rejects(pay(cyclic as never), /cannot be recorded/);
  await assert.rejects(pay({} as never), PolicyDeniedError);
  await guard.flush();
  await log.close();
  const r = await replayOf(db, [MAIL]);
  assert.equal(r.summary.changed, 0, `no policy change: ${JSON.stringify(r.changes)}`);
  assert.deepEqual(r.summary.guardDenials, { "palisade.session_principal": 1, "palisade.unrecordable_input": 1, "palisade.tool_schema": 1 });
  assert.equal(r.summary.decisions, 5, "pay and its result, and three refusals");
  assert.equal(r.summary.replayed, 2);
  assert.match(formatReplay(r), /refused by the guard itself, not by a policy \(not replayed\): 1 by palisade\.session_principal/);
});
