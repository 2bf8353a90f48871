// The shared store: one PostgreSQL database that many processes append to.
//
// Sequencing: each batch runs in one transaction that first takes a transaction-level advisory
// lock, then reads the tree size and right edge, appends, and commits (which releases the lock).
// Writers on any number of nodes therefore extend one tree, one batch at a time, and a writer
// that dies mid-batch leaves nothing behind: its transaction never commits.
//
// Durability: a commit returns once PostgreSQL has flushed its WAL (synchronous_commit = on, the
// server default); the store refuses to run with it off, since an acknowledged append could vanish.
//
// Erasure: PostgreSQL keeps old row versions until vacuumed, so an erase rewrites the key table
// (VACUUM FULL) and reports the erasure unfinished when it cannot. The server's own WAL segments,
// base backups and archived WAL still hold old keys until their retention ends: that is the
// operator's backup policy, documented in spec/audit-trust.md.
import pg from "pg";
import { QUERY_TIMEOUT_MS, errorText, openPool, reached, redactUrl, transaction } from "../storage/postgres.ts";
import type { NodeId } from "./merkle.ts";
import { StoreError, edgeIds, leafHashesOf, nodeKey, planAppend } from "./store.ts";
import type { AppendResult, AuditStore, EraseOutcome, NewEntry, StoredCheckpoint, StoredEntry, SubjectKey } from "./store.ts";

/** Meta row set while an erasure has not yet removed the old row versions that hold a key. */
const PURGE_PENDING = "erasure_pending";

// How many entries each data subject has, and where its first and last are (what an erasure
// reports), as the SQLite store keeps it: a row per subject rather than an index row per entry,
// which every batch updated at about one page per subject.
const SUBJECT_ENTRIES = `
CREATE TABLE IF NOT EXISTS subject_entries (
  subject TEXT PRIMARY KEY,
  entries BIGINT NOT NULL,
  first_idx BIGINT NOT NULL,
  last_idx BIGINT NOT NULL
);`;

/** Builds subject_entries from the entries of a log written before it existed, and drops the index it replaces. */
const MIGRATE_SUBJECTS = `${SUBJECT_ENTRIES}
INSERT INTO subject_entries (subject, entries, first_idx, last_idx) SELECT subject, count(*), min(idx), max(idx) FROM entries WHERE subject IS NOT NULL GROUP BY subject;
DROP INDEX IF EXISTS entries_subject;`;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS entries (
  idx BIGINT PRIMARY KEY,
  data BYTEA NOT NULL,
  leaf_hash BYTEA NOT NULL,
  subject TEXT,
  time BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS nodes (
  level INTEGER NOT NULL,
  idx BIGINT NOT NULL,
  hash BYTEA NOT NULL,
  PRIMARY KEY (level, idx)
);
CREATE TABLE IF NOT EXISTS checkpoints (
  id BIGSERIAL PRIMARY KEY,
  size BIGINT NOT NULL,
  root BYTEA NOT NULL,
  note TEXT NOT NULL,
  time BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS subject_keys (
  key_id TEXT PRIMARY KEY,
  subject TEXT NOT NULL,
  key BYTEA,
  created_at BIGINT NOT NULL,
  erased_at BIGINT
);
CREATE UNIQUE INDEX IF NOT EXISTS subject_keys_live ON subject_keys (subject) WHERE erased_at IS NULL;
CREATE TABLE IF NOT EXISTS meta (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
${SUBJECT_ENTRIES}
`;

// One lock per schema, so two logs in two schemas of one database do not serialise each other.
const LOCK = "SELECT pg_advisory_xact_lock(hashtext('palisade-audit:' || current_schema()))";

type Row = Record<string, unknown>;

function bytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return new Uint8Array(v);
  throw new StoreError("audit/store-corrupt", "a stored hash or entry is not a byte string", "run 'palisade audit verify' to find the damage");
}

function toCheckpoint(r: Row): StoredCheckpoint {
  return { size: Number(r.size), root: bytes(r.root), note: String(r.note), time: Number(r.time) };
}

function toKey(r: Row): SubjectKey {
  return {
    keyId: String(r.key_id),
    subject: String(r.subject),
    key: r.key === null ? null : bytes(r.key),
    createdAt: Number(r.created_at),
    erasedAt: r.erased_at === null ? null : Number(r.erased_at),
  };
}

/** The PostgreSQL audit store (many writers, one log). */
export class PostgresStore implements AuditStore {
  readonly location: string;
  /** Concurrent appends race for the advisory lock, so their order is not the call order. */
  readonly ordered = false;
  readonly #pool: pg.Pool;
  #closed = false;

  private constructor(location: string, pool: pg.Pool) {
    this.location = location;
    this.#pool = pool;
  }

  /**
   * Connects to the database at `url` and (by default) creates the log's tables if absent. Every
   * statement fails after `queryTimeoutMs` unanswered (StoreError "audit/store-unavailable").
   */
  static async open(url: string, options: { create?: boolean; queryTimeoutMs?: number } = {}): Promise<PostgresStore> {
    const location = redactUrl(url);
    const pool = openPool(url, { queryTimeoutMs: options.queryTimeoutMs ?? QUERY_TIMEOUT_MS });
    const store = new PostgresStore(location, pool);
    try {
      // Not #tx: the driver's own error is needed here, to tell a missing database from the rest.
      await transaction(pool, async (c) => {
        const sync = await c.query("SHOW synchronous_commit");
        if (String((sync.rows[0] as Row).synchronous_commit) === "off") {
          throw new StoreError("audit/store-unreadable", `synchronous_commit is off on ${location}`, "an acknowledged append could be lost: set synchronous_commit = on for this database");
        }
        await c.query("SELECT pg_advisory_xact_lock(hashtext('palisade-audit-schema:' || current_schema()))");
        const tables = async () => new Set(((await c.query("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")).rows as Row[]).map((r) => String(r.table_name)));
        const have = await tables();
        // A log from before subject_entries moves onto it under the schema lock, once.
        if (have.has("entries") && !have.has("subject_entries")) await c.query(MIGRATE_SUBJECTS);
        if (options.create ?? true) await c.query(SCHEMA);
        const now = await tables();
        if (!["entries", "nodes", "checkpoints", "subject_keys", "meta", "subject_entries"].every((t) => now.has(t))) throw new StoreError("audit/store-unreadable", `${location} holds no palisade audit log`, "pass --db with the log's SQLite file or postgres:// URL");
      });
      return store;
    } catch (err) {
      await pool.end().catch(() => {});
      if (err instanceof StoreError) throw err;
      const code = (err as { code?: unknown }).code;
      if (code === "3D000") throw new StoreError("audit/store-missing", `no audit database at ${location}`, "create the database first, or pass --db with the right URL");
      throw new StoreError("audit/store-unreadable", `cannot open ${location}: ${errorText(err)}`);
    }
  }

  #live(): pg.Pool {
    if (this.#closed) throw new StoreError("audit/store-closed", "the audit store is closed");
    return this.#pool;
  }

  #tx<T>(body: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.#reached(() => transaction(this.#live(), body));
  }

  #query(sql: string, params: unknown[] = []): Promise<Row[]> {
    return this.#reached(async () => (await this.#live().query(sql, params)).rows as Row[]);
  }

  /**
   * `run`'s result, its driver failures as StoreErrors: a caller (the service's routes, the CLI)
   * gets the log's own error with its code (503 audit/unavailable, a one-line CLI message) rather
   * than a driver error it can only guess at.
   */
  #reached<T>(run: () => Promise<T>): Promise<T> {
    return reached(run, this.location, (err) => err instanceof StoreError, (message) => new StoreError("audit/store-unavailable", message, "check that PostgreSQL is up and reachable, then retry"));
  }


  async append(entries: readonly NewEntry[]): Promise<AppendResult> {
    return this.#tx(async (c) => {
      await c.query(LOCK);
      const m = (await c.query("SELECT max(idx) AS m FROM entries")).rows[0] as Row;
      const first = m.m === null ? 0 : Number(m.m) + 1;
      const edge = await this.#nodes(c, edgeIds(first));
      const leaves = leafHashesOf(entries);
      const nodes = planAppend(first, edge, leaves);
      const idx = entries.map((_, i) => first + i);
      // The subjects' counts in the same statement (appends hold LOCK, so no two upsert at once).
      await c.query(
        `WITH added AS (INSERT INTO entries (idx, data, leaf_hash, subject, time) SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::bytea[], $4::text[], $5::bigint[]))
         INSERT INTO subject_entries (subject, entries, first_idx, last_idx)
           SELECT subject, count(*), min(idx), max(idx) FROM unnest($1::bigint[], $4::text[]) AS u(idx, subject) WHERE subject IS NOT NULL GROUP BY subject
           ON CONFLICT (subject) DO UPDATE SET entries = subject_entries.entries + excluded.entries, last_idx = excluded.last_idx`,
        [idx, entries.map((e) => Buffer.from(e.data)), leaves.map((h) => Buffer.from(h)), entries.map((e) => e.subject), entries.map((e) => e.time)],
      );
      if (nodes.length > 0) {
        await c.query("INSERT INTO nodes (level, idx, hash) SELECT * FROM unnest($1::int[], $2::bigint[], $3::bytea[])", [
          nodes.map((n) => n.level),
          nodes.map((n) => n.index),
          nodes.map((n) => Buffer.from(n.hash)),
        ]);
      }
      return { first, size: first + entries.length };
    });
  }

  async size(): Promise<number> {
    const r = (await this.#query("SELECT max(idx) AS m FROM entries"))[0];
    return r.m === null ? 0 : Number(r.m) + 1;
  }

  async entries(from: number, to: number): Promise<StoredEntry[]> {
    const rows = await this.#query("SELECT idx, data, leaf_hash, subject, time FROM entries WHERE idx >= $1 AND idx < $2 ORDER BY idx", [from, to]);
    return rows.map((r) => ({
      index: Number(r.idx),
      data: bytes(r.data),
      leafHash: bytes(r.leaf_hash),
      subject: r.subject === null ? null : String(r.subject),
      time: Number(r.time),
    }));
  }

  async #nodes(c: pg.Pool | pg.PoolClient, ids: readonly NodeId[]): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    if (ids.length === 0) return out;
    const res = await c.query(
      `SELECT q.level, q.idx, coalesce(n.hash, e.leaf_hash) AS hash
         FROM unnest($1::int[], $2::bigint[]) AS q(level, idx)
         LEFT JOIN nodes n ON q.level > 0 AND n.level = q.level AND n.idx = q.idx
         LEFT JOIN entries e ON q.level = 0 AND e.idx = q.idx`,
      [ids.map((i) => i.level), ids.map((i) => i.index)],
    );
    for (const r of res.rows as Row[]) if (r.hash !== null) out.set(nodeKey(Number(r.level), Number(r.idx)), bytes(r.hash));
    return out;
  }

  async nodes(ids: readonly NodeId[]): Promise<Map<string, Uint8Array>> {
    return this.#reached(() => this.#nodes(this.#live(), ids));
  }

  async levelHashes(level: number, from: number, to: number): Promise<Map<number, Uint8Array>> {
    const rows =
      level === 0
        ? await this.#query("SELECT idx, leaf_hash AS h FROM entries WHERE idx >= $1 AND idx < $2 ORDER BY idx", [from, to])
        : await this.#query("SELECT idx, hash AS h FROM nodes WHERE level = $1 AND idx >= $2 AND idx < $3 ORDER BY idx", [level, from, to]);
    return new Map(rows.map((r) => [Number(r.idx), bytes(r.h)]));
  }

  async nodeCount(): Promise<number> {
    return Number((await this.#query("SELECT count(*) AS n FROM nodes"))[0].n);
  }

  async addCheckpoint(c: StoredCheckpoint): Promise<void> {
    await this.#query("INSERT INTO checkpoints (size, root, note, time) VALUES ($1, $2, $3, $4)", [c.size, Buffer.from(c.root), c.note, c.time]);
  }

  async checkpoints(): Promise<StoredCheckpoint[]> {
    return (await this.#query("SELECT size, root, note, time FROM checkpoints ORDER BY size, time, id")).map(toCheckpoint);
  }

  async lastCheckpoint(): Promise<StoredCheckpoint | undefined> {
    const rows = await this.#query("SELECT size, root, note, time FROM checkpoints ORDER BY size DESC, time DESC, id DESC LIMIT 1");
    return rows.length > 0 ? toCheckpoint(rows[0]) : undefined;
  }

  async getMeta(name: string): Promise<string | undefined> {
    const rows = await this.#query("SELECT value FROM meta WHERE name = $1", [name]);
    return rows.length > 0 ? String(rows[0].value) : undefined;
  }

  async initMeta(name: string, value: string): Promise<string> {
    await this.#query("INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", [name, value]);
    return String((await this.#query("SELECT value FROM meta WHERE name = $1", [name]))[0].value);
  }

  async setMeta(name: string, value: string): Promise<void> {
    await this.#query("INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value", [name, value]);
  }

  async subjectKeys(subjects: readonly string[], newKey: () => { keyId: string; key: Uint8Array }): Promise<Map<string, SubjectKey>> {
    const unique = [...new Set(subjects)];
    if (unique.length === 0) return new Map();
    return this.#tx(async (c) => {
      const fresh = unique.map(() => newKey());
      // The partial unique index keeps one live key per subject even when writers race here.
      await c.query(
        `INSERT INTO subject_keys (key_id, subject, key, created_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bigint[])
           ON CONFLICT (subject) WHERE erased_at IS NULL DO NOTHING`,
        [fresh.map((k) => k.keyId), unique, fresh.map((k) => Buffer.from(k.key)), unique.map(() => Date.now())],
      );
      const res = await c.query("SELECT key_id, subject, key, created_at, erased_at FROM subject_keys WHERE subject = ANY($1::text[]) AND erased_at IS NULL", [unique]);
      return new Map((res.rows as Row[]).map((r) => [String(r.subject), toKey(r)]));
    });
  }

  async keysById(keyIds: readonly string[]): Promise<Map<string, SubjectKey>> {
    const ids = [...new Set(keyIds)];
    if (ids.length === 0) return new Map();
    const rows = await this.#query("SELECT key_id, subject, key, created_at, erased_at FROM subject_keys WHERE key_id = ANY($1::text[])", [ids]);
    return new Map(rows.map((r) => [String(r.key_id), toKey(r)]));
  }

  async eraseSubject(subject: string, time: number): Promise<EraseOutcome> {
    const destroyed = await this.#tx(async (c) => {
      const res = await c.query("UPDATE subject_keys SET key = NULL, erased_at = $1 WHERE subject = $2 AND erased_at IS NULL", [time, subject]);
      const n = res.rowCount ?? 0;
      // Remembered until the old row versions are known to be gone, so a later call finishes the job.
      if (n > 0) await c.query("INSERT INTO meta (name, value) VALUES ($1, '1') ON CONFLICT (name) DO NOTHING", [PURGE_PENDING]);
      return n;
    });
    if (destroyed === 0 && (await this.getMeta(PURGE_PENDING)) === undefined) return { destroyed, remains: [] };
    // The UPDATE left the old row version, key and all, in the table's pages until vacuumed:
    // VACUUM FULL rewrites the table without it. That needs the table's owner.
    try {
      await this.#live().query("VACUUM FULL subject_keys");
    } catch (err) {
      await this.#live().query("VACUUM subject_keys").catch(() => {});
      return { destroyed, remains: [`the old row versions of subject_keys on ${this.location} until VACUUM FULL can run (${errorText(err)}): run it as the table's owner`] };
    }
    await this.#query("DELETE FROM meta WHERE name = $1", [PURGE_PENDING]);
    return { destroyed, remains: [] };
  }

  async subjectEntryCount(subject: string): Promise<number> {
    return Number((await this.#query("SELECT coalesce(sum(entries), 0) AS n FROM subject_entries WHERE subject = $1", [subject]))[0].n);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}
