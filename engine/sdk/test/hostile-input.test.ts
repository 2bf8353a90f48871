// Inputs an attacker (or an unlucky framework) can hand a guard, each of which must be decided
// and recorded as what it is: refused with its path, the refusal in the log, the session going on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLog } from "../../audit/index.ts";
import { createGuard, GUARD_RULES, GuardConfigError, PolicyDeniedError } from "../index.ts";

const POLICY = {
  path: "hostile.policy",
  text: `package hostile

rule big_refund on tool_call {
  when tool.name == "refund" and tool.args.amount > 500
  then deny "refunds over 500 are not allowed"
}
`,
};

async function withLog(body: (log: AuditLog) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "palisade-sdk-hostile-"));
  const log = await AuditLog.open(join(dir, "audit.db"));
  try {
    await body(log);
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function decisions(log: AuditLog): Promise<string[]> {
  const out: string[] = [];
  const n = await log.size();
  for (let i = 0; i < n; i++) out.push(`${String((await log.read(i)).record.phase)}:${String((await log.read(i)).record.decision)}`);
  return out;
}

test("arguments and results the log cannot hold as decided (lone surrogates, '__proto__', throwing getters and proxies) are refused with their path and recorded, and the guard goes on", async () => {
  await withLog(async (log) => {
    const errors: unknown[] = [];
    const guard = createGuard({ policies: [POLICY], env: "t", agent: "a", audit: log, onError: (e) => errors.push(e) });
    const s = guard.session("s1", "u1");
    let ran = 0;
    const lookup = s.wrapTool("lookup", async () => ++ran);
    const throwing = { get secret(): string {
      throw new Error("no access");
    } };
    const trap = new Proxy({}, { ownKeys: () => { throw new Error("trap"); } });
    const bad: [unknown, RegExp][] = [
      [{ q: "\udc00" }, /lone surrogate \(no UTF-8 form\) at \/tool\/args\/q,/],
      [{ q: ["ok", "a\ud800b"] }, /lone surrogate \(no UTF-8 form\) at \/tool\/args\/q\/1,/],
      [{ ["k\ud800"]: 1 }, /key with a lone surrogate \(no UTF-8 form\) at \/tool\/args\/k\\ud800,/],
      [JSON.parse('{"__proto__": {"amount": 900}}'), /'__proto__' at \/tool\/args\/__proto__/],
      [{ nested: JSON.parse('{"__proto__": 1}') }, /'__proto__' at \/tool\/args\/nested\/__proto__/],
      [throwing, /threw when read \(no access\) at \/tool\/args\/secret/],
      [{ p: trap }, /threw when read \(trap\) at \/tool\/args\/p/],
    ];
    for (const [args, why] of bad) {
      await assert.rejects(lookup(args), (e: unknown) => e instanceof PolicyDeniedError && e.decision.reasons[0]?.rule === GUARD_RULES.unrecordable && why.test(e.message), String(why));
    }
    assert.equal(ran, 0, "no refused call ran");
    // A result the log cannot hold is refused after the tool ran, and recorded.
    const echo = s.wrapTool("echo", async () => ({ text: "x\udfff" }));
    await assert.rejects(echo({}), (e: unknown) => e instanceof PolicyDeniedError && e.phase === "tool_result" && /lone surrogate/.test(e.message));
    assert.equal(await lookup({ q: "fine \u{1F600}" }), 1);
    await assert.rejects(s.wrapTool("refund", async () => "paid")({ amount: 900 }), /over 500/);
    await guard.flush();
    assert.deepEqual(errors, [], "nothing failed to record");
    assert.equal(guard.auditFailures, 0);
    assert.deepEqual(await decisions(log), [...bad.map(() => "tool_call:deny"), "tool_call:allow", "tool_result:deny", "tool_call:allow", "tool_result:allow", "tool_call:deny"]);
    assert.equal((await log.verify({ allowUnsigned: true })).ok, true);
  });
});

test("a session id or principal the log cannot hold is refused when the scope is made, never at each unrecorded decision", () => {
  const guard = createGuard({ policies: [POLICY], env: "t", agent: "a" });
  assert.throws(() => guard.session("chat-\ud800"), GuardConfigError);
  assert.throws(() => guard.session("chat", "user-\udc00"), GuardConfigError);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => guard.session("chat", { id: "u", attrs: { org: cyclic } }), (e: unknown) => e instanceof GuardConfigError && /a cycle at \/principal\/attrs\/org\/self/.test(e.message));
  assert.throws(() => guard.session("chat", { id: "u", attrs: { n: 10n } }), GuardConfigError);
  // Well-formed odd characters are fine.
  assert.equal(guard.session("chat/\u{1F600}\u0000", { id: "ü", attrs: { org: "x" } }).sessionId, "chat/\u{1F600}\u0000");
});

test("ids too long for an entry (a 70,000-character chat id, principal or tool name) are refused before anything runs, and other sessions go on", async () => {
  await withLog(async (log) => {
    const errors: unknown[] = [];
    const guard = createGuard({ policies: [POLICY], env: "t", agent: "a", audit: log, onError: (e) => errors.push(e) });
    const long = "x".repeat(70_000);
    assert.throws(() => guard.session(long, "u"), (e: unknown) => e instanceof GuardConfigError && /70000 characters is too long/.test(e.message));
    assert.throws(() => guard.session("s", long), GuardConfigError);
    assert.throws(() => guard.session("s", { id: "u", roles: [long] }), (e: unknown) => e instanceof GuardConfigError && /at most 8192/.test(e.message));
    let ran = false;
    // A tool name comes from the framework (an MCP client's tools/call): refused as unrecordable, and recorded without it.
    await assert.rejects(guard.session("s", "u").wrapTool(long, async () => (ran = true))({}), (e: unknown) => e instanceof PolicyDeniedError && e.decision.reasons[0]?.rule === GUARD_RULES.unrecordable && /tool name of 70000 characters/.test(e.message));
    assert.equal(ran, false);
    assert.equal(await guard.session("other", "v").wrapTool("lookup", async () => "ok")({}), "ok", "another session's action is not refused");
    await guard.flush();
    assert.deepEqual(errors, []);
    assert.deepEqual(await decisions(log), ["tool_call:deny", "tool_call:allow", "tool_result:allow"]);
  });
});

test("a tool's result in bytes is decided as its text and comes back in its kind; a result whose content JSON cannot show (a Response, a stream, an iterator) is refused", async () => {
  const policy = { path: "r.policy", text: 'package r\nrule scrub on tool_result {\n  then redact pii.email in tool.result.text with "[EMAIL]"\n}\nrule secret on tool_result {\n  when to_string(tool.result.text) contains "TOP SECRET"\n  then deny "classified"\n}\n' };
  const s = createGuard({ policies: [policy], env: "test", agent: "a" }).session("bytes", "u1");
  const mail = "mail amy@example.com";
  const buf = await s.runTool("read", {}, () => Buffer.from(mail));
  assert.ok(Buffer.isBuffer(buf));
  assert.equal(buf.toString(), "mail [EMAIL]");
  const u8 = await s.runTool("read", {}, () => new TextEncoder().encode(mail));
  assert.ok(u8 instanceof Uint8Array);
  assert.equal(new TextDecoder().decode(u8), "mail [EMAIL]");
  assert.equal(await s.runTool("read", {}, () => new TextEncoder().encode(mail).buffer), "mail [EMAIL]");
  const plain = Buffer.from("nothing to see");
  assert.equal(await s.runTool("read", {}, () => plain), plain, "an unchanged result is the tool's own");
  await assert.rejects(s.runTool("read", {}, () => Buffer.from("TOP SECRET plans")), /classified/);
  for (const unread of [new Response(mail), new Blob([mail]), new ReadableStream(), (function* () { yield mail; })(), { body: new Response(mail) }]) {
    await assert.rejects(s.runTool("fetch", {}, () => unread), (e: unknown) => e instanceof PolicyDeniedError && e.decision.reasons[0]?.rule === GUARD_RULES.unrecordable, String(unread));
  }
  assert.equal(await s.runTool("ok", {}, () => ({ at: new Date(0) })).then((r) => JSON.stringify(r)), '{"at":"1970-01-01T00:00:00.000Z"}', "data with toJSON still passes");
});
