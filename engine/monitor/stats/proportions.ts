// Pooled two-proportion z-test: did a rate (escalations, denials, refusals) move between the
// reference and the current window?
import { StatsError } from "./errors.ts";
import { normalSf } from "./special.ts";
import { requireCount } from "./validate.ts";

/** The result of {@link twoProportionZ}. */
export interface TwoProportionResult {
  /** z = (p1 - p2) / se_pooled; null when the standard error is 0 (both rates 0, or both 1). */
  readonly statistic: number | null;
  /** Two-sided p-value 2 * sf(|z|), from the normal tail directly (no 1 - cdf underflow); 1 when z is null. */
  readonly pValue: number;
  /** x1 / n1. */
  readonly p1: number;
  /** x2 / n2. */
  readonly p2: number;
  /** (x1 + x2) / (n1 + n2). */
  readonly pooled: number;
  /** sqrt(P (1 - P) (1/n1 + 1/n2)). */
  readonly standardError: number;
  /** The unpooled z, (p1 - p2) / sqrt(p1 q1 / n1 + p2 q2 / n2); null when its standard error is 0. */
  readonly unpooledStatistic: number | null;
}

/**
 * Two-sided pooled z-test that x1 of n1 (reference) and x2 of n2 (current) share one rate.
 * When the pooled standard error is 0 the test is undefined; by convention it reports z = null
 * and p = 1 (no drift), as Evidently does when both samples hold one value.
 */
export function twoProportionZ(x1: number, n1: number, x2: number, n2: number): TwoProportionResult {
  requireCount("x1", x1);
  requireCount("n1", n1);
  requireCount("x2", x2);
  requireCount("n2", n2);
  if (n1 === 0 || n2 === 0) throw new StatsError("stats/empty-sample", `'${n1 === 0 ? "n1" : "n2"}' is 0`, "each side needs at least one trial");
  if (x1 > n1) throw new StatsError("stats/invalid-argument", `'x1' is ${x1}, more than 'n1' (${n1})`);
  if (x2 > n2) throw new StatsError("stats/invalid-argument", `'x2' is ${x2}, more than 'n2' (${n2})`);
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const pooled = (x1 + x2) / (n1 + n2);
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  const unpooledSe = Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2);
  const unpooledStatistic = unpooledSe > 0 ? (p1 - p2) / unpooledSe : null;
  if (!(standardError > 0)) return { statistic: null, pValue: 1, p1, p2, pooled, standardError, unpooledStatistic };
  const z = (p1 - p2) / standardError;
  return { statistic: z, pValue: Math.min(1, 2 * normalSf(Math.abs(z))), p1, p2, pooled, standardError, unpooledStatistic };
}
