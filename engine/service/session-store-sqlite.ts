// Session histories of a single node in a SQLite file (the service's state file beside the audit
// log). The node is the only writer, so appends never conflict; they are written a batch per turn
// of the event loop, in one transaction. Commits are synchronous=NORMAL: in WAL mode a commit
// survives a killed process; a power cut may drop the last moments of history (the audit log
// itself is synced). The write lock is never shared with the audit log's thread (another file).
import { DatabaseSync } from "node:sqlite";
import type { StatementSync } from "node:sqlite";
import { immediateTransaction } from "../storage/sqlite.ts";
import type { SessionCall, SessionStore } from "./sessions.ts";

const SCHEMA = `CREATE TABLE IF NOT EXISTS palisade_session_calls (
  key TEXT NOT NULL,
  seq INTEGER NOT NULL,
  call TEXT NOT NULL,
  PRIMARY KEY (key, seq)
) WITHOUT ROWID`;

interface Pending {
  readonly key: string;
  readonly at: number;
  readonly call: SessionCall;
  readonly done: (ok: boolean) => void;
  readonly fail: (err: unknown) => void;
}

/** Session calls in a SQLite table (`palisade_session_calls`). */
export class SqliteSessionStore implements SessionStore {
  readonly shared = false;
  readonly #db: DatabaseSync;
  readonly #read: StatementSync;
  readonly #insert: StatementSync;
  #pending: Pending[] = [];

  private constructor(db: DatabaseSync) {
    this.#db = db;
    this.#read = db.prepare("SELECT call FROM palisade_session_calls WHERE key = ? AND seq >= ? ORDER BY seq");
    this.#insert = db.prepare("INSERT OR IGNORE INTO palisade_session_calls (key, seq, call) VALUES (?, ?, ?)");
  }

  /** Opens (creating when missing) the session table in the SQLite file at `path`. */
  static open(path: string): SqliteSessionStore {
    const db = new DatabaseSync(path);
    try {
      db.exec("PRAGMA busy_timeout = 10000");
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = NORMAL");
      db.exec(SCHEMA);
    } catch (err) {
      db.close();
      throw err;
    }
    return new SqliteSessionStore(db);
  }

  async read(key: string, from: number): Promise<SessionCall[]> {
    return (this.#read.all(key, from) as { call: string }[]).map((r) => JSON.parse(r.call) as SessionCall);
  }

  append(key: string, at: number, call: SessionCall): Promise<boolean> {
    return new Promise((done, fail) => {
      if (this.#pending.push({ key, at, call, done, fail }) === 1) setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    const batch = this.#pending;
    this.#pending = [];
    let results: boolean[];
    try {
      results = immediateTransaction(this.#db, () => batch.map((p) => this.#insert.run(p.key, p.at, JSON.stringify(p.call)).changes === 1));
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
