// Row decoding shared by the SQL stores: JSON columns back into aggregates, events, baselines,
// with a damaged row reported as such rather than read as "no drift".
import { aggregateFromJson, aggregateToJson } from "./aggregate.ts";
import type { Aggregate } from "./aggregate.ts";
import { MonitorError } from "./errors.ts";
import type { Baseline, BaselineSelector, StoredEvent } from "./store.ts";

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

/** Builds a baseline from its columns. */
export function readBaseline(name: unknown, createdAt: unknown, selector: unknown, data: unknown): Baseline {
  let sel: BaselineSelector;
  try {
    sel = JSON.parse(String(selector)) as BaselineSelector;
  } catch {
    throw corrupt("baseline");
  }
  return { name: String(name), createdAt: Number(createdAt), selector: sel, aggregate: readAggregate(data) };
}
