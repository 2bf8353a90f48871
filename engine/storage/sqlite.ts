// What every SQLite-backed store of Palisade shares (the audit log, the monitor).
import type { DatabaseSync } from "node:sqlite";

/**
 * Runs `body` in a `BEGIN IMMEDIATE` transaction: the write lock is taken up front, so what
 * the body reads cannot go stale before it writes. Commits on return, rolls back on a throw.
 */
export function immediateTransaction<T>(db: DatabaseSync, body: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const out = body();
    db.exec("COMMIT");
    return out;
  } catch (err) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw err;
  }
}
