// The done-when scenario on the shared store: the simulated shift recorded into PostgreSQL by
// two monitors (two processes' worth of flushers) drifts on exactly tools and refusals.
import assert from "node:assert/strict";
import { test } from "node:test";
import { freshDatabase } from "../../audit/test/pg-support.ts";
import { createBaseline } from "../baseline.ts";
import { defaultMonitorConfig } from "../config.ts";
import { Monitor } from "../monitor.ts";
import { runDrift } from "../run.ts";
import { openMonitorStore } from "../store.ts";
import { simulate } from "./agent-sim.ts";

const HOUR = 3_600_000;
const START = Date.UTC(2026, 0, 5, 8);

test("postgres: two recorders, one store, the right drift", async () => {
  const url = await freshDatabase("monitor_run");
  const monitors = await Promise.all([1, 2].map(async (seed) => new Monitor({ store: await openMonitorStore(url), seed, flushIntervalMs: 0, batchSize: 2048, now: () => START + 2 * HOUR })));
  const events = simulate({ seed: 42, start: START, events: 20_000, stepMs: 360, shiftAt: START + HOUR });
  events.forEach((e, i) => monitors[i % 2].record(e));
  await Promise.all(monitors.map((m) => m.flush()));
  const store = monitors[0].store;
  try {
    await createBaseline(store, "normal", { from: START, to: START + HOUR });
    const report = await runDrift(store, defaultMonitorConfig(), { now: START + 2 * HOUR, windowMs: HOUR });
    assert.equal(report.baseline.count, 10_000);
    assert.equal(report.window.count, 10_000);
    assert.deepEqual(report.results.filter((r) => r.verdict === "drift").map((r) => r.metric).sort(), ["eval:refusal", "tools"]);
    assert.equal((await store.events(START, START + 2 * HOUR)).length, events.length, "raw events (decisions and outcomes) kept within retention");
  } finally {
    await Promise.all(monitors.map((m) => m.close()));
  }
});
