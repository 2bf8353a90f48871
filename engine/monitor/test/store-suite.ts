// One suite for every MonitorStore (memory, SQLite, PostgreSQL): merge-on-write buckets,
// queries by time, agent, version and environment, raw events and retention, baselines and
// alert state.
import assert from "node:assert/strict";
import { test } from "node:test";
import { addEvent, emptyAggregate } from "../aggregate.ts";
import type { Aggregate } from "../aggregate.ts";
import { MonitorError } from "../errors.ts";
import type { DecisionEvent } from "../event.ts";
import { seededRandom } from "../random.ts";
import type { MonitorStore } from "../store.ts";

function agg(events: readonly Partial<DecisionEvent>[]): Aggregate {
  const a = emptyAggregate();
  const rand = seededRandom(1);
  for (const e of events) addEvent(a, { time: 0, decision: "allow", ...e }, undefined, 512, rand);
  return a;
}

const key = { agent: "bot", agentVersion: "1.0", env: "prod" };

/** Registers the shared tests for stores made by `open` (a fresh, empty store each call). */
export function storeSuite(name: string, open: () => Promise<MonitorStore>): void {
  test(`${name}: buckets merge on write and read back by range and key`, async () => {
    const s = await open();
    try {
      await s.mergeBuckets([{ start: 0, ...key, aggregate: agg([{ tool: "search", latencyMs: 10 }, { tool: "refund", decision: "deny", rules: [{ rule: "r.x", effect: "deny" }] }]) }], 512);
      await s.mergeBuckets([
        { start: 0, ...key, aggregate: agg([{ tool: "search", latencyMs: 30 }]) },
        { start: 60_000, ...key, aggregate: agg([{ tool: "__proto__" }]) },
        { start: 60_000, ...key, agentVersion: "2.0", aggregate: agg([{ tool: "search" }]) },
      ], 512);
      const all = await s.buckets({ from: 0, to: 120_000 });
      assert.equal(all.length, 3);
      const first = all.find((b) => b.start === 0);
      assert.ok(first);
      assert.equal(first.aggregate.count, 3);
      assert.equal(first.aggregate.tools.get("search"), 2);
      assert.equal(first.aggregate.ruleDenials.get("r.x"), 1);
      assert.deepEqual([...(first.aggregate.numeric.get("decision_latency")?.values ?? [])].sort((a, b) => a - b), [10, 30]);
      assert.equal(first.aggregate.firsts.get("deny:r.x"), 1, "session-level counts are kept too");
      const proto = all.find((b) => b.start === 60_000 && b.agentVersion === "1.0");
      assert.equal(proto?.aggregate.tools.get("__proto__"), 1, "user data as keys is safe");
      assert.equal((await s.buckets({ from: 0, to: 60_000 })).length, 1, "to is exclusive");
      assert.equal((await s.buckets({ from: 0, to: 120_000, agentVersion: "2.0" })).length, 1);
      assert.equal((await s.buckets({ from: 0, to: 120_000, env: "staging" })).length, 0);
      assert.equal((await s.buckets({ from: 0, to: Number.MAX_SAFE_INTEGER, agent: "bot" })).length, 3);
    } finally {
      await s.close();
    }
  });

  test(`${name}: raw events are kept without output text and pruned by time`, async () => {
    const s = await open();
    try {
      await s.insertEvents([
        { event: { time: 1000, decision: "allow", tool: "a", output: "secret answer" } as DecisionEvent, evaluations: { refusal: "answer" } },
        { event: { time: 5000, decision: "deny", agent: "bot" } },
      ]);
      const got = await s.events(0, 10_000);
      assert.equal(got.length, 2);
      assert.equal(got[0].event.tool, "a");
      assert.equal((got[0].event as { output?: string }).output, undefined);
      assert.deepEqual(got[0].evaluations, { refusal: "answer" });
      assert.equal(await s.pruneEvents(2000), 1);
      assert.deepEqual((await s.events(0, 10_000)).map((e) => e.event.time), [5000]);
    } finally {
      await s.close();
    }
  });

  test(`${name}: baselines are named, listed oldest first, and not overwritten by accident`, async () => {
    const s = await open();
    try {
      await s.saveBaseline({ name: "b", createdAt: 2, selector: { agentVersion: "1.0" }, aggregate: agg([{ tool: "x" }]) });
      await s.saveBaseline({ name: "a", createdAt: 1, selector: { from: 0, to: 10 }, aggregate: agg([{ tool: "y" }, { tool: "y" }]) });
      await assert.rejects(s.saveBaseline({ name: "a", createdAt: 3, selector: {}, aggregate: agg([]) }), (e: unknown) => e instanceof MonitorError && e.code === "monitor/baseline-exists");
      assert.deepEqual((await s.baselines()).map((b) => b.name), ["a", "b"]);
      const a = await s.baseline("a");
      assert.equal(a?.aggregate.tools.get("y"), 2);
      assert.deepEqual(a?.selector, { from: 0, to: 10 });
      const calibrations = [{ windowMs: 3_600_000, chunks: 168, dispersion: { tools: 1.42, "denial_rate:r.x": 3 } }];
      await s.saveBaseline({ name: "a", createdAt: 3, selector: { env: "prod" }, aggregate: agg([{ tool: "z" }]), calibrations }, true);
      assert.equal((await s.baseline("a"))?.aggregate.tools.get("z"), 1);
      assert.deepEqual((await s.baseline("a"))?.calibrations, calibrations, "calibrations are kept with the baseline");
      assert.equal(await s.baseline("missing"), undefined);
    } finally {
      await s.close();
    }
  });

  test(`${name}: alert state round-trips and updates per key`, async () => {
    const s = await open();
    try {
      await s.saveAlertStates(new Map([["m/tools", { armed: false, lastFired: 123 }], ["m/x", { armed: true, lastFired: 0 }]]));
      await s.saveAlertStates(new Map([["m/x", { armed: false, lastFired: 456 }]]));
      const st = await s.alertStates();
      assert.deepEqual(st.get("m/tools"), { armed: false, lastFired: 123 });
      assert.deepEqual(st.get("m/x"), { armed: false, lastFired: 456 });
    } finally {
      await s.close();
    }
  });

  test(`${name}: alerts are kept, acknowledged once, and resolved by key`, async () => {
    const s = await open();
    try {
      const alert = (id: string, key: string, time: number) => ({ type: "palisade.drift.alert/1" as const, id, key, agent: "bot", env: "prod", monitor: "m", metric: "tools", test: "chi2", window: { from: "1970-01-01T00:00:00.000Z", to: "1970-01-01T01:00:00.000Z" }, baseline: "b", statistic: 30, p: 1e-5, q: 1e-4, value: 1e-4, threshold: 0.001, dispersion: 1.3, moved: [{ category: "send_email", reference: 0.035, current: 0.096, contribution: 28 }], summary: "s", time, message: "m" });
      await s.saveAlert(alert("a1", "bot:prod/m/tools", 100));
      await s.saveAlert(alert("a2", "bot:prod/m/tools", 200));
      await s.saveAlert(alert("a3", "bot:prod/m/latency", 150));
      assert.deepEqual((await s.alerts()).map((r) => r.alert.id), ["a2", "a3", "a1"], "newest first");
      assert.deepEqual((await s.alerts({ key: "bot:prod/m/tools" })).map((r) => r.alert.id), ["a2", "a1"]);
      assert.deepEqual((await s.alerts({ id: "a3" }))[0].alert.moved, alert("a3", "", 0).moved);
      assert.equal(await s.acknowledgeAlert("a2", { by: "dana", at: 300, note: "known campaign" }), true);
      assert.equal(await s.acknowledgeAlert("a2", { by: "sam", at: 400 }), false, "acknowledged once");
      assert.equal(await s.acknowledgeAlert("nope", { by: "sam", at: 400 }), false);
      assert.deepEqual((await s.alerts({ id: "a2" }))[0].acknowledged, { by: "dana", at: 300, note: "known campaign" });
      assert.deepEqual((await s.alerts({ unacknowledged: true })).map((r) => r.alert.id), ["a3", "a1"]);
      assert.deepEqual((await s.alerts({ since: 150 })).map((r) => r.alert.id), ["a2", "a3"]);
      assert.deepEqual((await s.resolveAlerts("bot:prod/m/tools", 500)).map((r) => [r.alert.id, r.resolvedAt]).sort(), [["a1", 500], ["a2", 500]]);
      assert.deepEqual(await s.resolveAlerts("bot:prod/m/tools", 600), [], "resolved once");
      assert.equal((await s.alerts({ id: "a3" }))[0].resolvedAt, null);
    } finally {
      await s.close();
    }
  });

  test(`${name}: a closed store refuses work`, async () => {
    const s = await open();
    await s.close();
    await assert.rejects(s.buckets({ from: 0, to: 1 }), (e: unknown) => e instanceof MonitorError && e.code === "monitor/store-closed");
  });
}
