// Monitors as a config file declares them (JSON): which metric, which baseline, which test,
// threshold, window, minimum sample size and cooldown, with defaults that cover the usual
// behaviour of an agent when the file says nothing. Validation names the offending field.
import { readFileSync } from "node:fs";
import { parseDuration } from "./duration.ts";
import { MonitorError } from "./errors.ts";
import { metricKind } from "./metrics.ts";
import type { OtelConfig } from "./telemetry.ts";
import type { MetricValue } from "./metrics.ts";

/** The tests a monitor can run. p-value tests alert on a small (BH-adjusted) p; distances on a large value. */
export type TestName = "chi2" | "chi2_gof" | "fisher" | "poisson" | "z" | "ks" | "psi" | "wasserstein" | "jensen_shannon";

/** Tests reporting a p-value (adjusted together by Benjamini–Hochberg in a run). */
export const P_VALUE_TESTS: ReadonlySet<TestName> = new Set(["chi2", "chi2_gof", "fisher", "poisson", "z", "ks"]);

/** The tests each kind of metric accepts; the first is its default. */
export const TESTS_BY_KIND: Readonly<Record<MetricValue["kind"], readonly TestName[]>> = {
  categorical: ["chi2", "chi2_gof", "jensen_shannon", "psi"],
  proportion: ["fisher", "poisson", "z", "chi2"],
  numeric: ["ks", "psi", "wasserstein"],
};

/** Alert thresholds by test: a q-value for p-value tests; PSI's rule of thumb; Evidently's normed Wasserstein and JS defaults. */
export const DEFAULT_THRESHOLDS: Readonly<Record<TestName, number>> = { chi2: 0.001, chi2_gof: 0.001, fisher: 0.001, poisson: 0.001, z: 0.001, ks: 0.001, psi: 0.2, wasserstein: 0.1, jensen_shannon: 0.1 };

/** One monitor, defaults applied. */
export interface MonitorSpec {
  /** Display name; also the alert state key with the metric. */
  readonly name: string;
  /** A metric name or pattern (`denial_rate:*`). */
  readonly metric: string;
  readonly test: TestName;
  /** Alert when the q-value is at most this (p-value tests) or the distance at least this. */
  readonly threshold: number;
  /** Re-arm once the q-value is above this, or the distance below it (hysteresis). */
  readonly rearm: number;
  /**
   * Width of the current window, ms. A monitor declared with several windows is one spec per
   * window. For a window of runs (`runs`), 0 here; the run measures the span the runs cover.
   */
  readonly windowMs: number;
  /** A window of the last N runs (sessions) instead of a time span: `"window": "50 runs"`. */
  readonly runs?: number;
  /** Fewer observations than this on either side: no verdict. */
  readonly minSamples: number;
  /** At least this long between two alerts of the monitor, ms. */
  readonly cooldownMs: number;
  /** The baseline to compare with; default the run's. */
  readonly baseline?: string;
}

/** Where alerts go. */
export interface AlertsConfig {
  readonly webhooks: readonly string[];
  readonly log: boolean;
  readonly otel: boolean;
}

/** A monitor config file, defaults applied. */
export interface MonitorConfig {
  /** OTLP export of spans and drift metrics (true: as the OTEL_* variables say); absent: only when they ask for it. */
  readonly otel?: OtelConfig | boolean;
  /** The default baseline (else: the newest one stored). */
  readonly baseline?: string;
  /** The widest default window, ms. */
  readonly windowMs: number;
  /** Every (monitor, window) pair, in declaration order. */
  readonly monitors: readonly MonitorSpec[];
  readonly alerts: AlertsConfig;
}

const HOUR = 3_600_000;

/**
 * The windows every monitor compares unless told otherwise, each run: the last hour, six hours
 * and day. An hour catches a large change fast; six hours and a day accumulate the evidence a
 * rare event or a quiet night needs. Each is calibrated on the baseline at its own width.
 */
export const DEFAULT_WINDOWS: readonly number[] = [HOUR, 6 * HOUR, 24 * HOUR];

/**
 * The monitors used when a config names none: what the agent does (tool calls, outcomes of its
 * decisions, escalations, denials by rule), how its actions go (errors, wall time, tokens, output
 * size) and what it answers (response categories, descriptors and evaluator results), each with
 * the test fitted to its kind.
 */
export const DEFAULT_MONITORS: readonly { readonly name: string; readonly metric: string; readonly test?: TestName }[] = [
  { name: "tool mix", metric: "tools" },
  { name: "escalation rate", metric: "approval_rate" },
  { name: "denial rate", metric: "denial_rate" },
  { name: "denial rate per rule", metric: "denial_rate:*" },
  { name: "error rate", metric: "error_rate" },
  { name: "error rate per tool", metric: "error_rate:*" },
  { name: "latency", metric: "latency" },
  { name: "latency per tool", metric: "latency:*" },
  { name: "input tokens", metric: "input_tokens" },
  { name: "output tokens", metric: "output_tokens" },
  { name: "output size", metric: "output_size" },
  { name: "response categories", metric: "categories" },
  { name: "quality categories", metric: "eval:*" },
  { name: "quality scores", metric: "score:*" },
];

function bad(source: string, where: string, message: string, hint?: string): MonitorError {
  return new MonitorError("monitor/bad-config", `${source}: ${where}: ${message}`, hint);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function only(source: string, where: string, v: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(v)) if (!allowed.includes(k)) throw bad(source, where, `unknown field '${k}'`, `known fields: ${allowed.join(", ")}`);
}

function duration(source: string, where: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  const ms = typeof v === "string" ? parseDuration(v) : undefined;
  if (ms === undefined) throw bad(source, where, `'${String(v)}' is not a duration`, "write durations like 30m, 1h or 7d");
  return ms;
}

function count(source: string, where: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw bad(source, where, `${JSON.stringify(v)} is not a positive whole number`);
  return v;
}

function str(source: string, where: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v === "") throw bad(source, where, "must be a non-empty string");
  return v;
}

/** A window: a time span in ms, or the last N runs. */
type Window = { readonly ms: number; readonly runs?: undefined } | { readonly ms: 0; readonly runs: number };

function windows(source: string, where: string, v: unknown, fallback: readonly Window[]): Window[] {
  if (v === undefined) return [...fallback];
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0) throw bad(source, where, "names no window", "write a duration like 1h, a count of runs like \"50 runs\", or a list like [\"1h\", \"24h\"]");
  const out = list.map((x, i): Window => {
    const at = Array.isArray(v) ? `${where}[${i}]` : where;
    const runs = typeof x === "string" ? /^(\d+)\s*runs?$/.exec(x.trim()) : null;
    if (runs) {
      const n = Number(runs[1]);
      if (!(n >= 1 && n <= 100_000)) throw bad(source, at, `${JSON.stringify(x)}: a window of runs holds from 1 to 100,000 runs`);
      return { ms: 0, runs: n };
    }
    return { ms: duration(source, at, x, 0) };
  });
  if (new Set(out.map((w) => w.runs ?? w.ms)).size !== out.length) throw bad(source, where, "names a window twice");
  return out;
}

function specs(source: string, where: string, raw: Record<string, unknown>, defaults: { windows: readonly Window[]; minSamples: number; cooldownMs: number }): MonitorSpec[] {
  only(source, where, raw, ["name", "metric", "test", "threshold", "rearm", "window", "minSamples", "cooldown", "baseline"]);
  const metric = str(source, `${where}.metric`, raw.metric);
  if (metric === undefined) throw bad(source, where, "'metric' is required", "e.g. tools, decisions, approval_rate, denial_rate:*, latency, eval:refusal");
  const kind = metricKind(metric.endsWith(":*") ? `${metric.slice(0, -1)}x` : metric);
  if (kind === undefined) throw bad(source, `${where}.metric`, `unknown metric '${metric}'`, "known: tools, decisions, categories, label:<key>, eval:<name>, approval_rate, denial_rate, denial_rate:<rule>, error_rate, error_rate:<tool>, latency, decision_latency, tokens, input_tokens, output_tokens, output_size, latency:<tool>, score:<name>");
  const allowed = TESTS_BY_KIND[kind];
  const test = (str(source, `${where}.test`, raw.test) ?? allowed[0]) as TestName;
  if (!allowed.includes(test)) throw bad(source, `${where}.test`, `'${test}' cannot test the ${kind} metric '${metric}'`, `use one of: ${allowed.join(", ")}`);
  const pTest = P_VALUE_TESTS.has(test);
  const threshold = raw.threshold ?? DEFAULT_THRESHOLDS[test];
  if (typeof threshold !== "number" || !(threshold > 0) || (pTest && threshold >= 1)) throw bad(source, `${where}.threshold`, `${JSON.stringify(threshold)} is not a valid threshold for ${test}`, pTest ? "a p-value threshold lies between 0 and 1, e.g. 0.01" : "a distance threshold is positive, e.g. 0.2");
  const rearm = raw.rearm ?? (pTest ? Math.max(0.1, Math.min(0.5, threshold * 10)) : threshold / 2);
  if (typeof rearm !== "number" || (pTest ? !(rearm >= threshold && rearm < 1) : !(rearm >= 0 && rearm <= threshold))) {
    throw bad(source, `${where}.rearm`, `${JSON.stringify(rearm)} does not lie on the calm side of the threshold ${threshold}`, pTest ? "for p-value tests rearm is at least the threshold" : "for distances rearm is at most the threshold");
  }
  const common = {
    name: str(source, `${where}.name`, raw.name) ?? metric,
    metric,
    test,
    threshold,
    rearm,
    minSamples: count(source, `${where}.minSamples`, raw.minSamples, defaults.minSamples),
    cooldownMs: duration(source, `${where}.cooldown`, raw.cooldown, defaults.cooldownMs),
    baseline: str(source, `${where}.baseline`, raw.baseline),
  };
  return windows(source, `${where}.window`, raw.window, defaults.windows).map((w) => (w.runs !== undefined ? { ...common, windowMs: 0, runs: w.runs } : { ...common, windowMs: w.ms }));
}

/** Validates a parsed config file (`source` names it in errors) and applies the defaults. */
export function parseMonitorConfig(json: unknown, source = "config"): MonitorConfig {
  if (!isRecord(json)) throw bad(source, "top level", "must be a JSON object");
  only(source, "top level", json, ["$schema", "baseline", "defaults", "monitors", "alerts", "otel"]);
  const d = json.defaults ?? {};
  if (!isRecord(d)) throw bad(source, "defaults", "must be an object");
  only(source, "defaults", d, ["window", "minSamples", "cooldown"]);
  const defaults = {
    windows: windows(source, "defaults.window", d.window, DEFAULT_WINDOWS.map((ms) => ({ ms }))),
    minSamples: count(source, "defaults.minSamples", d.minSamples, 30),
    cooldownMs: duration(source, "defaults.cooldown", d.cooldown, HOUR),
  };
  const list = json.monitors ?? DEFAULT_MONITORS;
  if (!Array.isArray(list)) throw bad(source, "monitors", "must be an array");
  const declared = list.map((m, i) => {
    if (!isRecord(m)) throw bad(source, `monitors[${i}]`, "must be an object");
    return specs(source, `monitors[${i}]`, m, defaults);
  });
  const names = new Set<string>();
  for (const [m] of declared) {
    if (names.has(m.name)) throw bad(source, "monitors", `two monitors are named '${m.name}'`, "alert state is kept by name: give each a distinct name");
    names.add(m.name);
  }
  const monitors = declared.flat();
  const a = json.alerts ?? {};
  if (!isRecord(a)) throw bad(source, "alerts", "must be an object");
  only(source, "alerts", a, ["webhook", "log", "otel"]);
  const hooks = a.webhook === undefined ? [] : Array.isArray(a.webhook) ? a.webhook : [a.webhook];
  for (const h of hooks) {
    if (typeof h !== "string" || !/^https?:\/\//.test(h)) throw bad(source, "alerts.webhook", `${JSON.stringify(h)} is not an http(s) URL`);
  }
  for (const k of ["log", "otel"] as const) if (a[k] !== undefined && typeof a[k] !== "boolean") throw bad(source, `alerts.${k}`, "must be true or false");
  return {
    ...(json.otel !== undefined ? { otel: otelSection(source, json.otel) } : {}),
    baseline: str(source, "baseline", json.baseline),
    windowMs: Math.max(0, ...defaults.windows.map((w) => w.ms)),
    monitors,
    alerts: { webhooks: hooks as string[], log: a.log !== false, otel: a.otel === true },
  };
}

function otelSection(source: string, v: unknown): OtelConfig | boolean {
  if (typeof v === "boolean") return v;
  if (!isRecord(v)) throw bad(source, "otel", "must be true, false or an object", "e.g. { \"endpoint\": \"http://127.0.0.1:4318\" }; the OTEL_* variables take precedence");
  only(source, "otel", v, ["endpoint", "headers", "serviceName", "metricInterval"]);
  const endpoint = str(source, "otel.endpoint", v.endpoint);
  if (endpoint !== undefined && !/^https?:\/\//.test(endpoint)) throw bad(source, "otel.endpoint", `${JSON.stringify(endpoint)} is not an http(s) URL`, "OTLP over HTTP: e.g. http://127.0.0.1:4318");
  let headers: Record<string, string> | undefined;
  if (v.headers !== undefined) {
    if (!isRecord(v.headers) || !Object.values(v.headers).every((h) => typeof h === "string")) throw bad(source, "otel.headers", "must map header names to strings");
    headers = v.headers as Record<string, string>;
  }
  const interval = v.metricInterval === undefined ? undefined : duration(source, "otel.metricInterval", v.metricInterval, 0);
  return {
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(headers !== undefined ? { headers } : {}),
    ...(v.serviceName !== undefined ? { serviceName: str(source, "otel.serviceName", v.serviceName) } : {}),
    ...(interval !== undefined ? { metricIntervalMs: interval } : {}),
  };
}

/** The config used when no file is given: the default monitors over the default windows. */
export function defaultMonitorConfig(): MonitorConfig {
  return parseMonitorConfig({}, "defaults");
}

/** Reads and validates a config file. */
export function loadMonitorConfig(path: string): MonitorConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new MonitorError("monitor/bad-config", `cannot read the monitor config '${path}'`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new MonitorError("monitor/bad-config", `${path}: not valid JSON: ${err instanceof Error ? err.message.toLowerCase() : String(err)}`);
  }
  return parseMonitorConfig(json, path);
}
