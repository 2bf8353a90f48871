// The shared store suite against a real PostgreSQL server (a fresh database per test).
import assert from "node:assert/strict";
import { test } from "node:test";
import { PostgresStore } from "../postgres-store.ts";
import { StoreError, openStore } from "../store.ts";
import { freshDatabase, sql } from "./pg-support.ts";
import { storeSuite } from "./store-suite.ts";

storeSuite("postgres", async () => PostgresStore.open(await freshDatabase("audit_store")));

test("postgres: a missing database is a clear error", async () => {
  const u = new URL(await freshDatabase("audit_store"));
  u.pathname = "/no_such_database_here";
  await assert.rejects(openStore(u.toString(), { create: false }), (e: unknown) => e instanceof StoreError && e.code === "audit/store-missing");
});

test("postgres: an empty database is not taken for a log unless asked to create one", async () => {
  const url = await freshDatabase("audit_store");
  await assert.rejects(openStore(url, { create: false }), (e: unknown) => e instanceof StoreError && e.code === "audit/store-unreadable");
  const s = await openStore(url);
  assert.match(s.location, /^postgres:\/\//);
  await s.close();
});

test("postgres: a log written with the entries_subject index moves to the subject table when opened, counts intact", async () => {
  const url = await freshDatabase("audit_store");
  await (await PostgresStore.open(url)).close();
  // The schema before subject_entries: the index on entries.subject, no table.
  await sql(url, "DROP TABLE subject_entries; CREATE INDEX entries_subject ON entries (subject) WHERE subject IS NOT NULL");
  await sql(url, "INSERT INTO entries (idx, data, leaf_hash, subject, time) SELECT i, '\\x00', '\\x00', CASE i % 3 WHEN 0 THEN NULL WHEN 1 THEN 'alice' ELSE 'bob' END, 0 FROM generate_series(0, 29) AS i");
  const s = await PostgresStore.open(url, { create: false });
  try {
    assert.equal(await s.subjectEntryCount("alice"), 10);
    assert.equal(await s.subjectEntryCount("bob"), 10);
    const rows = await sql(url, "SELECT subject, entries::int, first_idx::int, last_idx::int FROM subject_entries ORDER BY subject");
    assert.deepEqual(rows, [{ subject: "alice", entries: 10, first_idx: 1, last_idx: 28 }, { subject: "bob", entries: 10, first_idx: 2, last_idx: 29 }]);
    assert.deepEqual(await sql(url, "SELECT to_regclass('entries_subject') AS i"), [{ i: null }], "the index it replaces is gone");
  } finally {
    await s.close();
  }
  const again = await PostgresStore.open(url);
  try {
    assert.equal(await again.subjectEntryCount("alice"), 10);
  } finally {
    await again.close();
  }
});
