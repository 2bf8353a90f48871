// Chi-square tests on category counts: homogeneity of a 2×K table (reference row, current row),
// as scipy.stats.chi2_contingency computes it, and the goodness of fit that Evidently runs
// (current counts against reference proportions scaled to the current total).
import { chiSquareSf } from "./special.ts";
import { npSum } from "./sum.ts";
import { requireNonNegative, requirePositiveTotal, requireSameLength } from "./validate.ts";

/** Options of {@link chiSquareHomogeneity}. */
export interface ChiSquareHomogeneityOptions {
  /** Yates' continuity correction, applied only when dof = 1; default true, as in SciPy. */
  readonly correction?: boolean;
}

/** The result of {@link chiSquareHomogeneity}. */
export interface ChiSquareHomogeneityResult {
  /** Pearson's chi-square statistic (after Yates' correction when applied). */
  readonly statistic: number;
  /** Upper-tail p-value of the chi-square distribution with `dof` degrees of freedom. */
  readonly pValue: number;
  /** Degrees of freedom, K - 1 for the K categories kept. */
  readonly dof: number;
  /** Expected counts under homogeneity, [reference row, current row], over the kept categories. */
  readonly expected: [number[], number[]];
  /** The smallest expected count: below 5 the chi-square approximation is poor. */
  readonly minExpected: number;
  /** Whether Yates' correction changed the counts. */
  readonly yatesApplied: boolean;
  /** Indices of the input categories kept: those with a non-zero count on either side. */
  readonly kept: number[];
}

/** The result of {@link chiSquareGoodnessOfFit}. */
export interface ChiSquareGoodnessOfFitResult {
  /** Pearson's statistic; Infinity when a category absent from the reference appears in the current window. */
  readonly statistic: number;
  /** Upper-tail p-value with `dof` degrees of freedom. */
  readonly pValue: number;
  /** Degrees of freedom, K - 1 for the K categories kept. */
  readonly dof: number;
  /** Expected current counts: reference counts times sum(current) / sum(reference). */
  readonly expected: number[];
  /** Indices of the input categories kept: those with a non-zero count on either side. */
  readonly kept: number[];
}

/** Indices of categories with a non-zero count on either side. */
function keptCategories(ref: readonly number[], cur: readonly number[]): number[] {
  const kept: number[] = [];
  for (let i = 0; i < ref.length; i++) if (ref[i] !== 0 || cur[i] !== 0) kept.push(i);
  return kept;
}

/**
 * Chi-square test of homogeneity between `reference` and `current` category counts (the 2×K
 * table of scipy.stats.chi2_contingency). Categories empty on both sides are dropped first:
 * SciPy rejects a zero expected count, and such a category carries no information. With one
 * category left the test is degenerate: statistic 0, p-value 1.
 */
export function chiSquareHomogeneity(
  reference: readonly number[],
  current: readonly number[],
  options: ChiSquareHomogeneityOptions = {},
): ChiSquareHomogeneityResult {
  requireNonNegative("reference", reference);
  requireNonNegative("current", current);
  requireSameLength("reference", reference, "current", current);
  const kept = keptCategories(reference, current);
  const obs = [kept.map((i) => reference[i]), kept.map((i) => current[i])];
  const rowSums = [npSum(obs[0]), npSum(obs[1])];
  requirePositiveTotal("reference", rowSums[0]);
  requirePositiveTotal("current", rowSums[1]);
  const k = kept.length;
  const colSums = kept.map((_, j) => obs[0][j] + obs[1][j]);
  const total = npSum([...obs[0], ...obs[1]]);
  const expected: [number[], number[]] = [
    colSums.map((c) => (rowSums[0] * c) / total),
    colSums.map((c) => (rowSums[1] * c) / total),
  ];
  const minExpected = expected[0].concat(expected[1]).reduce((m, e) => (e < m ? e : m), Infinity);
  const dof = k - 1;
  if (dof === 0) return { statistic: 0, pValue: 1, dof, expected, minExpected, yatesApplied: false, kept };
  const yates = (options.correction ?? true) && dof === 1;
  const terms: number[] = [];
  for (let r = 0; r < 2; r++) {
    for (let j = 0; j < k; j++) {
      let o = obs[r][j];
      const e = expected[r][j];
      if (yates) {
        // Move each count toward its expectation by 0.5, but never past it.
        const diff = e - o;
        o += Math.min(0.5, Math.abs(diff)) * Math.sign(diff);
      }
      terms.push(((o - e) * (o - e)) / e);
    }
  }
  const statistic = npSum(terms);
  return { statistic, pValue: chiSquareSf(statistic, dof), dof, expected, minExpected, yatesApplied: yates, kept };
}

/**
 * Evidently's chi-square drift test: scipy.stats.chisquare of the current counts against the
 * reference counts rescaled to the current total, so reference proportions are taken as known.
 * Categories empty on both sides are dropped; a category empty in the reference but present in
 * the current window makes the statistic infinite and the p-value 0, as in SciPy.
 */
export function chiSquareGoodnessOfFit(reference: readonly number[], current: readonly number[]): ChiSquareGoodnessOfFitResult {
  requireNonNegative("reference", reference);
  requireNonNegative("current", current);
  requireSameLength("reference", reference, "current", current);
  const refTotal = npSum(reference);
  const curTotal = npSum(current);
  requirePositiveTotal("reference", refTotal);
  requirePositiveTotal("current", curTotal);
  const kept = keptCategories(reference, current);
  const scale = curTotal / refTotal;
  const expected = kept.map((i) => reference[i] * scale);
  const terms = kept.map((i, j) => {
    const d = current[i] - expected[j];
    return (d * d) / expected[j];
  });
  const dof = kept.length - 1;
  const statistic = npSum(terms);
  if (dof === 0) return { statistic: 0, pValue: 1, dof, expected, kept };
  const pValue = statistic === Infinity ? 0 : chiSquareSf(statistic, dof);
  return { statistic, pValue, dof, expected, kept };
}
