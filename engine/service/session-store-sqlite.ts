// Session histories of a single node in a SQLite file (the service's state file beside the audit
// log): each session's tool calls and its sources (what the agent was given, spec/provenance.md),
// two append-only lists in two tables. The node is the only writer, so appends never conflict;
// they are written a batch per turn of the event loop, in one transaction. Commits are
// synchronous=NORMAL: in WAL mode a commit survives a killed process; a power cut may drop the
// last moments of history (the audit log itself is synced). The write lock is never shared with
// the audit log's thread (another file).
import type { DatabaseSync } from "node:sqlite";
import type { StatementSync } from "node:sqlite";
import { immediateTransaction, openDatabase } from "../storage/sqlite.ts";
import type { CallOutcome, QueuedAppend, SessionCall, SessionSource, SessionStore, StoredCall } from "./sessions.ts";

const TABLES = { calls: "palisade_session_calls", sources: "palisade_session_sources" } as const;
type List = keyof typeof TABLES;
// Who each session belongs to (a pseudonym of its first principal).
const OWNERS = "palisade_session_owners";

const schema = (table: string, column: string): string => `CREATE TABLE IF NOT EXISTS ${table} (
  key TEXT NOT NULL,
  seq INTEGER NOT NULL,
  ${column} TEXT NOT NULL,
  PRIMARY KEY (key, seq)
) WITHOUT ROWID`;

/** A queued write: an item appended to a list, or a session's owner claimed (`item` is the owner). */
interface Pending extends QueuedAppend {
  readonly list: List | "owner";
}

/** Session calls and sources in SQLite tables (`palisade_session_calls`, `palisade_session_sources`). */
export class SqliteSessionStore implements SessionStore {
  readonly shared = false;
  readonly #db: DatabaseSync;
  readonly #read: Record<List, StatementSync>;
  readonly #insert: Record<List, StatementSync>;
  readonly #one: StatementSync;
  readonly #update: StatementSync;
  readonly #claim: StatementSync;
  readonly #owner: StatementSync;
  #pending: Pending[] = [];

  private constructor(db: DatabaseSync) {
    this.#db = db;
    this.#read = {
      calls: db.prepare(`SELECT call AS item FROM ${TABLES.calls} WHERE key = ? AND seq >= ? ORDER BY seq`),
      sources: db.prepare(`SELECT source AS item FROM ${TABLES.sources} WHERE key = ? AND seq >= ? ORDER BY seq`),
    };
    this.#insert = {
      calls: db.prepare(`INSERT OR IGNORE INTO ${TABLES.calls} (key, seq, call) VALUES (?, ?, ?)`),
      sources: db.prepare(`INSERT OR IGNORE INTO ${TABLES.sources} (key, seq, source) VALUES (?, ?, ?)`),
    };
    this.#one = db.prepare(`SELECT call FROM ${TABLES.calls} WHERE key = ? AND seq = ?`);
    this.#update = db.prepare(`UPDATE ${TABLES.calls} SET call = ? WHERE key = ? AND seq = ?`);
    this.#claim = db.prepare(`INSERT OR IGNORE INTO ${OWNERS} (key, owner) VALUES (?, ?)`);
    this.#owner = db.prepare(`SELECT owner FROM ${OWNERS} WHERE key = ?`);
  }

  /** Opens (creating when missing) the session tables in the SQLite file at `path`. */
  static open(path: string): SqliteSessionStore {
    const db = openDatabase(path);
    try {
      db.exec("PRAGMA busy_timeout = 10000");
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = NORMAL");
      db.exec(schema(TABLES.calls, "call"));
      db.exec(schema(TABLES.sources, "source"));
      db.exec(`CREATE TABLE IF NOT EXISTS ${OWNERS} (key TEXT PRIMARY KEY, owner TEXT NOT NULL) WITHOUT ROWID`);
    } catch (err) {
      db.close();
      throw err;
    }
    return new SqliteSessionStore(db);
  }

  async read(key: string, from: number): Promise<SessionCall[]> {
    return this.#items<SessionCall>("calls", key, from);
  }

  append(key: string, at: number, call: SessionCall): Promise<boolean> {
    return this.#append("calls", key, at, call);
  }

  async readSources(key: string, from: number): Promise<SessionSource[]> {
    return this.#items<SessionSource>("sources", key, from);
  }

  appendSource(key: string, at: number, source: SessionSource): Promise<boolean> {
    return this.#append("sources", key, at, source);
  }

  async settle(key: string, at: number, outcome: CallOutcome, may: (call: StoredCall) => boolean): Promise<StoredCall | undefined> {
    // After the appends queued before it, so that the call it settles is there.
    if (this.#pending.length > 0) this.#flush();
    const row = this.#one.get(key, at) as { call: string } | undefined;
    if (row === undefined) return undefined;
    // One writer, and nothing awaited between the read and the write: the check holds.
    const before = JSON.parse(row.call) as StoredCall;
    if (may(before)) this.#update.run(JSON.stringify({ ...before, outcome }), key, at);
    return before;
  }

  async claim(key: string, owner: string): Promise<string> {
    const known = this.#owner.get(key) as { owner: string } | undefined;
    if (known !== undefined) return known.owner;
    // Written in the turn's transaction with the appends (one commit, not one more per new
    // session); answered once committed, so the session's next step reads it.
    if (await this.#append("owner", key, 0, owner)) return owner;
    return (this.#owner.get(key) as { owner: string }).owner;
  }

  #items<T>(list: List, key: string, from: number): T[] {
    return (this.#read[list].all(key, from) as { item: string }[]).map((r) => JSON.parse(r.item) as T);
  }

  #append(list: Pending["list"], key: string, at: number, item: unknown): Promise<boolean> {
    return new Promise((done, fail) => {
      if (this.#pending.push({ list, key, at, item, done, fail }) === 1) setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    const batch = this.#pending;
    this.#pending = [];
    let results: boolean[];
    try {
      results = immediateTransaction(this.#db, () => batch.map((p) => (p.list === "owner" ? this.#claim.run(p.key, p.item as string) : this.#insert[p.list].run(p.key, p.at, JSON.stringify(p.item))).changes === 1));
    } catch (err) {
      for (const p of batch) p.fail(err);
      return;
    }
    batch.forEach((p, i) => p.done(results[i]));
  }

  async close(): Promise<void> {
    if (this.#pending.length > 0) this.#flush();
    if (this.#db.isOpen) this.#db.close();
  }
}
