// Two-sample Kolmogorov–Smirnov test, as scipy.stats.ks_2samp computes it (two-sided): the
// statistic over all pooled points, an exact p-value by counting lattice paths (Hodges 1958;
// Viehmann's 1 - p recursion), or the asymptotic one from the one-sample distribution kstwo at
// n = round(n1 n2 / (n1 + n2)).
import { kstwoSf } from "./kolmogorov.ts";
import { requireSample } from "./validate.ts";
import { sortedCopy } from "./sort.ts";
import { StatsError } from "./errors.ts";

/** How the p-value is computed: `auto` is exact when both samples have at most 10,000 values. */
export type KsMethod = "auto" | "exact" | "asymp";

/** Options of {@link ksTwoSample}. */
export interface KsOptions {
  /** Default `auto`, as in SciPy. */
  readonly method?: KsMethod;
}

/** The result of {@link ksTwoSample}. */
export interface KsResult {
  /** D = max |F_a(x) - F_b(x)| over the pooled values; in [0, 1]. */
  readonly statistic: number;
  /** Two-sided p-value, clipped to [0, 1]. */
  readonly pValue: number;
  /** The pooled value at which D is reached (the first one, in SciPy's order). */
  readonly statisticLocation: number;
  /** +1 when F_a > F_b there (a is stochastically smaller), -1 otherwise. */
  readonly statisticSign: 1 | -1;
  /** The method that produced `pValue`. */
  readonly method: "exact" | "asymp";
  /** True when the exact computation was asked for (or chosen) but failed numerically. */
  readonly exactFellBack: boolean;
  /** n1 n2 / (n1 + n2), the effective size; the asymptotic method rounds it half-to-even. */
  readonly effectiveN: number;
}

/** SciPy switches `auto` to the asymptotic method above this sample size. */
export const KS_MAX_AUTO_N = 10_000;
const INT32_MAX = 2147483647;

/** Rounds half to even, as NumPy's `round` does (2.5 -> 2), unlike Math.round (2.5 -> 3). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * Two-sided two-sample Kolmogorov–Smirnov test of `a` against `b` (scipy.stats.ks_2samp with
 * alternative='two-sided'). Samples may be arrays or typed arrays; neither is modified. Throws
 * StatsError on an empty sample or a non-finite value.
 */
export function ksTwoSample(a: ArrayLike<number>, b: ArrayLike<number>, options: KsOptions = {}): KsResult {
  requireSample("a", a);
  requireSample("b", b);
  return ksTwoSampleSorted(sortedCopy(a), sortedCopy(b), options);
}

/**
 * {@link ksTwoSample} on samples already sorted ascending and validated, for callers that test
 * one reference against many windows and sort it once.
 */
export function ksTwoSampleSorted(x: Float64Array, y: Float64Array, options: KsOptions = {}): KsResult {
  if (x.length === 0 || y.length === 0) throw new StatsError("stats/empty-sample", `'${x.length === 0 ? "a" : "b"}' is empty`, "a test needs at least one observation on each side");
  const method = options.method ?? "auto";
  if (method !== "auto" && method !== "exact" && method !== "asymp") {
    throw new StatsError("stats/invalid-argument", `unknown method '${String(method)}'`, "use 'auto', 'exact' or 'asymp'");
  }
  const n1 = x.length;
  const n2 = y.length;
  const { d, location, sign } = statistic(x, y);
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const en = (m * n) / (m + n);
  const g = gcd(n1, n2);
  let mode: "exact" | "asymp";
  if (method === "auto") mode = m <= KS_MAX_AUTO_N ? "exact" : "asymp";
  else if (method === "exact" && n1 / g >= INT32_MAX / (n2 / g)) mode = "asymp";
  else mode = method;
  let fellBack = method === "exact" && mode === "asymp";
  let p = Number.NaN;
  if (mode === "exact") {
    const exact = exactPValue(n1, n2, g, d);
    if (exact === undefined) {
      mode = "asymp";
      fellBack = true;
    } else p = exact;
  }
  // kstwo needs n >= 1; SciPy's round(0.5) = 0 (n1 = n2 = 1) would give NaN, we use 1.
  if (mode === "asymp") p = kstwoSf(Math.max(1, roundHalfEven(en)), d);
  p = Math.min(1, Math.max(0, p));
  return { statistic: d, pValue: p, statisticLocation: location, statisticSign: sign, method: mode, exactFellBack: fellBack, effectiveN: en };
}

/** Number of values of sorted `a` that are < v (strict) or <= v. */
function rank(a: Float64Array, v: number, orEqual: boolean): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < v || (orEqual && a[mid] === v)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * D for two samples already sorted ascending (neither is checked nor copied). When `x` is much
 * smaller than `y` (a window against a baseline) the ECDF difference is evaluated only at and just
 * below each value of `x`, with binary searches into `y`: between two values of `x` one ECDF is
 * flat and the other rises, so the supremum sits at one of those points.
 */
export function ksStatisticSorted(x: Float64Array, y: Float64Array): number {
  const n = x.length;
  const m = y.length;
  if (n * Math.log2(m + 1) >= n + m) return mergedD(x, y);
  let d = 0;
  let below = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    if (i > 0 && x[i - 1] === v) continue;
    let atOrBelow = i + 1;
    while (atOrBelow < n && x[atOrBelow] === v) atOrBelow++;
    const lt = Math.abs(below / n - rank(y, v, false) / m);
    const le = Math.abs(atOrBelow / n - rank(y, v, true) / m);
    if (lt > d) d = lt;
    if (le > d) d = le;
    below = atOrBelow;
  }
  return d;
}

/** D by one merge walk over both sorted samples, stepping past ties together (no location kept). */
function mergedD(x: Float64Array, y: Float64Array): number {
  const n = x.length;
  const m = y.length;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const v = x[i] <= y[j] ? x[i] : y[j];
    while (i < n && x[i] === v) i++;
    while (j < m && y[j] === v) j++;
    const diff = Math.abs(i / n - j / m);
    if (diff > d) d = diff;
  }
  return d;
}

/**
 * D and where it is reached. Like SciPy, the ECDF difference is evaluated at every value of the
 * concatenation [sorted a, sorted b] with searchsorted(side='right') semantics, and the first
 * maximum in that order wins; a merge walk replaces the binary searches.
 */
function statistic(x: Float64Array, y: Float64Array): { d: number; location: number; sign: 1 | -1 } {
  const n1 = x.length;
  const n2 = y.length;
  let maxS = -Infinity;
  let maxAt = 0;
  let minS = Infinity;
  let minAt = 0;
  // cdf differences at the values of x, then at the values of y
  let i1 = 0;
  let j = 0;
  for (let i = 0; i < n1; i++) {
    const v = x[i];
    if (i1 <= i) {
      i1 = i + 1;
      while (i1 < n1 && x[i1] <= v) i1++;
    }
    while (j < n2 && y[j] <= v) j++;
    const diff = i1 / n1 - j / n2;
    if (diff > maxS) { maxS = diff; maxAt = v; }
    if (diff < minS) { minS = diff; minAt = v; }
  }
  let i2 = 0;
  j = 0;
  for (let i = 0; i < n2; i++) {
    const v = y[i];
    if (i2 <= i) {
      i2 = i + 1;
      while (i2 < n2 && y[i2] <= v) i2++;
    }
    while (j < n1 && x[j] <= v) j++;
    const diff = j / n1 - i2 / n2;
    if (diff > maxS) { maxS = diff; maxAt = v; }
    if (diff < minS) { minS = diff; minAt = v; }
  }
  const negMin = Math.min(1, Math.max(0, -minS));
  if (negMin > maxS) return { d: negMin, location: minAt, sign: -1 };
  return { d: maxS, location: maxAt, sign: 1 };
}

/** The exact two-sided p-value, or undefined when it cannot be computed in double precision. */
function exactPValue(n1: number, n2: number, g: number, d: number): number | undefined {
  const lcm = (n1 / g) * n2;
  const h = roundHalfEven(d * lcm);
  if (h === 0) return 1;
  const p = n1 === n2 ? probOutsideSquare(n1, h) : probOutsideBand(n1, n2, g, h);
  if (!(p >= 0 && p <= 1)) return undefined;
  return p;
}

/**
 * Pr(D_{n,n} >= h/n): 2 sum_k (-1)^(k-1) C(2n, n-kh) / C(2n, n), evaluated Horner-style on
 * ratios of binomials to avoid the cancellation of the alternating sum.
 */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/**
 * The proportion of lattice paths from (0,0) to (m,n) that leave the band |x/m - y/n| < h/lcm.
 * Each column is a sliding window of the (1 - proportion) recursion, so values stay in [0, 1]
 * and need no rescaling.
 */
function probOutsideBand(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj] * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1];
}
