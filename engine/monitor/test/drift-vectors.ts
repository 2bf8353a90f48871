// Shared by the monitor suites: the drift-stats vectors by family, and closeness assertions at
// the file's suggested tolerances.
import assert from "node:assert/strict";
import { readVectors } from "../../../test/support.ts";

/** One case of `drift-stats.json`; each suite narrows `input` and `expected` to its family's shape. */
export interface DriftCase<I = unknown, E = unknown> {
  readonly id: string;
  readonly family: string;
  readonly input: I;
  readonly expected: E;
}

/** The parsed file. */
export const drift = readVectors<{ schema: string; case_count: number; cases: DriftCase[] }>("drift-stats.json");

/** The cases of one family, typed as the caller states. */
export function casesOf<I, E>(family: string): DriftCase<I, E>[] {
  return drift.cases.filter((c) => c.family === family) as DriftCase<I, E>[];
}

/** Closed-form tolerance (rel 1e-12, abs 1e-14). */
export const CLOSED = { rel: 1e-12, abs: 1e-14 };
/** P-value tolerance (rel 1e-9, abs 1e-15). */
export const PVAL = { rel: 1e-9, abs: 1e-15 };

/** Asserts |got - want| <= max(abs, rel |want|), with a got/want message. */
export function assertClose(got: number | null, want: number | null, tol: { rel: number; abs: number }, label: string): void {
  if (want === null || got === null) {
    assert.equal(got, want, label);
    return;
  }
  const ok = got === want || Math.abs(got - want) <= Math.max(tol.abs, tol.rel * Math.abs(want));
  assert.ok(ok, `${label}: got ${got}, want ${want}`);
}

/** Element-wise {@link assertClose} over (nested) arrays. */
export function assertAllClose(got: readonly unknown[], want: readonly unknown[], tol: { rel: number; abs: number }, label: string): void {
  assert.equal(got.length, want.length, `${label}: length`);
  got.forEach((g, i) => {
    if (Array.isArray(g)) assertAllClose(g, want[i] as unknown[], tol, `${label}[${i}]`);
    else assertClose(g as number, want[i] as number, tol, `${label}[${i}]`);
  });
}
