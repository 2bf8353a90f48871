// Alerts: fire once on crossing (any window), stay silent while the metric stays shifted, re-arm
// only when every window is past the calmer level, respect the cooldown; a failing sink does not
// stop the others; every alert is an audit entry with who, when, what and what moved, and an
// acknowledgment is one too.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import type { AuditRecord } from "../../audit/index.ts";
import { Alerter, acknowledgeAlert, alertKey, auditSink, logSink, webhookSink } from "../alerts.ts";
import type { Alert, AlertSink } from "../alerts.ts";
import { parseMonitorConfig } from "../config.ts";
import type { MetricResult } from "../drift.ts";
import { MemoryMonitorStore } from "../memory-store.ts";
import type { DriftReport } from "../run.ts";

const config = parseMonitorConfig({ monitors: [{ name: "tools", metric: "tools", cooldown: "10m", threshold: 0.01, window: ["1h", "24h"] }, { name: "lat", metric: "latency", test: "psi", window: "1h" }] });
const MIN = 60_000;
const HOUR = 60 * MIN;

const base = { calibrated: true, dispersion: 1.2, referenceN: 1000, currentN: 1000, chart: { labels: [], reference: [], current: [] } };

function pResult(q: number, windowMs = HOUR): MetricResult {
  return { ...base, key: `tools/tools@${windowMs / HOUR}h`, monitor: "tools", metric: "tools", windowMs, test: "chi2", statistic: 31.5, pValue: q / 3, adjustedP: q, threshold: 0.01, rearm: 0.1, verdict: q <= 0.01 ? "drift" : "ok", summary: "'send_email' 3.5% → 9.6%", moved: [{ category: "send_email", reference: 0.035, current: 0.096, contribution: 28.1 }, { category: "search", reference: 0.4, current: 0.37, contribution: 1.2 }] };
}

function dResult(d: number): MetricResult {
  return { ...base, key: "lat/latency@1h", monitor: "lat", metric: "latency", windowMs: HOUR, test: "psi", statistic: d, distance: d, threshold: 0.2, rearm: 0.1, verdict: d >= 0.2 ? "drift" : "ok", summary: "", moved: [] };
}

function report(results: MetricResult[], to = 0): DriftReport {
  return { baseline: { name: "b", createdAt: 0, count: 1000, from: null, to: null }, agent: "clinic-agent", env: "production", window: { from: to - 24 * HOUR, to, count: 1000 }, results, unrecorded: [], drifted: results.filter((r) => r.verdict === "drift").length, warnings: [] };
}

function collect(): { sink: AlertSink; got: Alert[]; resolved: Alert[] } {
  const got: Alert[] = [];
  const resolved: Alert[] = [];
  return { got, resolved, sink: { name: "mem", send: async (a) => void got.push(a), resolve: async (a) => void resolved.push(a) } };
}

test("p-value monitor: fires once, stays quiet in the grey zone, re-arms above the re-arm level", async () => {
  const { sink, got, resolved } = collect();
  const alerter = new Alerter([sink]);
  const seq: [number, number][] = [[0.5, 0], [0.001, 20], [0.0001, 40], [0.05, 60], [0.001, 80], [0.3, 100], [0.001, 120]];
  for (const [q, t] of seq) await alerter.process(report([pResult(q)], t * MIN), config.monitors, t * MIN);
  // Fires at 20; 40 still drifting; 60 is calmer but not past re-arm (0.1); 80 still disarmed; 100 re-arms; 120 fires.
  assert.deepEqual(got.map((a) => a.time / MIN), [20, 120]);
  assert.deepEqual(resolved.map((a) => a.id), [got[0].id], "the recovery names the alert it ends");
  assert.equal(got[0].type, "palisade.drift.alert/1");
  assert.match(got[0].message, /tools drifted from baseline 'b' \(agent clinic-agent, env production\) over the last 1h \(chi2, q = 0\.00100 ≤ 0\.01\); moved most: 'send_email' 3\.5% → 9\.6%/);
});

test("an alert says who, when, what and what moved (case 4)", async () => {
  const { sink, got } = collect();
  await new Alerter([sink]).process(report([pResult(0.001)], 10 * HOUR), config.monitors, 10 * HOUR);
  const [a] = got;
  assert.equal(a.key, alertKey("clinic-agent", "production", "tools", "tools"));
  assert.equal(a.key, "clinic-agent:production/tools/tools");
  assert.deepEqual([a.agent, a.env, a.monitor, a.metric, a.test, a.baseline], ["clinic-agent", "production", "tools", "tools", "chi2", "b"]);
  assert.deepEqual(a.window, { from: new Date(9 * HOUR).toISOString(), to: new Date(10 * HOUR).toISOString() });
  assert.equal(a.statistic, 31.5);
  assert.ok(Math.abs((a.p ?? 0) - 0.001 / 3) < 1e-15);
  assert.equal(a.q, 0.001);
  assert.equal(a.dispersion, 1.2);
  assert.equal(a.moved[0].category, "send_email", "the category that moved most, not the largest one");
});

test("windows of one metric share one alert: any window fires it, all must calm to re-arm", async () => {
  const { sink, got } = collect();
  const alerter = new Alerter([sink]);
  await alerter.process(report([pResult(0.5, HOUR), pResult(0.001, 24 * HOUR)], 0), config.monitors, 0);
  await alerter.process(report([pResult(0.001, HOUR), pResult(0.001, 24 * HOUR)], 20 * MIN), config.monitors, 20 * MIN);
  await alerter.process(report([pResult(0.5, HOUR), pResult(0.05, 24 * HOUR)], 40 * MIN), config.monitors, 40 * MIN);
  await alerter.process(report([pResult(0.001, HOUR), pResult(0.05, 24 * HOUR)], 60 * MIN), config.monitors, 60 * MIN);
  assert.equal(got.length, 1, "the day window still drifting keeps the hour's alert from firing again");
  assert.equal(got[0].window.from, new Date(-24 * HOUR).toISOString(), "the window that crossed is the one reported");
});

test("distance monitor: hysteresis on the distance itself", async () => {
  const { sink, got } = collect();
  const alerter = new Alerter([sink]);
  for (const [d, t] of [[0.3, 0], [0.15, 10], [0.25, 20], [0.05, 30], [0.4, 40]] as const) await alerter.process(report([dResult(d)]), config.monitors, t * MIN);
  assert.deepEqual(got.map((a) => a.time / MIN), [0, 40]);
});

test("cooldown: a re-armed monitor still waits out its cooldown", async () => {
  const { sink, got } = collect();
  const alerter = new Alerter([sink]);
  for (const [q, t] of [[0.001, 1], [0.5, 2], [0.001, 4], [0.001, 12]] as const) await alerter.process(report([pResult(q)]), config.monitors, t * MIN);
  // Re-armed at 2, but at 4 the 10-minute cooldown since 1 still holds; at 12 it has passed.
  assert.deepEqual(got.map((a) => a.time / MIN), [1, 12]);
});

test("state and alerts persist in the store across alerters (one CLI run each)", async () => {
  const store = new MemoryMonitorStore();
  const first = collect();
  await new Alerter([first.sink], { store }).process(report([pResult(0.001)]), config.monitors, 0);
  const second = collect();
  await new Alerter([second.sink], { store }).process(report([pResult(0.001)]), config.monitors, 60 * MIN);
  assert.equal(first.got.length, 1);
  assert.equal(second.got.length, 0, "still disarmed: the metric never recovered");
  const kept = await store.alerts();
  assert.deepEqual(kept.map((k) => [k.alert.id, k.acknowledged, k.resolvedAt]), [[first.got[0].id, null, null]]);
  await new Alerter([second.sink], { store }).process(report([pResult(0.5)]), config.monitors, 90 * MIN);
  assert.deepEqual(second.resolved.map((a) => a.id), [first.got[0].id], "a later process learns of the recovery from the store");
  assert.equal((await store.alerts())[0].resolvedAt, 90 * MIN);
});

test("insufficient results leave the state alone", async () => {
  const { sink, got } = collect();
  const alerter = new Alerter([sink]);
  await alerter.process(report([pResult(0.001)]), config.monitors, 0);
  await alerter.process(report([{ ...pResult(1), verdict: "insufficient", adjustedP: undefined }]), config.monitors, 20 * MIN);
  await alerter.process(report([pResult(0.001)]), config.monitors, 40 * MIN);
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
    const fired = await alerter.process(report([pResult(0.001)]), config.monitors, 0);
    assert.equal(fired.length, 1);
  } finally {
    await new Promise<void>((ok) => server.close(() => ok()));
  }
  assert.equal(lines.length, 1);
  assert.equal(errors.length, 1);
  assert.match(errors[0], /answered 500/);
});

test("alerts are audit entries (case 3); acknowledging records who, in the store and the log", async () => {
  const records: AuditRecord[] = [];
  const log = { append: async (r: AuditRecord) => void records.push(r) };
  const store = new MemoryMonitorStore();
  const alerter = new Alerter([auditSink(log)], { store });
  const [a] = await alerter.process(report([pResult(0.001)], 10 * HOUR), config.monitors, 10 * HOUR);
  assert.equal(records.length, 1);
  const r = records[0] as AuditRecord & { event: string; alert: Record<string, unknown> };
  assert.equal(r.event, "drift_alert");
  assert.equal(r.env, "production");
  assert.equal(r.agent, "clinic-agent");
  assert.equal(r.time, new Date(10 * HOUR).toISOString());
  for (const f of ["id", "key", "agent", "env", "window", "monitor", "metric", "test", "statistic", "p", "q", "value", "threshold", "baseline", "dispersion", "moved", "message"]) assert.ok(f in r.alert, `alert.${f}`);
  assert.equal(r.alert.id, a.id);
  assert.match(String(r.input_digest), /^sha256:[0-9a-f]{64}$/);

  assert.equal((await store.alerts({ unacknowledged: true })).length, 1);
  const done = await acknowledgeAlert(store, a.key, "dana@clinic", { note: "send_email campaign", now: 11 * HOUR, audit: log });
  assert.equal(done.alert.id, a.id, "a key names its latest alert");
  assert.equal((await store.alerts({ unacknowledged: true })).length, 0);
  const h = records[1] as AuditRecord & { event: string; handling: Record<string, unknown> };
  assert.equal(h.event, "drift_alert_handled");
  assert.equal(h.principal, "dana@clinic");
  assert.deepEqual(h.handling, { key: a.key, alert_id: a.id, by: "dana@clinic", action: "acknowledged", note: "send_email campaign" });
  await assert.rejects(acknowledgeAlert(store, a.id, "sam", { audit: log }), /was acknowledged by dana@clinic/);
  await assert.rejects(acknowledgeAlert(store, "nope", "sam", { audit: log }), (e: Error & { code?: string }) => e.code === "monitor/unknown-alert");
  assert.equal(records.length, 2, "a refused acknowledgment writes nothing");

  await alerter.process(report([pResult(0.5)], 12 * HOUR), config.monitors, 12 * HOUR);
  const resolved = records[2] as AuditRecord & { event: string; handling: Record<string, unknown> };
  assert.deepEqual([resolved.event, resolved.handling.action, resolved.handling.by, resolved.handling.alert_id], ["drift_alert_handled", "resolved", "palisade-monitor", a.id]);
});
