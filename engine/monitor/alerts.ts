// Alerts from drift results, without a storm: a monitor fires once when its metric crosses the
// threshold, then stays silent until the metric has come back past the calmer re-arm level
// (hysteresis) and the cooldown since its last alert has passed. Sinks: a webhook, the log, and
// OpenTelemetry span events.
import type { Tracer } from "@opentelemetry/api";
import type { MetricResult } from "./drift.ts";
import { P_VALUE_TESTS } from "./config.ts";
import type { MonitorSpec } from "./config.ts";
import type { AlertState, MonitorStore } from "./store.ts";

/** One alert, as sinks receive it (and the webhook's JSON body). */
export interface Alert {
  /** `palisade.drift.alert/1`, so receivers can branch on the shape. */
  readonly type: "palisade.drift.alert/1";
  readonly key: string;
  readonly monitor: string;
  readonly metric: string;
  readonly test: string;
  /** The adjusted p-value (p-value tests) or the distance. */
  readonly value: number;
  readonly threshold: number;
  readonly statistic: number | null;
  readonly summary: string;
  readonly baseline: string;
  /** When it fired, ms since the epoch. */
  readonly time: number;
  /** A one-line human message. */
  readonly message: string;
}

/** Somewhere alerts go. */
export interface AlertSink {
  readonly name: string;
  send(alert: Alert): Promise<void>;
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
          "palisade.monitor": a.monitor,
          "palisade.metric": a.metric,
          "palisade.test": a.test,
          "palisade.value": a.value,
          "palisade.threshold": a.threshold,
          "palisade.baseline": a.baseline,
          "palisade.summary": a.summary,
        },
        a.time,
      );
      span.end(a.time);
    },
  };
}

/** Options of an Alerter. */
export interface AlerterOptions {
  /** Keeps alert state across runs (a CLI run is one process); default in memory only. */
  readonly store?: MonitorStore;
  /** Called when a sink fails; the other sinks still get the alert. */
  readonly onError?: (err: unknown, sink: AlertSink) => void;
}

/** What one result means for its alert state. */
function valueOf(r: MetricResult): number | undefined {
  return P_VALUE_TESTS.has(r.test) ? r.adjustedP : r.distance;
}

function calm(r: MetricResult, value: number): boolean {
  return P_VALUE_TESTS.has(r.test) ? value > r.rearm : value < r.rearm;
}

/** Turns drift results into alerts with hysteresis and cooldown, and sends them to its sinks. */
export class Alerter {
  readonly #sinks: readonly AlertSink[];
  readonly #store: MonitorStore | undefined;
  readonly #onError: (err: unknown, sink: AlertSink) => void;
  #states: Map<string, AlertState> | undefined;

  constructor(sinks: readonly AlertSink[], options: AlerterOptions = {}) {
    this.#sinks = sinks;
    this.#store = options.store;
    this.#onError = options.onError ?? ((err, sink) => process.stderr.write(`palisade drift: alert to ${sink.name} failed: ${err instanceof Error ? err.message : String(err)}\n`));
  }

  /**
   * Updates the alert state with one run's results and sends the alerts that fire. `specs`
   * gives each monitor's cooldown. Returns the alerts fired.
   */
  async process(results: readonly MetricResult[], specs: readonly MonitorSpec[], baseline: string, now: number): Promise<Alert[]> {
    this.#states ??= this.#store ? await this.#store.alertStates() : new Map();
    const states = this.#states;
    const cooldown = new Map(specs.map((s) => [s.name, s.cooldownMs]));
    const changed = new Map<string, AlertState>();
    const fired: Alert[] = [];
    for (const r of results) {
      const value = valueOf(r);
      if (r.verdict === "insufficient" || value === undefined) continue;
      const state = states.get(r.key) ?? { armed: true, lastFired: 0 };
      let next = state;
      if (r.verdict === "drift") {
        // lastFired 0 means never: a first alert owes no cooldown.
        if (state.armed && (state.lastFired === 0 || now - state.lastFired >= (cooldown.get(r.monitor) ?? 0))) {
          next = { armed: false, lastFired: now };
          fired.push(toAlert(r, value, baseline, now));
        }
      } else if (!state.armed && calm(r, value)) next = { armed: true, lastFired: state.lastFired };
      if (next !== state) {
        states.set(r.key, next);
        changed.set(r.key, next);
      }
    }
    if (this.#store && changed.size > 0) await this.#store.saveAlertStates(changed);
    for (const a of fired) {
      await Promise.all(
        this.#sinks.map((s) =>
          s.send(a).catch((err: unknown) => {
            this.#onError(err, s);
          }),
        ),
      );
    }
    return fired;
  }
}

function toAlert(r: MetricResult, value: number, baseline: string, now: number): Alert {
  const p = P_VALUE_TESTS.has(r.test);
  const measured = p ? `q = ${value.toPrecision(3)} ≤ ${r.threshold}` : `${r.test} = ${value.toPrecision(3)} ≥ ${r.threshold}`;
  return {
    type: "palisade.drift.alert/1",
    key: r.key,
    monitor: r.monitor,
    metric: r.metric,
    test: r.test,
    value,
    threshold: r.threshold,
    statistic: r.statistic,
    summary: r.summary,
    baseline,
    time: now,
    message: `${r.metric} drifted from baseline '${baseline}' (${r.test}, ${measured}${r.summary ? `; ${r.summary}` : ""})`,
  };
}
