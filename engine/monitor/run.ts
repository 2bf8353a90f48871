// A drift run against a store: resolve the baselines (and their calibrations at the windows the
// monitors use), read the current window's buckets once (the longest window any monitor asks
// for), merge per monitor window, and evaluate. This is what `palisade drift`, the service and
// an embedding's periodic check all call.
import { addEvent, emptyAggregate, mergeAggregates } from "./aggregate.ts";
import type { Aggregate } from "./aggregate.ts";
import { WINDOW_SAMPLE_CAP, currentBaseline, resolveBaseline, withCalibrations } from "./baseline.ts";
import type { MonitorConfig, MonitorSpec } from "./config.ts";
import { evaluateDrift } from "./drift.ts";
import type { MetricResult } from "./drift.ts";
import { seededRandom } from "./random.ts";
import { SessionTracker } from "./sessions.ts";
import type { Baseline, MonitorStore, StoredEvent } from "./store.ts";

/** What a run compares. */
export interface DriftRunOptions {
  /** The baseline for monitors that name none; default the config's, else the newest stored. */
  readonly baseline?: string;
  /** End of the current window, ms; default now. */
  readonly now?: number;
  /** Overrides every monitor's window, ms. */
  readonly windowMs?: number;
  /** Restrict the current window to one agent, version or environment; agent and env default to the baseline's. */
  readonly agent?: string;
  readonly agentVersion?: string;
  readonly env?: string;
}

/** The outcome of a run. */
export interface DriftReport {
  readonly baseline: { readonly name: string; readonly createdAt: number; readonly count: number; readonly from: number | null; readonly to: number | null };
  /** The agent and environment compared; null when the run spans every one. */
  readonly agent: string | null;
  readonly env: string | null;
  /** The widest current window read: [from, to) in ms. */
  readonly window: { readonly from: number; readonly to: number; readonly count: number };
  readonly results: readonly MetricResult[];
  /** Metrics a monitor names that no event on either side carries (`categories` without categories), by monitor. */
  readonly unrecorded: readonly string[];
  /** Metrics whose verdict is `drift`. */
  readonly drifted: number;
  /** What makes the comparison weaker than it looks (a window inside the baseline, an uncalibrated baseline). */
  readonly warnings: readonly string[];
}

const iso = (ms: number) => new Date(ms).toISOString();
const HOUR = 3_600_000;

/** The last N runs: their aggregate and the span from the first run's first event to the run's end. */
interface RunWindow {
  readonly aggregate: Aggregate;
  readonly spanMs: number;
  readonly runs: number;
}

/** How far back a window of runs looks for them, widening until it has enough. */
const RUN_LOOKBACK_MS: readonly number[] = [HOUR, 6 * HOUR, 24 * HOUR, 7 * 24 * HOUR];

/**
 * The events of the last `n` runs (sessions; a decision without one is a run of its own) before
 * `to`, from the raw events the store keeps (retentionMs): aggregated with their own session
 * counts, the way the monitor would have.
 */
async function lastRuns(store: MonitorStore, n: number, to: number, only: { readonly agent?: string; readonly agentVersion?: string; readonly env?: string }): Promise<RunWindow> {
  let events: StoredEvent[] = [];
  let runs = new Map<string, StoredEvent[]>();
  for (const back of RUN_LOOKBACK_MS) {
    events = (await store.events(to - back, to)).filter((e) => (only.agent === undefined || e.event.agent === only.agent) && (only.env === undefined || e.event.env === only.env) && (only.agentVersion === undefined || e.event.agentVersion === only.agentVersion));
    runs = new Map();
    events.forEach((e, i) => {
      const id = e.event.session ?? `\u0000${i}`;
      let list = runs.get(id);
      if (list === undefined) runs.set(id, (list = []));
      list.push(e);
    });
    if (runs.size >= n) break;
  }
  // The most recent runs by their first event (events come in time order).
  const chosen = [...runs.values()].sort((a, b) => b[0].event.time - a[0].event.time).slice(0, n);
  const picked = chosen.flat().sort((a, b) => a.event.time - b.event.time);
  const aggregate = emptyAggregate();
  const tracker = new SessionTracker({ idleMs: Number.MAX_SAFE_INTEGER });
  const rand = seededRandom(0x52a5);
  for (const e of picked) addEvent(aggregate, e.event, e.evaluations, WINDOW_SAMPLE_CAP, rand, tracker.firsts(e.event));
  const start = picked.length > 0 ? picked[0].event.time : to;
  return { aggregate, spanMs: Math.max(1, to - start), runs: chosen.length };
}

/** Runs every monitor of `config` against `store`. */
export async function runDrift(store: MonitorStore, given: MonitorConfig, options: DriftRunOptions = {}): Promise<DriftReport> {
  // One window for every monitor: a monitor declared over several windows is tested once.
  const overridden: MonitorConfig = options.windowMs === undefined ? given : { ...given, monitors: given.monitors.filter((m, i, all) => all.findIndex((x) => x.name === m.name) === i).map(({ runs: _runs, ...m }): MonitorSpec => m) };
  const to = options.now ?? Date.now();
  const first = await resolveBaseline(store, options.baseline ?? given.baseline);
  const agent = options.agent ?? first.selector.agent;
  const env = options.env ?? first.selector.env;
  // Windows of runs first: the span they cover is the window the baseline must stay clear of.
  const runWindows = new Map<number, RunWindow>();
  for (const n of new Set(overridden.monitors.flatMap((m) => (m.runs !== undefined ? [m.runs] : [])))) runWindows.set(n, await lastRuns(store, n, to, { agent, agentVersion: options.agentVersion, env }));
  const config: MonitorConfig = { ...overridden, monitors: overridden.monitors.map((m) => (m.runs !== undefined ? { ...m, windowMs: (runWindows.get(m.runs) as RunWindow).spanMs } : m)) };
  const windowOf = (m: MonitorSpec) => options.windowMs ?? m.windowMs;
  // A window of runs is calibrated like the time window that holds it, to the hour.
  const calibrationWidth = (m: MonitorSpec) => (m.runs !== undefined ? Math.max(HOUR, Math.ceil(m.windowMs / HOUR) * HOUR) : windowOf(m));
  const widest = options.windowMs ?? Math.max(config.windowMs, ...config.monitors.map(windowOf));
  const names = new Set<string>([first.name, ...config.monitors.map((m) => m.baseline ?? first.name)]);
  const baselines = new Map<string, Baseline>();
  for (const name of names) {
    const widths = config.monitors.filter((m) => (m.baseline ?? first.name) === name).map(calibrationWidth);
    const b = await currentBaseline(store, name === first.name ? first : await resolveBaseline(store, name), to, widest, widths);
    baselines.set(name, await withCalibrations(store, b, widths));
  }
  const main = baselines.get(first.name) as Baseline;
  const timeWidest = Math.max(0, ...config.monitors.filter((m) => m.runs === undefined).map(windowOf));
  const buckets = timeWidest > 0 ? await store.buckets({ from: to - timeWidest, to, agent, agentVersion: options.agentVersion, env }) : [];
  const rand = seededRandom(0xd21f7);
  const windows = new Map<number, Aggregate>();
  const current = (m: MonitorSpec): Aggregate => {
    if (m.runs !== undefined) return (runWindows.get(m.runs) as RunWindow).aggregate;
    const w = windowOf(m);
    let a = windows.get(w);
    if (a === undefined) windows.set(w, (a = mergeAggregates(buckets.filter((b) => b.start >= to - w).map((b) => b.aggregate), WINDOW_SAMPLE_CAP, rand)));
    return a;
  };
  const baselineOf = (m: MonitorSpec) => baselines.get(m.baseline ?? main.name) as Baseline;
  const all = evaluateDrift(
    config.monitors,
    (m) => baselineOf(m).aggregate,
    current,
    (m) => baselineOf(m).calibrations?.find((c) => c.windowMs === calibrationWidth(m)),
  );
  const recorded = (r: MetricResult) => r.referenceN > 0 || r.currentN > 0;
  const results = all.filter(recorded);
  const unrecorded = [...new Set(all.filter((r) => !recorded(r)).map((r) => r.metric))];
  const warnings: string[] = [];
  for (const b of baselines.values()) {
    const from = b.selector.from ?? -Infinity;
    const until = b.selector.to ?? b.createdAt;
    if (to - widest < until && to > from) {
      warnings.push(`the window ${iso(to - widest)} → ${iso(to)} overlaps the baseline '${b.name}' (${Number.isFinite(from) ? iso(from) : "…"} → ${iso(until)}): traffic compared with itself looks like no drift`);
    }
  }
  for (const [n, w] of runWindows) {
    if (w.runs < n) warnings.push(`a window of ${n} runs found ${w.runs} in the raw events of the last 7 days: runs are read from raw events, which the monitor keeps for its retentionMs`);
  }
  const uncalibrated = results.filter((r) => r.verdict !== "insufficient" && !r.calibrated && r.test !== "psi" && r.test !== "wasserstein" && r.test !== "jensen_shannon").map((r) => r.metric);
  if (uncalibrated.length > 0) {
    warnings.push(`not calibrated (the baseline holds too few windows of this width to measure how much traffic varies): ${uncalibrated.join(", ")}; their p-values assume independent decisions, so they may alarm on normal variation`);
  }
  return {
    baseline: { name: main.name, createdAt: main.createdAt, count: main.aggregate.count, from: main.selector.from ?? null, to: main.selector.to ?? null },
    agent: agent ?? null,
    env: env ?? null,
    window: { from: to - widest, to, count: buckets.reduce((n, b) => n + b.aggregate.count, 0) },
    results,
    unrecorded,
    drifted: results.filter((r) => r.verdict === "drift").length,
    warnings,
  };
}
