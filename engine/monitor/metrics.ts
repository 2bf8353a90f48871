// The metrics a drift run can test, read out of aggregates: category distributions, rates
// (x of n) and numeric samples. Names are stable strings, the ones config files use:
// `tools`, `decisions`, `categories`, `label:<key>`, `eval:<name>` (categorical);
// `approval_rate`, `denial_rate`, `denial_rate:<rule>`, `approval_rate:<rule>`, `error_rate`,
// `error_rate:<tool>` (rates); `latency`, `decision_latency`, `tokens`, `input_tokens`,
// `output_tokens`, `output_size`, `latency:<tool>`, `score:<name>` (numeric).
import type { Aggregate, Counts } from "./aggregate.ts";
import type { Sample } from "./sample.ts";

/** A metric's value in one aggregate. */
export type MetricValue =
  | { readonly kind: "categorical"; readonly counts: Counts; readonly n: number }
  | { readonly kind: "proportion"; readonly x: number; readonly n: number }
  | { readonly kind: "numeric"; readonly sample: Sample; readonly n: number };

/** The kind of value a metric name denotes, or undefined for an unknown name. */
export function metricKind(metric: string): MetricValue["kind"] | undefined {
  if (metric === "tools" || metric === "decisions" || metric === "categories") return "categorical";
  if (/^(label|eval):.+/.test(metric)) return "categorical";
  if (metric === "approval_rate" || metric === "denial_rate" || metric === "error_rate" || /^(denial_rate|approval_rate|error_rate):.+/.test(metric)) return "proportion";
  if (NUMERIC.has(metric) || /^(score|latency):.+/.test(metric)) return "numeric";
  return undefined;
}

/** The numeric metrics an aggregate keeps samples of, besides `score:<name>`. */
export const NUMERIC: ReadonlySet<string> = new Set(["latency", "decision_latency", "tokens", "input_tokens", "output_tokens", "output_size"]);

function total(c: Counts): number {
  let s = 0;
  for (const v of c.values()) s += v;
  return s;
}

const EMPTY: Counts = new Map();

/** The value of `metric` in `a` (empty when the aggregate holds none of it). */
export function metricValue(a: Aggregate, metric: string): MetricValue {
  const cat = (counts: Counts | undefined): MetricValue => ({ kind: "categorical", counts: counts ?? EMPTY, n: counts ? total(counts) : 0 });
  const num = (s: Sample | undefined): MetricValue => ({ kind: "numeric", sample: s ?? { count: 0, sum: 0, min: Infinity, max: -Infinity, values: [] }, n: s?.count ?? 0 });
  if (metric === "tools") return cat(a.tools);
  if (metric === "decisions") return cat(a.decisions);
  if (metric === "categories") return cat(a.categories);
  // Rates count sessions (sessions.ts): of the sessions begun, how many had the event.
  const f = (k: string) => a.firsts.get(k) ?? 0;
  const sessions = f("session");
  if (metric === "approval_rate") return { kind: "proportion", x: f("approval"), n: sessions };
  if (metric === "denial_rate") return { kind: "proportion", x: f("deny"), n: sessions };
  if (metric.startsWith("denial_rate:")) return { kind: "proportion", x: f(`deny:${metric.slice(12)}`), n: sessions };
  if (metric.startsWith("approval_rate:")) return { kind: "proportion", x: f(`approval:${metric.slice(14)}`), n: sessions };
  if (metric === "error_rate") return { kind: "proportion", x: f("error"), n: f("outcome") };
  if (metric.startsWith("error_rate:")) return { kind: "proportion", x: f(`error:${metric.slice(11)}`), n: f(`outcome:${metric.slice(11)}`) };
  if (metric.startsWith("label:")) return cat(a.labels.get(metric.slice(6)));
  if (metric.startsWith("eval:")) return cat(a.evaluations.get(metric.slice(5)));
  if (NUMERIC.has(metric) || metric.startsWith("score:") || metric.startsWith("latency:")) return num(a.numeric.get(metric));
  throw new Error(`unknown metric '${metric}'`);
}

/**
 * Expands a metric pattern against the aggregates: `denial_rate:*` becomes one metric per rule
 * that denied anything on either side, `eval:*` one per category evaluator, and so on. Plain
 * names are returned as they are.
 */
export function expandMetric(pattern: string, aggregates: readonly Aggregate[]): string[] {
  if (!pattern.endsWith(":*")) return [pattern];
  const prefix = pattern.slice(0, -1);
  const keys = new Set<string>();
  for (const a of aggregates) {
    const source: Iterable<string> =
      prefix === "denial_rate:" ? a.ruleDenials.keys()
      : prefix === "approval_rate:" ? a.ruleApprovals.keys()
      : prefix === "error_rate:" ? a.outcomes.keys()
      : prefix === "label:" ? a.labels.keys()
      : prefix === "eval:" ? a.evaluations.keys()
      : prefix === "score:" || prefix === "latency:" ? [...a.numeric.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length))
      : [];
    for (const k of source) keys.add(k);
  }
  return [...keys].sort().map((k) => prefix + k);
}

/** Every concrete metric `a` holds data for: what a baseline calibrates. */
export function concreteMetrics(a: Aggregate): string[] {
  const out = ["tools", "decisions", "categories", "approval_rate", "denial_rate", "error_rate"];
  for (const p of ["denial_rate:*", "approval_rate:*", "error_rate:*", "label:*", "eval:*", "score:*", "latency:*"]) out.push(...expandMetric(p, [a]));
  for (const k of NUMERIC) if (a.numeric.has(k)) out.push(k);
  return out;
}

/**
 * The metric whose calibration stands in for one the baseline never saw (a rule that never
 * fired, a tool that never failed): the family's overall rate; undefined when there is none.
 */
export function metricFamily(metric: string): string | undefined {
  const m = /^(denial_rate|approval_rate|error_rate):/.exec(metric);
  return m ? m[1] : undefined;
}
