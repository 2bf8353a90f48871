// The shared monitor store: tables beside the audit log's in one PostgreSQL database, written
// by any number of processes. A bucket merge locks the bucket rows it reads (FOR UPDATE, after
// inserting the missing ones), so two flushers adding to one minute never lose each other's counts.
import pg from "pg";
import { errorText, openPool, reached, redactUrl, transaction } from "../storage/postgres.ts";
import { mergeAggregates } from "./aggregate.ts";
import { MonitorError } from "./errors.ts";
import { seededRandom } from "./random.ts";
import type { Alert } from "./alerts.ts";
import { SCHEMA_TEMPLATE, alertWhere, readAggregate, readAlert, readBaseline, readEvent, writeAggregate, writeBaselineData, writeEvent } from "./rows.ts";
import type { Acknowledgment, AlertQuery, AlertRecord, AlertState, Baseline, BucketQuery, BucketRecord, MonitorStore, StoredEvent } from "./store.ts";

const SCHEMA = SCHEMA_TEMPLATE.replaceAll("{{bigint}}", "BIGINT").replaceAll("{{serial}}", "BIGSERIAL");

type Row = Record<string, unknown>;

/** The one-line fix for a store that cannot be reached. */
const REACH = "check that PostgreSQL is up and reachable at that URL, then retry";

/** The PostgreSQL monitor store. */
export class PostgresMonitorStore implements MonitorStore {
  readonly location: string;
  readonly #pool: pg.Pool;
  readonly #rand = seededRandom(0x6d6f6e);
  #closed = false;

  private constructor(location: string, pool: pg.Pool) {
    this.location = location;
    this.#pool = pool;
  }

  /** Connects to the database at `url` and creates the monitor tables if absent. */
  static async open(url: string, _options: { create?: boolean } = {}): Promise<PostgresMonitorStore> {
    const location = redactUrl(url);
    const pool = openPool(url);
    const store = new PostgresMonitorStore(location, pool);
    try {
      // The driver's error as it is: open tells a missing database from one it cannot reach.
      await transaction(pool, async (c) => {
        // Concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalogue; serialise it.
        await c.query("SELECT pg_advisory_xact_lock(hashtext('palisade-monitor-schema:' || current_schema()))");
        await c.query(SCHEMA);
      });
      return store;
    } catch (err) {
      await pool.end().catch(() => {});
      if ((err as { code?: unknown }).code === "3D000") throw new MonitorError("monitor/store-unreadable", `no database at ${location}`, "create the database first, or pass --db with the right URL");
      throw new MonitorError("monitor/store-unreadable", `cannot open ${location}: ${errorText(err)}`, REACH);
    }
  }

  #live(): pg.Pool {
    if (this.#closed) throw new MonitorError("monitor/store-closed", "the monitor store is closed");
    return this.#pool;
  }

  #tx<T>(body: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.#reached(() => transaction(this.#live(), body));
  }

  #query(text: string, params: unknown[] = []): Promise<Row[]> {
    return this.#reached(async () => (await this.#live().query(text, params)).rows as Row[]);
  }

  /**
   * `run`'s result, a driver failure (PostgreSQL stopped, dropped or partitioned, the database
   * gone) as MonitorError `monitor/store-unavailable` with the one-line fix: the CLI prints it as
   * one line and the service answers 503, where the driver's own error read as an internal error.
   */
  #reached<T>(run: () => Promise<T>): Promise<T> {
    return reached(run, this.location, (err) => err instanceof MonitorError, (message) => new MonitorError("monitor/store-unavailable", message, REACH));
  }


  async mergeBuckets(buckets: readonly BucketRecord[], sampleCap: number): Promise<void> {
    if (buckets.length === 0) return;
    await this.#tx(async (c) => {
      for (const b of buckets) {
        const key = [b.start, b.agent, b.agentVersion, b.env];
        const ins = await c.query(
          "INSERT INTO monitor_buckets (start, agent, agent_version, env, count, data) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
          [...key, b.aggregate.count, writeAggregate(b.aggregate)],
        );
        if (ins.rowCount === 1) continue;
        const old = await c.query("SELECT data FROM monitor_buckets WHERE start = $1 AND agent = $2 AND agent_version = $3 AND env = $4 FOR UPDATE", key);
        const merged = mergeAggregates([readAggregate((old.rows[0] as Row).data), b.aggregate], sampleCap, this.#rand);
        await c.query("UPDATE monitor_buckets SET count = $5, data = $6 WHERE start = $1 AND agent = $2 AND agent_version = $3 AND env = $4", [...key, merged.count, writeAggregate(merged)]);
      }
    });
  }

  async buckets(q: BucketQuery): Promise<BucketRecord[]> {
    let sql = "SELECT start, agent, agent_version, env, data FROM monitor_buckets WHERE start >= $1 AND start < $2";
    const params: (number | string)[] = [q.from, Math.min(q.to, Number.MAX_SAFE_INTEGER)];
    if (q.agent !== undefined) params.push(q.agent), (sql += ` AND agent = $${params.length}`);
    if (q.agentVersion !== undefined) params.push(q.agentVersion), (sql += ` AND agent_version = $${params.length}`);
    if (q.env !== undefined) params.push(q.env), (sql += ` AND env = $${params.length}`);
    const rows = await this.#query(`${sql} ORDER BY start`, params);
    return rows.map((r) => ({ start: Number(r.start), agent: String(r.agent), agentVersion: String(r.agent_version), env: String(r.env), aggregate: readAggregate(r.data) }));
  }

  async insertEvents(events: readonly StoredEvent[]): Promise<void> {
    if (events.length === 0) return;
    // One multi-row INSERT per thousand events keeps round trips few and parameters under the limit.
    await this.#tx(async (c) => {
      for (let at = 0; at < events.length; at += 1000) {
        const chunk = events.slice(at, at + 1000);
        const params: unknown[] = [];
        const values = chunk.map((e) => {
          params.push(e.event.time, e.event.agent ?? "", e.event.agentVersion ?? "", e.event.env ?? "", writeEvent(e));
          const n = params.length;
          return `($${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}, $${n})`;
        });
        await c.query(`INSERT INTO monitor_events (time, agent, agent_version, env, data) VALUES ${values.join(", ")}`, params);
      }
    });
  }

  async events(from: number, to: number): Promise<StoredEvent[]> {
    const rows = await this.#query("SELECT data FROM monitor_events WHERE time >= $1 AND time < $2 ORDER BY time, id", [from, Math.min(to, Number.MAX_SAFE_INTEGER)]);
    return rows.map((r) => readEvent(r.data));
  }

  async pruneEvents(before: number): Promise<number> {
    return this.#reached(async () => (await this.#live().query("DELETE FROM monitor_events WHERE time < $1", [before])).rowCount ?? 0);
  }

  async saveBaseline(b: Baseline, replace = false): Promise<void> {
    const params = [b.name, b.createdAt, JSON.stringify(b.selector), b.aggregate.count, writeBaselineData(b)];
    const upsert = replace ? " ON CONFLICT (name) DO UPDATE SET created_at = EXCLUDED.created_at, selector = EXCLUDED.selector, count = EXCLUDED.count, data = EXCLUDED.data" : "";
    await this.#reached(async () => {
      try {
        await this.#live().query(`INSERT INTO monitor_baselines (name, created_at, selector, count, data) VALUES ($1, $2, $3, $4, $5)${upsert}`, params);
      } catch (err) {
        if ((err as { code?: unknown }).code === "23505") throw new MonitorError("monitor/baseline-exists", `a baseline named '${b.name}' already exists`, "choose another name or pass --replace");
        throw err;
      }
    });
  }

  async baseline(name: string): Promise<Baseline | undefined> {
    const rows = await this.#query("SELECT name, created_at, selector, data FROM monitor_baselines WHERE name = $1", [name]);
    return rows[0] ? readBaseline(rows[0].name, rows[0].created_at, rows[0].selector, rows[0].data) : undefined;
  }

  async baselines(): Promise<Baseline[]> {
    const rows = await this.#query("SELECT name, created_at, selector, data FROM monitor_baselines ORDER BY created_at, name");
    return rows.map((r) => readBaseline(r.name, r.created_at, r.selector, r.data));
  }

  async alertStates(): Promise<Map<string, AlertState>> {
    const rows = await this.#query("SELECT key, armed, last_fired FROM monitor_alert_state");
    return new Map(rows.map((r) => [String(r.key), { armed: Number(r.armed) === 1, lastFired: Number(r.last_fired) }]));
  }

  async saveAlertStates(states: ReadonlyMap<string, AlertState>): Promise<void> {
    if (states.size === 0) return;
    await this.#tx(async (c) => {
      for (const [k, s] of states) {
        await c.query("INSERT INTO monitor_alert_state (key, armed, last_fired) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET armed = EXCLUDED.armed, last_fired = EXCLUDED.last_fired", [k, s.armed ? 1 : 0, s.lastFired]);
      }
    });
  }

  async saveAlert(alert: Alert): Promise<void> {
    await this.#query("INSERT INTO monitor_alerts (id, key, time, data) VALUES ($1, $2, $3, $4)", [alert.id, alert.key, alert.time, JSON.stringify(alert)]);
  }

  async alerts(q: AlertQuery = {}): Promise<AlertRecord[]> {
    const { where, params } = alertWhere(q, (i) => `$${i}`);
    return (await this.#query(`SELECT * FROM monitor_alerts${where} ORDER BY time DESC, id`, params)).map(readAlert);
  }

  async acknowledgeAlert(id: string, ack: Acknowledgment): Promise<boolean> {
    return this.#reached(async () => (await this.#live().query("UPDATE monitor_alerts SET acknowledged_by = $1, acknowledged_at = $2, note = $3 WHERE id = $4 AND acknowledged_by IS NULL", [ack.by, ack.at, ack.note ?? null, id])).rowCount === 1);
  }

  async resolveAlerts(key: string, at: number): Promise<AlertRecord[]> {
    const rows = await this.#query("UPDATE monitor_alerts SET resolved_at = $1 WHERE key = $2 AND resolved_at IS NULL RETURNING *", [at, key]);
    return rows.map(readAlert);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}
