// A drift run against a store: resolve the baselines (and their calibrations at the windows the
// monitors use), read the current window's buckets once (the longest window any monitor asks
// for), merge per monitor window, and evaluate. This is what `palisade drift`, the service and
// an embedding's periodic check all call.
import { mergeAggregates } from "./aggregate.ts";
import type { Aggregate } from "./aggregate.ts";
import { WINDOW_SAMPLE_CAP, currentBaseline, resolveBaseline, withCalibrations } from "./baseline.ts";
import type { MonitorConfig, MonitorSpec } from "./config.ts";
import { evaluateDrift } from "./drift.ts";
import type { MetricResult } from "./drift.ts";
import { seededRandom } from "./random.ts";
import type { Baseline, MonitorStore } from "./store.ts";

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

/** Runs every monitor of `config` against `store`. */
export async function runDrift(store: MonitorStore, given: MonitorConfig, options: DriftRunOptions = {}): Promise<DriftReport> {
  // One window for every monitor: a monitor declared over several windows is tested once.
  const config = options.windowMs === undefined ? given : { ...given, monitors: given.monitors.filter((m, i, all) => all.findIndex((x) => x.name === m.name) === i) };
  const windowOf = (m: MonitorSpec) => options.windowMs ?? m.windowMs;
  const to = options.now ?? Date.now();
  const widest = options.windowMs ?? Math.max(config.windowMs, ...config.monitors.map(windowOf));
  const first = await resolveBaseline(store, options.baseline ?? config.baseline);
  const names = new Set<string>([first.name, ...config.monitors.map((m) => m.baseline ?? first.name)]);
  const baselines = new Map<string, Baseline>();
  for (const name of names) {
    const widths = config.monitors.filter((m) => (m.baseline ?? first.name) === name).map(windowOf);
    const b = await currentBaseline(store, name === first.name ? first : await resolveBaseline(store, name), to, widest, widths);
    baselines.set(name, await withCalibrations(store, b, widths));
  }
  const main = baselines.get(first.name) as Baseline;
  const agent = options.agent ?? main.selector.agent;
  const env = options.env ?? main.selector.env;
  const buckets = await store.buckets({ from: to - widest, to, agent, agentVersion: options.agentVersion, env });
  const rand = seededRandom(0xd21f7);
  const windows = new Map<number, Aggregate>();
  const current = (w: number): Aggregate => {
    let a = windows.get(w);
    if (a === undefined) windows.set(w, (a = mergeAggregates(buckets.filter((b) => b.start >= to - w).map((b) => b.aggregate), WINDOW_SAMPLE_CAP, rand)));
    return a;
  };
  const baselineOf = (m: MonitorSpec) => baselines.get(m.baseline ?? main.name) as Baseline;
  const all = evaluateDrift(
    config.monitors,
    (m) => baselineOf(m).aggregate,
    (m) => current(windowOf(m)),
    (m) => baselineOf(m).calibrations?.find((c) => c.windowMs === windowOf(m)),
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
  const uncalibrated = results.filter((r) => r.verdict !== "insufficient" && !r.calibrated && r.test !== "psi" && r.test !== "wasserstein" && r.test !== "jensen_shannon").map((r) => r.metric);
  if (uncalibrated.length > 0) {
    warnings.push(`not calibrated (the baseline holds too few windows of this width to measure how much traffic varies): ${uncalibrated.join(", ")}; their p-values assume independent decisions, so they may alarm on normal variation`);
  }
  return {
    baseline: { name: main.name, createdAt: main.createdAt, count: main.aggregate.count, from: main.selector.from ?? null, to: main.selector.to ?? null },
    agent: agent ?? null,
    env: env ?? null,
    window: { from: to - widest, to, count: current(widest).count },
    results,
    unrecorded,
    drifted: results.filter((r) => r.verdict === "drift").length,
    warnings,
  };
}
