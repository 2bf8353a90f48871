// The approval queue in PostgreSQL, shared by every `palisade serve` pointed at one server. The
// request is one JSON document per row (text: JSONB refuses the \u0000 escape a payload may
// hold); status is a column of its own so that answering is a conditional UPDATE on `pending`
// (the compare-and-set that settles races between nodes).
import pg from "pg";
import { withClient } from "../storage/postgres.ts";
import { servicePool } from "./pg-pool.ts";
import { answered } from "./approval-store.ts";
import type { ApprovalAnswer, ApprovalStore, StoredApproval } from "./approval-store.ts";
import type { ApprovalStatusV1 } from "./wire.ts";

const SCHEMA = `CREATE TABLE IF NOT EXISTS palisade_approvals (
  seq BIGSERIAL PRIMARY KEY,
  id TEXT UNIQUE NOT NULL,
  status TEXT NOT NULL,
  doc TEXT NOT NULL
)`;

/** Approval requests in a PostgreSQL table (`palisade_approvals`). */
export class PostgresApprovalStore implements ApprovalStore {
  readonly shared = true;
  readonly #pool: pg.Pool;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Connects and creates the table when missing (safe when several nodes start at once). */
  static async open(url: string): Promise<PostgresApprovalStore> {
    const pool = servicePool(url, 4);
    await withClient(pool, async (c) => {
      // Two nodes creating the table at once can clash on the type catalogue: serialise on a lock.
      await c.query("SELECT pg_advisory_lock(7412001)");
      await c.query(SCHEMA);
      await c.query("SELECT pg_advisory_unlock(7412001)");
    });
    return new PostgresApprovalStore(pool);
  }

  async create(a: StoredApproval): Promise<void> {
    await this.#pool.query("INSERT INTO palisade_approvals (id, status, doc) VALUES ($1, $2, $3)", [a.id, a.status, JSON.stringify(a)]);
  }

  async get(id: string): Promise<StoredApproval | undefined> {
    const r = await this.#pool.query<{ doc: string }>("SELECT doc FROM palisade_approvals WHERE id = $1", [id]);
    return r.rows[0] === undefined ? undefined : (JSON.parse(r.rows[0].doc) as StoredApproval);
  }

  async list(status?: ApprovalStatusV1, limit = 500): Promise<StoredApproval[]> {
    const r = status === undefined
      ? await this.#pool.query<{ doc: string }>("SELECT doc FROM (SELECT seq, doc FROM palisade_approvals ORDER BY seq DESC LIMIT $1) t ORDER BY seq", [limit])
      : await this.#pool.query<{ doc: string }>("SELECT doc FROM (SELECT seq, doc FROM palisade_approvals WHERE status = $1 ORDER BY seq DESC LIMIT $2) t ORDER BY seq", [status, limit]);
    return r.rows.map((x) => JSON.parse(x.doc) as StoredApproval);
  }

  async answer(id: string, ans: ApprovalAnswer): Promise<{ changed: boolean; approval: StoredApproval | undefined }> {
    const current = await this.get(id);
    if (current === undefined || current.status !== "pending") return { changed: false, approval: current };
    const next = answered(current, ans);
    const r = await this.#pool.query("UPDATE palisade_approvals SET status = $2, doc = $3 WHERE id = $1 AND status = 'pending'", [id, ans.status, JSON.stringify(next)]);
    return r.rowCount === 1 ? { changed: true, approval: next } : { changed: false, approval: await this.get(id) };
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
