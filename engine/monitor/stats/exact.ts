// Exact tests for counts too small (or events too rare) for a normal approximation: Fisher's
// exact test on a 2×2 table, the exact binomial test, and the two-sample Poisson rate test that
// conditions on the total (R's poisson.test). The two-sided p-values follow SciPy's definitions
// (fisher_exact, binomtest): the probability, under the null, of every outcome no more likely
// than the one observed, with SciPy's relative tolerances on "no more likely".
//
// Probabilities come from Loader's saddle-point form of the binomial pmf ("Fast and accurate
// computation of binomial probabilities", 2000, the algorithm behind R's dbinom), which keeps
// ~1e-15 relative accuracy where log-gamma differences of large arguments lose digits; tails
// are summed outward from their start, each term from the previous by the pmf's ratio.
import { StatsError } from "./errors.ts";
import { requireCount } from "./validate.ts";

const LN_2PI = 1.8378770664093453;
const HALF_LN_2PI = 0.9189385332046728;

// n! for n <= 15, exact in binary64.
const FACTORIALS = [1, 1, 2, 6, 24, 120, 720, 5040, 40320, 362880, 3628800, 39916800, 479001600, 6227020800, 87178291200, 1307674368000];

/** log(n!) - log(sqrt(2 pi n) (n/e)^n): the error of Stirling's formula, for integer n >= 1. */
function stirlingError(n: number): number {
  if (n <= 15) return Math.log(FACTORIALS[n]) - ((n + 0.5) * Math.log(n) - n + HALF_LN_2PI);
  const nn = n * n;
  const S0 = 1 / 12;
  const S1 = 1 / 360;
  const S2 = 1 / 1260;
  const S3 = 1 / 1680;
  const S4 = 1 / 1188;
  if (n > 500) return (S0 - S1 / nn) / n;
  if (n > 80) return (S0 - (S1 - S2 / nn) / nn) / n;
  if (n > 35) return (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n;
  return (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n;
}

/** x log(x / np) + np - x, without cancellation when x is close to np (Loader's bd0). */
function deviance(x: number, np: number): number {
  if (Math.abs(x - np) < 0.1 * (x + np)) {
    let v = (x - np) / (x + np);
    let s = (x - np) * v;
    let ej = 2 * x * v;
    v *= v;
    for (let j = 1; j < 1000; j++) {
      ej *= v;
      const s1 = s + ej / (2 * j + 1);
      if (s1 === s) return s1;
      s = s1;
    }
    return s;
  }
  return x * Math.log(x / np) + np - x;
}

/** Binomial pmf P(X = x), X ~ Bin(n, p), q = 1 - p given separately for accuracy (Loader's dbinom_raw). */
function binomialPmfRaw(x: number, n: number, p: number, q: number): number {
  if (p === 0) return x === 0 ? 1 : 0;
  if (q === 0) return x === n ? 1 : 0;
  if (x === 0) {
    if (n === 0) return 1;
    return Math.exp(p < 0.1 ? -deviance(n, n * q) - n * p : n * Math.log(q));
  }
  if (x === n) return Math.exp(q < 0.1 ? -deviance(n, n * p) - n * q : n * Math.log(p));
  if (x < 0 || x > n) return 0;
  const lc = stirlingError(n) - stirlingError(x) - stirlingError(n - x) - deviance(x, n * p) - deviance(n - x, n * q);
  const lf = LN_2PI + Math.log(x) + Math.log1p(-x / n);
  return Math.exp(lc - 0.5 * lf);
}

/** P(X = x) for X ~ Bin(n, p). */
export function binomialPmf(x: number, n: number, p: number): number {
  if (!Number.isInteger(x) || x < 0 || x > n) return 0;
  return binomialPmfRaw(x, n, p, 1 - p);
}

/**
 * P(X = x) for the hypergeometric distribution of SciPy's `hypergeom.pmf(x, M, n, N)`: `draws`
 * items drawn without replacement from `total` of which `marked` are marked; X counts the marked.
 * Computed as a ratio of binomial pmfs sharing p = draws / total (R's dhyper).
 */
export function hypergeometricPmf(x: number, total: number, marked: number, draws: number): number {
  if (!Number.isInteger(x) || x < Math.max(0, draws - (total - marked)) || x > Math.min(draws, marked)) return 0;
  if (draws === 0 || draws === total) return 1;
  const p = draws / total;
  const q = (total - draws) / total;
  return (binomialPmfRaw(x, marked, p, q) * binomialPmfRaw(draws - x, total - marked, p, q)) / binomialPmfRaw(draws, total, p, q);
}

/**
 * Sum of `pmf(x)` from `start` outward by `step` (±1) while in [lo, hi], each term from the one
 * before by `ratio(x)` = pmf(x + step) / pmf(x). Stops once terms no longer move the sum.
 */
function tailSum(start: number, step: 1 | -1, lo: number, hi: number, first: number, ratio: (x: number) => number): number {
  let term = first;
  let sum = 0;
  for (let x = start; x >= lo && x <= hi; x += step) {
    sum += term;
    if (term === 0 || term < sum * 1e-17) break;
    term *= ratio(x);
  }
  return sum;
}

/** Largest i in [lo, hi] with f(i) <= d (f ascending), or lo - 1: SciPy's `_binary_search_for_binom_tst`. */
function searchAscending(f: (x: number) => number, d: number, lo: number, hi: number): number {
  while (lo < hi) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const v = f(mid);
    if (v < d) lo = mid + 1;
    else if (v > d) hi = mid - 1;
    else return mid;
  }
  return f(lo) <= d ? lo : lo - 1;
}

/** The result of {@link fisherExact}. */
export interface FisherResult {
  /** The sample odds ratio a d / (b c); Infinity when b c = 0 (SciPy's convention), null when a row or column is empty. */
  readonly oddsRatio: number | null;
  /** Two-sided p-value (SciPy's `fisher_exact`). */
  readonly pValue: number;
}

/**
 * Fisher's exact test on the table [[a, b], [c, d]], two-sided as SciPy defines it: the sum of
 * the hypergeometric probabilities of every table with these margins no more likely than this
 * one (relative tolerance 1e-14). A table with an empty row or column gives p = 1.
 */
export function fisherExact(a: number, b: number, c: number, d: number): FisherResult {
  for (const [name, v] of [["a", a], ["b", b], ["c", c], ["d", d]] as const) requireCount(name, v);
  if (a + b === 0 || c + d === 0 || a + c === 0 || b + d === 0) return { oddsRatio: null, pValue: 1 };
  const oddsRatio = c > 0 && b > 0 ? (a * d) / (c * b) : Infinity;
  const n1 = a + b;
  const n2 = c + d;
  const n = a + c;
  const total = n1 + n2;
  const lo = Math.max(0, n - n2);
  const hi = Math.min(n, n1);
  const pmf = (x: number) => hypergeometricPmf(x, total, n1, n);
  // pmf(x + 1) / pmf(x) and pmf(x - 1) / pmf(x).
  const up = (x: number) => ((n1 - x) * (n - x)) / ((x + 1) * (n2 - n + x + 1));
  const down = (x: number) => (x * (n2 - n + x)) / ((n1 - x + 1) * (n - x + 1));
  const mode = Math.floor(((n + 1) * (n1 + 1)) / (total + 2));
  const pexact = pmf(a);
  const pmode = pmf(mode);
  const epsilon = 1e-14;
  const gamma = 1 + epsilon;
  if (Math.abs(pexact - pmode) / Math.max(pexact, pmode) <= epsilon) return { oddsRatio, pValue: 1 };
  let p: number;
  if (a < mode) {
    const lower = tailSum(a, -1, lo, hi, pexact, down);
    if (pmf(n) > pexact * gamma) return { oddsRatio, pValue: Math.min(1, lower) };
    const guess = searchAscending((x) => -pmf(x), -pexact * gamma, mode, n);
    p = lower + (guess + 1 <= hi ? tailSum(guess + 1, 1, lo, hi, pmf(guess + 1), up) : 0);
  } else {
    const upper = tailSum(a, 1, lo, hi, pexact, up);
    if (pmf(0) > pexact * gamma) return { oddsRatio, pValue: Math.min(1, upper) };
    const guess = searchAscending(pmf, pexact * gamma, 0, mode);
    p = upper + (guess >= lo ? tailSum(guess, -1, lo, hi, pmf(guess), down) : 0);
  }
  return { oddsRatio, pValue: Math.min(1, p) };
}

/** The result of {@link binomialTest}. */
export interface BinomialTestResult {
  /** k / n. */
  readonly proportion: number;
  /** Two-sided p-value (SciPy's `binomtest`). */
  readonly pValue: number;
}

/**
 * The exact two-sided binomial test that k successes in n trials have probability p: SciPy's
 * `binomtest` (and R's `binom.test`), whose p-value sums the probabilities of every count no
 * more likely than k (relative tolerance 1e-7).
 */
export function binomialTest(k: number, n: number, p: number): BinomialTestResult {
  requireCount("k", k);
  requireCount("n", n);
  if (n === 0) throw new StatsError("stats/empty-sample", "'n' is 0", "a binomial test needs at least one trial");
  if (k > n) throw new StatsError("stats/invalid-argument", `'k' is ${k}, more than 'n' (${n})`);
  if (!(p >= 0 && p <= 1)) throw new StatsError("stats/invalid-argument", `'p' is ${p}, not a probability in [0, 1]`);
  const proportion = k / n;
  const q = 1 - p;
  const pmf = (x: number) => binomialPmfRaw(x, n, p, q);
  const up = (x: number) => ((n - x) / (x + 1)) * (p / q);
  const down = (x: number) => (x / (n - x + 1)) * (q / p);
  const d = pmf(k);
  const rerr = 1 + 1e-7;
  if (k === p * n) return { proportion, pValue: 1 };
  let pval: number;
  if (k < p * n) {
    const lower = tailSum(k, -1, 0, n, d, down);
    const ix = searchAscending((x) => -pmf(x), -d * rerr, Math.ceil(p * n), n);
    const y = n - ix + (d * rerr === pmf(ix) ? 1 : 0);
    const from = n - y + 1;
    pval = lower + (from <= n ? tailSum(from, 1, 0, n, pmf(from), up) : 0);
  } else {
    const upper = tailSum(k, 1, 0, n, d, up);
    const ix = searchAscending(pmf, d * rerr, 0, Math.floor(p * n));
    const y = ix + 1;
    pval = upper + (y - 1 >= 0 ? tailSum(y - 1, -1, 0, n, pmf(y - 1), down) : 0);
  }
  return { proportion, pValue: Math.min(1, pval) };
}

/** The result of {@link poissonRateTest}. */
export interface PoissonRateResult {
  /** The rate ratio (x1 / t1) / (x2 / t2); null when x2 is 0. */
  readonly rateRatio: number | null;
  /** Two-sided p-value. */
  readonly pValue: number;
}

/**
 * The exact test that two Poisson counts, x1 over exposure t1 and x2 over t2, share one rate:
 * conditional on the total, x1 is binomial with p = t1 / (t1 + t2) (R's two-sample
 * `poisson.test`). Fit for rare events (a rule that fires a handful of times a day), where the
 * exposure is the number of decisions.
 */
export function poissonRateTest(x1: number, t1: number, x2: number, t2: number): PoissonRateResult {
  requireCount("x1", x1);
  requireCount("x2", x2);
  if (!(t1 > 0) || !(t2 > 0) || !Number.isFinite(t1) || !Number.isFinite(t2)) throw new StatsError("stats/invalid-argument", "exposures 't1' and 't2' must be positive and finite");
  const rateRatio = x2 > 0 ? x1 / t1 / (x2 / t2) : null;
  if (x1 + x2 === 0) return { rateRatio, pValue: 1 };
  return { rateRatio, pValue: binomialTest(x1, x1 + x2, t1 / (t1 + t2)).pValue };
}
