// OpenTelemetry for real (case 5: `"otel": true` did nothing, OTEL_* were not read): spans and
// metrics leave through the official OTLP/HTTP exporter, configured by the OTEL_* variables, and
// an OTLP receiver on loopback decodes them with the official protobuf definitions. From an
// embedding monitor, from `palisade drift --alert`, and from the service, where a client's
// `traceparent` makes the decision's span a child of the client's.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { repoRoot } from "../../../test/support.ts";
import { KEYS, startHarness, toolCall } from "../../service/test/harness.ts";
import { createBaseline } from "../baseline.ts";
import { MonitorError } from "../errors.ts";
import { Monitor } from "../monitor.ts";
import { SqliteMonitorStore } from "../sqlite-store.ts";
import { otelRequested, parseKeyValues, startTelemetry } from "../telemetry.ts";
import { simulate } from "./agent-sim.ts";
import { attributes, hex, spansOf, startReceiver } from "./otlp-receiver.ts";
import type { Receiver, Received } from "./otlp-receiver.ts";

let receiver: Receiver;
before(async () => {
  receiver = await startReceiver();
});
after(async () => {
  await receiver?.close();
});

const APP_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const APP_SPAN = "00f067aa0ba902b7";

function metricNames(r: Received): Set<string> {
  return new Set(r.metrics.flatMap((m) => (m.resourceMetrics ?? []).flatMap((rm) => (rm.scopeMetrics ?? []).flatMap((sm) => (sm.metrics ?? []).map((x) => x.name)))));
}

function dataPoints(r: Received, name: string): { attributes: Record<string, unknown>; value: number }[] {
  return r.metrics.flatMap((m) => (m.resourceMetrics ?? []).flatMap((rm) => (rm.scopeMetrics ?? []).flatMap((sm) => (sm.metrics ?? []).filter((x) => x.name === name).flatMap((x) => (x.gauge?.dataPoints ?? x.sum?.dataPoints ?? []).map((dp) => ({ attributes: attributes(dp.attributes), value: dp.asDouble ?? Number(dp.asInt) }))))));
}

test("the OTEL_* variables configure the export; what they cannot be is refused", async () => {
  assert.equal(otelRequested({}), false);
  assert.equal(otelRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://x:4318" }), true);
  assert.equal(otelRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://x:4318", OTEL_SDK_DISABLED: "true" }), false);
  assert.equal(await startTelemetry(undefined, {}), undefined, "nothing asked: no SDK");
  assert.equal(await startTelemetry(true, { OTEL_SDK_DISABLED: "true" }), undefined);
  await assert.rejects(startTelemetry(true, { OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }), (e: unknown) => e instanceof MonitorError && /OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported/.test(e.message));
  await assert.rejects(startTelemetry(true, { OTEL_TRACES_EXPORTER: "zipkin" }), /OTEL_TRACES_EXPORTER=zipkin is not supported/);
  assert.deepEqual(parseKeyValues("service.namespace=clinic,team=a%20b, bad"), { "service.namespace": "clinic", team: "a b" });
});

test("an embedding monitor's spans and metrics reach an OTLP receiver, decoded with the official protos", async () => {
  const telemetry = await startTelemetry(undefined, {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_SERVICE_NAME: "clinic-guard",
    OTEL_RESOURCE_ATTRIBUTES: "service.namespace=clinic",
    OTEL_EXPORTER_OTLP_HEADERS: "x-tenant=acme",
  });
  assert.ok(telemetry);
  const m = new Monitor({ tracer: telemetry.tracer, meter: telemetry.meter, flushIntervalMs: 0, retentionMs: 0 });
  const parent = { traceId: APP_TRACE, spanId: APP_SPAN, traceFlags: 1 };
  m.record({ time: 1_000, decision: "allow", phase: "model_call", provider: "openai", model: "gpt-4.1-mini", session: "conv-1", agent: "clinic-agent", agentName: "Clinic", env: "production", parent });
  m.record({ kind: "outcome", time: 2_000, phase: "model_call", provider: "openai", model: "gpt-4.1-mini", session: "conv-1", agent: "clinic-agent", env: "production", durationMs: 900, tokens: { input: 1000, output: 40 }, parent });
  m.record({ time: 3_000, decision: "deny", phase: "tool_call", tool: "send_email", session: "conv-1", agent: "clinic-agent", env: "production", rules: [{ rule: "clinic.phi.external_email", effect: "deny" }], parent });
  await m.flush();
  await telemetry.forceFlush();
  const got = await receiver.received();
  const spans = spansOf(got).filter((s) => s.resource["service.name"] === "clinic-guard");
  assert.deepEqual(spans.map((s) => s.name), ["chat gpt-4.1-mini", "chat gpt-4.1-mini", "execute_tool send_email"]);
  for (const s of spans) {
    assert.equal(hex(s.traceId), APP_TRACE, "in the application's trace");
    assert.equal(hex(s.parentSpanId), APP_SPAN, "a child of the application's span");
    assert.equal(s.scope, "palisade");
    assert.equal(s.resource["service.namespace"], "clinic");
    const a = attributes(s.attributes);
    assert.equal(a["gen_ai.conversation.id"], "conv-1");
    assert.equal(a["gen_ai.agent.id"], "clinic-agent");
  }
  const [decision, outcome, denied] = spans;
  assert.deepEqual([attributes(decision.attributes)["gen_ai.provider.name"], attributes(decision.attributes)["gen_ai.request.model"], attributes(decision.attributes)["gen_ai.agent.name"]], ["openai", "gpt-4.1-mini", "Clinic"]);
  assert.equal(outcome.kind, "SPAN_KIND_CLIENT");
  assert.equal(BigInt(outcome.endTimeUnixNano) - BigInt(outcome.startTimeUnixNano), 900_000_000n);
  assert.equal(attributes(outcome.attributes)["gen_ai.usage.output_tokens"], 40);
  assert.deepEqual(denied.status, { code: "STATUS_CODE_ERROR", message: "denied by clinic.phi.external_email" });
  assert.ok(got.headers.some((h) => h["x-tenant"] === "acme"), "OTEL_EXPORTER_OTLP_HEADERS are sent");
  await telemetry.shutdown();
  const after = await receiver.received();
  assert.ok(metricNames(after).has("palisade.monitor.events"), [...metricNames(after)].join(", "));
  assert.ok(metricNames(after).has("palisade.monitor.events.dropped"));
  await m.close();
});

test("palisade drift --alert exports the run's drift metrics and its alerts over OTLP", async () => {
  const dir = mkdtempSync(join(tmpdir(), "palisade-otlp-"));
  try {
    const db = join(dir, "palisade-audit.db");
    const HOUR = 3_600_000;
    const START = Date.UTC(2026, 0, 5, 8);
    const m = new Monitor({ store: SqliteMonitorStore.open(db), flushIntervalMs: 0, retentionMs: 0, overflow: "backpressure" });
    for (const e of simulate({ seed: 9, start: START, events: 12_000, stepMs: 600, shiftAt: START + HOUR })) m.record(e);
    await m.flush();
    await createBaseline(m.store, "normal", { from: START, to: START + HOUR, agent: "support-bot", env: "production" });
    await m.close();
    writeFileSync(join(dir, "monitors.json"), JSON.stringify({ baseline: "normal", defaults: { window: "1h" }, otel: true, alerts: { log: false } }));
    const r = spawnSync(process.execPath, ["--disable-warning=ExperimentalWarning", join(repoRoot, "bin", "palisade.js"), "drift", "--config", "monitors.json", "--alert", "--at", "2026-01-05T10:00Z"], {
      cwd: dir,
      encoding: "utf8",
      timeout: 120_000,
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: "palisade-drift-cron" },
    });
    assert.equal(r.status, 1, r.stderr);
    const got = await receiver.received();
    const q = dataPoints(got, "palisade.drift.q_value").filter((p) => p.attributes["palisade.metric"] === "tools");
    assert.equal(q.length, 1, "the tool mix's q-value, as a gauge");
    assert.ok(q[0].value < 1e-10);
    assert.deepEqual([q[0].attributes["gen_ai.agent.id"], q[0].attributes["deployment.environment.name"], q[0].attributes["palisade.window"]], ["support-bot", "production", "1h"]);
    assert.deepEqual(dataPoints(got, "palisade.drift.alerts").map((p) => p.attributes["palisade.metric"]).sort(), ["eval:refusal", "tools"]);
    const alertEvents = spansOf(got).filter((s) => s.resource["service.name"] === "palisade-drift-cron").flatMap((s) => s.events ?? []);
    assert.deepEqual(alertEvents.map((e) => attributes(e.attributes)["palisade.metric"]).sort(), ["eval:refusal", "tools"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the service: a client's traceparent makes the decision's span a child of the client's", async () => {
  const telemetry = await startTelemetry(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: "palisade-service" });
  assert.ok(telemetry);
  const monitor = new Monitor({ tracer: telemetry.tracer, meter: telemetry.meter, flushIntervalMs: 0, retentionMs: 0 });
  const h = await startHarness({ monitor });
  try {
    const res = await fetch(`${h.url}/v1/decide`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEYS.agent}`, "content-type": "application/json", traceparent: `00-${APP_TRACE}-${APP_SPAN}-01` },
      body: JSON.stringify(toolCall("shell", {}, "conv-42")),
    });
    assert.equal(res.status, 200);
    const out = await fetch(`${h.url}/v1/outcomes`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEYS.agent}`, "content-type": "application/json", traceparent: `00-${APP_TRACE}-${APP_SPAN}-01` },
      body: JSON.stringify({ phase: "tool_call", tool: "search", session: "conv-42", durationMs: 75 }),
    });
    assert.equal(out.status, 202);
    await fetch(`${h.url}/v1/decide`, { method: "POST", headers: { authorization: `Bearer ${KEYS.agent}`, "content-type": "application/json" }, body: JSON.stringify(toolCall("search")) });
    await monitor.flush();
    await telemetry.forceFlush();
    const spans = spansOf(await receiver.received()).filter((s) => s.resource["service.name"] === "palisade-service");
    const shell = spans.find((s) => s.name === "execute_tool shell");
    assert.ok(shell, spans.map((s) => s.name).join(", "));
    assert.equal(hex(shell.traceId), APP_TRACE);
    assert.equal(hex(shell.parentSpanId), APP_SPAN);
    assert.equal(shell.status?.code, "STATUS_CODE_ERROR");
    assert.equal(attributes(shell.attributes)["gen_ai.conversation.id"], "conv-42");
    const outcome = spans.find((s) => s.name === "execute_tool search" && attributes(s.attributes)["palisade.outcome"] === "ok");
    assert.equal(hex(outcome?.parentSpanId), APP_SPAN);
    const search = spans.find((s) => s.name === "execute_tool search" && attributes(s.attributes)["palisade.decision"] === "allow");
    assert.ok(search);
    assert.equal(search.parentSpanId ?? "", "", "no traceparent: a root span, in a trace of its own");
  } finally {
    await h.close();
    await telemetry.shutdown();
  }
});
