// The shared store suite against a real PostgreSQL server (a fresh database per test).
import assert from "node:assert/strict";
import { test } from "node:test";
import { PostgresStore } from "../postgres-store.ts";
import { StoreError, openStore } from "../store.ts";
import { freshDatabase } from "./pg-support.ts";
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
