// Session histories in PostgreSQL, shared by every node on one server: each session's tool calls
// and its sources (what the agent was given, spec/provenance.md), two append-only lists in two
// tables. Reads and appends of one turn of the event loop go out as one statement per list
// (unnest over arrays), so the cost per decision is a share of two round trips rather than two of
// its own. An append is an INSERT that does nothing when the item's number is taken: the
// compare-and-set that orders two nodes deciding in one session at once. Items are kept as JSON
// text, not JSONB, which refuses the \u0000 escape that any tool argument or result may hold.
import pg from "pg";
import { withClient } from "../storage/postgres.ts";
import { servicePool } from "./pg-pool.ts";
import type { CallOutcome, QueuedAppend, SessionCall, SessionSource, SessionStore, StoredCall } from "./sessions.ts";

// `settled`: each session's calls settled after they were decided (their positions), numbered in
// the order they were settled: a node holding a copy of the session reads it to learn which calls
// changed, in the same batched read as the rest.
const TABLES = { calls: "palisade_session_calls", sources: "palisade_session_sources", settled: "palisade_session_settled" } as const;
type List = keyof typeof TABLES;

const schema = (table: string, column: string): string => `CREATE TABLE IF NOT EXISTS ${table} (
  key TEXT NOT NULL,
  seq INTEGER NOT NULL,
  ${column} TEXT NOT NULL,
  PRIMARY KEY (key, seq)
)`;
const COLUMN: Record<List, string> = { calls: "call", sources: "source", settled: "call_seq" };
// Who each session belongs to (a pseudonym of its first principal).
const OWNERS = "palisade_session_owners";

interface Read {
  readonly key: string;
  readonly from: number;
  readonly done: (items: unknown[]) => void;
  readonly fail: (err: unknown) => void;
}

/** Session calls and sources in PostgreSQL tables (`palisade_session_calls`, `palisade_session_sources`). */
export class PostgresSessionStore implements SessionStore {
  readonly shared = true;
  readonly #pool: pg.Pool;
  readonly #reads: Record<List, Read[]> = { calls: [], sources: [], settled: [] };
  readonly #appends: Record<List, QueuedAppend[]> = { calls: [], sources: [], settled: [] };

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Connects and creates the tables when missing (safe when several nodes start at once). */
  static async open(url: string, queryTimeoutMs?: number): Promise<PostgresSessionStore> {
    const pool = servicePool(url, 8, queryTimeoutMs);
    await withClient(pool, async (c) => {
      await c.query("SELECT pg_advisory_lock(7412002)");
      await c.query(schema(TABLES.calls, "call"));
      await c.query(schema(TABLES.sources, "source"));
      await c.query(`CREATE TABLE IF NOT EXISTS ${OWNERS} (key TEXT PRIMARY KEY, owner TEXT NOT NULL)`);
      await c.query(schema(TABLES.settled, COLUMN.settled));
      await c.query("SELECT pg_advisory_unlock(7412002)");
    });
    return new PostgresSessionStore(pool);
  }

  read(key: string, from: number): Promise<SessionCall[]> {
    return this.#read("calls", key, from) as Promise<SessionCall[]>;
  }

  append(key: string, at: number, call: SessionCall): Promise<boolean> {
    return this.#append("calls", key, at, call);
  }

  readSources(key: string, from: number): Promise<SessionSource[]> {
    return this.#read("sources", key, from) as Promise<SessionSource[]>;
  }

  appendSource(key: string, at: number, source: SessionSource): Promise<boolean> {
    return this.#append("sources", key, at, source);
  }

  async claim(key: string, owner: string): Promise<string> {
    // The insert waits for another node's insert of the same key and then does nothing; only
    // then is the owner read, by a statement of its own whose snapshot sees the winner's row.
    const won = await this.#pool.query<{ owner: string }>(`INSERT INTO ${OWNERS} (key, owner) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING owner`, [key, owner]);
    if (won.rows.length === 1) return won.rows[0].owner;
    return (await this.#pool.query<{ owner: string }>(`SELECT owner FROM ${OWNERS} WHERE key = $1`, [key])).rows[0].owner;
  }

  async settle(key: string, at: number, outcome: CallOutcome, may: (call: StoredCall) => boolean): Promise<StoredCall | undefined> {
    // A read, then a write only if the row is still what was read (a compare-and-set), and the
    // settlement's number in the same transaction: another node's copy learns of it from there.
    for (let i = 0; i < 8; i++) {
      const r = await this.#pool.query<{ call: string }>(`SELECT call FROM ${TABLES.calls} WHERE key = $1 AND seq = $2`, [key, at]);
      const old = r.rows[0]?.call;
      if (old === undefined) return undefined;
      const before = JSON.parse(old) as StoredCall;
      if (!may(before)) return before;
      const next = JSON.stringify({ ...before, outcome });
      const done = await withClient(this.#pool, async (c) => {
        await c.query("BEGIN");
        try {
          if ((await c.query(`UPDATE ${TABLES.calls} SET call = $3 WHERE key = $1 AND seq = $2 AND call = $4`, [key, at, next, old])).rowCount !== 1) {
            await c.query("ROLLBACK");
            return false;
          }
          // Two settlements of one session at once take the same number: the later one fails the key and is retried.
          await c.query(`INSERT INTO ${TABLES.settled} (key, seq, ${COLUMN.settled}) SELECT $1, COALESCE(MAX(seq) + 1, 0), $2 FROM ${TABLES.settled} WHERE key = $1`, [key, String(at)]);
          await c.query("COMMIT");
          return true;
        } catch (err) {
          await c.query("ROLLBACK").catch(() => {});
          if ((err as { code?: unknown }).code === "23505") return false;
          throw err;
        }
      });
      if (done) return before;
    }
    throw new Error(`the settlement of call ${at} kept conflicting with other nodes`);
  }

  readSettled(key: string, from: number): Promise<number[]> {
    return this.#read("settled", key, from) as Promise<number[]>;
  }

  #read(list: List, key: string, from: number): Promise<unknown[]> {
    return new Promise((done, fail) => {
      if (this.#reads[list].push({ key, from, done, fail }) === 1) setImmediate(() => void this.#flushReads(list));
    });
  }

  #append(list: List, key: string, at: number, item: unknown): Promise<boolean> {
    return new Promise((done, fail) => {
      if (this.#appends[list].push({ key, at, item, done, fail }) === 1) setImmediate(() => void this.#flushAppends(list));
    });
  }

  async #flushReads(list: List): Promise<void> {
    const batch = this.#reads[list];
    this.#reads[list] = [];
    try {
      const r = await this.#pool.query<{ i: number; item: string }>(
        `SELECT q.i, c.${COLUMN[list]} AS item FROM unnest($1::text[], $2::int[]) WITH ORDINALITY AS q(key, from_seq, i) JOIN ${TABLES[list]} c ON c.key = q.key AND c.seq >= q.from_seq ORDER BY q.i, c.seq`,
        [batch.map((b) => b.key), batch.map((b) => b.from)],
      );
      const out = batch.map((): unknown[] => []);
      for (const row of r.rows) out[Number(row.i) - 1].push(JSON.parse(row.item));
      batch.forEach((b, i) => b.done(out[i]));
    } catch (err) {
      for (const b of batch) b.fail(err);
    }
  }

  async #flushAppends(list: List): Promise<void> {
    // In one order on every node: two nodes inserting the same sessions' items in different
    // orders lock the unique index's entries crosswise, and PostgreSQL aborts one as a deadlock.
    const batch = this.#appends[list].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.at - b.at));
    this.#appends[list] = [];
    try {
      const r = await this.#pool.query<{ key: string; seq: number }>(
        `INSERT INTO ${TABLES[list]} (key, seq, ${COLUMN[list]}) SELECT key, seq, item FROM unnest($1::text[], $2::int[], $3::text[]) AS q(key, seq, item) ON CONFLICT DO NOTHING RETURNING key, seq`,
        [batch.map((b) => b.key), batch.map((b) => b.at), batch.map((b) => JSON.stringify(b.item))],
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
