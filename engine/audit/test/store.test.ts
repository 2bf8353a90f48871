// The shared store suite against SQLite, plus what only the SQLite store does.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { SqliteStore } from "../sqlite-store.ts";
import { StoreError, openStore } from "../store.ts";
import { storeSuite } from "./store-suite.ts";

const dir = mkdtempSync(join(tmpdir(), "palisade-store-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

storeSuite("sqlite", async () => SqliteStore.open(join(dir, `s${++n}.db`)));

test("sqlite: a missing file is a clear error when not asked to create", async () => {
  await assert.rejects(openStore(join(dir, "absent.db"), { create: false }), (e: unknown) => e instanceof StoreError && e.code === "audit/store-missing" && /no audit log at/.test(e.message));
});

test("sqlite: a file that is not an audit log is refused", async () => {
  const p = join(dir, "junk.db");
  writeFileSync(p, "this is not sqlite at all, just some text padding it out to a page or so".repeat(20));
  await assert.rejects(openStore(p, { create: false }), (e: unknown) => e instanceof StoreError && e.code === "audit/store-unreadable");
});

test("sqlite: runs in WAL mode with full sync", async () => {
  const p = join(dir, "mode.db");
  const s = SqliteStore.open(p);
  await s.close();
  const { DatabaseSync } = await import("node:sqlite");
  const db = new DatabaseSync(p);
  assert.equal((db.prepare("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode, "wal");
  db.close();
});
