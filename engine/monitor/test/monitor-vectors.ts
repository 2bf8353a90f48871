// The monitor's own SciPy vectors (engine/monitor/test/vectors/, made by generate.py there):
// the exact tests and the calibrated tests, beside the shared drift-stats vectors.
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** A number as the vectors write it: "inf"/"-inf" for infinities, null for NaN. */
export type VNum = number | "inf" | "-inf" | null;

/** Reads a vector number back. */
export function num(v: VNum): number | null {
  return v === "inf" ? Infinity : v === "-inf" ? -Infinity : v;
}

/** The parsed vector file. */
export const vectors = JSON.parse(readFileSync(join(import.meta.dirname, "vectors", "monitor-stats.json"), "utf8")) as {
  readonly environment: { readonly scipy: string };
  readonly fisher_exact: readonly { readonly table: [[number, number], [number, number]]; readonly odds_ratio: VNum; readonly p: VNum }[];
  readonly binomtest: readonly { readonly k: number; readonly n: number; readonly p: number; readonly pvalue: VNum }[];
  readonly pmf: readonly ({ readonly dist: "binom"; readonly x: number; readonly n: number; readonly p: number; readonly pmf: number } | { readonly dist: "hypergeom"; readonly x: number; readonly total: number; readonly marked: number; readonly draws: number; readonly pmf: number })[];
  readonly poisson: readonly { readonly x1: number; readonly t1: number; readonly x2: number; readonly t2: number; readonly pvalue: VNum }[];
  readonly dispersion: readonly ({ readonly kind: "categorical"; readonly chunks: readonly number[][]; readonly phi: number } | { readonly kind: "proportion"; readonly x: readonly number[]; readonly n: readonly number[]; readonly phi: number })[];
  readonly corrected: readonly (
    | { readonly test: "chi2"; readonly reference: readonly number[]; readonly current: readonly number[]; readonly phi: number; readonly pvalue: VNum }
    | { readonly test: "z" | "fisher"; readonly x1: number; readonly n1: number; readonly x2: number; readonly n2: number; readonly phi: number; readonly pvalue: VNum }
    | { readonly test: "ks"; readonly reference: readonly number[]; readonly current: readonly number[]; readonly phi: number; readonly pvalue: VNum }
  )[];
};
