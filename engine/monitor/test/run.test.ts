// The done-when: a simulated agent whose tool mix and refusal rate shift halfway through
// a run raises exactly the alerts for those two metrics — through the webhook, the log and
// OpenTelemetry — once each, and nothing for the metrics that did not move.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { Alerter, logSink, otelSink, webhookSink } from "../alerts.ts";
import type { Alert } from "../alerts.ts";
import { createBaseline } from "../baseline.ts";
import { defaultMonitorConfig, parseMonitorConfig } from "../config.ts";
import { Monitor } from "../monitor.ts";
import { runDrift } from "../run.ts";
import { simulate } from "./agent-sim.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
const START = Date.UTC(2026, 0, 5, 8);

async function recordRun(shiftAt: number): Promise<Monitor> {
  // The built-in descriptors (refusal, language, PII, length) run on the answers.
  const monitor = new Monitor({ seed: 7, flushIntervalMs: 0, overflow: "backpressure" });
  // Two hours at one decision every 180 ms: 40,000 decisions and their outcomes, the shift (if any) at the half.
  for (const e of simulate({ seed: 42, start: START, events: 40_000, stepMs: 180, shiftAt })) monitor.record(e);
  await monitor.flush();
  assert.equal(monitor.dropped, 0);
  return monitor;
}

async function webhookServer(): Promise<{ url: string; bodies: Alert[]; close: () => Promise<void> }> {
  const bodies: Alert[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Alert);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/alerts`, bodies, close: () => new Promise((ok) => server.close(() => ok())) };
}

test("a shift in tool mix and refusal rate raises those two alerts, once each, and no others", async () => {
  const monitor = await recordRun(START + HOUR);
  await createBaseline(monitor.store, "normal", { from: START, to: START + HOUR, agent: "support-bot", env: "production" });
  const hook = await webhookServer();
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const logged: string[] = [];
  const alerter = new Alerter([webhookSink(hook.url), logSink((l) => logged.push(l)), otelSink(provider.getTracer("palisade"))], { store: monitor.store });
  const config = parseMonitorConfig({ defaults: { window: "30m", cooldown: "10m" } });
  const keys: string[] = [];
  const fired: Alert[] = [];
  const drifting = new Set<string>();
  try {
    // A check every ten minutes over the last half hour, as a scheduler would run it.
    for (let t = START + HOUR; t <= START + 2 * HOUR; t += 10 * MIN) {
      const report = await runDrift(monitor.store, config, { now: t });
      for (const r of report.results) if (r.verdict === "drift") drifting.add(r.metric);
      if (t === START + HOUR) assert.equal(report.drifted, 0, "no drift before the shift");
      fired.push(...(await alerter.process(report, config.monitors, t)));
    }
  } finally {
    await hook.close();
  }
  assert.deepEqual([...drifting].sort(), ["eval:refusal", "tools"]);
  assert.deepEqual(fired.map((a) => a.metric).sort(), ["eval:refusal", "tools"], "each fires once: hysteresis holds while the metric stays shifted");
  assert.deepEqual(hook.bodies.map((a) => a.metric).sort(), ["eval:refusal", "tools"]);
  assert.ok(hook.bodies.every((a) => a.type === "palisade.drift.alert/1" && a.baseline === "normal" && a.agent === "support-bot" && a.env === "production"));
  assert.equal(hook.bodies.find((a) => a.metric === "tools")?.moved[0].category, "refund", "the tool whose share moved most: refund 10% → 30%");
  keys.push(...fired.map((a) => a.key));
  assert.deepEqual(keys.sort(), ["support-bot:production/quality categories/eval:refusal", "support-bot:production/tool mix/tools"]);
  assert.equal(logged.length, 2);
  assert.match(logged.join(""), /tools drifted from baseline 'normal'/);
  const events = exporter.getFinishedSpans().flatMap((s) => s.events);
  assert.deepEqual(events.map((e) => e.attributes?.["palisade.metric"]).sort(), ["eval:refusal", "tools"]);
  assert.ok(events.every((e) => e.name === "palisade.drift.alert"));
});

test("the same run without the shift raises nothing (the default monitors, whole second hour)", async () => {
  const monitor = await recordRun(Infinity);
  await createBaseline(monitor.store, "normal", { from: START, to: START + HOUR });
  const report = await runDrift(monitor.store, defaultMonitorConfig(), { now: START + 2 * HOUR, windowMs: HOUR });
  const tested = report.results.filter((r) => r.verdict !== "insufficient").map((r) => r.metric);
  // Everything the simulation produces was tested, so "no alerts" is not "no tests".
  for (const m of ["tools", "approval_rate", "denial_rate", "denial_rate:acme.pii.email_external", "denial_rate:acme.rate.limit", "error_rate", "categories", "eval:refusal", "eval:pii_leak", "eval:language", "latency", "latency:refund", "input_tokens", "output_tokens", "output_size", "score:answer_length"]) {
    assert.ok(tested.includes(m), `${m} was tested`);
  }
  assert.deepEqual(report.results.filter((r) => r.verdict === "drift").map((r) => r.metric), []);
});

test("with the shift, the whole second hour against the first drifts on exactly tools and refusals", async () => {
  const monitor = await recordRun(START + HOUR);
  await createBaseline(monitor.store, "normal", { from: START, to: START + HOUR });
  const report = await runDrift(monitor.store, defaultMonitorConfig(), { now: START + 2 * HOUR, windowMs: HOUR });
  assert.deepEqual([...new Set(report.results.filter((r) => r.verdict === "drift").map((r) => r.metric))].sort(), ["eval:refusal", "tools"]);
  const tools = report.results.find((r) => r.metric === "tools");
  assert.ok(tools && tools.adjustedP !== undefined && tools.adjustedP < 1e-10);
  assert.equal(report.window.count, 20_000);
  assert.equal(report.baseline.count, 20_000);
  assert.match(report.warnings.join("\n"), /not calibrated \(the baseline holds too few windows of this width/, "an hour's baseline cannot say how much hours vary");
});
