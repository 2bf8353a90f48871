// The approval queue of a single node, in the SQLite file that holds its audit log, so that a
// request and its answer survive a restart (an approver's answer is not lost, a waiting client
// finds its request again). Answering is a conditional UPDATE on `pending`, the same
// compare-and-set as PostgreSQL's. Commits are synchronous=FULL on this connection: an answer
// acknowledged is on disk. Approvals are rare, so the main thread writing them costs little.
import type { DatabaseSync } from "node:sqlite";
import { openDatabase } from "../storage/sqlite.ts";
import type { StatementSync } from "node:sqlite";
import { answered } from "./approval-store.ts";
import type { ApprovalAnswer, ApprovalStore, StoredApproval } from "./approval-store.ts";
import type { ApprovalStatusV1 } from "./wire.ts";

const SCHEMA = `CREATE TABLE IF NOT EXISTS palisade_approvals (
  seq INTEGER PRIMARY KEY,
  id TEXT UNIQUE NOT NULL,
  status TEXT NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS palisade_approvals_status ON palisade_approvals (status, seq)`;

/** Approval requests in a SQLite table (`palisade_approvals`). */
export class SqliteApprovalStore implements ApprovalStore {
  readonly shared = false;
  readonly #db: DatabaseSync;
  readonly #q: Record<"insert" | "get" | "all" | "byStatus" | "answer", StatementSync>;

  private constructor(db: DatabaseSync) {
    this.#db = db;
    this.#q = {
      insert: db.prepare("INSERT INTO palisade_approvals (id, status, doc) VALUES (?, ?, ?)"),
      get: db.prepare("SELECT doc FROM palisade_approvals WHERE id = ?"),
      all: db.prepare("SELECT doc FROM (SELECT seq, doc FROM palisade_approvals ORDER BY seq DESC LIMIT ?) ORDER BY seq"),
      byStatus: db.prepare("SELECT doc FROM (SELECT seq, doc FROM palisade_approvals WHERE status = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq"),
      answer: db.prepare("UPDATE palisade_approvals SET status = ?, doc = ? WHERE id = ? AND status = 'pending'"),
    };
  }

  /** Opens (creating when missing) the approval table in the SQLite file at `path`. */
  static open(path: string): SqliteApprovalStore {
    const db = openDatabase(path);
    try {
      db.exec("PRAGMA busy_timeout = 10000");
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = FULL");
      db.exec(SCHEMA);
    } catch (err) {
      db.close();
      throw err;
    }
    return new SqliteApprovalStore(db);
  }

  async create(a: StoredApproval): Promise<void> {
    this.#q.insert.run(a.id, a.status, JSON.stringify(a));
  }

  async get(id: string): Promise<StoredApproval | undefined> {
    const row = this.#q.get.get(id) as { doc: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.doc) as StoredApproval);
  }

  async list(status?: ApprovalStatusV1, limit = 500): Promise<StoredApproval[]> {
    const rows = (status === undefined ? this.#q.all.all(limit) : this.#q.byStatus.all(status, limit)) as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as StoredApproval);
  }

  async answer(id: string, ans: ApprovalAnswer): Promise<{ changed: boolean; approval: StoredApproval | undefined }> {
    const current = await this.get(id);
    if (current === undefined || current.status !== "pending") return { changed: false, approval: current };
    const next = answered(current, ans);
    // Only a request still pending is answered: another process answering first wins.
    const { changes } = this.#q.answer.run(ans.status, JSON.stringify(next), id);
    return changes === 1 ? { changed: true, approval: next } : { changed: false, approval: await this.get(id) };
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }
}
