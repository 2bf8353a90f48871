// The shared store suite against SQLite, plus what only the SQLite store does.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { AuditError } from "../errors.ts";
import { AuditLog } from "../log.ts";
import { MerkleTree } from "../merkle.ts";
import { generateKey } from "../note.ts";
import { SqliteStore } from "../sqlite-store.ts";
import { ThreadedSqliteStore } from "../sqlite-thread.ts";
import { StoreError, openStore } from "../store.ts";
import { decisionRecord } from "./records.ts";
import { storeSuite } from "./store-suite.ts";

const dir = mkdtempSync(join(tmpdir(), "palisade-store-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

storeSuite("sqlite", async () => SqliteStore.open(join(dir, `s${++n}.db`)));
storeSuite("sqlite on a worker thread", async () => ThreadedSqliteStore.open(join(dir, `t${++n}.db`)));

test("sqlite on a worker thread: errors keep their class and code across the thread", async () => {
  await assert.rejects(ThreadedSqliteStore.open(join(dir, "absent-too.db"), { create: false }), (e: unknown) => e instanceof StoreError && e.code === "audit/store-missing");
  const s = await ThreadedSqliteStore.open(join(dir, "err.db"));
  // A stored leaf hash of the wrong length: the core refuses to resume the tree from it.
  const db = new (await import("node:sqlite")).DatabaseSync(join(dir, "err.db"));
  db.prepare("INSERT INTO entries (idx, data, leaf_hash, subject, time) VALUES (0, x'00', x'00', NULL, 0)").run();
  db.close();
  await assert.rejects(s.append([{ data: new Uint8Array([1]), leafHash: new Uint8Array(32), subject: null, time: 0 }]), (e: unknown) => e instanceof AuditError && e.code === "audit/invalid-range-state");
  await s.close();
  await assert.rejects(s.size(), (e: unknown) => e instanceof StoreError && e.code === "audit/store-closed");
});

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

test("sqlite: a new log's file has 16 KiB pages, and an existing one keeps its own", async () => {
  const pageSize = async (path: string) => {
    const db = new (await import("node:sqlite")).DatabaseSync(path);
    try {
      return Number((db.prepare("PRAGMA page_size").get() as { page_size: number }).page_size);
    } finally {
      db.close();
    }
  };
  const fresh = SqliteStore.open(join(dir, "pages.db"));
  await fresh.append([{ data: new Uint8Array([1]), leafHash: new Uint8Array(32), subject: null, time: 0 }]);
  await fresh.close();
  assert.equal(await pageSize(join(dir, "pages.db")), 16384);
  const old = new (await import("node:sqlite")).DatabaseSync(join(dir, "old-pages.db"));
  old.exec("PRAGMA page_size = 4096; CREATE TABLE t (x)");
  old.close();
  const reopened = SqliteStore.open(join(dir, "old-pages.db"));
  await reopened.close();
  assert.equal(await pageSize(join(dir, "old-pages.db")), 4096);
});

test("sqlite: a log written with the entries_subject index moves to the subject table when opened, counts intact", async () => {
  const { DatabaseSync } = await import("node:sqlite");
  const p = join(dir, "legacy-subjects.db");
  const fresh = SqliteStore.open(p);
  await fresh.close();
  // The schema before subject_entries: the index on entries.subject, no table.
  const db = new DatabaseSync(p);
  db.exec("DROP TABLE subject_entries; CREATE INDEX entries_subject ON entries (subject) WHERE subject IS NOT NULL");
  const ins = db.prepare("INSERT INTO entries (idx, data, leaf_hash, subject, time) VALUES (?, x'00', x'00', ?, 0)");
  for (let i = 0; i < 30; i++) ins.run(i, i % 3 === 0 ? null : i % 3 === 1 ? "alice" : "bob");
  db.close();
  // Opened for reading only (create: false) it migrates all the same: the table is the store's own index.
  const s = SqliteStore.open(p, { create: false });
  try {
    assert.equal(await s.subjectEntryCount("alice"), 10);
    assert.equal(await s.subjectEntryCount("bob"), 10);
    const check = new DatabaseSync(p);
    const rows = check.prepare("SELECT subject, entries, first_idx, last_idx FROM subject_entries ORDER BY subject").all();
    assert.deepEqual(rows.map((r) => ({ ...r })), [{ subject: "alice", entries: 10, first_idx: 1, last_idx: 28 }, { subject: "bob", entries: 10, first_idx: 2, last_idx: 29 }]);
    assert.equal(check.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'entries_subject'").get()?.n, 0, "the index it replaces is gone");
    check.close();
  } finally {
    await s.close();
  }
  // Reopened, nothing migrates twice: the counts stay.
  const again = SqliteStore.open(p);
  try {
    assert.equal(await again.subjectEntryCount("alice"), 10);
  } finally {
    await again.close();
  }
});

test("sqlite: a log written with nodes keyed by (level, idx) moves to (last leaf, level) rowids once, even opened by two at a time; proofs, tiles and verify read it", async () => {
  const { DatabaseSync } = await import("node:sqlite");
  const p = join(dir, "legacy-nodes.db");
  const key = generateKey("palisade.test/legacy-nodes");
  const SIZE = 777;
  const before = await AuditLog.open(SqliteStore.open(p), { signingKey: key.signerKey, erasure: false });
  for (let i = 0; i < SIZE; i++) void before.append(decisionRecord(i));
  await before.flush();
  const cp = await before.checkpoint();
  const proofs = await Promise.all([0, 255, 256, 511, 776].map((i) => before.inclusionProof(i)));
  const consistency = await Promise.all([1, 100, 256, 700].map((s) => before.consistencyProof(s)));
  const tiles = new Map([...(await before.tiles(cp))].map((f) => [f.path, f.bytes]));
  const tile8 = await before.tile(1, 0, 3);
  await before.close();
  assert.ok(tiles.has("tile/1/000.p/3") && tile8 !== undefined, "the log reaches the second tile level");
  // The layout before: one B-tree ordered by level, then index.
  const db = new DatabaseSync(p);
  db.exec(`BEGIN;
    CREATE TABLE old_nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;
    INSERT INTO old_nodes SELECT id & 63, ((id >> 6) + 1) / (1 << (id & 63)) - 1, hash FROM nodes;
    DROP TABLE nodes; ALTER TABLE old_nodes RENAME TO nodes; COMMIT`);
  db.close();
  // Two stores on their own threads open it at once: one migrates, the other finds it done.
  const both = await Promise.all([ThreadedSqliteStore.open(p), ThreadedSqliteStore.open(p, { create: false })]);
  assert.deepEqual(await Promise.all(both.map((s) => s.nodeCount())), [SIZE - 4, SIZE - 4], "777 = 512 + 256 + 8 + 1: one node per completed subtree, none twice");
  await Promise.all(both.map((s) => s.close()));
  const check = new DatabaseSync(p);
  assert.deepEqual(check.prepare("SELECT name FROM pragma_table_info('nodes') ORDER BY cid").all().map((r) => r.name), ["id", "hash"]);
  assert.equal(check.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name LIKE 'nodes_%'").get()?.n, 0, "nothing of the old table is left");
  check.close();
  const after = await AuditLog.open(p, { signingKey: key.signerKey });
  try {
    assert.deepEqual(await Promise.all([0, 255, 256, 511, 776].map((i) => after.inclusionProof(i))), proofs);
    assert.deepEqual(await Promise.all([1, 100, 256, 700].map((s) => after.consistencyProof(s))), consistency);
    assert.deepEqual(new Map([...(await after.tiles(cp))].map((f) => [f.path, f.bytes])), tiles);
    assert.deepEqual(await after.tile(1, 0, 3), tile8);
    const report = await after.verify();
    assert.ok(report.ok, JSON.stringify(report.problems));
    assert.equal(report.checked.nodes, SIZE - 4);
    // And it grows on the new layout.
    for (let i = SIZE; i < 1100; i++) void after.append(decisionRecord(i));
    await after.flush();
    await after.checkpoint();
    const grown = await after.verify();
    assert.ok(grown.ok && grown.size === 1100, JSON.stringify(grown.problems));
    const proof = await after.inclusionProof(1000);
    const t = new MerkleTree();
    const read = SqliteStore.open(p, { create: false });
    for (const e of await read.entries(0, 1100)) t.appendLeafHash(e.leafHash);
    await read.close();
    assert.deepEqual(proof.proof, t.inclusionProof(1000, 1100));
  } finally {
    await after.close();
  }
});

test("sqlite: appends resume from the tree this store last committed, re-read when another writer appended or an append failed", async () => {
  const { DatabaseSync } = await import("node:sqlite");
  const p = join(dir, "edge.db");
  const entry = (i: number) => ({ data: new TextEncoder().encode(`entry ${i}`), subject: null, time: i });
  const a = SqliteStore.open(p);
  const b = SqliteStore.open(p);
  const reference = new MerkleTree();
  let next = 0;
  const append = async (s: SqliteStore, n: number) => {
    const batch = Array.from({ length: n }, () => entry(next++));
    await s.append(batch);
    for (const e of batch) reference.append(e.data);
  };
  try {
    await append(a, 5);
    await append(a, 6);
    // Another connection (another process, as far as `a` knows) appends in between.
    await append(b, 7);
    await append(a, 3);
    // An append that fails after its nodes were planned: a trigger refuses it at its last row.
    const db = new DatabaseSync(p);
    db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON entries WHEN NEW.idx = ${next + 3} BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    await assert.rejects(a.append(Array.from({ length: 4 }, (_, k) => entry(next + k))), /refused/);
    db.exec("DROP TRIGGER refuse");
    await append(a, 9);
    // Damage to the stored edge: a store that reads it back says so rather than extending it.
    const size = reference.size;
    assert.equal(await a.size(), size);
    assert.equal(size, 30);
    assert.equal(await a.nodeCount(), size - 4, "30 = 16 + 8 + 4 + 2: one node per completed subtree");
    const ids = Array.from({ length: 5 }, (_, level) => Array.from({ length: Math.floor(size / 2 ** level) }, (_, index) => ({ level, index }))).flat();
    const stored = await a.nodes(ids);
    for (const { level, index } of ids) assert.deepEqual(stored.get(`${level}/${index}`), reference.reader()(level, index), `node ${level}/${index}`);
    db.exec("DELETE FROM nodes WHERE (id & 63) = 4");
    db.close();
    const c = SqliteStore.open(p);
    await assert.rejects(c.append([entry(next)]), (e: unknown) => e instanceof StoreError && e.code === "audit/store-corrupt" && /lacks node 4\/0/.test(e.message));
    await c.close();
  } finally {
    await a.close();
    await b.close();
  }
});

test("sqlite: a node past leaf 2^47 is keyed exactly (its rowid is past 2^53)", async () => {
  const { DatabaseSync } = await import("node:sqlite");
  const p = join(dir, "far.db");
  const s = SqliteStore.open(p);
  try {
    const db = new DatabaseSync(p);
    // Node 1/2^46 covers leaves 2^47 and 2^47 + 1; its neighbours' rowids differ from it by 1 and 64.
    const last = 2n ** 47n + 1n;
    const ins = db.prepare("INSERT INTO nodes (id, hash) VALUES (?, ?)");
    ins.run(last * 64n + 1n, new Uint8Array(32).fill(1));
    ins.run(last * 64n + 2n, new Uint8Array(32).fill(2));
    ins.run((last - 2n) * 64n + 1n, new Uint8Array(32).fill(3));
    db.close();
    const got = await s.nodes([{ level: 1, index: 2 ** 46 }, { level: 1, index: 2 ** 46 - 1 }]);
    assert.deepEqual(got.get(`1/${2 ** 46}`), new Uint8Array(32).fill(1));
    assert.deepEqual(got.get(`1/${2 ** 46 - 1}`), new Uint8Array(32).fill(3));
  } finally {
    await s.close();
  }
});
