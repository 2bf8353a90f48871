// Small terminal charts for the drift report: sparklines to compare two distributions at a
// glance on one line, and horizontal bars (eighth-block resolution) for a drifted metric.

const SPARKS = "▁▂▃▄▅▆▇█";
const EIGHTHS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

/**
 * One character per value, scaled to `max` (default: the largest value), so two sparklines
 * drawn with the same `max` compare by height.
 */
export function sparkline(values: readonly number[], max = Math.max(0, ...values)): string {
  if (values.length === 0) return "";
  return values
    .map((v) => {
      if (!(max > 0) || !(v > 0)) return " ";
      const level = Math.min(SPARKS.length - 1, Math.floor((v / max) * (SPARKS.length - 1) + 0.5));
      return SPARKS[level];
    })
    .join("");
}

/** A bar of `fraction` of `width` cells, in eighths, padded to `width`. */
export function bar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const eighths = Math.round(f * width * 8);
  const full = Math.floor(eighths / 8);
  const text = "█".repeat(full) + EIGHTHS[eighths % 8];
  return text.padEnd(width, " ");
}

/** Shortens `text` to `width` characters with an ellipsis. */
export function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** Side-by-side bars, one row per label: reference share, then current share, both scaled to the largest. */
export function barRows(labels: readonly string[], reference: readonly number[], current: readonly number[], options: { readonly width?: number; readonly rows?: number; readonly labelWidth?: number } = {}): string[] {
  const width = options.width ?? 20;
  const rows = options.rows ?? 8;
  const lw = options.labelWidth ?? 18;
  const max = Math.max(0, ...reference, ...current);
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(6);
  const out: string[] = [];
  const n = Math.min(labels.length, rows);
  for (let i = 0; i < n; i++) {
    out.push(`${clip(labels[i], lw).padEnd(lw)} baseline ${bar(max > 0 ? reference[i] / max : 0, width)} ${pct(reference[i])}   now ${bar(max > 0 ? current[i] / max : 0, width)} ${pct(current[i])}`);
  }
  if (labels.length > n) {
    const rest = (xs: readonly number[]) => xs.slice(n).reduce((a, b) => a + b, 0);
    out.push(`${`(${labels.length - n} more)`.padEnd(lw)} baseline ${bar(max > 0 ? rest(reference) / max : 0, width)} ${pct(rest(reference))}   now ${bar(max > 0 ? rest(current) / max : 0, width)} ${pct(rest(current))}`);
  }
  return out;
}
