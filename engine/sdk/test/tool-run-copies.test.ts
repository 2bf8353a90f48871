// A guarded tool run copies each value once (spec/sdk-overhead.md): the
// arguments when tool_call is decided, the result when tool_result is. These tests hold the
// quick path (plain data, copied once, decided without another copy) to what the careful path
// decides and records, and try to reach the guard's own copies from the tool's side.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLog } from "../../audit/index.ts";
import { createGuard, GUARD_RULES, PolicyDeniedError } from "../index.ts";

const POLICY = {
  path: "copies.policy",
  text: `package copies

rule mask_mail on tool_result {
  when tool.result.text != null
  then redact pii.email in tool.result.text with "[EMAIL]"
}

rule no_big_after on tool_call {
  when tool.name == "pay" and any c in session.calls: c.tool.name == "lookup" and c.tool.args.amount > 100
  then deny "no payment after a large lookup"
}
`,
};

async function withLog(run: (guard: ReturnType<typeof createGuard>) => Promise<void>): Promise<Record<string, unknown>[]> {
  const dir = mkdtempSync(join(tmpdir(), "palisade-sdk-copies-"));
  const audit = await AuditLog.open(join(dir, "audit.db"));
  try {
    const guard = createGuard({ policies: [POLICY], env: "test", agent: "copies", audit });
    await run(guard);
    await guard.flush();
    const out: Record<string, unknown>[] = [];
    const n = await audit.size();
    for (let i = 0; i < n; i++) out.push((await audit.read(i)).record as Record<string, unknown>);
    return out;
  } finally {
    await audit.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function resultInputs(records: Record<string, unknown>[]): unknown[] {
  return records.filter((r) => r.phase === "tool_result").map((r) => (r.input as { tool: unknown }).tool);
}

test("a plain result and the same data behind toJSON are decided and recorded alike (quick and careful paths)", async () => {
  const when = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
  const plain = { at: when.toISOString(), note: "mail ann@example.com", list: [1, null, "x"] };
  const careful = { at: when, note: "mail ann@example.com", list: [1, undefined, "x"], toss: undefined };
  const seen: unknown[] = [];
  const records = await withLog(async (guard) => {
    const s = guard.session("s1", "u1");
    seen.push(await s.wrapTool("lookup", async () => plain)({ amount: 1 }));
    seen.push(await s.wrapTool("lookup", async () => careful)({ amount: 1 }));
  });
  const [a, b] = resultInputs(records);
  assert.deepEqual(a, b);
  assert.equal((a as { result: { text: string } }).result.text, JSON.stringify({ at: plain.at, note: "mail [EMAIL]", list: [1, null, "x"] }));
  // Both callers get the redaction back in their result's kind.
  assert.deepEqual(seen[0], { at: plain.at, note: "mail [EMAIL]", list: [1, null, "x"] });
  assert.deepEqual(seen[1], { at: plain.at, note: "mail [EMAIL]", list: [1, null, "x"] });
});

test("JSON text a tool answers with is refused when its data cannot be recorded, on either path", async () => {
  const texts = ['{"__proto__": {"admin": true}}', '{"a": "\\ud800"}', "[1e999]", '{"deep": ' + "[".repeat(70) + "]".repeat(70) + "}"];
  const records = await withLog(async (guard) => {
    const s = guard.session("s2", "u1");
    for (const text of texts) {
      await assert.rejects(s.wrapTool("lookup", async () => text)({ amount: 1 }), (e: unknown) => e instanceof PolicyDeniedError && e.phase === "tool_result" && e.decision.reasons[0]?.rule === GUARD_RULES.unrecordable, text);
    }
    // The session goes on.
    assert.equal(await s.wrapTool("lookup", async () => "fine")({ amount: 1 }), "fine");
  });
  assert.equal(records.filter((r) => r.phase === "tool_result" && r.decision === "deny").length, texts.length);
});

test("nothing the tool does to its arguments or its result after the fact reaches what was decided", async () => {
  let kept: { amount: number } | undefined;
  let result: { text: string; amount: number } | undefined;
  const records = await withLog(async (guard) => {
    const s = guard.session("s3", "u1");
    await s.wrapTool("lookup", async (args: { amount: number }) => {
      kept = args;
      args.amount = 5_000;
      result = { text: "ok", amount: 1 };
      return result;
    })({ amount: 1 });
    // After the call: the tool still holds both, and changes them.
    kept!.amount = 9_000;
    result!.amount = 9_000;
    // The history holds what was decided (amount 1), so the payment is allowed.
    assert.equal(await s.wrapTool("pay", async () => "paid")({}), "paid");
  });
  const call = records.find((r) => r.phase === "tool_call" && r.tool === "lookup")!;
  const done = records.find((r) => r.phase === "tool_result" && r.tool === "lookup")!;
  assert.deepEqual((call.input as { tool: { args: unknown } }).tool.args, { amount: 1 });
  assert.deepEqual((done.input as { tool: { args: unknown; result: { json: unknown } } }).tool.args, { amount: 1 });
  assert.deepEqual((done.input as { tool: { result: { json: unknown } } }).tool.result.json, { text: "ok", amount: 1 });
});

test("each session reads its own history, and an ended session starts empty", async () => {
  await withLog(async (guard) => {
    const a = guard.session("sa", "u1");
    const b = guard.session("sb", "u2");
    await a.wrapTool("lookup", async () => "x")({ amount: 500 });
    // b never looked anything up: its payment is allowed, a's is not.
    assert.equal(await b.wrapTool("pay", async () => "paid")({}), "paid");
    await assert.rejects(a.wrapTool("pay", async () => "paid")({}), PolicyDeniedError);
    a.end();
    assert.equal(await guard.session("sa", "u1").wrapTool("pay", async () => "paid")({}), "paid");
  });
});
