// One drift run, without I/O: each monitor's metric in the reference aggregate against the
// current one, with the test fitted to the metric (comparisons.ts) and corrected by the
// reference's own dispersion (calibration.ts); Benjamini–Hochberg over every p-value of the run
// (many metrics are tested at once; unadjusted, some would "drift" by chance every run), and a
// verdict per metric. The charts' data and what moved most ride along for the report and alerts.
import type { Aggregate } from "./aggregate.ts";
import { dispersionOf } from "./calibration.ts";
import type { Calibration } from "./calibration.ts";
import { compare } from "./comparisons.ts";
import type { ChartData, Moved } from "./comparisons.ts";
import { P_VALUE_TESTS } from "./config.ts";
import type { MonitorSpec, TestName } from "./config.ts";
import { formatDuration } from "./duration.ts";
import { expandMetric, metricValue } from "./metrics.ts";
import { benjaminiHochberg } from "./stats/multiple-testing.ts";
import { StatsError } from "./stats/errors.ts";

export type { ChartData, Moved } from "./comparisons.ts";

/** `drift`: past the threshold; `ok`: not; `insufficient`: too few observations (or a degenerate test) to say. */
export type Verdict = "drift" | "ok" | "insufficient";

/** One metric's outcome in a run. */
export interface MetricResult {
  /** `<monitor name>/<metric>@<window>`: one result of a run. */
  readonly key: string;
  readonly monitor: string;
  readonly metric: string;
  /** The current window's width, ms (for a window of runs: the span those runs covered, to the hour). */
  readonly windowMs: number;
  /** A window of the last N runs, when it is one. */
  readonly runs?: number;
  readonly test: TestName;
  /** The test statistic (chi-square, z, D, odds or rate ratio, or the distance itself); null when undefined. */
  readonly statistic: number | null;
  /** p-value, corrected by the dispersion, for p-value tests. */
  readonly pValue?: number;
  /** Benjamini–Hochberg adjusted p-value across the run, for p-value tests. */
  readonly adjustedP?: number;
  /** The distance, for distance tests. */
  readonly distance?: number;
  /** The dispersion the p-value was corrected by (1: none). */
  readonly dispersion: number;
  /** Whether the dispersion was measured on the baseline (false: too few chunks, decisions taken as independent). */
  readonly calibrated: boolean;
  readonly threshold: number;
  readonly rearm: number;
  readonly verdict: Verdict;
  /** Observations on each side. */
  readonly referenceN: number;
  readonly currentN: number;
  /** A one-line summary: what moved most, from what to what. */
  readonly summary: string;
  /** The categories (or bins) that moved most, by contribution. */
  readonly moved: readonly Moved[];
  readonly chart: ChartData;
  /** Why there is no verdict, when there is none. */
  readonly note?: string;
}

/** How a window reads: `1h`, `1d`, or `50 runs`. */
export function windowLabel(w: { readonly windowMs: number; readonly runs?: number }): string {
  return w.runs !== undefined ? `${w.runs} runs` : formatDuration(w.windowMs);
}

/** One metric of one monitor, before the run's p-values are adjusted together. */
interface Pending extends Omit<MetricResult, "verdict" | "adjustedP"> {
  readonly sufficient: boolean;
}

const NO_CHART: ChartData = { labels: [], reference: [], current: [] };

/**
 * Tests every monitor's metrics, `referenceFor` and `currentFor` giving each monitor's two
 * aggregates (monitors may name other baselines and windows), `calibrationFor` the calibration
 * of its baseline at its window width (undefined: none). Metric patterns expand against both
 * sides. Results come in monitor order, then metric order.
 */
export function evaluateDrift(
  specs: readonly MonitorSpec[],
  referenceFor: (spec: MonitorSpec) => Aggregate,
  currentFor: (spec: MonitorSpec) => Aggregate,
  calibrationFor: (spec: MonitorSpec) => Calibration | undefined = () => undefined,
): MetricResult[] {
  const pending: Pending[] = [];
  for (const spec of specs) {
    const ref = referenceFor(spec);
    const cur = currentFor(spec);
    const calibration = calibrationFor(spec);
    for (const metric of expandMetric(spec.metric, [ref, cur])) {
      const r = metricValue(ref, metric);
      const c = metricValue(cur, metric);
      const { phi, calibrated } = dispersionOf(calibration, metric);
      const base = { key: `${spec.name}/${metric}@${windowLabel(spec).replace(" ", "")}`, monitor: spec.name, metric, windowMs: spec.windowMs, ...(spec.runs !== undefined ? { runs: spec.runs } : {}), test: spec.test, threshold: spec.threshold, rearm: spec.rearm, referenceN: r.n, currentN: c.n, dispersion: phi, calibrated };
      if (r.n < spec.minSamples || c.n < spec.minSamples) {
        const side = r.n < spec.minSamples ? `the baseline has ${r.n}` : `the window has ${c.n}`;
        pending.push({ ...base, statistic: null, summary: "", moved: [], chart: NO_CHART, sufficient: false, note: `${side} observations, fewer than the ${spec.minSamples} required` });
        continue;
      }
      try {
        const outcome = compare(spec.test, r, c, phi);
        pending.push({ ...base, ...outcome, sufficient: outcome.note === undefined && (outcome.statistic !== null || outcome.pValue !== undefined) });
      } catch (err) {
        if (!(err instanceof StatsError)) throw err;
        pending.push({ ...base, statistic: null, summary: "", moved: [], chart: NO_CHART, sufficient: false, note: err.message });
      }
    }
  }
  const tested = pending.filter((p) => p.sufficient && p.pValue !== undefined);
  const adjusted = tested.length > 0 ? benjaminiHochberg(tested.map((p) => p.pValue as number)).adjusted : [];
  const q = new Map<Pending, number>(tested.map((p, i) => [p, adjusted[i]]));
  return pending.map((p) => {
    const { sufficient, ...rest } = p;
    if (!sufficient) return { ...rest, verdict: "insufficient" as const };
    if (P_VALUE_TESTS.has(p.test)) {
      const adj = q.get(p) as number;
      return { ...rest, adjustedP: adj, verdict: adj <= p.threshold ? ("drift" as const) : ("ok" as const) };
    }
    return { ...rest, verdict: (p.distance as number) >= p.threshold ? ("drift" as const) : ("ok" as const) };
  });
}
