// The drift report as text for a terminal: a header, then one line per metric (verdict,
// metric, test, statistic, p and q or distance, the two distributions as sparklines, a short
// summary), and bars under each drifted metric. JSON output is the DriftReport itself.
import { barRows, clip, sparkline } from "./chart.ts";
import { P_VALUE_TESTS } from "./config.ts";
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
  if (P_VALUE_TESTS.has(r.test)) return `stat ${num(r.statistic).padEnd(9)} p ${num(r.pValue).padEnd(9)} q ${num(r.adjustedP).padEnd(9)} (alert q ≤ ${r.threshold})`;
  return `${r.test} ${num(r.distance).padEnd(9)} (alert ≥ ${r.threshold})`.padEnd(46);
}

/** The report as lines of text. */
export function renderReport(report: DriftReport, options: RenderOptions = {}): string {
  const color = options.color ?? false;
  const lines: string[] = [];
  lines.push(`drift: baseline '${report.baseline.name}' (${report.baseline.count.toLocaleString("en-US")} decisions) vs ${time(report.window.from)} → ${time(report.window.to)} (${report.window.count.toLocaleString("en-US")} decisions)`);
  lines.push("");
  const width = Math.min(40, Math.max(12, ...report.results.map((r) => r.metric.length)));
  for (const r of report.results) {
    const head = `${verdictText(r, color)} ${clip(r.metric, width).padEnd(width)} ${r.test.padEnd(14)}`;
    if (r.verdict === "insufficient") {
      lines.push(`${head} ${r.note ?? "no verdict"}`);
      continue;
    }
    const max = Math.max(0, ...r.chart.reference, ...r.chart.current);
    const spark = r.chart.labels.length > 1 ? `  ${sparkline(r.chart.reference.slice(0, 12), max)} → ${sparkline(r.chart.current.slice(0, 12), max)}` : "";
    lines.push(`${head} ${measure(r)}${spark}  ${r.summary}`);
    if (r.verdict === "drift" && r.chart.labels.length > 0) {
      for (const row of barRows(r.chart.labels, r.chart.reference, r.chart.current)) lines.push(`        ${row}`);
    }
  }
  lines.push("");
  const insufficient = report.results.filter((r) => r.verdict === "insufficient").length;
  lines.push(`${report.drifted} of ${report.results.length} metrics drifted${insufficient > 0 ? `, ${insufficient} without enough data` : ""} (p-values adjusted by Benjamini–Hochberg across the run)`);
  return `${lines.join("\n")}\n`;
}
