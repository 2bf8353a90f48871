// Comparing computed values with a vector's expected ones, collecting readable got/want lines.

/** A tolerance: a value passes when |got - want| <= max(abs, rel * |want|). */
export interface Tolerance {
  readonly rel: number;
  readonly abs: number;
}

/** Closed-form results (statistics, distances, proportions): rel 1e-12 or abs 1e-14. */
export const CLOSED_FORM: Tolerance = { rel: 1e-12, abs: 1e-14 };
/** P-values through special functions (and KS exact p-values): rel 1e-9, abs 1e-15 near 0. */
export const P_VALUE: Tolerance = { rel: 1e-9, abs: 1e-15 };
/** Exact equality. */
export const EXACT: Tolerance = { rel: 0, abs: 0 };

/** Whether `got` is within `tol` of `want`; infinities must match exactly. */
export function within(got: number, want: number, tol: Tolerance): boolean {
  if (got === want) return true;
  if (!Number.isFinite(got) || !Number.isFinite(want)) return false;
  return Math.abs(got - want) <= Math.max(tol.abs, tol.rel * Math.abs(want));
}

/** Collects mismatches of one case. */
export class Checker {
  /** One line per mismatch. */
  readonly failures: string[] = [];

  /** Compares numbers, nested number arrays, booleans, strings and null. */
  check(field: string, got: unknown, want: unknown, tol: Tolerance = CLOSED_FORM): void {
    const problem = compare(got, want, tol);
    if (problem !== undefined) this.failures.push(`${field}: ${problem}`);
  }

  /** Records a failure that is not a value comparison. */
  fail(message: string): void {
    this.failures.push(message);
  }
}

function show(v: unknown): string {
  return typeof v === "number" ? String(v) : JSON.stringify(v);
}

function compare(got: unknown, want: unknown, tol: Tolerance): string | undefined {
  if (typeof want === "number") {
    if (typeof got !== "number") return `got ${show(got)}, want ${show(want)}`;
    if (within(got, want, tol)) return undefined;
    const rel = want !== 0 ? ` (rel ${(Math.abs(got - want) / Math.abs(want)).toExponential(2)})` : "";
    return `got ${show(got)}, want ${show(want)}${rel}`;
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(got)) return `got ${show(got)}, want an array`;
    if (got.length !== want.length) return `got ${got.length} values, want ${want.length}`;
    for (let i = 0; i < want.length; i++) {
      const p = compare(got[i], want[i], tol);
      if (p !== undefined) return `[${i}] ${p}`;
    }
    return undefined;
  }
  return got === want ? undefined : `got ${show(got)}, want ${show(want)}`;
}
