// What every PostgreSQL-backed store of Palisade shares (the audit log, the monitor).
import pg from "pg";

/** A pool for `url`. An idle connection dropped by the server must not crash the process: the next query reconnects. */
export function openPool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on("error", () => {});
  return pool;
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

/** Runs `body` in a transaction on one connection of `pool`: committed on return, rolled back on a throw. */
export async function transaction<T>(pool: pg.Pool, body: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query("BEGIN");
    const out = await body(c);
    await c.query("COMMIT");
    c.release();
    return out;
  } catch (err) {
    // A failed ROLLBACK means the connection is broken: destroy it rather than return it to the pool.
    try {
      await c.query("ROLLBACK");
      c.release();
    } catch {
      c.release(true);
    }
    throw err;
  }
}
