// The guard's own cost per wrapped tool call: enforce mode, a real AuditLog on a temporary SQLite
// file and a monitor stub, over calling the same async tool directly. A call is timed from the
// caller's side, so it includes both decisions (tool_call and tool_result), the session history
// and queueing the records; writing them happens between batches, off the timed path, and is
// reported apart: `recording_wall_ns_per_call` (wall time per call until the batch's records are
// committed, the store's thread and the disk included) and `recording_loop_cpu_ns_per_call` (CPU
// of the caller's thread meanwhile: digests, records, hand-over to the store). In an application
// the recording runs on the same event loop as the calls, so a call costs that loop
// overhead_ns + recording_loop_cpu_ns_per_call, reported as `loop_cost_ns_per_call`.
// `overhead_cpu_ns` is the overhead as this thread's CPU time per call over all timed batches,
// which a loaded machine disturbs less than the wall time of `overhead_ns`.
// Then the throughput a process sustains with everything recorded: guarded calls per second in
// sessions of 200 calls until the log holds every entry, and the same when each call waits for
// its decision to be durable (durability "before-action", 50 sessions at a time so that commits
// group), with that wait's p50 and p99; for both, the CPU per call of the caller's thread and of
// the store's thread, apart (`*_main_cpu_ns_per_call`, `*_store_cpu_ns_per_call`), which a loaded
// machine disturbs less than the rates. `recorded_*shared*`: the async run again on a log opened
// with shareEncoding (every other batch encoded on the caller's thread once the store's falls behind).
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
// The recorded-throughput runs: 20,000 guarded calls in sessions of 200.
const CALLS = 20_000;
const SESSION_CALLS = 200;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

const idle = () => new Promise<void>((r) => setImmediate(r));

/** This thread's CPU time in ns (user + system). */
function threadCpuNs(): number {
  const u = process.threadCpuUsage();
  return (u.user + u.system) * 1000;
}

/**
 * Median ns per call over batches of sequential awaited calls (wall time), this thread's CPU time
 * per call over all batches (which a loaded machine disturbs less), and per call of each batch,
 * the wall time spent recording between batches and this thread's CPU time meanwhile.
 */
async function timeCalls(call: () => Promise<unknown>, between: () => Promise<void>): Promise<{ perCall: number; cpuPerCall: number; recordingWall: number; recordingCpu: number }> {
  const perCall: number[] = [];
  const recordingWall: number[] = [];
  const recordingCpu: number[] = [];
  let callsCpu = 0;
  for (let b = 0; b < WARMUP + BATCHES; b++) {
    const c0 = threadCpuNs();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) await call();
    const t1 = process.hrtime.bigint();
    const c1 = threadCpuNs();
    await between();
    const c2 = threadCpuNs();
    const t2 = process.hrtime.bigint();
    if (b >= WARMUP) {
      callsCpu += c1 - c0;
      perCall.push(Number(t1 - t0) / BATCH);
      recordingWall.push(Number(t2 - t1) / BATCH);
      recordingCpu.push((c2 - c1) / BATCH);
    }
  }
  return { perCall: median(perCall), cpuPerCall: callsCpu / (BATCHES * BATCH), recordingWall: median(recordingWall), recordingCpu: median(recordingCpu) };
}

const tool = async (args: { query: string }) => ({ text: `results for ${args.query}` });

/**
 * Recorded guarded calls per second: CALLS calls in sessions of SESSION_CALLS, `parallel`
 * sessions at a time, each session's calls one after another, until the audit log holds every
 * entry; and each call's latency.
 */
async function recorded(dir: string, name: string, durability: "async" | "before-action", parallel: number, shareEncoding = false): Promise<{ perSecond: number; p50us: number; p99us: number; mainCpuUs: number; storeCpuUs: number }> {
  const audit = await AuditLog.open(join(dir, `${name}.db`), { shareEncoding });
  let events = 0;
  // Decisions only; each call's outcome (kind "outcome") comes on top.
  const monitor = { record: (e: GuardEvent) => void ((e as { kind?: string }).kind !== "outcome" && events++) };
  try {
    const guard = createGuard({ policies: [POLICY], env: "production", agent: { id: "bench-agent", version: "1" }, audit, monitor, durability });
    const latencies: number[] = [];
    let next = 0;
    const sessions = CALLS / SESSION_CALLS;
    // CPU per call of this thread and of the store's own, apart: throughput under load follows their sum.
    const store = audit.store as { threadCpuUsage?: () => Promise<NodeJS.CpuUsage> };
    const storeCpu = async () => {
      const u = await store.threadCpuUsage?.();
      return u === undefined ? 0 : u.user + u.system;
    };
    const s0 = await storeCpu();
    const m0 = process.threadCpuUsage();
    const started = performance.now();
    const worker = async () => {
      for (let s = next++; s < sessions; s = next++) {
        const wrapped = guard.session(`${name}-${s}`, { id: `user-${s % 50}`, roles: ["analyst"] }).wrapTool("search", tool);
        for (let i = 0; i < SESSION_CALLS; i++) {
          const t0 = performance.now();
          await wrapped({ query: `quarterly revenue ${i}` });
          latencies.push(performance.now() - t0);
        }
        guard.session(`${name}-${s}`).end();
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
    await guard.flush();
    const seconds = (performance.now() - started) / 1000;
    const m1 = process.threadCpuUsage(m0);
    const storeCpuUs = ((await storeCpu()) - s0) / CALLS;
    const size = await audit.size();
    if (size !== CALLS * 2 || events !== size) throw new Error(`bench sdk: ${size} audit entries and ${events} events for ${CALLS * 2} decisions`);
    return { perSecond: CALLS / seconds, p50us: quantile(latencies, 0.5) * 1000, p99us: quantile(latencies, 0.99) * 1000, mainCpuUs: (m1.user + m1.system) / CALLS, storeCpuUs };
  } finally {
    await audit.close();
  }
}

/** The guard's overhead per wrapped tool call, and recorded calls per second (async and before-action durability). */
export async function benchSdk(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), "palisade-bench-sdk-"));
  const audit = await AuditLog.open(join(dir, "audit.db"));
  let events = 0;
  // Decisions only; each call's outcome (kind "outcome") comes on top.
  const monitor = { record: (e: GuardEvent) => void ((e as { kind?: string }).kind !== "outcome" && events++) };
  try {
    const guard = createGuard({ policies: [POLICY], env: "production", agent: { id: "bench-agent", version: "1" }, mode: "enforce", audit, monitor });
    // Conversations of 200 calls, each ended when done, as an application ends its chats: the
    // guard keeps every call of a live session (exact history), and forgets an ended one.
    let session = guard.session("bench-0", { id: "user-1", roles: ["analyst"] });
    let wrapped = session.wrapTool("search", tool);
    let calls = 0;
    const next = () => {
      if (++calls % SESSION_CALLS === 0) {
        session.end();
        session = guard.session(`bench-${calls}`, { id: "user-1", roles: ["analyst"] });
        wrapped = session.wrapTool("search", tool);
      }
      return wrapped(args);
    };
    const args = { query: "quarterly revenue" };
    const direct = await timeCalls(() => tool(args), idle);
    const guarded = await timeCalls(next, () => guard.flush());
    const size = await audit.size();
    if (size !== (WARMUP + BATCHES) * BATCH * 2 || events !== size) throw new Error(`bench sdk: ${size} audit entries and ${events} events for ${(WARMUP + BATCHES) * BATCH * 2} decisions`);
    const async1 = await recorded(dir, "async", "async", 1);
    const shared = await recorded(dir, "shared", "async", 1, true);
    const durable = await recorded(dir, "durable", "before-action", 50);
    return {
      overhead_ns: Math.round(guarded.perCall - direct.perCall),
      overhead_cpu_ns: Math.round(guarded.cpuPerCall - direct.cpuPerCall),
      direct_call_ns: Math.round(direct.perCall),
      guarded_call_ns: Math.round(guarded.perCall),
      recording_wall_ns_per_call: Math.round(guarded.recordingWall - direct.recordingWall),
      recording_loop_cpu_ns_per_call: Math.round(guarded.recordingCpu - direct.recordingCpu),
      loop_cost_ns_per_call: Math.round(guarded.perCall - direct.perCall + guarded.recordingCpu - direct.recordingCpu),
      recorded_calls_per_s_sessions_of_200: Math.round(async1.perSecond),
      recorded_main_cpu_ns_per_call: Math.round(async1.mainCpuUs * 1000),
      recorded_store_cpu_ns_per_call: Math.round(async1.storeCpuUs * 1000),
      recorded_calls_per_s_shared_encoding: Math.round(shared.perSecond),
      recorded_shared_main_cpu_ns_per_call: Math.round(shared.mainCpuUs * 1000),
      recorded_shared_store_cpu_ns_per_call: Math.round(shared.storeCpuUs * 1000),
      before_action_calls_per_s_50_sessions: Math.round(durable.perSecond),
      before_action_p50_us: Math.round(durable.p50us),
      before_action_p99_us: Math.round(durable.p99us),
      before_action_main_cpu_ns_per_call: Math.round(durable.mainCpuUs * 1000),
      before_action_store_cpu_ns_per_call: Math.round(durable.storeCpuUs * 1000),
    };
  } finally {
    await audit.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
