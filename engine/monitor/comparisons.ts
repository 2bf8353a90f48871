// How the monitor compares one metric's two sides (reference, current): the test each metric
// kind gets, fitted to the data — sparse categories pooled until the chi-square approximation
// holds, exact tests for rates, and every p-value test corrected by the dispersion the
// reference's own chunks showed (see calibration.ts) — plus what a person needs to read the
// result: a chart, a one-line summary and the categories that moved most.
import type { TestName } from "./config.ts";
import type { MetricValue } from "./metrics.ts";
import { chiSquareGoodnessOfFit, chiSquareHomogeneity } from "./stats/chi-square.ts";
import { jensenShannon, wassersteinNormed } from "./stats/distance.ts";
import { fisherExact, poissonRateTest } from "./stats/exact.ts";
import { kstwoSf } from "./stats/kolmogorov.ts";
import { StatsError } from "./stats/errors.ts";
import { ksStatisticSorted, ksTwoSampleSorted, roundHalfEven } from "./stats/ks.ts";
import { twoProportionZ } from "./stats/proportions.ts";
import { binCounts, psi, quantileEdgesSorted } from "./stats/psi.ts";
import { sortedValues } from "./sample.ts";
import type { Sample } from "./sample.ts";
import { chiSquareSf, normalSf } from "./stats/special.ts";

/** What a chart shows: the share of each label (a category or a bin) on both sides. */
export interface ChartData {
  readonly labels: readonly string[];
  readonly reference: readonly number[];
  readonly current: readonly number[];
}

/** A category (or bin) and how it moved: shares on each side and its part of the statistic. */
export interface Moved {
  readonly category: string;
  /** Share of the reference, in [0, 1] (for a rate: the rate). */
  readonly reference: number;
  /** Share of the current window. */
  readonly current: number;
  /** Its Pearson term (O - E)² / E in the current window: what it added to the chi-square. */
  readonly contribution: number;
}

/** The outcome of one comparison. */
export interface Comparison {
  /** The raw statistic (chi-square, z, D, odds or rate ratio, or the distance); null when undefined. */
  readonly statistic: number | null;
  /** The p-value, corrected by the dispersion, for p-value tests. */
  readonly pValue?: number;
  /** The distance, for distance tests. */
  readonly distance?: number;
  readonly chart: ChartData;
  /** One line: what moved most, from what to what. */
  readonly summary: string;
  /** The categories (or bins) that moved most, largest contribution first (at most five). */
  readonly moved: readonly Moved[];
  /** Why the test says nothing, when it cannot. */
  readonly note?: string;
}

/** The smallest expected count the chi-square approximation is trusted with (Cochran's rule). */
export const MIN_EXPECTED = 5;

const share = (xs: readonly number[]): number[] => {
  const t = xs.reduce((a, b) => a + b, 0);
  return xs.map((x) => (t > 0 ? x / t : 0));
};

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(3));
const pct = (x: number) => `${(x * 100).toFixed(x < 0.001 && x > 0 ? 3 : 1)}%`;

/** Labels in the order a chart reads well: largest reference share first. */
function categoricalArrays(ref: MetricValue & { kind: "categorical" }, cur: MetricValue & { kind: "categorical" }): { labels: string[]; r: number[]; c: number[] } {
  const labels = [...new Set([...ref.counts.keys(), ...cur.counts.keys()])];
  labels.sort((a, b) => (ref.counts.get(b) ?? 0) - (ref.counts.get(a) ?? 0) || (cur.counts.get(b) ?? 0) - (cur.counts.get(a) ?? 0) || (a < b ? -1 : 1));
  return { labels, r: labels.map((l) => ref.counts.get(l) ?? 0), c: labels.map((l) => cur.counts.get(l) ?? 0) };
}

/**
 * Pools categories until every expected count is at least MIN_EXPECTED on the current side (the
 * small one): the sparsest categories are merged together, and a pool still too small is merged
 * into the next sparsest category. Returns each pool's member indices and counts.
 */
export function poolSparse(r: readonly number[], c: readonly number[]): { groups: number[][]; r: number[]; c: number[] } {
  const rt = r.reduce((a, b) => a + b, 0);
  const ct = c.reduce((a, b) => a + b, 0);
  const total = rt + ct;
  const minRow = Math.min(rt, ct);
  // Expected count of a column on the smaller side, under homogeneity.
  const expected = (col: number) => (total > 0 ? (minRow * col) / total : 0);
  let groups = r.map((_, i) => ({ members: [i], r: r[i], c: c[i] })).filter((g) => g.r + g.c > 0);
  groups.sort((a, b) => a.r + a.c - (b.r + b.c));
  // Merge the two sparsest until the sparsest is large enough (or one group is left).
  while (groups.length > 1 && expected(groups[0].r + groups[0].c) < MIN_EXPECTED) {
    const [a, b, ...rest] = groups;
    const merged = { members: [...a.members, ...b.members], r: a.r + b.r, c: a.c + b.c };
    groups = [merged, ...rest];
    groups.sort((x, y) => x.r + x.c - (y.r + y.c));
  }
  return { groups: groups.map((g) => g.members), r: groups.map((g) => g.r), c: groups.map((g) => g.c) };
}

/**
 * The chi-square homogeneity statistic of sparse-pooled counts and its degrees of freedom (0
 * when pooling left one group: nothing to test). The calibration and the test share it, so a
 * dispersion measured on chunks applies to the statistic it was measured for.
 */
export function pooledChiSquare(r: readonly number[], c: readonly number[]): { statistic: number; dof: number } {
  const pooled = poolSparse(r, c);
  if (pooled.groups.length < 2) return { statistic: 0, dof: 0 };
  const t = chiSquareHomogeneity(pooled.r, pooled.c);
  return { statistic: t.statistic, dof: t.dof };
}

/** Pearson terms of the current row per category, against the homogeneity expectation. */
function contributions(labels: readonly string[], r: readonly number[], c: readonly number[]): Moved[] {
  const rt = r.reduce((a, b) => a + b, 0);
  const ct = c.reduce((a, b) => a + b, 0);
  const total = rt + ct;
  const moved: Moved[] = [];
  for (let i = 0; i < labels.length; i++) {
    const e = total > 0 ? (ct * (r[i] + c[i])) / total : 0;
    const contribution = e > 0 ? ((c[i] - e) * (c[i] - e)) / e : 0;
    moved.push({ category: labels[i], reference: rt > 0 ? r[i] / rt : 0, current: ct > 0 ? c[i] / ct : 0, contribution });
  }
  return moved.sort((a, b) => b.contribution - a.contribution || (a.category < b.category ? -1 : 1)).slice(0, 5);
}

function movedSummary(moved: readonly Moved[]): string {
  const top = moved[0];
  if (top === undefined) return "";
  return `'${top.category}' ${pct(top.reference)} → ${pct(top.current)}`;
}

/** Effective counts under dispersion phi: the information a clustered count carries (Rao–Scott). */
function effective(x: number, phi: number): number {
  return phi === 1 ? x : roundHalfEven(x / phi);
}

/**
 * Bins for the chart of a numeric metric: the reference's deciles, repeated edges removed (a
 * value that fills several deciles is one bin, not a row of empty "82–82" ones).
 */
export function chartEdges(sortedReference: Float64Array): number[] {
  const edges = quantileEdgesSorted(sortedReference, 10);
  return edges.filter((e, i) => i === 0 || e !== edges[i - 1]);
}

const BINS = new WeakMap<Sample, { readonly count: number; readonly edges: number[]; readonly counts: number[]; readonly labels: string[] }>();

/** The chart bins of a reference sample and its counts in them, computed once per sample. */
function referenceBins(s: Sample, sorted: Float64Array): { edges: number[]; counts: number[]; labels: string[] } {
  const hit = BINS.get(s);
  if (hit !== undefined && hit.count === s.count) return hit;
  const edges = chartEdges(sorted);
  const bins = { count: s.count, edges, counts: binCounts(sorted, edges), labels: binLabels(edges) };
  BINS.set(s, bins);
  return bins;
}

/** Above this product of sample sizes a drift run takes KS's asymptotic p-value rather than the exact one. */
export const EXACT_KS_MAX_PRODUCT = 100_000;

function binLabels(edges: readonly number[]): string[] {
  const labels: string[] = [];
  for (let i = 0; i <= edges.length; i++) labels.push(i === 0 ? `< ${fmt(edges[0])}` : i === edges.length ? `≥ ${fmt(edges[i - 1])}` : `${fmt(edges[i - 1])}–${fmt(edges[i])}`);
  return labels;
}

/** The Kolmogorov distribution's E[K²] = π²/12: what n D² averages without drift. */
export const KS_NULL_MEAN = (Math.PI * Math.PI) / 12;

/**
 * Runs `test` on one metric's two sides, with p-values corrected by the dispersion `phi` (1 = the
 * decisions are independent): chi-square statistics are divided by phi, z by its square root, and
 * counts (exact tests) and sample sizes (KS) are divided by phi.
 */
export function compare(test: TestName, ref: MetricValue, cur: MetricValue, phi = 1): Comparison {
  if (ref.kind === "categorical" && cur.kind === "categorical") {
    const { labels, r, c } = categoricalArrays(ref, cur);
    const chart = { labels, reference: share(r), current: share(c) };
    const moved = contributions(labels, r, c);
    const summary = movedSummary(moved);
    if (test === "chi2") {
      // One category on both sides: nothing could have moved.
      if (labels.length === 1) return { statistic: 0, pValue: 1, chart, summary, moved };
      const t = pooledChiSquare(r, c);
      if (t.dof === 0) return { statistic: 0, pValue: 1, chart, summary, moved, note: `too few observations per category to test (each pooled category needs ${MIN_EXPECTED} expected)` };
      return { statistic: t.statistic, pValue: chiSquareSf(t.statistic / phi, t.dof), chart, summary, moved };
    }
    if (test === "chi2_gof") {
      const t = chiSquareGoodnessOfFit(r, c);
      return { statistic: t.statistic, pValue: t.statistic === Infinity ? 0 : t.dof === 0 ? 1 : chiSquareSf(t.statistic / phi, t.dof), chart, summary, moved };
    }
    const d = test === "jensen_shannon" ? jensenShannon(r, c, { base: 2 }).distance : psi(r, c).psi;
    return { statistic: d, distance: d, chart, summary, moved };
  }
  if (ref.kind === "proportion" && cur.kind === "proportion") {
    const p1 = ref.n > 0 ? ref.x / ref.n : 0;
    const p2 = cur.n > 0 ? cur.x / cur.n : 0;
    const chart = { labels: ["rate"], reference: [p1], current: [p2] };
    const summary = `${pct(p1)} → ${pct(p2)}`;
    const e = ((ref.x + cur.x) / (ref.n + cur.n)) * cur.n;
    const moved = [{ category: "rate", reference: p1, current: p2, contribution: e > 0 ? ((cur.x - e) * (cur.x - e)) / e : 0 }];
    if (test === "chi2") {
      const t = chiSquareHomogeneity([ref.x, ref.n - ref.x], [cur.x, cur.n - cur.x]);
      return { statistic: t.statistic, pValue: t.dof === 0 ? 1 : chiSquareSf(t.statistic / phi, t.dof), chart, summary, moved };
    }
    if (test === "z") {
      const t = twoProportionZ(ref.x, ref.n, cur.x, cur.n);
      return { statistic: t.statistic, pValue: t.statistic === null ? 1 : Math.min(1, 2 * normalSf(Math.abs(t.statistic) / Math.sqrt(phi))), chart, summary, moved };
    }
    const x1 = effective(ref.x, phi);
    const n1 = Math.max(x1, effective(ref.n, phi), 1);
    const x2 = effective(cur.x, phi);
    const n2 = Math.max(x2, effective(cur.n, phi), 1);
    if (test === "poisson") {
      const t = poissonRateTest(x2, n2, x1, n1);
      return { statistic: t.rateRatio, pValue: t.pValue, chart, summary, moved };
    }
    const t = fisherExact(x1, n1 - x1, x2, n2 - x2);
    return { statistic: t.oddsRatio, pValue: t.pValue, chart, summary, moved };
  }
  if (ref.kind === "numeric" && cur.kind === "numeric") {
    const rv = ref.sample.values;
    const cv = cur.sample.values;
    if (rv.length === 0 || cv.length === 0) throw new StatsError("stats/empty-sample", `the ${rv.length === 0 ? "baseline" : "window"} holds no values`);
    const rs = sortedValues(ref.sample);
    const cs = sortedValues(cur.sample);
    const { edges, counts: rb, labels } = referenceBins(ref.sample, rs);
    const cb = binCounts(cs, edges);
    const chart = { labels, reference: share(rb), current: share(cb) };
    const moved = contributions(labels, rb, cb);
    const summary = `mean ${fmt(ref.sample.sum / ref.sample.count)} → ${fmt(cur.sample.sum / cur.sample.count)}`;
    if (test === "ks") {
      // The exact p-value costs about n1 n2 steps: past EXACT_KS_MAX_PRODUCT the asymptotic one
      // (kstwo at the effective size, as SciPy's 'asymp') serves, as it does under dispersion.
      if (phi === 1 && rs.length * cs.length <= EXACT_KS_MAX_PRODUCT) {
        const t = ksTwoSampleSorted(rs, cs);
        return { statistic: t.statistic, pValue: t.pValue, chart, summary, moved };
      }
      const d = ksStatisticSorted(cs, rs);
      const en = (rs.length * cs.length) / (rs.length + cs.length);
      return { statistic: d, pValue: kstwoSf(Math.max(1, roundHalfEven(en / phi)), d), chart, summary, moved };
    }
    if (test === "psi") {
      const deciles = quantileEdgesSorted(rs, 10);
      const d = psi(binCounts(rv, deciles), binCounts(cv, deciles)).psi;
      return { statistic: d, distance: d, chart, summary, moved };
    }
    const d = wassersteinNormed(rv, cv).normed;
    return { statistic: d, distance: d, chart, summary, moved };
  }
  throw new Error("reference and current values of one metric differ in kind");
}
