// The pools of the service's shared PostgreSQL stores (sessions, approvals, the console's decisions).
import pg from "pg";

/** How long a statement may go unanswered before it fails (the store is then unavailable: 503). */
export const QUERY_TIMEOUT_MS = 10_000;

/**
 * A pool whose every wait is bounded: a connection is made within 5 s, a statement answered within
 * `queryTimeoutMs`. A database that stops answering without closing the connection (a partition,
 * a frozen failover) left a decision in a session waiting for ever, and every later step of that
 * session queued behind it. An idle connection the server drops does not crash the process.
 */
export function servicePool(url: string, max: number, queryTimeoutMs = QUERY_TIMEOUT_MS): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 5000, query_timeout: queryTimeoutMs, keepAlive: true });
  pool.on("error", () => {});
  return pool;
}
