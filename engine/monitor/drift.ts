// One drift run, without I/O: each monitor's metric in the reference aggregate against the
// current one, the test's statistic and p-value or distance, Benjamini–Hochberg over every
// p-value of the run (many metrics are tested at once; unadjusted, some would "drift" by chance
// every run), and a verdict per metric. The charts' data rides along for the report.
import type { Aggregate } from "./aggregate.ts";
import { P_VALUE_TESTS } from "./config.ts";
import type { MonitorSpec, TestName } from "./config.ts";
import { expandMetric, metricValue } from "./metrics.ts";
import type { MetricValue } from "./metrics.ts";
import { chiSquareGoodnessOfFit, chiSquareHomogeneity } from "./stats/chi-square.ts";
import { jensenShannon, wassersteinNormed } from "./stats/distance.ts";
import { benjaminiHochberg } from "./stats/multiple-testing.ts";
import { twoProportionZ } from "./stats/proportions.ts";
import { binCounts, psi, quantileEdges } from "./stats/psi.ts";
import { ksTwoSample } from "./stats/ks.ts";
import { StatsError } from "./stats/errors.ts";

/** What a chart shows: the share of each label (a category or a bin) on both sides. */
export interface ChartData {
  readonly labels: readonly string[];
  readonly reference: readonly number[];
  readonly current: readonly number[];
}

/** `drift`: past the threshold; `ok`: not; `insufficient`: too few observations (or a degenerate test) to say. */
export type Verdict = "drift" | "ok" | "insufficient";

/** One metric's outcome in a run. */
export interface MetricResult {
  /** `<monitor name>/<metric>`: the alert state key. */
  readonly key: string;
  readonly monitor: string;
  readonly metric: string;
  readonly test: TestName;
  /** The test statistic (chi-square, z, D, or the distance itself); null when undefined. */
  readonly statistic: number | null;
  /** Raw p-value, for p-value tests. */
  readonly pValue?: number;
  /** Benjamini–Hochberg adjusted p-value across the run, for p-value tests. */
  readonly adjustedP?: number;
  /** The distance, for distance tests. */
  readonly distance?: number;
  readonly threshold: number;
  readonly rearm: number;
  readonly verdict: Verdict;
  /** Observations on each side. */
  readonly referenceN: number;
  readonly currentN: number;
  /** A one-line summary of the two sides (rates, means). */
  readonly summary: string;
  readonly chart: ChartData;
  /** Why there is no verdict, when there is none. */
  readonly note?: string;
}

interface Outcome {
  statistic: number | null;
  pValue?: number;
  distance?: number;
  note?: string;
}

const share = (xs: readonly number[]): number[] => {
  const t = xs.reduce((a, b) => a + b, 0);
  return xs.map((x) => (t > 0 ? x / t : 0));
};

function categoricalArrays(ref: MetricValue & { kind: "categorical" }, cur: MetricValue & { kind: "categorical" }): { labels: string[]; r: number[]; c: number[] } {
  const labels = [...new Set([...ref.counts.keys(), ...cur.counts.keys()])];
  // Largest reference share first, so the chart reads as "what normally happens" at the top.
  labels.sort((a, b) => (ref.counts.get(b) ?? 0) - (ref.counts.get(a) ?? 0) || (cur.counts.get(b) ?? 0) - (cur.counts.get(a) ?? 0) || (a < b ? -1 : 1));
  return { labels, r: labels.map((l) => ref.counts.get(l) ?? 0), c: labels.map((l) => cur.counts.get(l) ?? 0) };
}

function mean(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return values.length > 0 ? s / values.length : Number.NaN;
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(3));
const pct = (x: number) => `${(x * 100).toFixed(x < 0.001 ? 3 : 1)}%`;

/** Runs `test` on one metric's two sides. */
function runTest(test: TestName, ref: MetricValue, cur: MetricValue): { outcome: Outcome; chart: ChartData; summary: string } {
  if (ref.kind === "categorical" && cur.kind === "categorical") {
    const { labels, r, c } = categoricalArrays(ref, cur);
    const chart = { labels, reference: share(r), current: share(c) };
    const top = labels[0];
    const summary = top === undefined ? "" : `'${top}' ${pct(chart.reference[0])} → ${pct(chart.current[0])}`;
    if (test === "chi2") {
      const t = chiSquareHomogeneity(r, c);
      return { outcome: { statistic: t.statistic, pValue: t.pValue }, chart, summary };
    }
    if (test === "chi2_gof") {
      const t = chiSquareGoodnessOfFit(r, c);
      return { outcome: { statistic: t.statistic, pValue: t.pValue }, chart, summary };
    }
    if (test === "jensen_shannon") {
      const d = jensenShannon(r, c, { base: 2 }).distance;
      return { outcome: { statistic: d, distance: d }, chart, summary };
    }
    const d = psi(r, c).psi;
    return { outcome: { statistic: d, distance: d }, chart, summary };
  }
  if (ref.kind === "proportion" && cur.kind === "proportion") {
    const p1 = ref.n > 0 ? ref.x / ref.n : 0;
    const p2 = cur.n > 0 ? cur.x / cur.n : 0;
    const chart = { labels: ["rate"], reference: [p1], current: [p2] };
    const summary = `${pct(p1)} → ${pct(p2)}`;
    if (test === "chi2") {
      const t = chiSquareHomogeneity([ref.x, ref.n - ref.x], [cur.x, cur.n - cur.x]);
      return { outcome: { statistic: t.statistic, pValue: t.pValue }, chart, summary };
    }
    const t = twoProportionZ(ref.x, ref.n, cur.x, cur.n);
    return { outcome: { statistic: t.statistic, pValue: t.pValue }, chart, summary };
  }
  if (ref.kind === "numeric" && cur.kind === "numeric") {
    const rv = ref.sample.values;
    const cv = cur.sample.values;
    const edges = quantileEdges(rv, 10);
    const rb = binCounts(rv, edges);
    const cb = binCounts(cv, edges);
    const labels = rb.map((_, i) => (i === 0 ? `< ${fmt(edges[0])}` : i === edges.length ? `≥ ${fmt(edges[i - 1])}` : `${fmt(edges[i - 1])}–${fmt(edges[i])}`));
    const chart = { labels, reference: share(rb), current: share(cb) };
    const summary = `mean ${fmt(ref.sample.sum / ref.sample.count)} → ${fmt(cur.sample.sum / cur.sample.count)}`;
    if (test === "ks") {
      const t = ksTwoSample(rv, cv);
      return { outcome: { statistic: t.statistic, pValue: t.pValue }, chart, summary };
    }
    if (test === "psi") {
      const d = psi(rb, cb).psi;
      return { outcome: { statistic: d, distance: d }, chart, summary };
    }
    const d = wassersteinNormed(rv, cv).normed;
    return { outcome: { statistic: d, distance: d }, chart, summary: `${summary}, sample means ${fmt(mean(rv))} → ${fmt(mean(cv))}` };
  }
  throw new Error("reference and current values of one metric differ in kind");
}

/** One metric of one monitor, before the run's p-values are adjusted together. */
interface Pending extends Omit<MetricResult, "verdict" | "adjustedP"> {
  readonly sufficient: boolean;
}

/**
 * Tests every monitor's metrics, `referenceFor` and `currentFor` giving each monitor's two
 * aggregates (monitors may name other baselines and windows). Metric patterns expand against
 * both sides. Results come in monitor order, then metric order.
 */
export function evaluateDrift(specs: readonly MonitorSpec[], referenceFor: (spec: MonitorSpec) => Aggregate, currentFor: (spec: MonitorSpec) => Aggregate): MetricResult[] {
  const pending: Pending[] = [];
  for (const spec of specs) {
    const ref = referenceFor(spec);
    const cur = currentFor(spec);
    for (const metric of expandMetric(spec.metric, [ref, cur])) {
      const r = metricValue(ref, metric);
      const c = metricValue(cur, metric);
      const base = { key: `${spec.name}/${metric}`, monitor: spec.name, metric, test: spec.test, threshold: spec.threshold, rearm: spec.rearm, referenceN: r.n, currentN: c.n };
      if (r.n < spec.minSamples || c.n < spec.minSamples) {
        const side = r.n < spec.minSamples ? `the baseline has ${r.n}` : `the window has ${c.n}`;
        pending.push({ ...base, statistic: null, summary: "", chart: { labels: [], reference: [], current: [] }, sufficient: false, note: `${side} observations, fewer than the ${spec.minSamples} required` });
        continue;
      }
      try {
        const { outcome, chart, summary } = runTest(spec.test, r, c);
        pending.push({ ...base, ...outcome, chart, summary, sufficient: outcome.statistic !== null || outcome.pValue !== undefined });
      } catch (err) {
        if (!(err instanceof StatsError)) throw err;
        pending.push({ ...base, statistic: null, summary: "", chart: { labels: [], reference: [], current: [] }, sufficient: false, note: err.message });
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
