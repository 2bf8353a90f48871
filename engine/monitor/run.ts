// A drift run against a store: resolve the baselines, read the current window's buckets once
// (the longest window any monitor asks for), merge per monitor window, and evaluate. This is
// what `palisade drift` and an embedding's periodic check both call.
import { mergeAggregates } from "./aggregate.ts";
import type { Aggregate } from "./aggregate.ts";
import { WINDOW_SAMPLE_CAP, resolveBaseline } from "./baseline.ts";
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
  readonly baseline: { readonly name: string; readonly createdAt: number; readonly count: number };
  /** The widest current window read: [from, to) in ms. */
  readonly window: { readonly from: number; readonly to: number; readonly count: number };
  readonly results: readonly MetricResult[];
  /** Metrics whose verdict is `drift`. */
  readonly drifted: number;
}

/** Runs every monitor of `config` against `store`. */
export async function runDrift(store: MonitorStore, config: MonitorConfig, options: DriftRunOptions = {}): Promise<DriftReport> {
  const main = await resolveBaseline(store, options.baseline ?? config.baseline);
  const baselines = new Map<string, Baseline>([[main.name, main]]);
  for (const m of config.monitors) if (m.baseline !== undefined && !baselines.has(m.baseline)) baselines.set(m.baseline, await resolveBaseline(store, m.baseline));
  const to = options.now ?? Date.now();
  const windowOf = (m: MonitorSpec) => options.windowMs ?? m.windowMs;
  const widest = Math.max(options.windowMs ?? config.windowMs, ...config.monitors.map(windowOf));
  const buckets = await store.buckets({ from: to - widest, to, agent: options.agent ?? main.selector.agent, agentVersion: options.agentVersion, env: options.env ?? main.selector.env });
  const rand = seededRandom(0xd21f7);
  const windows = new Map<number, Aggregate>();
  const current = (w: number): Aggregate => {
    let a = windows.get(w);
    if (a === undefined) windows.set(w, (a = mergeAggregates(buckets.filter((b) => b.start >= to - w).map((b) => b.aggregate), WINDOW_SAMPLE_CAP, rand)));
    return a;
  };
  const results = evaluateDrift(
    config.monitors,
    (m) => (baselines.get(m.baseline ?? main.name) as Baseline).aggregate,
    (m) => current(windowOf(m)),
  );
  return {
    baseline: { name: main.name, createdAt: main.createdAt, count: main.aggregate.count },
    window: { from: to - widest, to, count: current(widest).count },
    results,
    drifted: results.filter((r) => r.verdict === "drift").length,
  };
}
