// What every SQLite-backed store of Palisade shares (the audit log, the monitor, the service's state).
import { closeSync, openSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";

/**
 * The SQLite database at `path`, its file created readable by its owner only when missing:
 * every store holds what agents did for whom (approval reasons quote arguments, histories are
 * keyed by session id), and SQLite gives the -wal and -shm files the database's mode.
 */
export function openDatabase(path: string): DatabaseSync {
  if (path !== ":memory:") {
    try {
      closeSync(openSync(path, "wx", 0o600));
    } catch (err) {
      // Already there (made earlier, or by another store or process just now): SQLite opens it as it is.
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  return new DatabaseSync(path);
}

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
