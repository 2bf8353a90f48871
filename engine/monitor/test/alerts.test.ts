// Alerts: fire once on crossing, stay silent while the metric stays shifted, re-arm only past
// the calmer level, respect the cooldown; a failing sink does not stop the others.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { Alerter, logSink, webhookSink } from "../alerts.ts";
import type { Alert, AlertSink } from "../alerts.ts";
import { parseMonitorConfig } from "../config.ts";
import type { MetricResult } from "../drift.ts";
import { MemoryMonitorStore } from "../memory-store.ts";

const config = parseMonitorConfig({ monitors: [{ name: "tools", metric: "tools", cooldown: "10m" }, { name: "lat", metric: "latency", test: "psi" }] });
const MIN = 60_000;

function pResult(q: number): MetricResult {
  return { key: "tools/tools", monitor: "tools", metric: "tools", test: "chi2", statistic: 1, pValue: q, adjustedP: q, threshold: 0.01, rearm: 0.1, verdict: q <= 0.01 ? "drift" : "ok", referenceN: 1000, currentN: 1000, summary: "", chart: { labels: [], reference: [], current: [] } };
}

function dResult(d: number): MetricResult {
  return { key: "lat/latency", monitor: "lat", metric: "latency", test: "psi", statistic: d, distance: d, threshold: 0.2, rearm: 0.1, verdict: d >= 0.2 ? "drift" : "ok", referenceN: 1000, currentN: 1000, summary: "", chart: { labels: [], reference: [], current: [] } };
}

function collect(): { sink: AlertSink; got: Alert[] } {
  const got: Alert[] = [];
  return { got, sink: { name: "mem", send: async (a) => void got.push(a) } };
}

test("p-value monitor: fires once, stays quiet in the grey zone, re-arms above the re-arm level", async () => {
  const { sink, got } = collect();
  const alerter = new Alerter([sink]);
  const seq: [number, number][] = [[0.5, 0], [0.001, 20], [0.0001, 40], [0.05, 60], [0.001, 80], [0.3, 100], [0.001, 120]];
  for (const [q, t] of seq) await alerter.process([pResult(q)], config.monitors, "b", t * MIN);
  // Fires at 20; 40 still drifting; 60 is calmer but not past re-arm (0.1); 80 still disarmed; 100 re-arms; 120 fires.
  assert.deepEqual(got.map((a) => a.time / MIN), [20, 120]);
  assert.equal(got[0].type, "palisade.drift.alert/1");
  assert.match(got[0].message, /tools drifted from baseline 'b' \(chi2, q = 0\.00100 ≤ 0\.01/);
});

test("distance monitor: hysteresis on the distance itself", async () => {
  const { sink, got } = collect();
  const alerter = new Alerter([sink]);
  for (const [d, t] of [[0.3, 0], [0.15, 10], [0.25, 20], [0.05, 30], [0.4, 40]] as const) await alerter.process([dResult(d)], config.monitors, "b", t * MIN);
  assert.deepEqual(got.map((a) => a.time / MIN), [0, 40]);
});

test("cooldown: a re-armed monitor still waits out its cooldown", async () => {
  const { sink, got } = collect();
  const alerter = new Alerter([sink]);
  for (const [q, t] of [[0.001, 1], [0.5, 2], [0.001, 4], [0.001, 12]] as const) await alerter.process([pResult(q)], config.monitors, "b", t * MIN);
  // Re-armed at 2, but at 4 the 10-minute cooldown since 1 still holds; at 12 it has passed.
  assert.deepEqual(got.map((a) => a.time / MIN), [1, 12]);
});

test("state persists in the store across alerters (one CLI run each)", async () => {
  const store = new MemoryMonitorStore();
  const first = collect();
  await new Alerter([first.sink], { store }).process([pResult(0.001)], config.monitors, "b", 0);
  const second = collect();
  await new Alerter([second.sink], { store }).process([pResult(0.001)], config.monitors, "b", 60 * MIN);
  assert.equal(first.got.length, 1);
  assert.equal(second.got.length, 0, "still disarmed: the metric never recovered");
});

test("insufficient results leave the state alone", async () => {
  const { sink, got } = collect();
  const alerter = new Alerter([sink]);
  await alerter.process([pResult(0.001)], config.monitors, "b", 0);
  await alerter.process([{ ...pResult(1), verdict: "insufficient", adjustedP: undefined }], config.monitors, "b", 20 * MIN);
  await alerter.process([pResult(0.001)], config.monitors, "b", 40 * MIN);
  assert.equal(got.length, 1);
});

test("a failing webhook is reported and the log still gets the alert", async () => {
  const server = createServer((_req, res) => res.writeHead(500).end());
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  const lines: string[] = [];
  const errors: string[] = [];
  try {
    const alerter = new Alerter([webhookSink(`http://127.0.0.1:${port}/`), logSink((l) => lines.push(l))], { onError: (e, s) => errors.push(`${s.name}: ${String(e)}`) });
    const fired = await alerter.process([pResult(0.001)], config.monitors, "b", 0);
    assert.equal(fired.length, 1);
  } finally {
    await new Promise<void>((ok) => server.close(() => ok()));
  }
  assert.equal(lines.length, 1);
  assert.equal(errors.length, 1);
  assert.match(errors[0], /answered 500/);
});
