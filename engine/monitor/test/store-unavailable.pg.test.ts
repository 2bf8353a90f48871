// The PostgreSQL monitor store when PostgreSQL goes away under it (stopped, failed over, the
// network cut): every call rejects with MonitorError monitor/store-unavailable, the URL without
// its password and a one-line fix, never the driver's own error (which the CLI printed as an
// "internal error" and the service logged as it was).
import assert from "node:assert/strict";
import { test } from "node:test";
import { freshDatabase, pgRelay } from "../../audit/test/pg-support.ts";
import { emptyAggregate } from "../aggregate.ts";
import { MonitorError } from "../errors.ts";
import { PostgresMonitorStore } from "../postgres-store.ts";

test("postgres: a store whose database is gone answers monitor/store-unavailable on every call", async () => {
  const direct = new URL(await freshDatabase("monitor_gone"));
  direct.password = "s3cret-pw";
  const relay = await pgRelay(direct.toString());
  const store = await PostgresMonitorStore.open(relay.url);
  try {
    await store.saveBaseline({ name: "kept", createdAt: 1, selector: {}, aggregate: emptyAggregate() });
    await relay.close();
    const calls: [string, () => Promise<unknown>][] = [
      ["mergeBuckets", () => store.mergeBuckets([{ start: 0, agent: "a", agentVersion: "v", env: "e", aggregate: emptyAggregate() }], 64)],
      ["buckets", () => store.buckets({ from: 0, to: 1 })],
      ["insertEvents", () => store.insertEvents([{ event: { time: 0, decision: "allow" } }] as never)],
      ["events", () => store.events(0, 1)],
      ["pruneEvents", () => store.pruneEvents(0)],
      ["saveBaseline", () => store.saveBaseline({ name: "kept", createdAt: 2, selector: {}, aggregate: emptyAggregate() })],
      ["baseline", () => store.baseline("kept")],
      ["baselines", () => store.baselines()],
      ["alertStates", () => store.alertStates()],
      ["saveAlertStates", () => store.saveAlertStates(new Map([["k", { armed: true, lastFired: 0 }]]))],
      ["alerts", () => store.alerts()],
      ["acknowledgeAlert", () => store.acknowledgeAlert("x", { by: "ann", at: 0 })],
      ["resolveAlerts", () => store.resolveAlerts("k", 0)],
    ];
    for (const [name, run] of calls) {
      await assert.rejects(run(), (e: unknown) => {
        assert.ok(e instanceof MonitorError, `${name}: ${String(e)}`);
        assert.equal(e.code, "monitor/store-unavailable", name);
        assert.match(e.message, /^cannot use postgres:\/\/.*\*\*\*@127\.0\.0\.1:\d+\/monitor_gone_[0-9a-f]+: \S/, name);
        assert.ok(!e.message.includes("s3cret-pw"), `${name}: the password reached the message`);
        assert.match(e.hint ?? "", /^check that PostgreSQL is up and reachable/, name);
        return true;
      });
    }
  } finally {
    await store.close().catch(() => {});
  }
});
