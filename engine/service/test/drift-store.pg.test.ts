// GET /v1/drift over a PostgreSQL monitor store that goes away: 503 service/unavailable in the
// one error shape, naming the monitor store's code, never the driver's text or a 200 "error" report.
import assert from "node:assert/strict";
import { test } from "node:test";
import { freshDatabase, pgRelay } from "../../audit/test/pg-support.ts";
import { PostgresMonitorStore } from "../../monitor/postgres-store.ts";
import { monitorDriftSource } from "../drift-source.ts";
import { startHarness } from "./harness.ts";

test("drift over a monitor store that went away is 503 service/unavailable", async () => {
  const relay = await pgRelay(await freshDatabase("drift_gone"));
  const store = await PostgresMonitorStore.open(relay.url);
  const errors: unknown[] = [];
  const h = await startHarness({ drift: monitorDriftSource({ store }), onError: (e) => errors.push(e) });
  try {
    assert.equal((await h.call("GET", "/v1/drift", "admin")).body.status, "no-baseline");
    await relay.close();
    const r = await h.call("GET", "/v1/drift", "admin");
    assert.equal(r.status, 503, JSON.stringify(r.body));
    assert.equal(r.body.error.code, "service/unavailable");
    assert.match(r.body.error.message, /monitor\/store-unavailable/);
    assert.match(r.body.error.message, /check that PostgreSQL is up and reachable/);
    assert.doesNotMatch(JSON.stringify(r.body), /Connection terminated|ECONNREFUSED|at .*\.ts:\d+/);
    assert.deepEqual(errors, [], "a dependency down is no bug to report as one");
  } finally {
    await h.close();
    await store.close().catch(() => {});
  }
});
