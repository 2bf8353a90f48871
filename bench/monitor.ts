// A drift run over one million decision events against a 100,000-event baseline: count the
// tools called and test the mix (chi-square), compare latencies (two-sample KS, asymptotic at
// this size) and their PSI over the baseline's deciles. Event generation is not timed; the
// run is, from raw per-event columns to p-values, as a monitor would do it each window.
// Then the monitor itself (benchMonitorPipeline, below): what `Monitor.record` costs on the
// decision path, and a drift run over a million events recorded into SQLite.
import { binCounts, chiSquareHomogeneity, ksTwoSample, psi, quantileEdges } from "../engine/monitor/index.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryMonitorStore, Monitor, createBaseline, defaultMonitorConfig, openMonitorStore, runDrift } from "../engine/monitor/index.ts";
import type { DecisionEvent, TelemetryEvent } from "../engine/monitor/index.ts";
import { seededRandom } from "../engine/monitor/random.ts";

const TOOLS = 8;


interface Events {
  readonly latencyMs: Float64Array;
  readonly tool: Uint8Array;
}

/** n events: log-normal latency (median ~120 ms) scaled by `slower`, tools drawn from `mix`. */
function events(n: number, seed: number, slower: number, mix: readonly number[]): Events {
  const rand = seededRandom(seed);
  const latencyMs = new Float64Array(n);
  const tool = new Uint8Array(n);
  const cum: number[] = [];
  let s = 0;
  for (const w of mix) cum.push((s += w));
  for (let i = 0; i < n; i++) {
    const u1 = rand() || Number.MIN_VALUE;
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rand());
    latencyMs[i] = Math.round(120 * Math.exp(0.5 * z) * slower * 1000) / 1000;
    const r = rand() * s;
    let k = 0;
    while (k < TOOLS - 1 && r >= cum[k]) k++;
    tool[i] = k;
  }
  return { latencyMs, tool };
}

function toolCounts(e: Events): number[] {
  const counts = new Array<number>(TOOLS).fill(0);
  for (let i = 0; i < e.tool.length; i++) counts[e.tool[i]]++;
  return counts;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Times a drift run (KS + chi-square + PSI) over 1M current events against a 100k baseline. */
export async function benchMonitor(): Promise<Record<string, number>> {
  const baseline = events(100_000, 1, 1, [40, 25, 12, 9, 6, 4, 3, 1]);
  const current = events(1_000_000, 2, 1.01, [38, 25, 13, 9, 6, 4, 3, 2]);
  const refTools = toolCounts(baseline);
  const refEdges = quantileEdges(baseline.latencyMs, 10);
  const refBins = binCounts(baseline.latencyMs, refEdges);
  const runs = 5;
  const total: number[] = [];
  const chi: number[] = [];
  const ks: number[] = [];
  const psiMs: number[] = [];
  let ksP = 0;
  let chiP = 0;
  let psiValue = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    chiP = chiSquareHomogeneity(refTools, toolCounts(current), { correction: false }).pValue;
    const t1 = performance.now();
    ksP = ksTwoSample(baseline.latencyMs, current.latencyMs).pValue;
    const t2 = performance.now();
    psiValue = psi(refBins, binCounts(current.latencyMs, refEdges)).psi;
    const t3 = performance.now();
    chi.push(t1 - t0);
    ks.push(t2 - t1);
    psiMs.push(t3 - t2);
    total.push(t3 - t0);
  }
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    ...(await benchMonitorPipeline()),
    drift_run_1m_events_ms: round(median(total)),
    drift_run_chi_square_tools_ms: round(median(chi)),
    drift_run_ks_latency_ms: round(median(ks)),
    drift_run_psi_latency_ms: round(median(psiMs)),
    drift_run_current_events: current.tool.length,
    drift_run_baseline_events: baseline.tool.length,
    // The figures of the simulated shift, so a reader can see the run detected something.
    drift_run_ks_p: ksP,
    drift_run_chi_square_p: chiP,
    drift_run_psi: round(psiValue * 1e4) / 1e4,
  };
}

// The monitor as deployed: the cost `Monitor.record` adds to the decision path, the off-path
// cost of aggregating a million events (decisions and the outcomes of the allowed calls) into
// minute buckets, creating a week's baseline with its calibrations (1h, 6h, 1d), and a drift run
// (the default monitors over their three windows, Benjamini–Hochberg across them) over a million
// recorded events read back from SQLite.
const TOOL_NAMES = ["search", "lookup_order", "send_email", "refund", "escalate_ticket", "read_file", "write_file", "http_get"];
const DENY = [{ rule: "acme.pii.email_external", effect: "deny" }];
const APPROVE = [{ rule: "acme.refunds.large_refund", effect: "require_approval" }];
const NONE: DecisionEvent["rules"] = [];

/** n decision events spread evenly over [start, start + spanMs), tools drawn from `mix`, each allowed one followed by its outcome. */
function decisionEvents(n: number, seed: number, start: number, spanMs: number, mix: readonly number[]): TelemetryEvent[] {
  const rand = seededRandom(seed);
  const cum: number[] = [];
  let s = 0;
  for (const w of mix) cum.push((s += w));
  const out: TelemetryEvent[] = [];
  for (let i = 0; i < n; i++) {
    const r = rand() * s;
    let k = 0;
    while (k < TOOLS - 1 && r >= cum[k]) k++;
    const d = rand();
    const z = Math.sqrt(-2 * Math.log(rand() || Number.MIN_VALUE)) * Math.cos(2 * Math.PI * rand());
    const time = start + Math.floor((i * spanMs) / n);
    const subject = { agent: "support-bot", agentVersion: "1.4.0", env: "production", phase: "tool_call", tool: TOOL_NAMES[k], session: `s${seed}-${Math.floor(i / 6)}` };
    out.push({ ...subject, time, decision: d < 0.02 ? "deny" : d < 0.07 ? "require_approval" : "allow", rules: d < 0.02 ? DENY : d < 0.07 ? APPROVE : NONE, latencyMs: 0.002, category: rand() < 0.9 ? "answer" : "clarification" });
    if (d >= 0.02) out.push({ ...subject, kind: "outcome", time, durationMs: Math.round(120 * Math.exp(0.5 * z) * 1000) / 1000, tokens: { input: 200 + Math.floor(rand() * 600), output: 50 + Math.floor(rand() * 250) }, ...(rand() < 0.02 ? { error: { source: "tool" as const } } : { outputSize: 300 + Math.floor(rand() * 900) }) });
  }
  return out;
}

/** Nanoseconds per `record` call, recording in batches with an (untimed) flush between them, as the flusher would run. */
async function recordCost(events: readonly TelemetryEvent[]): Promise<{ ns: number; cpuNs: number; flushMs: number }> {
  const monitor = new Monitor({ store: new MemoryMonitorStore(), flushIntervalMs: 0, retentionMs: 0 });
  const batch = 4096;
  let recording = 0;
  let cpuUs = 0;
  let flushing = 0;
  for (let at = 0; at < events.length; at += batch) {
    const end = Math.min(events.length, at + batch);
    // CPU time beside wall time: on a shared machine a descheduled process accrues wall time only.
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = at; i < end; i++) monitor.record(events[i]);
    const t1 = performance.now();
    const c = process.cpuUsage(c0);
    cpuUs += c.user + c.system;
    await monitor.flush();
    flushing += performance.now() - t1;
    recording += t1 - t0;
  }
  if (monitor.dropped > 0) throw new Error(`bench: ${monitor.dropped} events dropped`);
  await monitor.close();
  return { ns: (recording * 1e6) / events.length, cpuNs: (cpuUs * 1e3) / events.length, flushMs: flushing };
}

/** Record cost, aggregation throughput and a monitor drift run over 1M stored events. */
export async function benchMonitorPipeline(): Promise<Record<string, number>> {
  const HOUR = 3_600_000;
  const start = Date.UTC(2026, 0, 5, 8);
  const mix = [40, 25, 12, 9, 6, 4, 3, 1];
  const WEEK = 7 * 24 * HOUR;
  const baselineEvents = decisionEvents(100_000, 11, start, WEEK, mix);
  const currentEvents = decisionEvents(1_000_000, 12, start + WEEK, HOUR, [38, 25, 13, 9, 6, 4, 3, 2]);
  // Warm the recording path first, then take the median of several passes.
  await recordCost(baselineEvents);
  const passes: { ns: number; cpuNs: number; flushMs: number }[] = [];
  for (let r = 0; r < 3; r++) passes.push(await recordCost(currentEvents));
  const dir = mkdtempSync(join(tmpdir(), "palisade-bench-monitor-"));
  try {
    const store = await openMonitorStore(join(dir, "monitor.db"));
    const monitor = new Monitor({ store, flushIntervalMs: 0, retentionMs: 0, queueCapacity: 1 << 21, batchSize: 1 << 21, overflow: "backpressure" });
    for (const e of baselineEvents) monitor.record(e);
    for (const e of currentEvents) monitor.record(e);
    await monitor.flush();
    const config = defaultMonitorConfig();
    const b0 = performance.now();
    const baseline = await createBaseline(store, "normal", { from: start, to: start + WEEK }, { windows: [...new Set(config.monitors.map((m) => m.windowMs))] });
    const baselineMs = performance.now() - b0;
    const runs: number[] = [];
    let drifted = 0;
    let metrics = 0;
    let windowCount = 0;
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      const report = await runDrift(store, config, { now: start + WEEK + HOUR });
      runs.push(performance.now() - t0);
      drifted = report.drifted;
      metrics = report.results.length;
      windowCount = report.window.count;
    }
    await monitor.close();
    const round = (x: number) => Math.round(x * 100) / 100;
    return {
      record_event_ns: round(median(passes.map((p) => p.ns))),
      record_event_cpu_ns: round(median(passes.map((p) => p.cpuNs))),
      aggregate_1m_events_off_path_ms: round(median(passes.map((p) => p.flushMs))),
      recorded_events_per_million_decisions: currentEvents.length,
      baseline_week_with_calibrations_ms: round(baselineMs),
      baseline_calibrated_windows: baseline.calibrations?.length ?? 0,
      monitor_drift_run_1m_events_ms: round(median(runs)),
      monitor_drift_run_window_events: windowCount,
      monitor_drift_run_metrics: metrics,
      monitor_drift_run_drifted: drifted,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
