// Baselines: "normal" captured from stored buckets (a time range, an agent version, an
// environment, or any mix), merged into one aggregate, named and stored, with the calibration
// of each window width a drift run compares it at (how much its metrics move between windows of
// the baseline itself).
import { mergeAggregates } from "./aggregate.ts";
import { calibrate } from "./calibration.ts";
import type { Calibration } from "./calibration.ts";
import { MonitorError } from "./errors.ts";
import { seededRandom } from "./random.ts";
import { formatDuration } from "./duration.ts";
import type { Baseline, BaselineSelector, BucketRecord, MonitorStore, RollingSpec } from "./store.ts";

/** Values kept per numeric metric when buckets merge into a baseline or a window: enough for KS to see small shifts, small enough to test in milliseconds. */
export const WINDOW_SAMPLE_CAP = 20_000;

/** The window width calibrated when none is named: the default monitors' hour. */
export const DEFAULT_CALIBRATED_WINDOWS: readonly number[] = [3_600_000];

/** How a baseline is created. */
export interface CreateBaselineOptions {
  /** Overwrite a baseline of the same name. */
  readonly replace?: boolean;
  /** Creation time; default now. */
  readonly now?: number;
  /** Window widths to calibrate, ms; default one hour. Others are calibrated when a run first needs them. */
  readonly windows?: readonly number[];
}

function bucketsOf(store: MonitorStore, selector: BaselineSelector): Promise<BucketRecord[]> {
  return store.buckets({ from: selector.from ?? 0, to: selector.to ?? Number.MAX_SAFE_INTEGER, agent: selector.agent, agentVersion: selector.agentVersion, env: selector.env });
}

/** The range calibration chunks cover: the selector's bounds, else those of the data. */
function rangeOf(selector: BaselineSelector, buckets: readonly BucketRecord[]): { from: number; to: number } {
  const first = buckets.length > 0 ? buckets[0].start : 0;
  const last = buckets.length > 0 ? buckets[buckets.length - 1].start + 1 : 0;
  return { from: selector.from ?? first, to: selector.to ?? last };
}

function calibrations(buckets: readonly BucketRecord[], selector: BaselineSelector, windows: readonly number[]): Calibration[] {
  const { from, to } = rangeOf(selector, buckets);
  return [...new Set(windows)].map((w) => calibrate(buckets, from, to, w));
}

/** The range a rolling baseline covers for windows ending at `end` that reach back `widest`: the lookback before the windows, its end on the refresh grid. */
export function rollingRange(rolling: RollingSpec, end: number, widest: number): { from: number; to: number } {
  const to = Math.floor((end - widest) / rolling.refreshMs) * rolling.refreshMs;
  return { from: to - rolling.lookbackMs, to };
}

async function capture(store: MonitorStore, name: string, selector: BaselineSelector, createdAt: number, windows: readonly number[]): Promise<Baseline> {
  const buckets = await bucketsOf(store, selector);
  const aggregate = mergeAggregates(buckets.map((b) => b.aggregate), WINDOW_SAMPLE_CAP, seededRandom(0xba5e));
  if (aggregate.count === 0) {
    const range = selector.rolling ? `the ${formatDuration(selector.rolling.lookbackMs)} before ${new Date(selector.to ?? 0).toISOString()}` : "it";
    throw new MonitorError("monitor/empty-baseline", `no recorded decisions match the baseline '${name}' (${range})`, selector.rolling ? "a rolling baseline needs traffic in its lookback: wait for it, or lengthen --rolling" : "widen --from/--to, or check --agent-version and --env against what was recorded");
  }
  return { name, createdAt, selector, aggregate, calibrations: calibrations(buckets, selector, windows) };
}

/**
 * Captures the buckets `selector` selects as the baseline `name`, calibrates it, and stores it.
 * A rolling selector (`rolling`, no from/to) is computed now for windows ending now, and again
 * whenever a run needs a later range (`currentBaseline`).
 */
export async function createBaseline(store: MonitorStore, name: string, selector: BaselineSelector, options: CreateBaselineOptions = {}): Promise<Baseline> {
  if (name.trim() === "") throw new MonitorError("monitor/bad-config", "a baseline needs a name");
  const now = options.now ?? Date.now();
  const windows = options.windows ?? DEFAULT_CALIBRATED_WINDOWS;
  let sel = selector;
  if (selector.rolling) {
    const { lookbackMs, refreshMs } = selector.rolling;
    if (selector.from !== undefined || selector.to !== undefined) throw new MonitorError("monitor/bad-config", "a rolling baseline takes no --from/--to: it covers the lookback before each run's windows");
    if (!(lookbackMs > 0 && refreshMs > 0)) throw new MonitorError("monitor/bad-config", "a rolling baseline needs a positive lookback and refresh period");
    sel = { ...selector, ...rollingRange(selector.rolling, now, Math.max(...windows)) };
  }
  const baseline = await capture(store, name, sel, now, windows);
  await store.saveBaseline(baseline, options.replace);
  return baseline;
}

/**
 * The baseline as a run ending at `end` (its widest window `widest`) must see it: a fixed one as
 * it is; a rolling one recomputed when its range has moved on the refresh grid, and stored so
 * later runs reuse it.
 */
export async function currentBaseline(store: MonitorStore, b: Baseline, end: number, widest: number, windows: readonly number[]): Promise<Baseline> {
  const rolling = b.selector.rolling;
  if (rolling === undefined) return b;
  const range = rollingRange(rolling, end, widest);
  if (b.selector.from === range.from && b.selector.to === range.to) return b;
  const next = await capture(store, b.name, { ...b.selector, ...range }, end, windows);
  await store.saveBaseline(next, true);
  return next;
}

/**
 * `baseline` calibrated at every width of `windows`: widths it lacks are calibrated from its
 * buckets, if they are still stored, and saved with it so later runs read them.
 */
export async function withCalibrations(store: MonitorStore, baseline: Baseline, windows: readonly number[]): Promise<Baseline> {
  const have = new Set((baseline.calibrations ?? []).map((c) => c.windowMs));
  const missing = [...new Set(windows)].filter((w) => !have.has(w));
  if (missing.length === 0) return baseline;
  const buckets = await bucketsOf(store, baseline.selector);
  const next: Baseline = { ...baseline, calibrations: [...(baseline.calibrations ?? []), ...calibrations(buckets, baseline.selector, missing)] };
  await store.saveBaseline(next, true);
  return next;
}

/** The baseline named `name`, or the newest one when no name is given; throws a MonitorError when there is none. */
export async function resolveBaseline(store: MonitorStore, name: string | undefined): Promise<Baseline> {
  if (name !== undefined) {
    const b = await store.baseline(name);
    if (!b) {
      const known = (await store.baselines()).map((x) => x.name);
      throw new MonitorError("monitor/unknown-baseline", `no baseline named '${name}'`, known.length > 0 ? `known baselines: ${known.join(", ")}` : "create one with 'palisade baseline create NAME --from T --to T'");
    }
    return b;
  }
  const all = await store.baselines();
  const newest = all[all.length - 1];
  if (!newest) throw new MonitorError("monitor/no-baseline", "no baseline is stored yet", "create one with 'palisade baseline create NAME --from T --to T'");
  return newest;
}
