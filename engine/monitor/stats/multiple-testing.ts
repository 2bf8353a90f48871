// Benjamini–Hochberg false discovery rate control, for a drift run that tests many metrics at
// once: without it, twenty independent tests at alpha = 0.05 raise a false alarm most runs.
import { StatsError } from "./errors.ts";
import { requireSample } from "./validate.ts";

/** The result of {@link benjaminiHochberg}. */
export interface BenjaminiHochbergResult {
  /** Adjusted p-values (q-values) in the input order: min over j >= rank of p_(j) m / j, clipped to 1. */
  readonly adjusted: number[];
  /** Which hypotheses are rejected at the false discovery rate `alpha` (adjusted <= alpha). */
  readonly rejected: boolean[];
}

/**
 * Benjamini–Hochberg adjustment of `pValues` (scipy.stats.false_discovery_control with
 * method='bh'), and the rejections at false discovery rate `alpha` (default 0.05).
 */
export function benjaminiHochberg(pValues: readonly number[], alpha = 0.05): BenjaminiHochbergResult {
  requireSample("pValues", pValues);
  pValues.forEach((p, i) => {
    if (p < 0 || p > 1) throw new StatsError("stats/invalid-argument", `'pValues[${i}]' is ${p}, not a probability`);
  });
  if (!(alpha > 0 && alpha < 1)) throw new StatsError("stats/invalid-argument", `'alpha' is ${String(alpha)}; it must lie between 0 and 1`);
  const m = pValues.length;
  // A stable sort keeps tied p-values in input order, as NumPy's argsort does for equal keys in practice.
  const order = Array.from(pValues.keys()).sort((i, j) => pValues[i] - pValues[j] || i - j);
  const scaled = order.map((idx, k) => pValues[idx] * (m / (k + 1)));
  for (let k = m - 2; k >= 0; k--) if (scaled[k + 1] < scaled[k]) scaled[k] = scaled[k + 1];
  const adjusted = new Array<number>(m);
  order.forEach((idx, k) => {
    adjusted[idx] = Math.min(1, Math.max(0, scaled[k]));
  });
  return { adjusted, rejected: adjusted.map((q) => q <= alpha) };
}
