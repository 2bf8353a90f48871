// Calibration: how much more a metric moves between windows of the reference than independent
// decisions would. Decisions of one session move together (a session about billing calls the
// billing tools; a flaky backend fails a whole session's calls), and traffic changes with the
// hour; tests that treat decisions as independent then see "drift" in unchanged traffic.
//
// In the spirit of NannyML's chunking, the reference is cut into chunks as wide as the window
// later compared (sliding by an hour when the window is wider), and each chunk is tested against
// the rest of the reference with the very statistic the drift run uses. Without drift and with
// independent decisions, each statistic averages its null mean (the degrees of freedom for a
// chi-square, 1 for a rate's squared z, π²/12 for KS's n D²); the ratio of the observed mean to
// that is the metric's dispersion φ (at least 1). The drift run then divides chi-square
// statistics by φ, counts and sample sizes by φ (Rao and Scott's first-order correction for
// clustered samples, with φ measured instead of modelled).
import { emptyAggregate, mergeAggregates } from "./aggregate.ts";
import type { Aggregate } from "./aggregate.ts";
import { KS_NULL_MEAN, pooledChiSquare } from "./comparisons.ts";
import { concreteMetrics, metricFamily, metricKind, metricValue } from "./metrics.ts";
import { seededRandom } from "./random.ts";
import { ksStatisticSorted } from "./stats/ks.ts";
import { sortedValues } from "./sample.ts";
import type { BucketRecord } from "./store.ts";

/** One window width's calibration. */
export interface Calibration {
  /** The window width it applies to, ms. */
  readonly windowMs: number;
  /** Chunks measured (they overlap when the window is wider than an hour). */
  readonly chunks: number;
  /** Dispersion by metric, at least 1; a metric with too few usable chunks is absent. */
  readonly dispersion: Readonly<Record<string, number>>;
}

/** Fewer usable chunks than this: the metric stays uncalibrated (φ = 1, said in the report). */
export const MIN_CHUNKS = 12;
/** A chunk with fewer observations of a metric does not count for it. */
export const MIN_CHUNK_N = 20;
/** Chunks slide by an hour, or by a quarter of the window when it is wider (a day's window: every 6 h). */
export const CHUNK_STRIDE_MS = 3_600_000;
/** Values kept per numeric metric in a chunk and in the whole: the window sample's cap. */
const CAP = 20_000;

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** A chunk's counts against the rest of the reference, as the drift run would test them. */
function categoricalRatios(chunks: readonly Aggregate[], whole: Aggregate, metric: string): number[] {
  const w = metricValue(whole, metric);
  if (w.kind !== "categorical") return [];
  const labels = [...w.counts.keys()];
  const ratios: number[] = [];
  for (const chunk of chunks) {
    const c = metricValue(chunk, metric);
    if (c.kind !== "categorical" || c.n < MIN_CHUNK_N || c.n >= w.n) continue;
    const cur = labels.map((l) => c.counts.get(l) ?? 0);
    const rest = labels.map((l, i) => (w.counts.get(l) ?? 0) - cur[i]);
    const t = pooledChiSquare(rest, cur);
    if (t.dof > 0) ratios.push(t.statistic / t.dof);
  }
  return ratios;
}

/** Pearson's dispersion of a rate across chunks: Σ (x - n p)² / (n p q), over K - 1. */
function proportionDispersion(chunks: readonly Aggregate[], metric: string): { phi: number; chunks: number } | undefined {
  const xs: number[] = [];
  const ns: number[] = [];
  for (const chunk of chunks) {
    const v = metricValue(chunk, metric);
    if (v.kind !== "proportion" || v.n < MIN_CHUNK_N) continue;
    xs.push(v.x);
    ns.push(v.n);
  }
  if (xs.length < MIN_CHUNKS) return undefined;
  const p = xs.reduce((a, b) => a + b, 0) / ns.reduce((a, b) => a + b, 0);
  if (!(p > 0 && p < 1)) return undefined;
  let s = 0;
  for (let k = 0; k < xs.length; k++) s += (xs[k] - ns[k] * p) ** 2 / (ns[k] * p * (1 - p));
  return { phi: s / (xs.length - 1), chunks: xs.length };
}

/** n D² of each chunk's sample against the whole reference's, leave-one-out corrected, over E[K²]. */
function numericRatios(chunks: readonly Aggregate[], whole: Aggregate, metric: string): number[] {
  const w = whole.numeric.get(metric);
  if (w === undefined || w.values.length < MIN_CHUNK_N) return [];
  const sortedWhole = sortedValues(w);
  const m = sortedWhole.length;
  const ratios: number[] = [];
  for (const chunk of chunks) {
    const s = chunk.numeric.get(metric);
    if (s === undefined || s.values.length < MIN_CHUNK_N) continue;
    const f = s.count / w.count;
    if (!(f < 1)) continue;
    // The whole's distribution is f F_chunk + (1 - f) F_rest, so D(chunk, rest) = D(chunk, whole) / (1 - f).
    const d = ksStatisticSorted(sortedValues(s), sortedWhole) / (1 - f);
    const n = s.values.length;
    ratios.push(((n * m) / (n + m)) * d * d / KS_NULL_MEAN);
  }
  return ratios;
}

/**
 * Calibrates `windowMs` windows on the buckets of a reference range [from, to): chunks of that
 * width sliding by min(width, 1 h), each tested against the rest.
 */
export function calibrate(buckets: readonly BucketRecord[], from: number, to: number, windowMs: number): Calibration {
  const unit = Math.min(windowMs, CHUNK_STRIDE_MS);
  const per = Math.max(1, Math.round(windowMs / unit));
  const step = Math.max(1, Math.round(per / 4));
  const unitCount = Math.max(0, Math.ceil((to - from) / unit));
  const parts: Aggregate[][] = Array.from({ length: unitCount }, () => []);
  for (const b of buckets) {
    const u = Math.floor((b.start - from) / unit);
    if (u >= 0 && u < unitCount) parts[u].push(b.aggregate);
  }
  const rand = seededRandom(0xca11b);
  const units = parts.map((p) => (p.length === 0 ? emptyAggregate() : p.length === 1 ? p[0] : mergeAggregates(p, CAP, rand)));
  const chunks: Aggregate[] = [];
  // Empty hours stay chunks: each metric skips the chunks where it has too few observations.
  for (let u = 0; u + per <= units.length; u += step) chunks.push(per === 1 ? units[u] : mergeAggregates(units.slice(u, u + per), CAP, rand));
  const whole = mergeAggregates(units, CAP, rand);
  const dispersion: Record<string, number> = {};
  for (const metric of concreteMetrics(whole)) {
    const kind = metricKind(metric);
    let phi: number | undefined;
    if (kind === "proportion") phi = proportionDispersion(chunks, metric)?.phi;
    else {
      const ratios = kind === "categorical" ? categoricalRatios(chunks, whole, metric) : numericRatios(chunks, whole, metric);
      if (ratios.length >= MIN_CHUNKS) phi = mean(ratios);
    }
    if (phi !== undefined && Number.isFinite(phi)) dispersion[metric] = Math.max(1, phi);
  }
  return { windowMs, chunks: chunks.length, dispersion };
}

/** The dispersion `metric` gets from `c`: its own, else its family's, else 1 (uncalibrated). */
export function dispersionOf(c: Calibration | undefined, metric: string): { phi: number; calibrated: boolean } {
  if (c === undefined) return { phi: 1, calibrated: false };
  const own = c.dispersion[metric];
  if (own !== undefined) return { phi: own, calibrated: true };
  const family = metricFamily(metric);
  const fam = family === undefined ? undefined : c.dispersion[family];
  if (fam !== undefined) return { phi: fam, calibrated: true };
  return { phi: 1, calibrated: false };
}
