// Where the monitor keeps its state: time buckets of aggregates, raw events (bounded by
// retention), named baselines and alert state. The tables live beside the audit log's, in the
// same SQLite file or PostgreSQL database, under names of their own (`monitor_*`).
import type { Aggregate, Evaluations } from "./aggregate.ts";
import type { Alert } from "./alerts.ts";
import type { Calibration } from "./calibration.ts";
import type { DecisionEvent, OutcomeEvent } from "./event.ts";

/** Which agent, version and environment a bucket counts; "" where events named none. */
export interface BucketKey {
  /** Start of the bucket, in ms since the epoch (a multiple of the bucket size). */
  readonly start: number;
  readonly agent: string;
  readonly agentVersion: string;
  readonly env: string;
}

/** One time bucket of one agent, version and environment. */
export interface BucketRecord extends BucketKey {
  readonly aggregate: Aggregate;
}

/** Selects buckets: `from <= start < to`, and optionally one agent, version or environment. */
export interface BucketQuery {
  readonly from: number;
  readonly to: number;
  readonly agent?: string;
  readonly agentVersion?: string;
  readonly env?: string;
}

/** A raw event as kept: the event without its output text, with its evaluator results. */
export interface StoredEvent {
  readonly event: Omit<DecisionEvent, "output"> | Omit<OutcomeEvent, "output">;
  readonly evaluations?: Evaluations;
}

/** A baseline that follows time: the last `lookbackMs` before the compared windows, recomputed every `refreshMs`. */
export interface RollingSpec {
  readonly lookbackMs: number;
  readonly refreshMs: number;
}

/**
 * What a baseline was captured from. Absent bounds mean "since the first" / "up to the last"
 * event. A rolling baseline's bounds are those of its latest computation.
 */
export interface BaselineSelector {
  readonly from?: number;
  readonly to?: number;
  readonly rolling?: RollingSpec;
  readonly agent?: string;
  readonly agentVersion?: string;
  readonly env?: string;
}

/** A named capture of "normal". */
export interface Baseline {
  readonly name: string;
  readonly createdAt: number;
  readonly selector: BaselineSelector;
  readonly aggregate: Aggregate;
  /** How much each metric moves between windows of the baseline, per window width (calibration.ts). */
  readonly calibrations?: readonly Calibration[];
}

/** Who acknowledged an alert, when, and why. */
export interface Acknowledgment {
  readonly by: string;
  /** ms since the epoch. */
  readonly at: number;
  readonly note?: string;
}

/** An alert as kept: what fired, who acknowledged it, when its metric recovered. */
export interface AlertRecord {
  readonly alert: Alert;
  readonly acknowledged: Acknowledgment | null;
  /** When every window was back past the re-arm level, ms; null while it is not. */
  readonly resolvedAt: number | null;
}

/** Selects kept alerts. */
export interface AlertQuery {
  readonly id?: string;
  readonly key?: string;
  /** Only alerts nobody acknowledged. */
  readonly unacknowledged?: boolean;
  /** Only alerts fired at or after this instant, ms. */
  readonly since?: number;
}

/** An alert's hysteresis and cooldown state, by monitor key. */
export interface AlertState {
  /** False from the moment an alert fires until the metric is back under the re-arm threshold. */
  readonly armed: boolean;
  /** When an alert for this key last fired, ms since the epoch; 0 if never. */
  readonly lastFired: number;
}

/** Persistence for one monitor. Every method may run concurrently with flushes from other processes. */
export interface MonitorStore {
  /** What the store is (a file path or a URL without its password), for messages. */
  readonly location: string;
  /** Adds each bucket's aggregate to the stored one with the same key (creating it when absent), in one transaction. */
  mergeBuckets(buckets: readonly BucketRecord[], sampleCap: number): Promise<void>;
  /** Stored buckets matching `q`, by start. */
  buckets(q: BucketQuery): Promise<BucketRecord[]>;
  /** Appends raw events. */
  insertEvents(events: readonly StoredEvent[]): Promise<void>;
  /** Raw events with from <= time < to, by time. */
  events(from: number, to: number): Promise<StoredEvent[]>;
  /** Deletes raw events older than `before`; returns how many. */
  pruneEvents(before: number): Promise<number>;
  /** Stores a baseline; throws MonitorError `monitor/baseline-exists` when the name is taken, unless `replace`. */
  saveBaseline(b: Baseline, replace?: boolean): Promise<void>;
  /** The baseline named `name`, or undefined. */
  baseline(name: string): Promise<Baseline | undefined>;
  /** Every baseline, oldest first. */
  baselines(): Promise<Baseline[]>;
  /** Alert state by monitor key. */
  alertStates(): Promise<Map<string, AlertState>>;
  /** Writes these keys' alert state (others are left alone). */
  saveAlertStates(states: ReadonlyMap<string, AlertState>): Promise<void>;
  /** Keeps a fired alert. */
  saveAlert(alert: Alert): Promise<void>;
  /** Kept alerts matching `q`, newest first. */
  alerts(q?: AlertQuery): Promise<AlertRecord[]>;
  /** Marks the alert `id` acknowledged; false when there is no such alert or it already was. */
  acknowledgeAlert(id: string, ack: Acknowledgment): Promise<boolean>;
  /** Marks every unresolved alert of `key` resolved at `at`; returns them. */
  resolveAlerts(key: string, at: number): Promise<AlertRecord[]>;
  /** Releases the connection or file handle. */
  close(): Promise<void>;
}

/** The store key of a bucket, for maps. */
export function bucketId(k: BucketKey): string {
  return `${k.start}\u0000${k.agent}\u0000${k.agentVersion}\u0000${k.env}`;
}

/** Whether bucket `k` is selected by `q`. */
export function bucketMatches(k: BucketKey, q: BucketQuery): boolean {
  return k.start >= q.from && k.start < q.to && (q.agent === undefined || k.agent === q.agent) && (q.agentVersion === undefined || k.agentVersion === q.agentVersion) && (q.env === undefined || k.env === q.env);
}

/** Opens the monitor store at `location`: a `postgres://` URL, else a SQLite file path (":memory:" allowed). */
export async function openMonitorStore(location: string, options: { create?: boolean } = {}): Promise<MonitorStore> {
  if (/^postgres(ql)?:\/\//i.test(location)) {
    const { PostgresMonitorStore } = await import("./postgres-store.ts");
    return PostgresMonitorStore.open(location, options);
  }
  const { SqliteMonitorStore } = await import("./sqlite-store.ts");
  return SqliteMonitorStore.open(location, options);
}
