// The drift report as text for a terminal: a header, warnings, then one line per metric and
// window (verdict, metric, window, test, statistic, p and q or distance, the two distributions as
// sparklines, what moved most), bars under each drifted metric, and a footer naming the metrics
// no event carries. JSON output is the DriftReport itself.
import { barRows, clip, sparkline } from "./chart.ts";
import { P_VALUE_TESTS } from "./config.ts";
import { windowLabel } from "./drift.ts";
import type { MetricResult } from "./drift.ts";
import type { DriftReport } from "./run.ts";

/** Rendering options. */
export interface RenderOptions {
  /** ANSI colours for verdicts. */
  readonly color?: boolean;
}

const num = (x: number | null | undefined): string => {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  if (x === 0) return "0";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  const a = Math.abs(x);
  return a >= 1e4 || a < 1e-3 ? x.toExponential(2) : x.toPrecision(3);
};

function time(ms: number): string {
  return new Date(ms).toISOString().replace(/:\d\d\.\d{3}Z$/, "Z").replace("T", " ");
}

function verdictText(r: MetricResult, color: boolean): string {
  const word = r.verdict === "drift" ? "DRIFT" : r.verdict === "ok" ? "ok" : "n/a";
  const padded = word.padEnd(5);
  if (!color) return padded;
  const code = r.verdict === "drift" ? "1;31" : r.verdict === "ok" ? "32" : "2";
  return `\u001b[${code}m${padded}\u001b[0m`;
}

function measure(r: MetricResult): string {
  if (r.verdict === "insufficient" && r.statistic === null) return "";
  const phi = r.dispersion > 1 ? ` φ ${r.dispersion.toFixed(2)}` : "";
  if (P_VALUE_TESTS.has(r.test)) return `stat ${num(r.statistic).padEnd(9)} p ${num(r.pValue).padEnd(9)} q ${num(r.adjustedP).padEnd(9)} (alert q ≤ ${r.threshold}${phi})`;
  return `${r.test} ${num(r.distance).padEnd(9)} (alert ≥ ${r.threshold})`.padEnd(46);
}

/** The report as lines of text. */
export function renderReport(report: DriftReport, options: RenderOptions = {}): string {
  const color = options.color ?? false;
  const lines: string[] = [];
  const who = [report.agent !== null ? `agent ${report.agent}` : "", report.env !== null ? `env ${report.env}` : ""].filter(Boolean).join(", ");
  lines.push(`drift: baseline '${report.baseline.name}' (${report.baseline.count.toLocaleString("en-US")} decisions) vs ${time(report.window.from)} → ${time(report.window.to)} (${report.window.count.toLocaleString("en-US")} decisions)${who ? ` for ${who}` : ""}`);
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  lines.push("");
  const width = Math.min(40, Math.max(12, ...report.results.map((r) => r.metric.length)));
  for (const r of report.results) {
    const head = `${verdictText(r, color)} ${clip(r.metric, width).padEnd(width)} ${windowLabel(r).padEnd(4)} ${r.test.padEnd(8)}`;
    if (r.verdict === "insufficient") {
      lines.push(`${head} ${r.note ?? "no verdict"}`);
      continue;
    }
    const max = Math.max(0, ...r.chart.reference, ...r.chart.current);
    const spark = r.chart.labels.length > 1 ? `  ${sparkline(r.chart.reference.slice(0, 12), max)} → ${sparkline(r.chart.current.slice(0, 12), max)}` : "";
    lines.push(`${head} ${measure(r)}${spark}  ${r.summary}`);
    if (r.verdict === "drift" && r.chart.labels.length > 0) {
      // Rows by how much each moved, so the first bar is the one that matters.
      const order = r.moved.map((m) => r.chart.labels.indexOf(m.category)).filter((i) => i >= 0);
      for (let i = 0; i < r.chart.labels.length; i++) if (!order.includes(i)) order.push(i);
      const pick = <T>(xs: readonly T[]) => order.map((i) => xs[i]);
      for (const row of barRows(pick(r.chart.labels), pick(r.chart.reference), pick(r.chart.current))) lines.push(`        ${row}`);
    }
  }
  lines.push("");
  const insufficient = report.results.filter((r) => r.verdict === "insufficient").length;
  lines.push(`${report.drifted} of ${report.results.length} metric windows drifted${insufficient > 0 ? `, ${insufficient} without enough data` : ""} (p-values corrected by the baseline's own variability φ, adjusted by Benjamini–Hochberg across the run)`);
  if (report.unrecorded.length > 0) lines.push(`not recorded by any event: ${report.unrecorded.join(", ")}`);
  return `${lines.join("\n")}\n`;
}
