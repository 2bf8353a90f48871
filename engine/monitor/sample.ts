// Bounded samples of a numeric metric (latency, tokens, scores): a reservoir per time bucket,
// so that KS, PSI and Wasserstein can run on any window at a cost that does not grow with
// traffic. Merging keeps every bucket's share proportional to its count, so a busy minute
// weighs more than a quiet one, as it would in the raw events.
import type { Random } from "./random.ts";
import { sortedCopy } from "./stats/sort.ts";

/** A uniform random subset of a metric's values with exact count, sum, min and max. */
export interface Sample {
  count: number;
  sum: number;
  min: number;
  max: number;
  values: number[];
}

/** Values kept per bucket and metric unless configured otherwise. */
export const DEFAULT_SAMPLE_CAP = 512;

/** A sample of nothing. */
export function emptySample(): Sample {
  return { count: 0, sum: 0, min: Infinity, max: -Infinity, values: [] };
}

/** Adds `x` by reservoir sampling (Vitter's algorithm R): every value seen is kept with probability cap / count. */
export function addValue(s: Sample, x: number, cap: number, rand: Random): void {
  s.count++;
  s.sum += x;
  if (x < s.min) s.min = x;
  if (x > s.max) s.max = x;
  if (s.values.length < cap) s.values.push(x);
  else {
    const j = Math.floor(rand() * s.count);
    if (j < cap) s.values[j] = x;
  }
}

/**
 * One sample standing for all of `samples`, about `cap` values at most (stochastic rounding may
 * add one per part; truncating instead would bias against the last parts). Each part contributes values
 * in proportion to its count (the smallest kept fraction sets the rate, stochastic rounding
 * keeps small parts represented on average), so the result is again a uniform sample.
 */
export function mergeSamples(samples: readonly Sample[], cap: number, rand: Random): Sample {
  const out = emptySample();
  let rate = 1;
  let total = 0;
  for (const s of samples) {
    if (s.count === 0) continue;
    total += s.count;
    rate = Math.min(rate, s.values.length / s.count);
    out.count += s.count;
    out.sum += s.sum;
    if (s.min < out.min) out.min = s.min;
    if (s.max > out.max) out.max = s.max;
  }
  if (total === 0) return out;
  rate = Math.min(rate, cap / total);
  for (const s of samples) {
    if (s.count === 0) continue;
    const want = rate === 1 ? s.values.length : Math.min(s.values.length, Math.floor(s.count * rate + rand()));
    if (want === s.values.length) {
      for (const v of s.values) out.values.push(v);
      continue;
    }
    // A partial Fisher–Yates over a copy picks `want` values without replacement.
    const pool = s.values.slice();
    for (let i = 0; i < want; i++) {
      const j = i + Math.floor(rand() * (pool.length - i));
      const t = pool[i];
      pool[i] = pool[j];
      pool[j] = t;
      out.values.push(pool[i]);
    }
  }
  return out;
}

const SORTED = new WeakMap<Sample, { readonly count: number; readonly length: number; readonly sorted: Float64Array }>();

/**
 * The sample's values sorted ascending, sorted once per sample: a drift run tests one baseline
 * sample against several windows, and sorting is most of a KS test's cost. A sample that grew
 * since is sorted again.
 */
export function sortedValues(s: Sample): Float64Array {
  const hit = SORTED.get(s);
  if (hit !== undefined && hit.count === s.count && hit.length === s.values.length) return hit.sorted;
  const sorted = sortedCopy(s.values);
  SORTED.set(s, { count: s.count, length: s.values.length, sorted });
  return sorted;
}
