// The shared store suite on the in-memory and SQLite stores, and the SQLite specifics: the
// monitor's tables live in the audit log's file without disturbing it.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { openStore } from "../../audit/store.ts";
import { MonitorError } from "../errors.ts";
import { MemoryMonitorStore } from "../memory-store.ts";
import { SqliteMonitorStore } from "../sqlite-store.ts";
import { openMonitorStore } from "../store.ts";
import { storeSuite } from "./store-suite.ts";

const dir = mkdtempSync(join(tmpdir(), "palisade-monitor-store-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

storeSuite("memory", async () => new MemoryMonitorStore());
storeSuite("sqlite", async () => SqliteMonitorStore.open(join(dir, `s${n++}.db`)));

test("sqlite: the monitor's tables sit beside an audit log in the same file", async () => {
  const path = join(dir, "shared.db");
  const audit = await openStore(path);
  await audit.close();
  const m = await openMonitorStore(path, { create: false });
  await m.saveBaseline({ name: "x", createdAt: 1, selector: {}, aggregate: (await import("../aggregate.ts")).emptyAggregate() });
  await m.close();
  const again = await openStore(path, { create: false });
  assert.equal(await again.size(), 0, "the audit log still opens and is untouched");
  await again.close();
});

test("sqlite: a missing file is an error when not creating", async () => {
  await assert.rejects(openMonitorStore(join(dir, "nope.db"), { create: false }), (e: unknown) => e instanceof MonitorError && e.code === "monitor/store-unreadable");
});

test("sqlite: a damaged aggregate row is reported, not read as empty", async () => {
  const path = join(dir, "damaged.db");
  const s = SqliteMonitorStore.open(path);
  await s.mergeBuckets([{ start: 0, agent: "", agentVersion: "", env: "", aggregate: (await import("../aggregate.ts")).emptyAggregate() }], 8);
  await s.close();
  const { DatabaseSync } = await import("node:sqlite");
  const db = new DatabaseSync(path);
  db.exec("UPDATE monitor_buckets SET data = '{\"count\": \"many\"}'");
  db.close();
  const again = SqliteMonitorStore.open(path);
  await assert.rejects(again.buckets({ from: 0, to: 1 }), (e: unknown) => e instanceof MonitorError && e.code === "monitor/store-corrupt");
  await again.close();
});
