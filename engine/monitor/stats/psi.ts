// Population Stability Index over binned proportions, with the vectors' conventions: bins are
// fixed by the reference, proportions exactly 0 become epsilon (no renormalisation), and the
// terms are summed left to right. Also the reference-quantile binning PSI is usually run on.
import { StatsError } from "./errors.ts";
import { npSum } from "./sum.ts";
import { sortedCopy } from "./sort.ts";
import { requireFinite, requireNonNegative, requirePositiveTotal, requireSameLength, requireSample } from "./validate.ts";

/** The default replacement for an empty bin's proportion. */
export const PSI_EPSILON = 1e-4;

/** Options of {@link psi}. */
export interface PsiOptions {
  /** Replaces a proportion exactly equal to 0; default 1e-4. */
  readonly epsilon?: number;
}

/** The result of {@link psi}. */
export interface PsiResult {
  /** sum((a_i - e_i) ln(a_i / e_i)); 0 when nothing moved. Rule of thumb: < 0.1 stable, > 0.25 shifted. */
  readonly psi: number;
  /** Reference (expected) proportions after the epsilon rule. */
  readonly expected: number[];
  /** Current (actual) proportions after the epsilon rule. */
  readonly actual: number[];
  /** Each bin's term of the sum. */
  readonly contributions: number[];
}

/** Proportions of a count vector; entries exactly 0 replaced by `epsilon`. */
function proportions(name: string, counts: readonly number[], epsilon: number): number[] {
  const total = npSum(counts);
  requirePositiveTotal(name, total);
  return counts.map((c) => (c / total === 0 ? epsilon : c / total));
}

/**
 * PSI of `actual` (current) bin counts against `expected` (reference) bin counts over the same
 * bins. Counts need not be integers (weights are fine).
 */
export function psi(expected: readonly number[], actual: readonly number[], options: PsiOptions = {}): PsiResult {
  requireNonNegative("expected", expected);
  requireNonNegative("actual", actual);
  requireSameLength("expected", expected, "actual", actual);
  const epsilon = options.epsilon ?? PSI_EPSILON;
  requireFinite("epsilon", epsilon);
  if (!(epsilon > 0)) throw new StatsError("stats/invalid-argument", `'epsilon' is ${epsilon}; it must be positive`, "use a small value such as 1e-4");
  const e = proportions("expected", expected, epsilon);
  const a = proportions("actual", actual, epsilon);
  const contributions = e.map((ei, i) => (a[i] - ei) * Math.log(a[i] / ei));
  let total = 0;
  for (const c of contributions) total += c;
  return { psi: total, expected: e, actual: a, contributions };
}

/**
 * Inner bin edges at the reference's quantiles 1/bins .. (bins-1)/bins, by NumPy's default
 * 'linear' quantile (type 7). Repeated edges are kept, so bins can be empty.
 */
export function quantileEdges(reference: ArrayLike<number>, bins: number): number[] {
  requireSample("reference", reference);
  return quantileEdgesSorted(sortedCopy(reference), bins);
}

/** {@link quantileEdges} of a sample already sorted ascending. */
export function quantileEdgesSorted(sorted: Float64Array, bins: number): number[] {
  if (!Number.isInteger(bins) || bins < 2) throw new StatsError("stats/invalid-argument", `'bins' is ${bins}; it must be a whole number of at least 2`);
  const n = sorted.length;
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const q = k / bins;
    const index = (n - 1) * q;
    const lo = Math.floor(index);
    const hi = Math.min(lo + 1, n - 1);
    const t = index - lo;
    const a = sorted[lo];
    const b = sorted[hi];
    const diff = b - a;
    // NumPy's _lerp: interpolate from the nearer end so that t = 1 gives b exactly.
    edges.push(t >= 0.5 ? b - diff * (1 - t) : a + diff * t);
  }
  return edges;
}

/**
 * Counts of `values` per bin for ascending inner edges e_1..e_{k-1}: bin i holds
 * e_{i} <= x < e_{i+1} with e_0 = -inf and e_k = +inf (searchsorted side='right').
 */
export function binCounts(values: ArrayLike<number>, innerEdges: readonly number[]): number[] {
  requireSample("values", values);
  for (let i = 0; i < innerEdges.length; i++) {
    requireFinite(`innerEdges[${i}]`, innerEdges[i]);
    if (i > 0 && innerEdges[i] < innerEdges[i - 1]) throw new StatsError("stats/invalid-argument", "'innerEdges' must be in ascending order");
  }
  const counts = new Array<number>(innerEdges.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    let lo = 0;
    let hi = innerEdges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (innerEdges[mid] <= x) lo = mid + 1;
      else hi = mid;
    }
    counts[lo]++;
  }
  return counts;
}

