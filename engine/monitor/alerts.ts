// Alerts from drift runs, as evidence and without a storm. A monitor's metric fires once when any
// of its windows crosses the threshold, then stays silent until every window is back past the
// calmer re-arm level (hysteresis) and the cooldown since its last alert has passed. Each alert
// says who (agent, environment), when (the window), what (metric, test, statistic, p, q) and
// what moved most; it is kept in the monitor store, where `palisade drift ack` records who
// acknowledged it, and sent to its sinks: the audit log (an evidence record compliance reports
// read), webhooks, the log and OpenTelemetry.
import { randomUUID } from "node:crypto";
import type { Tracer } from "@opentelemetry/api";
import type { AuditRecord } from "../audit/index.ts";
import { driftAlertRecord, driftHandlingRecord } from "../compliance/evidence.ts";
import { P_VALUE_TESTS } from "./config.ts";
import type { MonitorSpec } from "./config.ts";
import { windowLabel } from "./drift.ts";
import type { MetricResult, Moved } from "./drift.ts";
import { MonitorError } from "./errors.ts";
import type { DriftReport } from "./run.ts";
import type { AlertRecord, AlertState, MonitorStore } from "./store.ts";

/** One alert, as sinks receive it (and the webhook's JSON body). */
export interface Alert {
  /** `palisade.drift.alert/1`, so receivers can branch on the shape. */
  readonly type: "palisade.drift.alert/1";
  /** Unique id of this firing. */
  readonly id: string;
  /** The alert state key, stable across firings: `<agent>:<env>/<monitor>/<metric>` ("*" where the run spanned every agent or environment). */
  readonly key: string;
  /** The agent and environment the run compared; null when it spanned every one. */
  readonly agent: string | null;
  readonly env: string | null;
  readonly monitor: string;
  readonly metric: string;
  readonly test: string;
  /** The current window that crossed: [from, to), ISO-8601. */
  readonly window: { readonly from: string; readonly to: string };
  readonly baseline: string;
  readonly statistic: number | null;
  /** Raw p-value and Benjamini–Hochberg q-value (p-value tests), else null. */
  readonly p: number | null;
  readonly q: number | null;
  /** The q-value (p-value tests) or the distance. */
  readonly value: number;
  readonly threshold: number;
  /** The calibration factor the p-value was corrected by (1: none). */
  readonly dispersion: number;
  /** Categories (or bins) that moved most, by contribution. */
  readonly moved: readonly Moved[];
  readonly summary: string;
  /** When it fired, ms since the epoch. */
  readonly time: number;
  /** A one-line human message. */
  readonly message: string;
}

/** Somewhere alerts go. */
export interface AlertSink {
  readonly name: string;
  send(alert: Alert): Promise<void>;
  /** Told when a fired alert's metric came back past its re-arm level. */
  resolve?(alert: Alert, at: number): Promise<void>;
}

/** POSTs each alert as JSON to `url`; a non-2xx answer or a timeout is a failure. */
export function webhookSink(url: string, options: { readonly timeoutMs?: number; readonly headers?: Readonly<Record<string, string>> } = {}): AlertSink {
  return {
    name: `webhook ${url}`,
    async send(alert) {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...options.headers },
        body: JSON.stringify(alert),
        signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
      });
      // Drain the body so the connection can be reused.
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) throw new Error(`webhook ${url} answered ${res.status}`);
    },
  };
}

/** Writes each alert as one line through `write` (default: stderr). */
export function logSink(write: (line: string) => void = (l) => void process.stderr.write(l)): AlertSink {
  return { name: "log", send: async (a) => write(`palisade drift alert: ${a.message}\n`) };
}

/** Emits each alert as a `palisade.drift.alert` event on a short span of `tracer`. */
export function otelSink(tracer: Tracer): AlertSink {
  return {
    name: "opentelemetry",
    async send(a) {
      const span = tracer.startSpan("palisade.drift", { startTime: a.time });
      span.addEvent(
        "palisade.drift.alert",
        {
          "palisade.alert.id": a.id,
          "palisade.monitor": a.monitor,
          "palisade.metric": a.metric,
          "palisade.test": a.test,
          "palisade.value": a.value,
          "palisade.threshold": a.threshold,
          "palisade.baseline": a.baseline,
          "palisade.summary": a.summary,
          ...(a.agent !== null ? { "gen_ai.agent.id": a.agent } : {}),
          ...(a.env !== null ? { "deployment.environment.name": a.env } : {}),
        },
        a.time,
      );
      span.end(a.time);
    },
  };
}

/** Where audit records go (`AuditLog` satisfies it). */
export interface AuditAppender {
  append(record: AuditRecord): Promise<unknown>;
}

/** Who records monitor evidence in the audit log when no person acted. */
export const MONITOR_ACTOR = "palisade-monitor";

const iso = (ms: number) => new Date(ms).toISOString();

/** The audit record of a fired alert (spec/drift.md): `event: "drift_alert"`, details under `alert`. */
export function alertAuditRecord(a: Alert): AuditRecord {
  const { type: _type, time: _time, ...details } = a;
  return driftAlertRecord(details, { time: iso(a.time), agent: a.agent ?? MONITOR_ACTOR, env: a.env ?? "*" });
}

/** Appends every alert to the audit log, and a `resolved` handling record when its metric recovers. */
export function auditSink(log: AuditAppender): AlertSink {
  return {
    name: "audit log",
    send: async (a) => void (await log.append(alertAuditRecord(a))),
    async resolve(a, at) {
      const handling = { key: a.key, alert_id: a.id, by: MONITOR_ACTOR, action: "resolved" as const, note: "every window is back past the re-arm level" };
      await log.append(driftHandlingRecord(handling, { time: iso(at), agent: a.agent ?? MONITOR_ACTOR, env: a.env ?? "*", principal: null }));
    },
  };
}

/** Options of an Alerter. */
export interface AlerterOptions {
  /** Keeps alert state and history across runs (a CLI run is one process); default in memory only. */
  readonly store?: MonitorStore;
  /** Called when a sink fails; the other sinks still get the alert. */
  readonly onError?: (err: unknown, sink: AlertSink) => void;
}

/** The q-value (p-value tests) or distance a result is judged by. */
function valueOf(r: MetricResult): number | undefined {
  return P_VALUE_TESTS.has(r.test) ? r.adjustedP : r.distance;
}

function calm(r: MetricResult, value: number): boolean {
  return P_VALUE_TESTS.has(r.test) ? value > r.rearm : value < r.rearm;
}

/** How far past its threshold a result is (larger: further), to pick the window an alert reports. */
function severity(r: MetricResult, value: number): number {
  return P_VALUE_TESTS.has(r.test) ? r.threshold / Math.max(value, Number.MIN_VALUE) : value / r.threshold;
}

/** The alert state key of a monitor's metric for the run's agent and environment. */
export function alertKey(agent: string | null, env: string | null, monitor: string, metric: string): string {
  return `${agent ?? "*"}:${env ?? "*"}/${monitor}/${metric}`;
}

/** Turns drift reports into alerts with hysteresis and cooldown, keeps them, and sends them to its sinks. */
export class Alerter {
  readonly #sinks: readonly AlertSink[];
  readonly #store: MonitorStore | undefined;
  readonly #onError: (err: unknown, sink: AlertSink) => void;
  #states: Map<string, AlertState> | undefined;
  readonly #fired = new Map<string, Alert>();

  constructor(sinks: readonly AlertSink[], options: AlerterOptions = {}) {
    this.#sinks = sinks;
    this.#store = options.store;
    this.#onError = options.onError ?? ((err, sink) => process.stderr.write(`palisade drift: alert to ${sink.name} failed: ${err instanceof Error ? err.message : String(err)}\n`));
  }

  /**
   * Updates the alert state with one run's results and sends the alerts that fire (and the
   * recoveries). `specs` gives each monitor's cooldown. Returns the alerts fired.
   */
  async process(report: DriftReport, specs: readonly MonitorSpec[], now: number): Promise<Alert[]> {
    this.#states ??= this.#store ? await this.#store.alertStates() : new Map();
    const states = this.#states;
    const cooldown = new Map(specs.map((s) => [s.name, s.cooldownMs]));
    const groups = new Map<string, MetricResult[]>();
    for (const r of report.results) {
      const key = alertKey(report.agent, report.env, r.monitor, r.metric);
      let g = groups.get(key);
      if (g === undefined) groups.set(key, (g = []));
      g.push(r);
    }
    const changed = new Map<string, AlertState>();
    const fired: Alert[] = [];
    const recovered: string[] = [];
    for (const [key, group] of groups) {
      const tested = group.flatMap((r) => {
        const value = valueOf(r);
        return r.verdict === "insufficient" || value === undefined ? [] : [{ r, value }];
      });
      if (tested.length === 0) continue;
      const state = states.get(key) ?? { armed: true, lastFired: 0 };
      let next = state;
      const drifting = tested.filter((t) => t.r.verdict === "drift");
      if (drifting.length > 0) {
        // lastFired 0 means never: a first alert owes no cooldown.
        if (state.armed && (state.lastFired === 0 || now - state.lastFired >= (cooldown.get(drifting[0].r.monitor) ?? 0))) {
          next = { armed: false, lastFired: now };
          const worst = drifting.reduce((a, b) => (severity(b.r, b.value) > severity(a.r, a.value) ? b : a));
          fired.push(toAlert(key, report, worst.r, worst.value, now));
        }
      } else if (!state.armed && tested.every((t) => calm(t.r, t.value))) {
        next = { armed: true, lastFired: state.lastFired };
        recovered.push(key);
      }
      if (next !== state) {
        states.set(key, next);
        changed.set(key, next);
      }
    }
    if (this.#store && changed.size > 0) await this.#store.saveAlertStates(changed);
    for (const a of fired) {
      this.#fired.set(a.key, a);
      if (this.#store) await this.#store.saveAlert(a);
      await this.#each((s) => s.send(a));
    }
    for (const key of recovered) {
      const open = this.#store ? (await this.#store.resolveAlerts(key, now)).map((r) => r.alert) : [this.#fired.get(key)].filter((a): a is Alert => a !== undefined);
      for (const a of open) await this.#each((s) => s.resolve?.(a, now));
    }
    return fired;
  }

  async #each(send: (s: AlertSink) => Promise<void> | undefined): Promise<void> {
    await Promise.all(
      this.#sinks.map(async (s) => {
        try {
          await send(s);
        } catch (err) {
          this.#onError(err, s);
        }
      }),
    );
  }
}

function fmt(x: number): string {
  return x === 0 ? "0" : Math.abs(x) < 1e-3 || Math.abs(x) >= 1e4 ? x.toExponential(2) : x.toPrecision(3);
}

function toAlert(key: string, report: DriftReport, r: MetricResult, value: number, now: number): Alert {
  const p = P_VALUE_TESTS.has(r.test);
  const measured = p ? `q = ${fmt(value)} ≤ ${r.threshold}` : `${r.test} = ${fmt(value)} ≥ ${r.threshold}`;
  const from = report.window.to - r.windowMs;
  const who = [report.agent !== null ? `agent ${report.agent}` : "", report.env !== null ? `env ${report.env}` : ""].filter(Boolean).join(", ");
  const moved = r.moved.slice(0, 3).map((m) => `'${m.category}' ${(m.reference * 100).toFixed(1)}% → ${(m.current * 100).toFixed(1)}%`);
  return {
    type: "palisade.drift.alert/1",
    id: randomUUID(),
    key,
    agent: report.agent,
    env: report.env,
    monitor: r.monitor,
    metric: r.metric,
    test: r.test,
    window: { from: iso(from), to: iso(report.window.to) },
    baseline: report.baseline.name,
    statistic: r.statistic !== null && Number.isFinite(r.statistic) ? r.statistic : null,
    p: p && r.pValue !== undefined ? r.pValue : null,
    q: p && r.adjustedP !== undefined ? r.adjustedP : null,
    value,
    threshold: r.threshold,
    dispersion: r.dispersion,
    moved: r.moved.slice(0, 3),
    summary: r.summary,
    time: now,
    message: `${r.metric} drifted from baseline '${report.baseline.name}'${who ? ` (${who})` : ""} over the last ${windowLabel(r)} (${r.test}, ${measured})${moved.length > 0 ? `; moved most: ${moved.join(", ")}` : ""}`,
  };
}

/**
 * Records that `by` acknowledged an alert, named by its id or by its key (the latest firing of
 * that key): in the monitor store, and in the audit log as a `drift_alert_handled` record.
 */
export async function acknowledgeAlert(store: MonitorStore, idOrKey: string, by: string, options: { readonly note?: string; readonly now?: number; readonly audit?: AuditAppender } = {}): Promise<AlertRecord> {
  if (by.trim() === "") throw new MonitorError("monitor/bad-config", "an acknowledgment needs the name of who acknowledges", "pass --by NAME");
  const byId = await store.alerts({ id: idOrKey });
  const found = byId[0] ?? (await store.alerts({ key: idOrKey }))[0];
  if (found === undefined) throw new MonitorError("monitor/unknown-alert", `no drift alert with the id or key '${idOrKey}'`, "list alerts with 'palisade drift alerts'");
  if (found.acknowledged !== null) throw new MonitorError("monitor/already-acknowledged", `alert ${found.alert.id} was acknowledged by ${found.acknowledged.by} at ${iso(found.acknowledged.at)}`);
  const at = options.now ?? Date.now();
  const a = found.alert;
  // The audit entry first: an acknowledgment the log does not hold did not happen.
  if (options.audit) {
    const handling = { key: a.key, alert_id: a.id, by, action: "acknowledged" as const, ...(options.note !== undefined ? { note: options.note } : {}) };
    await options.audit.append(driftHandlingRecord(handling, { time: iso(at), agent: a.agent ?? MONITOR_ACTOR, env: a.env ?? "*", principal: by }));
  }
  await store.acknowledgeAlert(a.id, { by, at, ...(options.note !== undefined ? { note: options.note } : {}) });
  return { ...found, acknowledged: { by, at, ...(options.note !== undefined ? { note: options.note } : {}) } };
}
