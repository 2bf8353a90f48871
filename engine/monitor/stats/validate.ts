// Input checks shared by every statistic. Each throws a StatsError naming the argument, so a
// monitor misconfigured with an empty window fails loudly rather than reporting p = NaN.
import { StatsError } from "./errors.ts";

/** Throws unless `xs` is non-empty and every value is a finite number. */
export function requireSample(name: string, xs: ArrayLike<number>): void {
  if (xs.length === 0) throw new StatsError("stats/empty-sample", `'${name}' is empty`, "a test needs at least one observation on each side");
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (typeof x !== "number" || !Number.isFinite(x)) {
      throw new StatsError("stats/not-finite", `'${name}[${i}]' is ${String(x)}, not a finite number`);
    }
  }
}

/** Throws unless `xs` is a non-empty sample of non-negative finite values. */
export function requireNonNegative(name: string, xs: readonly number[]): void {
  requireSample(name, xs);
  for (let i = 0; i < xs.length; i++) {
    if (xs[i] < 0) throw new StatsError("stats/negative-value", `'${name}[${i}]' is ${xs[i]}, a count or weight cannot be negative`);
  }
}

/** Throws unless the two arrays have the same length. */
export function requireSameLength(a: string, xs: readonly unknown[], b: string, ys: readonly unknown[]): void {
  if (xs.length !== ys.length) {
    throw new StatsError("stats/length-mismatch", `'${a}' has ${xs.length} values but '${b}' has ${ys.length}`, "give one value per category on both sides");
  }
}

/** Throws unless `x` is a finite number. */
export function requireFinite(name: string, x: number): void {
  if (typeof x !== "number" || !Number.isFinite(x)) throw new StatsError("stats/not-finite", `'${name}' is ${String(x)}, not a finite number`);
}

/** Throws unless `x` is a non-negative integer. */
export function requireCount(name: string, x: number): void {
  requireFinite(name, x);
  if (x < 0 || !Number.isInteger(x)) throw new StatsError("stats/invalid-argument", `'${name}' is ${x}, not a non-negative whole number`);
}

/** Sum of a non-negative sample that must not be zero. */
export function requirePositiveTotal(name: string, total: number): void {
  if (!(total > 0)) throw new StatsError("stats/zero-total", `'${name}' sums to 0`, "a distribution needs at least one observation");
}
