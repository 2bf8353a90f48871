// Distances between distributions: Jensen–Shannon (scipy.spatial.distance.jensenshannon) on
// category weights, and the 1-Wasserstein / earth mover's distance on samples
// (scipy.stats.wasserstein_distance), optionally weighted.
import { npSum } from "./sum.ts";
import { requireNonNegative, requirePositiveTotal, requireSameLength, requireSample } from "./validate.ts";
import { StatsError } from "./errors.ts";

/** Options of {@link jensenShannon}. */
export interface JensenShannonOptions {
  /** Logarithm base; default e (natural log), as in SciPy. Base 2 bounds the distance by 1. */
  readonly base?: number;
}

/** The result of {@link jensenShannon}. */
export interface JensenShannonResult {
  /** The Jensen–Shannon distance, sqrt of the divergence; 0 for identical distributions. */
  readonly distance: number;
  /** The Jensen–Shannon divergence in the chosen base (the distance squared). */
  readonly divergence: number;
}

/** x log(x / y) with 0 log 0 = 0 (SciPy's `rel_entr`); y > 0 whenever x > 0 here, since y is a mixture containing x. */
function relEntr(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Infinity;
}

/**
 * Jensen–Shannon distance between two weight vectors over the same categories. Each vector is
 * divided by its own sum first (raw counts are fine), then
 * distance = sqrt((KL(p||m) + KL(q||m)) / 2) with m = (p + q) / 2.
 */
export function jensenShannon(p: readonly number[], q: readonly number[], options: JensenShannonOptions = {}): JensenShannonResult {
  requireNonNegative("p", p);
  requireNonNegative("q", q);
  requireSameLength("p", p, "q", q);
  const base = options.base;
  if (base !== undefined && !(Number.isFinite(base) && base > 0 && base !== 1)) {
    throw new StatsError("stats/invalid-argument", `'base' is ${String(base)}; a logarithm base must be positive and not 1`);
  }
  const ps = npSum(p);
  const qs = npSum(q);
  requirePositiveTotal("p", ps);
  requirePositiveTotal("q", qs);
  const pn = p.map((v) => v / ps);
  const qn = q.map((v) => v / qs);
  const left: number[] = [];
  const right: number[] = [];
  for (let i = 0; i < pn.length; i++) {
    const m = (pn[i] + qn[i]) / 2;
    left.push(relEntr(pn[i], m));
    right.push(relEntr(qn[i], m));
  }
  let js = npSum(left) + npSum(right);
  if (base !== undefined) js /= Math.log(base);
  // Rounding can leave a tiny negative sum for identical inputs; the divergence is never negative.
  const divergence = Math.max(0, js / 2);
  return { distance: Math.sqrt(divergence), divergence };
}

/** Options of {@link wasserstein}. */
export interface WassersteinOptions {
  /** Weights of the `u` values (default: all equal). Non-negative, positive sum. */
  readonly uWeights?: readonly number[];
  /** Weights of the `v` values (default: all equal). Non-negative, positive sum. */
  readonly vWeights?: readonly number[];
}

/** Sorted values with the cumulative weight at each position (cum[0] = 0). */
function sortedCdf(values: readonly number[], weights: readonly number[] | undefined): { sorted: Float64Array; cum: Float64Array | undefined } {
  const order = Array.from(values.keys()).sort((i, j) => values[i] - values[j] || i - j);
  const sorted = Float64Array.from(order, (i) => values[i]);
  if (weights === undefined) return { sorted, cum: undefined };
  const cum = new Float64Array(values.length + 1);
  for (let k = 0; k < order.length; k++) cum[k + 1] = cum[k] + weights[order[k]];
  return { sorted, cum };
}

function checkWeights(name: string, weights: readonly number[] | undefined, values: readonly number[], valuesName: string): void {
  if (weights === undefined) return;
  requireNonNegative(name, weights);
  requireSameLength(valuesName, values, name, weights);
  requirePositiveTotal(name, npSum(weights));
}

/**
 * The 1-Wasserstein distance between the empirical distributions of `u` and `v`: the integral
 * of |U(x) - V(x)| over x, in the units of the values.
 */
export function wasserstein(u: readonly number[], v: readonly number[], options: WassersteinOptions = {}): number {
  requireSample("u", u);
  requireSample("v", v);
  checkWeights("uWeights", options.uWeights, u, "u");
  checkWeights("vWeights", options.vWeights, v, "v");
  const U = sortedCdf(u, options.uWeights);
  const V = sortedCdf(v, options.vWeights);
  const all = new Float64Array(u.length + v.length);
  all.set(U.sorted);
  all.set(V.sorted, u.length);
  all.sort();
  const terms = new Float64Array(all.length - 1);
  const uTotal = U.cum ? U.cum[U.cum.length - 1] : u.length;
  const vTotal = V.cum ? V.cum[V.cum.length - 1] : v.length;
  // Both CDFs are step functions that change only at pooled values; walk them once.
  let iu = 0;
  let iv = 0;
  for (let k = 0; k < terms.length; k++) {
    const x = all[k];
    while (iu < U.sorted.length && U.sorted[iu] <= x) iu++;
    while (iv < V.sorted.length && V.sorted[iv] <= x) iv++;
    const uc = U.cum ? U.cum[iu] / uTotal : iu / uTotal;
    const vc = V.cum ? V.cum[iv] / vTotal : iv / vTotal;
    terms[k] = Math.abs(uc - vc) * (all[k + 1] - x);
  }
  return npSum(terms);
}

/**
 * Evidently's normed Wasserstein distance: W(reference, current) divided by the reference's
 * population standard deviation, floored at 0.001 so a constant reference does not divide by 0.
 */
export function wassersteinNormed(reference: readonly number[], current: readonly number[]): { distance: number; normed: number; referenceStd: number } {
  const distance = wasserstein(reference, current);
  const referenceStd = populationStd(reference);
  return { distance, normed: distance / Math.max(referenceStd, 0.001), referenceStd };
}

/** Population (ddof = 0) standard deviation, as numpy.std computes it. */
export function populationStd(xs: readonly number[]): number {
  requireSample("xs", xs);
  const mean = npSum(xs) / xs.length;
  const sq = xs.map((x) => (x - mean) * (x - mean));
  return Math.sqrt(npSum(sq) / xs.length);
}
