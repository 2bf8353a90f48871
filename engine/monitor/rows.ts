// Row decoding shared by the SQL stores: JSON columns back into aggregates, events, baselines,
// with a damaged row reported as such rather than read as "no drift".
import { aggregateFromJson, aggregateToJson } from "./aggregate.ts";
import type { Aggregate } from "./aggregate.ts";
import { MonitorError } from "./errors.ts";
import type { Calibration } from "./calibration.ts";
import type { Alert } from "./alerts.ts";
import type { AlertQuery, AlertRecord, Baseline, BaselineSelector, StoredEvent } from "./store.ts";

/** The tables, in SQL both engines accept; `{{bigint}}` and `{{text}}` are filled per engine. */
export const SCHEMA_TEMPLATE = `
CREATE TABLE IF NOT EXISTS monitor_buckets (
  start {{bigint}} NOT NULL,
  agent TEXT NOT NULL,
  agent_version TEXT NOT NULL,
  env TEXT NOT NULL,
  count {{bigint}} NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (start, agent, agent_version, env)
);
CREATE TABLE IF NOT EXISTS monitor_events (
  id {{serial}} PRIMARY KEY,
  time {{bigint}} NOT NULL,
  agent TEXT NOT NULL,
  agent_version TEXT NOT NULL,
  env TEXT NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS monitor_events_time ON monitor_events (time);
CREATE TABLE IF NOT EXISTS monitor_baselines (
  name TEXT PRIMARY KEY,
  created_at {{bigint}} NOT NULL,
  selector TEXT NOT NULL,
  count {{bigint}} NOT NULL,
  data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS monitor_alerts (
  id TEXT PRIMARY KEY,
  key TEXT NOT NULL,
  time {{bigint}} NOT NULL,
  data TEXT NOT NULL,
  acknowledged_by TEXT,
  acknowledged_at {{bigint}},
  note TEXT,
  resolved_at {{bigint}}
);
CREATE INDEX IF NOT EXISTS monitor_alerts_key ON monitor_alerts (key, time);
CREATE TABLE IF NOT EXISTS monitor_alert_state (
  key TEXT PRIMARY KEY,
  armed INTEGER NOT NULL,
  last_fired {{bigint}} NOT NULL
);
`;

function corrupt(what: string): MonitorError {
  return new MonitorError("monitor/store-corrupt", `a stored ${what} is damaged`, "delete the damaged monitor_* row; the audit log is not affected");
}

/** Parses a stored aggregate. */
export function readAggregate(text: unknown): Aggregate {
  let v: unknown;
  try {
    v = JSON.parse(String(text));
  } catch {
    throw corrupt("aggregate");
  }
  const a = aggregateFromJson(v);
  if (!a) throw corrupt("aggregate");
  return a;
}

/** Serialises an aggregate for a TEXT column. */
export function writeAggregate(a: Aggregate): string {
  return JSON.stringify(aggregateToJson(a));
}

/** Parses a stored raw event. */
export function readEvent(text: unknown): StoredEvent {
  try {
    const v = JSON.parse(String(text)) as StoredEvent;
    if (typeof v.event?.time !== "number") throw corrupt("event");
    return v;
  } catch {
    throw corrupt("event");
  }
}

/** Serialises a raw event, dropping its output text (outputs are evaluated, never kept). */
export function writeEvent(e: StoredEvent): string {
  const { output: _output, ...event } = e.event as StoredEvent["event"] & { output?: string };
  return JSON.stringify(e.evaluations ? { event, evaluations: e.evaluations } : { event });
}

function isCalibration(v: unknown): v is Calibration {
  if (typeof v !== "object" || v === null) return false;
  const c = v as Record<string, unknown>;
  if (typeof c.windowMs !== "number" || typeof c.chunks !== "number" || typeof c.dispersion !== "object" || c.dispersion === null) return false;
  return Object.values(c.dispersion).every((x) => typeof x === "number" && x >= 1);
}

/** Serialises a baseline's data column: its aggregate and its calibrations. */
export function writeBaselineData(b: Baseline): string {
  return JSON.stringify({ aggregate: aggregateToJson(b.aggregate), calibrations: b.calibrations ?? [] });
}

/** Builds a baseline from its columns (a data column holding a bare aggregate is a baseline from before calibration). */
export function readBaseline(name: unknown, createdAt: unknown, selector: unknown, data: unknown): Baseline {
  let sel: BaselineSelector;
  let v: unknown;
  try {
    sel = JSON.parse(String(selector)) as BaselineSelector;
    v = JSON.parse(String(data));
  } catch {
    throw corrupt("baseline");
  }
  const wrapped = typeof v === "object" && v !== null && "aggregate" in v;
  const aggregate = aggregateFromJson(wrapped ? (v as { aggregate: unknown }).aggregate : v);
  const calibrations = wrapped ? (v as { calibrations?: unknown }).calibrations : [];
  if (!aggregate || !Array.isArray(calibrations) || !calibrations.every(isCalibration)) throw corrupt("baseline");
  return { name: String(name), createdAt: Number(createdAt), selector: sel, aggregate, calibrations };
}

/** Builds a kept alert from its columns. */
export function readAlert(row: Readonly<Record<string, unknown>>): AlertRecord {
  let alert: Alert;
  try {
    alert = JSON.parse(String(row.data)) as Alert;
  } catch {
    throw corrupt("alert");
  }
  if (typeof alert?.id !== "string" || typeof alert.key !== "string") throw corrupt("alert");
  const by = row.acknowledged_by;
  return {
    alert,
    acknowledged: typeof by === "string" ? { by, at: Number(row.acknowledged_at), ...(typeof row.note === "string" ? { note: row.note } : {}) } : null,
    resolvedAt: row.resolved_at === null || row.resolved_at === undefined ? null : Number(row.resolved_at),
  };
}

/** The WHERE clause and parameters of an alert query; `param(i)` spells the engine's i-th placeholder. */
export function alertWhere(q: AlertQuery, param: (i: number) => string): { where: string; params: (string | number)[] } {
  const clauses: string[] = [];
  const params: (string | number)[] = [];
  const add = (sql: string, v: string | number) => {
    params.push(v);
    clauses.push(sql.replace("?", param(params.length)));
  };
  if (q.id !== undefined) add("id = ?", q.id);
  if (q.key !== undefined) add("key = ?", q.key);
  if (q.since !== undefined) add("time >= ?", q.since);
  if (q.unacknowledged === true) clauses.push("acknowledged_by IS NULL");
  return { where: clauses.length > 0 ? ` WHERE ${clauses.join(" AND ")}` : "", params };
}
