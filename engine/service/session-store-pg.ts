// Session histories in PostgreSQL, shared by every node on one server. Reads and appends of one
// turn of the event loop go out as one statement each (unnest over arrays), so the cost per
// decision is a share of two round trips rather than two of its own. An append is an INSERT that
// does nothing when the call's number is taken: the compare-and-set that orders two nodes
// deciding in one session at once. Calls are kept as JSON text, not JSONB, which refuses the
// \u0000 escape that any tool argument may hold.
import pg from "pg";
import type { SessionCall, SessionStore } from "./sessions.ts";

const SCHEMA = `CREATE TABLE IF NOT EXISTS palisade_session_calls (
  key TEXT NOT NULL,
  seq INTEGER NOT NULL,
  call TEXT NOT NULL,
  PRIMARY KEY (key, seq)
)`;

interface Read {
  readonly key: string;
  readonly from: number;
  readonly done: (calls: SessionCall[]) => void;
  readonly fail: (err: unknown) => void;
}

interface Append {
  readonly key: string;
  readonly at: number;
  readonly call: SessionCall;
  readonly done: (ok: boolean) => void;
  readonly fail: (err: unknown) => void;
}

/** Session calls in a PostgreSQL table (`palisade_session_calls`). */
export class PostgresSessionStore implements SessionStore {
  readonly shared = true;
  readonly #pool: pg.Pool;
  #reads: Read[] = [];
  #appends: Append[] = [];

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Connects and creates the table when missing (safe when several nodes start at once). */
  static async open(url: string): Promise<PostgresSessionStore> {
    const pool = new pg.Pool({ connectionString: url, max: 8, connectionTimeoutMillis: 5000 });
    pool.on("error", () => {});
    const c = await pool.connect();
    try {
      await c.query("SELECT pg_advisory_lock(7412002)");
      await c.query(SCHEMA);
      await c.query("SELECT pg_advisory_unlock(7412002)");
    } finally {
      c.release();
    }
    return new PostgresSessionStore(pool);
  }

  read(key: string, from: number): Promise<SessionCall[]> {
    return new Promise((done, fail) => {
      if (this.#reads.push({ key, from, done, fail }) === 1) setImmediate(() => void this.#flushReads());
    });
  }

  append(key: string, at: number, call: SessionCall): Promise<boolean> {
    return new Promise((done, fail) => {
      if (this.#appends.push({ key, at, call, done, fail }) === 1) setImmediate(() => void this.#flushAppends());
    });
  }

  async #flushReads(): Promise<void> {
    const batch = this.#reads;
    this.#reads = [];
    try {
      const r = await this.#pool.query<{ i: number; call: string }>(
        "SELECT q.i, c.call FROM unnest($1::text[], $2::int[]) WITH ORDINALITY AS q(key, from_seq, i) JOIN palisade_session_calls c ON c.key = q.key AND c.seq >= q.from_seq ORDER BY q.i, c.seq",
        [batch.map((b) => b.key), batch.map((b) => b.from)],
      );
      const out = batch.map((): SessionCall[] => []);
      for (const row of r.rows) out[Number(row.i) - 1].push(JSON.parse(row.call) as SessionCall);
      batch.forEach((b, i) => b.done(out[i]));
    } catch (err) {
      for (const b of batch) b.fail(err);
    }
  }

  async #flushAppends(): Promise<void> {
    const batch = this.#appends;
    this.#appends = [];
    try {
      const r = await this.#pool.query<{ key: string; seq: number }>(
        "INSERT INTO palisade_session_calls (key, seq, call) SELECT key, seq, call FROM unnest($1::text[], $2::int[], $3::text[]) AS q(key, seq, call) ON CONFLICT DO NOTHING RETURNING key, seq",
        [batch.map((b) => b.key), batch.map((b) => b.at), batch.map((b) => JSON.stringify(b.call))],
      );
      const won = new Set(r.rows.map((x) => `${x.seq}\u0000${x.key}`));
      for (const b of batch) b.done(won.has(`${b.at}\u0000${b.key}`));
    } catch (err) {
      for (const b of batch) b.fail(err);
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
