// The metrics a drift run can test, read out of aggregates: category distributions, rates
// (x of n) and numeric samples. Names are stable strings, the ones config files use:
// `tools`, `decisions`, `approval_rate`, `denial_rate`, `denial_rate:<rule>`, `categories`,
// `label:<key>`, `eval:<name>`, `latency`, `tokens`, `score:<name>`.
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
  if (metric === "approval_rate" || metric === "denial_rate" || /^(denial_rate|approval_rate):.+/.test(metric)) return "proportion";
  if (metric === "latency" || metric === "tokens" || /^score:.+/.test(metric)) return "numeric";
  return undefined;
}

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
  if (metric === "approval_rate") return { kind: "proportion", x: a.decisions.get("require_approval") ?? 0, n: a.count };
  if (metric === "denial_rate") return { kind: "proportion", x: a.decisions.get("deny") ?? 0, n: a.count };
  if (metric.startsWith("denial_rate:")) return { kind: "proportion", x: a.ruleDenials.get(metric.slice(12)) ?? 0, n: a.count };
  if (metric.startsWith("approval_rate:")) return { kind: "proportion", x: a.ruleApprovals.get(metric.slice(14)) ?? 0, n: a.count };
  if (metric.startsWith("label:")) return cat(a.labels.get(metric.slice(6)));
  if (metric.startsWith("eval:")) return cat(a.evaluations.get(metric.slice(5)));
  if (metric === "latency" || metric === "tokens" || metric.startsWith("score:")) return num(a.numeric.get(metric));
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
      : prefix === "label:" ? a.labels.keys()
      : prefix === "eval:" ? a.evaluations.keys()
      : prefix === "score:" ? [...a.numeric.keys()].filter((k) => k.startsWith("score:")).map((k) => k.slice(6))
      : [];
    for (const k of source) keys.add(k);
  }
  return [...keys].sort().map((k) => prefix + k);
}
