// The shared store suite against the throwaway PostgreSQL server (a fresh database per test),
// and concurrent flushers merging into one bucket without losing counts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { freshDatabase } from "../../audit/test/pg-support.ts";
import { addEvent, emptyAggregate } from "../aggregate.ts";
import { PostgresMonitorStore } from "../postgres-store.ts";
import { seededRandom } from "../random.ts";
import { openMonitorStore } from "../store.ts";
import { storeSuite } from "./store-suite.ts";

storeSuite("postgres", async () => PostgresMonitorStore.open(await freshDatabase("monitor_store")));

test("postgres: concurrent merges into one bucket keep every count", async () => {
  const url = await freshDatabase("monitor_store");
  const stores = await Promise.all([0, 1, 2, 3].map(() => openMonitorStore(url)));
  try {
    const rand = seededRandom(3);
    await Promise.all(
      stores.flatMap((s) =>
        [0, 1, 2, 3, 4].map(() => {
          const a = emptyAggregate();
          for (let i = 0; i < 10; i++) addEvent(a, { time: 0, decision: "allow", tool: "t", latencyMs: i }, undefined, 64, rand);
          return s.mergeBuckets([{ start: 0, agent: "a", agentVersion: "v", env: "e", aggregate: a }], 64);
        }),
      ),
    );
    const [b] = await stores[0].buckets({ from: 0, to: 1 });
    assert.equal(b.aggregate.count, 200);
    assert.equal(b.aggregate.tools.get("t"), 200);
    assert.equal(b.aggregate.numeric.get("decision_latency")?.count, 200);
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
});

test("postgres: a missing database is a clear error", async () => {
  const u = new URL(await freshDatabase("monitor_store"));
  u.pathname = "/no_such_database_here";
  await assert.rejects(openMonitorStore(u.toString()), (e: unknown) => e instanceof Error && /no database at postgres:\/\//.test(e.message));
});
