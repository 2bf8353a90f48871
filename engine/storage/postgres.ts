// What every PostgreSQL-backed store of Palisade shares (the audit log, the monitor).
import pg from "pg";

/** How long a statement may go unanswered before it fails (the store is then unavailable). */
export const QUERY_TIMEOUT_MS = 10_000;

/**
 * A pool for `url` whose every wait is bounded: a connection is made (or a free one found) within 5 s
 * (or the deadline, when shorter), a statement answered within `queryTimeoutMs`. A database that stops answering without closing the
 * connection (a partition, a frozen failover) otherwise left every read waiting for ever. An idle
 * connection dropped by the server must not crash the process: the next query reconnects.
 */
export function openPool(url: string, options: { max?: number; queryTimeoutMs?: number } = {}): pg.Pool {
  const deadline = options.queryTimeoutMs ?? QUERY_TIMEOUT_MS;
  // pg-pool bounds the wait for a free connection by the same connectionTimeoutMillis.
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 4, connectionTimeoutMillis: Math.min(5000, deadline), query_timeout: deadline, keepAlive: true });
  pool.on("error", () => {});
  return pool;
}

/** Whether `err` is a statement that passed its deadline: its connection still owes the answer, so it cannot take another statement. */
export function unanswered(err: unknown): boolean {
  return err instanceof Error && err.message === "Query read timeout";
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "postgres://…";
  }
}

/** A driver error as the lower-case text a diagnostic quotes after "cannot open …:". */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message.toLowerCase() : String(err);
}

/**
 * `run`'s result, a driver failure as the store's own error: `unavailable(message)` names the
 * store at `location` and why it could not be used (a statement past its deadline, a connection
 * refused or cut); errors `own` recognises pass as they are.
 */
export async function reached<T>(run: () => Promise<T>, location: string, own: (err: unknown) => boolean, unavailable: (message: string) => Error): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (own(err)) throw err;
    throw unavailable(unanswered(err) ? `${location} did not answer within its statement deadline` : `cannot use ${location}: ${errorText(err)}`);
  }
}

function ignore(): void {}

/**
 * Runs `body` on one connection of `pool`, released after (destroyed when `body` threw, as the
 * connection may be broken). pg reports a connection the server dropped as an 'error' event on
 * the client, and the pool listens for it only while the client is idle: on a checked-out client
 * nobody listened, and a database failover or a killed backend crashed the whole process. The
 * statement in flight rejects anyway, so the event itself is ignored here.
 */
export async function withClient<T>(pool: pg.Pool, body: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  c.on("error", ignore);
  let broken = false;
  try {
    return await body(c);
  } catch (err) {
    broken = true;
    throw err;
  } finally {
    c.removeListener("error", ignore);
    c.release(broken);
  }
}

/** Runs `body` in a transaction on one connection of `pool`: committed on return, rolled back on a throw. */
export async function transaction<T>(pool: pg.Pool, body: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  c.on("error", ignore); // see withClient
  try {
    await c.query("BEGIN");
    const out = await body(c);
    await c.query("COMMIT");
    c.removeListener("error", ignore);
    c.release();
    return out;
  } catch (err) {
    // A failed ROLLBACK means the connection is broken: destroy it rather than return it to the pool.
    // On a connection that left a statement unanswered, ROLLBACK would only queue behind it (and
    // wait out a second deadline): the connection is destroyed instead, which rolls back.
    let broken = unanswered(err);
    if (!broken) await c.query("ROLLBACK").catch(() => (broken = true));
    c.removeListener("error", ignore);
    c.release(broken);
    throw err;
  }
}
