// Several runs of a benchmark suite folded into one result: each number is the median of its runs,
// and `spread` holds each number's [lowest, highest] at the same place, so that a figure quoted
// from bench/results comes with how much it moved (this machine's run-to-run spread reaches 2x).
// Values that are not numbers (labels, versions) are taken from the first run.

/** A suite's figures: numbers, labels, and nested objects of them. */
export type Figures = { readonly [k: string]: unknown };

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const isObject = (v: unknown): v is Figures => typeof v === "object" && v !== null && !Array.isArray(v);

/** Rounds like the suites do: whole numbers stay whole, others keep four significant digits. */
function tidy(x: number): number {
  return Number.isInteger(x) || !Number.isFinite(x) ? x : Number(x.toPrecision(4));
}

/** The median of each number over `runs` (same shape as the first run), and each number's [min, max]. */
export function foldRuns(runs: readonly Figures[]): { figures: Figures; spread: Figures } {
  if (runs.length === 0) throw new Error("foldRuns: no runs");
  const fold = (values: readonly unknown[]): { value: unknown; spread: unknown } => {
    const first = values[0];
    if (typeof first === "number") {
      const nums = values.filter((v): v is number => typeof v === "number");
      return { value: tidy(median(nums)), spread: [Math.min(...nums), Math.max(...nums)] };
    }
    if (isObject(first)) {
      const value: Record<string, unknown> = {};
      const spread: Record<string, unknown> = {};
      for (const k of Object.keys(first)) {
        const f = fold(values.map((v) => (isObject(v) ? v[k] : undefined)));
        value[k] = f.value;
        if (f.spread !== undefined) spread[k] = f.spread;
      }
      return { value, spread: Object.keys(spread).length > 0 ? spread : undefined };
    }
    return { value: first, spread: undefined };
  };
  const f = fold(runs);
  return { figures: f.value as Figures, spread: (f.spread ?? {}) as Figures };
}
