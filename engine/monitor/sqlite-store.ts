// The embedded monitor store: tables beside the audit log's in the same SQLite file, through
// node:sqlite. Telemetry is not a durability promise, so commits use synchronous=NORMAL (WAL
// still survives a killed process); the pragma is per connection and leaves the log's alone.
import { existsSync } from "node:fs";
import type { DatabaseSync } from "node:sqlite";
import { immediateTransaction, openDatabase } from "../storage/sqlite.ts";
import type { StatementSync } from "node:sqlite";
import { mergeAggregates } from "./aggregate.ts";
import { MonitorError } from "./errors.ts";
import { seededRandom } from "./random.ts";
import type { Alert } from "./alerts.ts";
import { SCHEMA_TEMPLATE, alertWhere, readAggregate, readAlert, readBaseline, readEvent, writeAggregate, writeBaselineData, writeEvent } from "./rows.ts";
import type { Acknowledgment, AlertQuery, AlertRecord, AlertState, Baseline, BucketQuery, BucketRecord, MonitorStore, StoredEvent } from "./store.ts";

const SCHEMA = SCHEMA_TEMPLATE.replaceAll("{{bigint}}", "INTEGER").replaceAll("{{serial}}", "INTEGER");

type Row = Record<string, unknown>;

/** The SQLite monitor store. */
export class SqliteMonitorStore implements MonitorStore {
  readonly location: string;
  readonly #db: DatabaseSync;
  readonly #q: Record<string, StatementSync>;
  readonly #rand = seededRandom(0x6d6f6e);
  #closed = false;

  private constructor(location: string, db: DatabaseSync) {
    this.location = location;
    this.#db = db;
    const p = (sql: string) => db.prepare(sql);
    this.#q = {
      bucket: p("SELECT data FROM monitor_buckets WHERE start = ? AND agent = ? AND agent_version = ? AND env = ?"),
      putBucket: p("INSERT OR REPLACE INTO monitor_buckets (start, agent, agent_version, env, count, data) VALUES (?, ?, ?, ?, ?, ?)"),
      insEvent: p("INSERT INTO monitor_events (time, agent, agent_version, env, data) VALUES (?, ?, ?, ?, ?)"),
      events: p("SELECT data FROM monitor_events WHERE time >= ? AND time < ? ORDER BY time, id"),
      prune: p("DELETE FROM monitor_events WHERE time < ?"),
      getBaseline: p("SELECT name, created_at, selector, data FROM monitor_baselines WHERE name = ?"),
      baselines: p("SELECT name, created_at, selector, data FROM monitor_baselines ORDER BY created_at, name"),
      insBaseline: p("INSERT INTO monitor_baselines (name, created_at, selector, count, data) VALUES (?, ?, ?, ?, ?)"),
      putBaseline: p("INSERT OR REPLACE INTO monitor_baselines (name, created_at, selector, count, data) VALUES (?, ?, ?, ?, ?)"),
      alerts: p("SELECT key, armed, last_fired FROM monitor_alert_state"),
      putAlert: p("INSERT OR REPLACE INTO monitor_alert_state (key, armed, last_fired) VALUES (?, ?, ?)"),
      insAlert: p("INSERT INTO monitor_alerts (id, key, time, data) VALUES (?, ?, ?, ?)"),
      ackAlert: p("UPDATE monitor_alerts SET acknowledged_by = ?, acknowledged_at = ?, note = ? WHERE id = ? AND acknowledged_by IS NULL"),
      openAlerts: p("SELECT * FROM monitor_alerts WHERE key = ? AND resolved_at IS NULL ORDER BY time DESC"),
      resolveAlerts: p("UPDATE monitor_alerts SET resolved_at = ? WHERE key = ? AND resolved_at IS NULL"),
    };
  }

  /**
   * Opens the monitor tables in the SQLite file at `path` (":memory:" for a private one),
   * creating them if absent. With `create: false` a missing file is an error, not a new database.
   */
  static open(path: string, options: { create?: boolean } = {}): SqliteMonitorStore {
    if (options.create === false && path !== ":memory:" && !existsSync(path)) {
      throw new MonitorError("monitor/store-unreadable", `no database at '${path}'`, "pass --db with the audit log's SQLite file or a postgres:// URL");
    }
    let db: DatabaseSync | undefined;
    try {
      db = openDatabase(path);
      db.exec("PRAGMA busy_timeout = 10000");
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = NORMAL");
      db.exec(SCHEMA);
      return new SqliteMonitorStore(path, db);
    } catch (err) {
      db?.close();
      throw new MonitorError("monitor/store-unreadable", `cannot open '${path}' as a SQLite database: ${err instanceof Error ? err.message.toLowerCase() : String(err)}`);
    }
  }

  #open(): DatabaseSync {
    if (this.#closed) throw new MonitorError("monitor/store-closed", "the monitor store is closed");
    return this.#db;
  }

  #tx<T>(body: () => T): T {
    // The read-merge-write of a bucket must not interleave with another writer's.
    return immediateTransaction(this.#open(), body);
  }

  async mergeBuckets(buckets: readonly BucketRecord[], sampleCap: number): Promise<void> {
    this.#tx(() => {
      for (const b of buckets) {
        const old = this.#q.bucket.get(b.start, b.agent, b.agentVersion, b.env) as Row | undefined;
        const merged = old ? mergeAggregates([readAggregate(old.data), b.aggregate], sampleCap, this.#rand) : b.aggregate;
        this.#q.putBucket.run(b.start, b.agent, b.agentVersion, b.env, merged.count, writeAggregate(merged));
      }
    });
  }

  async buckets(q: BucketQuery): Promise<BucketRecord[]> {
    this.#open();
    let sql = "SELECT start, agent, agent_version, env, data FROM monitor_buckets WHERE start >= ? AND start < ?";
    const params: (number | string)[] = [q.from, Math.min(q.to, Number.MAX_SAFE_INTEGER)];
    if (q.agent !== undefined) (sql += " AND agent = ?"), params.push(q.agent);
    if (q.agentVersion !== undefined) (sql += " AND agent_version = ?"), params.push(q.agentVersion);
    if (q.env !== undefined) (sql += " AND env = ?"), params.push(q.env);
    const rows = this.#db.prepare(`${sql} ORDER BY start`).all(...params) as Row[];
    return rows.map((r) => ({ start: Number(r.start), agent: String(r.agent), agentVersion: String(r.agent_version), env: String(r.env), aggregate: readAggregate(r.data) }));
  }

  async insertEvents(events: readonly StoredEvent[]): Promise<void> {
    this.#tx(() => {
      for (const e of events) this.#q.insEvent.run(e.event.time, e.event.agent ?? "", e.event.agentVersion ?? "", e.event.env ?? "", writeEvent(e));
    });
  }

  async events(from: number, to: number): Promise<StoredEvent[]> {
    this.#open();
    return (this.#q.events.all(from, Math.min(to, Number.MAX_SAFE_INTEGER)) as Row[]).map((r) => readEvent(r.data));
  }

  async pruneEvents(before: number): Promise<number> {
    this.#open();
    return Number(this.#q.prune.run(before).changes);
  }

  async saveBaseline(b: Baseline, replace = false): Promise<void> {
    this.#open();
    const args = [b.name, b.createdAt, JSON.stringify(b.selector), b.aggregate.count, writeBaselineData(b)] as const;
    if (replace) {
      this.#q.putBaseline.run(...args);
      return;
    }
    try {
      this.#q.insBaseline.run(...args);
    } catch (err) {
      if (err instanceof Error && /UNIQUE/i.test(err.message)) throw new MonitorError("monitor/baseline-exists", `a baseline named '${b.name}' already exists`, "choose another name or pass --replace");
      throw err;
    }
  }

  async baseline(name: string): Promise<Baseline | undefined> {
    this.#open();
    const r = this.#q.getBaseline.get(name) as Row | undefined;
    return r ? readBaseline(r.name, r.created_at, r.selector, r.data) : undefined;
  }

  async baselines(): Promise<Baseline[]> {
    this.#open();
    return (this.#q.baselines.all() as Row[]).map((r) => readBaseline(r.name, r.created_at, r.selector, r.data));
  }

  async alertStates(): Promise<Map<string, AlertState>> {
    this.#open();
    return new Map((this.#q.alerts.all() as Row[]).map((r) => [String(r.key), { armed: Number(r.armed) === 1, lastFired: Number(r.last_fired) }]));
  }

  async saveAlertStates(states: ReadonlyMap<string, AlertState>): Promise<void> {
    this.#tx(() => {
      for (const [k, s] of states) this.#q.putAlert.run(k, s.armed ? 1 : 0, s.lastFired);
    });
  }

  async saveAlert(alert: Alert): Promise<void> {
    this.#open();
    this.#q.insAlert.run(alert.id, alert.key, alert.time, JSON.stringify(alert));
  }

  async alerts(q: AlertQuery = {}): Promise<AlertRecord[]> {
    const { where, params } = alertWhere(q, () => "?");
    return (this.#open().prepare(`SELECT * FROM monitor_alerts${where} ORDER BY time DESC, id`).all(...params) as Row[]).map(readAlert);
  }

  async acknowledgeAlert(id: string, ack: Acknowledgment): Promise<boolean> {
    this.#open();
    return Number(this.#q.ackAlert.run(ack.by, ack.at, ack.note ?? null, id).changes) === 1;
  }

  async resolveAlerts(key: string, at: number): Promise<AlertRecord[]> {
    return this.#tx(() => {
      const open = (this.#q.openAlerts.all(key) as Row[]).map(readAlert);
      this.#q.resolveAlerts.run(at, key);
      return open.map((r) => ({ ...r, resolvedAt: at }));
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}
