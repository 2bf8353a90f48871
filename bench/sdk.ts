// The guard's own cost per wrapped tool call: enforce mode, a real AuditLog on a temporary SQLite
// file and a monitor stub, over calling the same async tool directly. A call is timed from the
// caller's side, so it includes both decisions (tool_call and tool_result), the session history
// and queueing the records; writing them happens between batches, off the call path, and is
// reported apart as `recording_ns_per_call` (CPU spent per call on digests, records and commits).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLog } from "../engine/audit/index.ts";
import { createGuard } from "../engine/sdk/index.ts";
import type { GuardEvent } from "../engine/sdk/index.ts";

const POLICY = {
  path: "bench.policy",
  text: `package bench

const TRUSTED = ["acme.com", "acme.io"]

rule no_delete on tool_call {
  when tool.name == "delete_file"
  then deny "deleting files is not allowed"
}

rule big_refund on tool_call {
  when tool.name == "refund" and tool.args.amount > 500
  unless principal.roles contains "supervisor"
  then require_approval "refund needs approval"
}

rule external_mail on tool_call {
  when tool.name == "send_email" and not (domain(tool.args.to) in TRUSTED)
  then deny "external mail"
}

rule after_read on tool_call {
  when tool.name == "upload" and any c in session.calls: c.tool.name == "read_record"
  then deny "no uploads after reading records"
}

rule scrub on tool_result {
  when tool.name == "read_record"
  then redact pii.email in tool.result.text with "[EMAIL]"
}
`,
};

const BATCH = 1_000;
const BATCHES = 40;
const WARMUP = 10;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const idle = () => new Promise<void>((r) => setImmediate(r));

/** Median ns per call over batches of sequential awaited calls, and the time spent recording between batches. */
async function timeCalls(call: () => Promise<unknown>, between: () => Promise<void>): Promise<{ perCall: number; recording: number }> {
  const perCall: number[] = [];
  const recording: number[] = [];
  for (let b = 0; b < WARMUP + BATCHES; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) await call();
    const t1 = process.hrtime.bigint();
    await between();
    const t2 = process.hrtime.bigint();
    if (b >= WARMUP) {
      perCall.push(Number(t1 - t0) / BATCH);
      recording.push(Number(t2 - t1) / BATCH);
    }
  }
  return { perCall: median(perCall), recording: median(recording) };
}

/** The guard's overhead per wrapped tool call over a direct call, in ns (median of batches). */
export async function benchSdk(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), "palisade-bench-sdk-"));
  const audit = await AuditLog.open(join(dir, "audit.db"));
  let events = 0;
  const monitor = { record: (_e: GuardEvent) => void events++ };
  try {
    const guard = createGuard({ policies: [POLICY], env: "production", agent: { id: "bench-agent", version: "1" }, mode: "enforce", audit, monitor });
    const tool = async (args: { query: string }) => ({ text: `results for ${args.query}` });
    const wrapped = guard.session("bench-session", { id: "user-1", roles: ["analyst"] }).wrapTool("search", tool);
    const args = { query: "quarterly revenue" };
    const direct = await timeCalls(() => tool(args), idle);
    const guarded = await timeCalls(() => wrapped(args), () => guard.flush());
    const size = await audit.size();
    if (size !== (WARMUP + BATCHES) * BATCH * 2 || events !== size) throw new Error(`bench sdk: ${size} audit entries and ${events} events for ${(WARMUP + BATCHES) * BATCH * 2} decisions`);
    return {
      overhead_ns: Math.round(guarded.perCall - direct.perCall),
      direct_call_ns: Math.round(direct.perCall),
      guarded_call_ns: Math.round(guarded.perCall),
      recording_ns_per_call: Math.round(guarded.recording - direct.recording),
    };
  } finally {
    await audit.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
