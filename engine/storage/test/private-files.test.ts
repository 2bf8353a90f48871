// Every SQLite file Palisade creates holds what agents did for whom: approval requests (their
// reasons quote the arguments a rule interpolated), session histories keyed by session id, the
// monitor's events. Each is created readable by its owner only, as the audit log is, whatever
// the process's umask; SQLite gives the -wal and -shm files the mode of the database.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { SqliteMonitorStore } from "../../monitor/sqlite-store.ts";
import { SqliteApprovalStore } from "../../service/approval-store-sqlite.ts";
import { SqliteSessionStore } from "../../service/session-store-sqlite.ts";

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

test("the state file (approvals, sessions) and the monitor's file are created 0600, their WAL too", async () => {
  const dir = mkdtempSync(join(tmpdir(), "palisade-private-"));
  const umask = process.umask(0o022);
  const opened: { close(): Promise<void> }[] = [];
  try {
    const approvals = join(dir, "approvals.state.db");
    const sessions = join(dir, "sessions.state.db");
    const monitor = join(dir, "monitor.db");
    opened.push(SqliteApprovalStore.open(approvals), SqliteSessionStore.open(sessions), SqliteMonitorStore.open(monitor));
    for (const path of [approvals, sessions, monitor]) {
      assert.equal(mode(path), "600", path);
      assert.equal(mode(`${path}-wal`), "600", `${path}-wal`);
    }
    // Both stores on one state file, as \`palisade serve\` opens them: the second finds it made.
    const shared = join(dir, "shared.state.db");
    opened.push(SqliteApprovalStore.open(shared), SqliteSessionStore.open(shared));
    assert.equal(mode(shared), "600");
  } finally {
    process.umask(umask);
    for (const s of opened) await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
