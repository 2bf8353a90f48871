// Recording that never fails open: snapshots, unrecordable inputs, audit failures, durability,
// entries that reference history instead of copying it, and private data kept private.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLog, decodeEntry } from "../../audit/index.ts";
import type { AuditRecord } from "../../audit/index.ts";
import { loadPolicySet } from "../../runtime/index.ts";
import { createGuard, GUARD_RULES, PolicyDeniedError, rebuildHistories } from "../index.ts";
import type { AuditSink, RecordedDecision } from "../index.ts";

const POLICY = {
  path: "rec.policy",
  text: `package rec

rule big_refund on tool_call {
  when tool.name == "refund" and tool.args.amount > 500
  then deny "refunds over 500 are not allowed"
}

rule exfil on tool_call {
  when tool.name == "send_email" and any a then b in session.calls: a.tool.name == "lookup" and b.tool.name == "read_file"
  then deny "no mail after reads"
}

rule mask_mail_args on tool_call {
  when tool.name == "send_email"
  then redact pii.email in tool.args.body with "[EMAIL]"
}

rule mask_cards on tool_result {
  then redact pii.credit_card in tool.result.text with "[CARD]"
}
`,
};

function tmp(): { dir: string; db: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "palisade-sdk-rec-"));
  return { dir, db: join(dir, "audit.db"), done: () => rmSync(dir, { recursive: true, force: true }) };
}

async function records(log: AuditLog): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  const n = await log.size();
  for (let i = 0; i < n; i++) out.push((await log.read(i)).record);
  return out;
}

test("an unrecordable argument (cycle, BigInt, function, Map) is a deny with its reason, and the session goes on recording", async () => {
  const t = tmp();
  const log = await AuditLog.open(t.db);
  try {
    const guard = createGuard({ policies: [POLICY], env: "t", agent: "a", audit: log });
    const s = guard.session("s1", "u1");
    let ran = 0;
    const lookup = s.wrapTool("lookup", async () => ++ran);
    const cyclic: Record<string, unknown> = { id: 1 };
    cyclic.self = cyclic;
    for (const bad of [cyclic, { n: 10n }, { f: () => 1 }, { m: new Map() }]) {
      await assert.rejects(lookup(bad), (e: unknown) => e instanceof PolicyDeniedError && e.decision.reasons[0]?.rule === GUARD_RULES.unrecordable && /cannot be recorded/.test(e.message));
    }
    assert.equal(ran, 0);
    assert.equal(await lookup({ id: 2 }), 1);
    await assert.rejects(s.wrapTool("refund", async () => "paid")({ amount: 900 }), /over 500/);
    await guard.flush();
    const rs = await records(log);
    assert.equal(rs.length, 4 + 2 + 1, "every decision is in the log, the deny after the cycle included");
    assert.deepEqual(rs.map((r) => r.decision), ["deny", "deny", "deny", "deny", "allow", "allow", "deny"]);
    assert.equal(guard.auditFailures, 0);
    assert.equal((await log.verify({ allowUnsigned: true })).ok, true);
  } finally {
    await log.close();
    t.done();
  }
});

test("arguments are snapshotted when decided: a tool mutating them changes nothing recorded", async () => {
  const recs: AuditRecord[] = [];
  const guard = createGuard({ policies: [POLICY], env: "t", agent: "a", audit: { append: async (r) => void recs.push(r) } });
  const args = { amount: 400, nested: { to: "acct-1" } };
  const refund = guard.session("s", "u").wrapTool("refund", async (a: { amount: number; nested: { to: string } }) => {
    a.amount = 1;
    a.nested.to = "attacker";
    return "ok";
  });
  await refund(args);
  args.amount = 2;
  await guard.flush();
  const tool = (recs[0]?.input as { tool: { args: unknown } }).tool;
  assert.deepEqual(tool.args, { amount: 400, nested: { to: "acct-1" } });
});

test("when the audit log fails, enforce mode refuses the next actions until it records again; 'allow' carries on; neither is silent", async () => {
  for (const onAuditFailure of ["deny", "allow"] as const) {
    let broken = true;
    const stored: AuditRecord[] = [];
    const errors: unknown[] = [];
    const audit: AuditSink = { append: (r) => (broken ? Promise.reject(new Error("disk full")) : Promise.resolve(void stored.push(r))) };
    const guard = createGuard({ policies: [POLICY], env: "t", agent: "a", audit, onAuditFailure, onError: (e) => errors.push(e) });
    const ping = guard.session("s", "u").wrapTool("ping", async () => "pong");
    assert.equal(await ping({}), "pong");
    await guard.flush();
    assert.ok(errors.length >= 1 && /disk full/.test(String(errors[0])));
    assert.ok(guard.auditFailures >= 1);
    if (onAuditFailure === "deny") {
      await assert.rejects(ping({}), (e: unknown) => e instanceof PolicyDeniedError && e.decision.reasons[0]?.rule === GUARD_RULES.audit);
      broken = false;
      await guard.flush();
      // The refusal itself was recorded once the log came back, which clears the failure.
      assert.equal(await ping({}), "pong");
      assert.ok(stored.some((r) => r.reasons[0]?.rule === GUARD_RULES.audit));
    } else assert.equal(await ping({}), "pong");
  }
});

test("durability 'before-action': the tool runs only once its decision is durable, and not at all when the log fails", async () => {
  const t = tmp();
  const log = await AuditLog.open(t.db);
  try {
    const guard = createGuard({ policies: [POLICY], env: "t", agent: "a", audit: log, durability: "before-action" });
    let sizeWhenRun = -1;
    const tool = guard.session("s", "u").wrapTool("ping", async () => {
      sizeWhenRun = await log.size();
      return "pong";
    });
    assert.equal(await tool({}), "pong");
    assert.equal(sizeWhenRun, 1, "the tool_call entry was committed before the tool ran");
  } finally {
    await log.close();
    t.done();
  }
  let ran = false;
  const failing = createGuard({ policies: [POLICY], env: "t", agent: "a", audit: { append: () => Promise.reject(new Error("store down")) }, durability: "before-action", onError: () => undefined });
  await assert.rejects(failing.session("s", "u").wrapTool("ping", async () => (ran = true))({}), (e: unknown) => e instanceof PolicyDeniedError && e.denial === "audit_unavailable");
  assert.equal(ran, false);
});

test("entries reference the session's history instead of copying it, and replay rebuilds it from the log", async () => {
  const recs: AuditRecord[] = [];
  const guard = createGuard({ policies: [POLICY], env: "t", agent: "a", audit: { append: async (r) => void recs.push(r) } });
  const t = guard.session("s", "u").wrapTools({ lookup: async () => "x", read_file: async () => "y", ping: async () => "p", send_email: async () => "sent" });
  await t.lookup({});
  await t.read_file({});
  for (let i = 0; i < 200; i++) await t.ping({ i });
  await assert.rejects(t.send_email({ body: "hi" }), /no mail after reads/);
  // A 10,000-key argument: its own record keeps only a digest; the others keep their input.
  const big: Record<string, number> = {};
  for (let i = 0; i < 10_000; i++) big[`k${i}`] = i;
  await t.ping(big);
  await t.ping({ last: true });
  await guard.flush();
  const sizes = recs.map((r) => JSON.stringify(r).length);
  assert.ok(Math.max(...sizes.slice(0, -2)) < 2_000, `no entry grows with the session (largest ${Math.max(...sizes)})`);
  const calls = recs.filter((r) => r.phase === "tool_call");
  assert.equal(calls.filter((r) => r.input === undefined).length, 1, "only the oversized input is digest-only");
  assert.ok(calls.at(-1)?.input !== undefined);
  for (const r of recs) assert.equal((r.input as { session?: { calls?: unknown } } | undefined)?.session?.calls, undefined);
  // Replay: rebuild session.calls from the log and decide the recorded send_email again.
  const histories = rebuildHistories(recs as unknown as RecordedDecision[]);
  const mail = calls.find((r) => r.tool === "send_email")!;
  const input = mail.input as { session: { id: string; calls_before: number } };
  const { policySet } = loadPolicySet([POLICY]);
  const again = policySet!.decide("tool_call", { ...input, session: { id: input.session.id, calls: histories.get("s")!.slice(0, input.session.calls_before) } });
  assert.equal(again.decision, "deny");
  // The digest-only record is a gap: the history is rebuilt up to it, never past it.
  assert.equal(histories.get("s")!.length, 203);
});

test("private by default: the log holds what redactions leave, the original only sealed, in a file only its owner reads", async () => {
  const t = tmp();
  const log = await AuditLog.open(t.db, { erasure: { subjectField: "principal", personalFields: ["input_original"] } });
  try {
    const guard = createGuard({ policies: [POLICY], env: "t", agent: "a", audit: log });
    const s = guard.session("s", "user-7");
    assert.equal(await s.wrapTool("send_email", async (a: { body: string }) => `sent: ${a.body}`)({ body: "write to ann@example.com" }), "sent: write to [EMAIL]");
    assert.equal(await s.wrapTool("card", async () => "card 4111 1111 1111 1111")({}), "card [CARD]");
    await guard.flush();
    const raw = readFileSync(t.db).toString("latin1") + readFileSync(`${t.db}-wal`).toString("latin1");
    assert.doesNotMatch(raw, /ann@example\.com/);
    assert.doesNotMatch(raw, /4111 1111 1111 1111/);
    const rs = await records(log);
    assert.match(JSON.stringify(rs[0]?.input), /\[EMAIL\]/);
    // The original is there for replay, sealed under the subject's key.
    assert.match(JSON.stringify(rs[0]?.input_original), /ann@example\.com/);
    assert.equal(statSync(t.db).mode & 0o777, 0o600);
  } finally {
    await log.close();
    t.done();
  }
});

test("records handed over as text around the input (store-side encoding) are the canonical records the record path writes", async () => {
  const t = tmp();
  // Store-side encoding is for a log that seals nothing (a sealing log needs the record itself).
  const log = await AuditLog.open(t.db, { erasure: false });
  const recs: AuditRecord[] = [];
  try {
    for (const audit of [log, { append: async (r: AuditRecord) => void recs.push(r) }]) {
      const guard = createGuard({ policies: [POLICY], env: "t", agent: "a", audit, approver: () => ({ approved: true, by: "sue" }), now: () => 1_700_000_000_000 });
      const s = guard.session("s\u00e9", "u\u2028");
      await s.wrapTool("lookup", async () => ({ v: "x\u{1F600}" }))({ q: "caf\u00e9", n: 1e21, z: -0 });
      await assert.rejects(s.wrapTool("refund", async () => 1)({ amount: 900 }), /over 500/);
      await s.wrapTool("send_email", async () => "ok")({ body: "to ann@example.com" });
      await guard.flush();
    }
    const stored = await records(log);
    assert.equal(stored.length, recs.length);
    for (let i = 0; i < recs.length; i++) {
      const e = await log.read(i);
      assert.deepEqual(decodeEntry(e.data), JSON.parse(JSON.stringify(recs[i])));
    }
  } finally {
    await log.close();
    t.done();
  }
});

test("the text the recorder writes around each input is the record the record path writes: warnings, approvals, reopened sessions, every phase's input", async () => {
  const policy = {
    path: "text.policy",
    text: `${POLICY.text}
rule note on tool_call {
  when tool.name == "lookup"
  then warn "looked up {tool.args.q}"
}

rule pay on tool_call {
  when tool.name == "pay"
  then require_approval "payments need a human"
}

rule pay_note on tool_call {
  when tool.name == "pay"
  then warn "paying {tool.args.amount}"
}

rule shout on input {
  when input.text == "hi"
  then warn "greeting"
}
`,
  };
  const t = tmp();
  const log = await AuditLog.open(t.db, { erasure: false });
  const recs: AuditRecord[] = [];
  try {
    for (const audit of [log, { append: async (r: AuditRecord) => void recs.push(r) }]) {
      const guard = createGuard({ policies: [policy], env: "t", agent: { id: "a", name: "n\u00e9", version: "2" }, audit, approver: () => ({ approved: true, by: "sue", reason: "ok \u{1F600}" }), now: () => 1_700_000_000_000 });
      const s = guard.session("s", { id: "u", roles: ["b", "a"], attrs: { z: 1, a: { y: [2, 1], b: null } } });
      await s.wrapTool("lookup", async () => "x")({ q: "caf\u00e9", z: { b: 1, a: 2 } });
      await s.wrapTool("pay", async () => "paid")({ amount: 5 });
      await s.wrapTool("send_email", async () => "ok")({ body: "to ann@example.com" });
      // Keys in no particular order, fields the guard does not fill in, a time of the caller's.
      s.check("input", { text: "hi", meta: { b: 2, a: 1 }, time: "then", agent: { id: "other" } });
      s.check("model_call", { model: { name: "m" }, input: [{ role: "user", content: "hi" }] });
      s.end();
      // The same id again: its records say which calls of the id came before.
      await guard.session("s", { id: "u", roles: ["b", "a"], attrs: { z: 1, a: { y: [2, 1], b: null } } }).wrapTool("lookup", async () => "y")({ q: "again" });
      await guard.flush();
    }
    const stored = await records(log);
    assert.equal(stored.length, recs.length);
    assert.ok(recs.some((r) => Array.isArray(r.warnings) && r.warnings.length > 0), "warnings are recorded");
    assert.ok(recs.some((r) => r.approval !== undefined), "approvals are recorded");
    assert.ok(recs.some((r) => (r.input as { session?: { calls_from?: number } } | undefined)?.session?.calls_from === 3), "a reopened session is recorded as such");
    for (let i = 0; i < recs.length; i++) assert.deepEqual(decodeEntry((await log.read(i)).data), JSON.parse(JSON.stringify(recs[i])), `entry ${i}`);
  } finally {
    await log.close();
    t.done();
  }
});

test("outcomes reach the monitor: each tool's wall time and output size, and the error of one that threw", async () => {
  const events: Record<string, unknown>[] = [];
  const guard = createGuard({ policies: [POLICY], env: "t", agent: "a", monitor: { record: (e) => void events.push(e as unknown as Record<string, unknown>) } });
  const s = guard.session("s", "u");
  await s.wrapTool("slow", async () => (await new Promise((r) => setTimeout(r, 20)), "done!"))({});
  await assert.rejects(s.wrapTool("broken", async () => {
    throw new TypeError("bad gateway");
  })({}), /bad gateway/);
  await guard.flush();
  const outcomes = events.filter((e) => e.kind === "outcome");
  const slow = outcomes.find((e) => e.tool === "slow");
  assert.equal(slow?.phase, "tool_call");
  assert.equal(slow?.session, "s");
  assert.ok((slow?.durationMs as number) >= 15);
  assert.equal(slow?.outputSize, 5);
  const broken = outcomes.find((e) => e.tool === "broken");
  assert.deepEqual(broken?.error, { source: "tool", type: "TypeError", message: "bad gateway" });
  assert.equal(events.filter((e) => e.kind !== "outcome").length, 3, "decisions: slow call and result, broken call");
});

test("a tool whose result reports a failure (MCP isError, LangChain status error) is an error outcome, not a success", async () => {
  const events: Record<string, unknown>[] = [];
  const guard = createGuard({ policies: [POLICY], env: "t", agent: "a", monitor: { record: (e) => void events.push(e as unknown as Record<string, unknown>) } });
  const s = guard.session("s", "u");
  const mcpLike = { content: [{ type: "text", text: "upstream 502" }], isError: true };
  const back = await s.runTool("remote", {}, async () => mcpLike, { view: (r) => ({ text: (r as typeof mcpLike).content[0].text, isError: (r as typeof mcpLike).isError }) });
  assert.equal(back, mcpLike, "the caller still gets the tool's answer");
  await s.wrapTool("fine", async () => "ok")({});
  await guard.flush();
  const outcomes = events.filter((e) => e.kind === "outcome");
  assert.deepEqual(outcomes.find((e) => e.tool === "remote")?.error, { source: "tool", type: "ResultError", message: "the tool's result reports an error" });
  assert.equal(outcomes.find((e) => e.tool === "remote")?.outputSize, 12);
  assert.equal(outcomes.find((e) => e.tool === "fine")?.error, undefined);
});

test("a result that cannot be recorded never reaches the caller, and the session goes on", async () => {
  const recs: AuditRecord[] = [];
  const guard = createGuard({ policies: [POLICY], env: "t", agent: "a", audit: { append: async (r) => void recs.push(r) } });
  const s = guard.session("s", "u");
  const cyclic: Record<string, unknown> = { secret: "x" };
  cyclic.self = cyclic;
  await assert.rejects(s.wrapTool("leaky", async () => cyclic)({}), (e: unknown) => e instanceof PolicyDeniedError && e.phase === "tool_result" && e.decision.reasons[0]?.rule === GUARD_RULES.unrecordable);
  await assert.rejects(s.wrapTool("big", async () => ({ n: 10n }))({}), /BigInt at \/tool\/result\/n/);
  assert.equal(await s.wrapTool("fine", async () => "ok")({}), "ok");
  await guard.flush();
  assert.deepEqual(recs.map((r) => `${r.phase}:${r.decision}`), ["tool_call:allow", "tool_result:deny", "tool_call:allow", "tool_result:deny", "tool_call:allow", "tool_result:allow"]);
});

test("replay rebuilds session.calls from the log: a sequence rule decides the same on replay", async () => {
  const { replay } = await import("../../environments/replay.ts");
  const t = tmp();
  const log = await AuditLog.open(t.db);
  try {
    const guard = createGuard({ policies: [POLICY], env: "staging", agent: "a", audit: log });
    const s = guard.session("conv", "u").wrapTools({ lookup: async () => "x", read_file: async () => "y", ping: async () => "p", send_email: async () => "sent" });
    await s.lookup({});
    await s.read_file({});
    for (let i = 0; i < 100; i++) await s.ping({ i });
    await assert.rejects(s.send_email({ body: "hi" }), /no mail after reads/);
    await guard.flush();
    const same = loadPolicySet([POLICY]).policySet!;
    const r = await replay(same, t.db, { env: "staging", windowMs: 86_400_000 });
    assert.equal(r.summary.unverifiable, 0);
    assert.equal(r.summary.changed, 0, "the deny holds on replay: the history was rebuilt");
    const without = loadPolicySet([{ path: "p.policy", text: POLICY.text.replace(/rule exfil[\s\S]*?\n}\n/, "") }]).policySet!;
    const r2 = await replay(without, t.db, { env: "staging", windowMs: 86_400_000 });
    assert.deepEqual(r2.changes.map((c) => `${c.tool}:${c.recorded}->${c.replayed}`), ["send_email:deny->allow"]);
  } finally {
    await log.close();
    t.done();
  }
});

test("a decision is recorded whatever the size of its input and messages: large parts go by digest, never the decision", async () => {
  const QUOTING = {
    path: "big.policy",
    text: `package big

rule say_post on tool_call {
  when tool.name == "post"
  then warn "posting {tool.args.body}"
}

rule no_post on tool_call {
  when tool.name == "post"
  then deny "will not post {tool.args.body}"
}

rule mask_mail_args on tool_call {
  when tool.name == "send_email"
  then redact pii.email in tool.args.body with "[EMAIL]"
}

rule mask_cards on tool_result {
  then redact pii.credit_card in tool.result.text with "[CARD]"
}
`,
  };
  // Characters of one, two (JSON-escaped control: six), three and four bytes; the default sealing
  // log (a third more for base64) and one that seals only the original.
  const bodies = ["x", "\u0001", "€", "😀"].flatMap((ch) => [12_000, 24_000, 47_000].map((n) => ch.repeat(Math.floor(n / ch.length))));
  for (const erasure of [undefined, { subjectField: "principal", personalFields: ["input_original"] }]) {
    const t = tmp();
    const log = await AuditLog.open(t.db, erasure === undefined ? {} : { erasure });
    try {
      const guard = createGuard({ policies: [QUOTING], env: "t", agent: "a", audit: log });
      const s = guard.session("s", "user-7");
      const post = s.wrapTool("post", async () => "posted");
      const send = s.wrapTool("send_email", async () => "sent");
      let decisions = 0;
      for (const body of bodies) {
        await assert.rejects(post({ body }), /will not post/);
        assert.equal(await send({ body: `mail ann@example.com ${body}` }), "sent");
        assert.match(await s.wrapTool("read", async () => `card 4111 1111 1111 1111 ${body}`)({}), /^card \[CARD\] /);
        decisions += 5;
      }
      // Nothing failed to record, so nothing is refused for it.
      assert.equal(await s.wrapTool("ping", async () => "pong")({}), "pong");
      await guard.flush();
      assert.equal(guard.auditFailures, 0);
      const rs = await records(log);
      assert.equal(rs.length, decisions + 2);
      assert.equal(rs.filter((r) => r.decision === "deny").length, bodies.length, "every deny is in the log");
      for (const r of rs) assert.match(String(r.input_digest), /^sha256:[0-9a-f]{64}$/);
      // What fits is kept for replay: the smallest inputs inline.
      assert.equal((rs[0].input as { tool: { args: { body: string } } }).tool.args.body, bodies[0]);
      assert.equal((await log.verify({ allowUnsigned: true })).ok, true);
    } finally {
      await log.close();
      t.done();
    }
  }
});
