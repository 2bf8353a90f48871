// The console's view of decisions across every node on one PostgreSQL: each node writes the
// decisions it answered into `palisade_decisions` (a batch per turn of the event loop, after the
// answer, off the decision path), and any node's console reads them from there. The audit log is
// the record; this table is a bounded, queryable copy of recent decisions for the console.
import pg from "pg";
import { withClient } from "../storage/postgres.ts";
import { servicePool } from "./pg-pool.ts";
import type { ActivityFilter } from "./activity.ts";
import type { ActivityView } from "./context.ts";
import { principalOf } from "./console-read.ts";
import type { SessionPageV1, SessionQuery, SessionSummaryV1 } from "./console-read.ts";
import type { DecisionRecordV1 } from "./wire.ts";

const SCHEMA = `CREATE TABLE IF NOT EXISTS palisade_decisions (
  seq BIGSERIAL PRIMARY KEY,
  id TEXT NOT NULL,
  agent TEXT NOT NULL,
  env TEXT NOT NULL,
  phase TEXT NOT NULL,
  session TEXT,
  decision TEXT NOT NULL,
  approval TEXT,
  doc TEXT NOT NULL,
  at TEXT,
  principal TEXT
);
ALTER TABLE palisade_decisions ADD COLUMN IF NOT EXISTS at TEXT, ADD COLUMN IF NOT EXISTS principal TEXT;
CREATE INDEX IF NOT EXISTS palisade_decisions_session ON palisade_decisions (session, seq);
CREATE INDEX IF NOT EXISTS palisade_decisions_id ON palisade_decisions (id)`;

/** Recent decisions of every node, in a PostgreSQL table. */
export class PostgresActivity implements ActivityView {
  readonly #pool: pg.Pool;
  readonly #keep: number;
  #queue: DecisionRecordV1[] = [];
  #links: [string, string][] = [];
  #writing: Promise<void> = Promise.resolve();
  #writes = 0;
  readonly #onError: (err: unknown) => void;

  private constructor(pool: pg.Pool, keep: number, onError: (err: unknown) => void) {
    this.#pool = pool;
    this.#keep = keep;
    this.#onError = onError;
  }

  /** Connects and creates the table when missing; keeps about the last `keep` decisions. */
  static async open(url: string, onError: (err: unknown) => void = () => {}, keep = 100_000): Promise<PostgresActivity> {
    const pool = servicePool(url, 2);
    await withClient(pool, async (c) => {
      await c.query("SELECT pg_advisory_lock(7412003)");
      await c.query(SCHEMA);
      await escapeOlderRows(c);
      await c.query("SELECT pg_advisory_unlock(7412003)");
    });
    return new PostgresActivity(pool, keep, onError);
  }

  /** Queues a decision this node answered. */
  add(r: DecisionRecordV1): void {
    if (this.#queue.push(r) === 1 && this.#links.length === 0) this.#schedule();
  }

  /** Marks the decision that asked for an approval with the approval's id. */
  link(id: string, approval: string): void {
    if (this.#links.push([id, approval]) === 1 && this.#queue.length === 0) this.#schedule();
  }

  #schedule(): void {
    setImmediate(() => {
      this.#writing = this.#writing.then(() => this.#write()).catch(this.#onError);
    });
  }

  async #write(): Promise<void> {
    const batch = this.#queue;
    const links = this.#links;
    this.#queue = [];
    this.#links = [];
    if (batch.length > 0) {
      await this.#pool.query(
        "INSERT INTO palisade_decisions (id, agent, env, phase, session, decision, doc, at, principal) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])",
        [batch.map((r) => r.id), batch.map((r) => text(r.agent)), batch.map((r) => text(r.env)), batch.map((r) => r.phase), batch.map((r) => text(r.session)), batch.map((r) => r.decision), batch.map((r) => JSON.stringify(r)), batch.map((r) => r.time), batch.map((r) => principalText(r.input))],
      );
    }
    for (const [id, approval] of links) await this.#pool.query("UPDATE palisade_decisions SET approval = $2 WHERE id = $1", [id, approval]);
    // Now and then, the oldest beyond the bound go.
    if ((this.#writes += batch.length) >= 1000) {
      this.#writes = 0;
      await this.#pool.query("DELETE FROM palisade_decisions WHERE seq < (SELECT max(seq) FROM palisade_decisions) - $1", [this.#keep]);
    }
  }

  #view(row: { doc: string; approval: string | null }): DecisionRecordV1 {
    const r = JSON.parse(row.doc) as DecisionRecordV1;
    return row.approval === null ? r : { ...r, approval: row.approval };
  }

  async recent(filter: ActivityFilter, limit = 200): Promise<DecisionRecordV1[]> {
    const r = await this.#pool.query<{ doc: string; approval: string | null }>(
      "SELECT doc, approval FROM palisade_decisions WHERE ($1::text IS NULL OR agent = $1) AND ($2::text IS NULL OR env = $2) AND ($3::text IS NULL OR phase = $3) AND ($4::text IS NULL OR decision = $4) AND ($5::text IS NULL OR session = $5) ORDER BY seq DESC LIMIT $6",
      [text(filter.agent), text(filter.env), filter.phase ?? null, filter.decision ?? null, text(filter.session), limit],
    );
    return r.rows.map((x) => this.#view(x));
  }

  async sessions(): Promise<string[]> {
    const r = await this.#pool.query<{ session: string }>("SELECT session FROM (SELECT session, min(seq) AS first FROM palisade_decisions WHERE session IS NOT NULL GROUP BY session ORDER BY first DESC LIMIT 200) t ORDER BY first");
    return r.rows.map((x) => idOf(x.session));
  }

  async session(id: string, agent?: string): Promise<DecisionRecordV1[]> {
    const r = await this.#pool.query<{ doc: string; approval: string | null }>("SELECT doc, approval FROM (SELECT seq, doc, approval FROM palisade_decisions WHERE session = $1 AND ($2::text IS NULL OR agent = $2) ORDER BY seq DESC LIMIT 500) t ORDER BY seq", [text(id), text(agent)]);
    return r.rows.map((x) => this.#view(x));
  }

  /**
   * The console's sessions list, grouped in SQL over the `at` (time) and principal columns: no
   * document is parsed. Parsing every row's JSON cost about a second per page at 15,000 rows on a
   * loaded machine, and PostgreSQL's JSON operators (`->` as well as `->>`) refuse a document
   * holding \u0000 anywhere, so one client's input broke the list for everyone. The principal is
   * kept as JSON text for the same reason (text cannot hold \u0000). Rows written before these
   * columns existed (at NULL, from an older node) get their time from the document's text and no
   * principal. A session's principal is its first row's (its owner): a later step under another
   * principal was denied in it, and must not name the session (min() showed whichever sorted first).
   */
  async summaries(q: SessionQuery): Promise<SessionPageV1> {
    const like = q.q === undefined ? null : `%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const r = await this.#pool.query<{ id: string; agent: string; env: string; principal: string | null; first: string; last: string; steps: number; deny: number; require_approval: number; allow: number; total: number }>(
      `WITH d AS (SELECT seq, session, agent, env, decision,
          coalesce(at, substring(doc from '"time":"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z)"')) AS at, principal
        FROM palisade_decisions WHERE session IS NOT NULL
        AND ($7::text[] IS NULL OR agent = ANY($7)) AND ($8::text[] IS NULL OR env = ANY($8))),
      s AS (SELECT session AS id, agent, min(env) AS env, (array_agg(principal ORDER BY seq))[1] AS principal,
        min(at) AS first, max(at) AS last, count(*)::int AS steps,
        count(*) FILTER (WHERE decision = 'deny')::int AS deny, count(*) FILTER (WHERE decision = 'require_approval')::int AS require_approval,
        count(*) FILTER (WHERE decision = 'allow')::int AS allow FROM d GROUP BY agent, session)
      SELECT *, count(*) OVER ()::int AS total FROM s
      WHERE ($1::text IS NULL OR id ILIKE $1 OR agent ILIKE $1 OR env ILIKE $1 OR coalesce(principal, '') ILIKE $1)
        AND ($2::text IS NULL OR agent = $2) AND ($3::text IS NULL OR env = $3)
        AND ($4::text IS NULL OR (CASE WHEN deny > 0 THEN 'deny' WHEN require_approval > 0 THEN 'require_approval' ELSE 'allow' END) = $4)
      ORDER BY last DESC, id, agent LIMIT $5 OFFSET $6`,
      [text(like), text(q.agent), text(q.env), q.outcome ?? null, q.limit, q.offset, q.agents?.map(text) ?? null, q.envs?.map(text) ?? null],
    );
    const principal = (t: string | null): string | null => {
      try {
        const v: unknown = t === null ? null : JSON.parse(t);
        return typeof v === "string" ? v : null;
      } catch {
        return null;
      }
    };
    const sessions = r.rows.map((x): SessionSummaryV1 => {
      const counts: Record<string, number> = {};
      for (const k of ["deny", "require_approval", "allow"] as const) if (x[k] > 0) counts[k] = x[k];
      return { id: idOf(x.id), agent: idOf(x.agent), env: idOf(x.env), principal: principal(x.principal), first: x.first, last: x.last, steps: x.steps, outcome: x.deny > 0 ? "deny" : x.require_approval > 0 ? "require_approval" : "allow", counts };
    });
    // Past the last page there is no row to carry the window's count: count on its own then.
    const total = r.rows[0]?.total ?? (q.offset > 0 ? (await this.summaries({ ...q, offset: 0, limit: 1 })).total : 0);
    return { sessions, total, offset: q.offset, limit: q.limit };
  }

  /** Writes what is queued, then disconnects. */
  async close(): Promise<void> {
    await this.#writing;
    if (this.#queue.length > 0 || this.#links.length > 0) await this.#write().catch(this.#onError);
    await this.#pool.end();
  }
}

/**
 * An id as a text column holds it. PostgreSQL text cannot hold U+0000, and one agent, environment
 * or session id with it failed the insert of the whole batch (every decision written with it,
 * other clients' too, was missing from the console). Showing it as U+FFFD merged "s\0" with
 * "s\uFFFD" in the console, so the column holds an escaped form instead, one-to-one: U+FFFD
 * escapes, "\uFFFD0" is U+0000 and "\uFFFD\uFFFD" is U+FFFD; every other id is unchanged. Filters
 * are escaped alike and ids read from the columns unescaped (`idOf`); documents keep ids exactly.
 */
function text(s: string | null | undefined): string | null {
  if (s === undefined || s === null) return null;
  return /[\u0000\ufffd]/.test(s) ? s.replace(/[\u0000\ufffd]/g, (c) => (c === "\u0000" ? "\ufffd0" : "\ufffd\ufffd")) : s;
}

/**
 * Rewrites the id columns of rows an older node wrote, from their documents (which hold the ids
 * exactly). An older node stored U+0000 as U+FFFD and U+FFFD bare, so its "s\0" and "s\uFFFD"
 * both read as "s\uFFFD" (and "x\uFFFD0" read back as "x\0"): the row showed under another
 * session, and opening its own found nothing. Only rows whose columns hold U+FFFD are read, and only
 * those that differ are written, so a start with none costs one scan of the bounded table. Run at
 * every start: rows an older node writes during a rolling upgrade are mended at the next.
 */
async function escapeOlderRows(c: pg.PoolClient): Promise<void> {
  const rows = await c.query<{ seq: string; doc: string; agent: string; env: string; session: string | null }>("SELECT seq, doc, agent, env, session FROM palisade_decisions WHERE strpos(agent, $1) > 0 OR strpos(env, $1) > 0 OR strpos(session, $1) > 0", ["\ufffd"]);
  const fixed: [string, string, string, string | null][] = [];
  for (const row of rows.rows) {
    let r: Partial<DecisionRecordV1>;
    try {
      r = JSON.parse(row.doc) as Partial<DecisionRecordV1>;
    } catch {
      continue;
    }
    if (typeof r.agent !== "string" || typeof r.env !== "string" || (r.session !== null && typeof r.session !== "string")) continue;
    const want = [text(r.agent) as string, text(r.env) as string, text(r.session ?? null)] as const;
    if (want[0] !== row.agent || want[1] !== row.env || want[2] !== row.session) fixed.push([row.seq, ...want]);
  }
  if (fixed.length === 0) return;
  await c.query("UPDATE palisade_decisions d SET agent = f.agent, env = f.env, session = f.session FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS f(seq, agent, env, session) WHERE d.seq = f.seq", [fixed.map((f) => f[0]), fixed.map((f) => f[1]), fixed.map((f) => f[2]), fixed.map((f) => f[3])]);
}

/** An id read from a column, as `text` escaped it (rows an older node wrote are mended at start: escapeOlderRows). */
function idOf(t: string): string {
  return t.includes("\ufffd") ? t.replace(/\ufffd([0\ufffd])/g, (_, c: string) => (c === "0" ? "\u0000" : "\ufffd")) : t;
}

/** The principal's id as JSON text (null when the input names none): the form the list groups by. */
function principalText(input: unknown): string | null {
  const p = principalOf(input);
  return p === null ? null : JSON.stringify(p);
}
