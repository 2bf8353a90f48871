// Decisions and outcomes as OpenTelemetry spans, read back from an in-memory exporter: the GenAI
// conventions complete (provider, model, conversation, agent, tool, tokens), each span a child of
// the application's span, a denial an error status (case 5), outcomes with the call's real wall
// time; and the monitor's queue and drift runs as metrics.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ROOT_CONTEXT, SpanStatusCode, context, trace } from "@opentelemetry/api";
import type { Context, ContextManager } from "@opentelemetry/api";
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { Decision } from "../../runtime/decision.ts";
import { eventFromDecision } from "../event.ts";
import { Monitor } from "../monitor.ts";
import { activeSpanContext, decisionAttributes, driftMetrics, operationName, parentFromTraceparent } from "../otel.ts";
import type { DriftReport } from "../run.ts";

function tracer() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { exporter, tracer: provider.getTracer("palisade"), app: provider.getTracer("app") };
}

const decision: Decision = {
  decision: "deny",
  reasons: [{ rule: "acme.pii.email_external", effect: "deny", message: "no" }],
  warnings: [],
  payload: {},
  errors: [],
  policy: { digest: "sha256:abc" },
};

/** A context manager with a plain stack: enough to make `context.with` set the active context. */
class StackContextManager implements ContextManager {
  #stack: Context[] = [ROOT_CONTEXT];
  active(): Context {
    return this.#stack[this.#stack.length - 1];
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    this.#stack.push(ctx);
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.#stack.pop();
    }
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    return this;
  }
}

test("a decision becomes a child span of the application's, with GenAI and Palisade attributes; a deny is an error", () => {
  const { exporter, tracer: t, app } = tracer();
  const appSpan = app.startSpan("handle request");
  const sc = appSpan.spanContext();
  const e = eventFromDecision(decision, { time: 1_767_600_000_000, agent: "support-bot", agentName: "Support Bot", agentVersion: "1.4.0", env: "production", session: "conv-7", phase: "tool_call", tool: "send_email", latencyMs: 0.25, parent: { traceId: sc.traceId, spanId: sc.spanId, traceFlags: sc.traceFlags } });
  const m = new Monitor({ tracer: t, flushIntervalMs: 0, descriptors: false });
  m.record(e);
  return m.flush().then(async () => {
    const [span] = exporter.getFinishedSpans();
    assert.equal(span.name, "execute_tool send_email");
    assert.equal(span.spanContext().traceId, sc.traceId, "in the application's trace (case 5: each was its own root)");
    assert.equal(span.parentSpanContext?.spanId, sc.spanId);
    assert.deepEqual(span.status, { code: SpanStatusCode.ERROR, message: "denied by acme.pii.email_external" });
    assert.deepEqual(span.attributes, {
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.conversation.id": "conv-7",
      "gen_ai.tool.name": "send_email",
      "gen_ai.agent.id": "support-bot",
      "gen_ai.agent.name": "Support Bot",
      "gen_ai.agent.version": "1.4.0",
      "deployment.environment.name": "production",
      "error.type": "palisade.denied",
      "palisade.decision": "deny",
      "palisade.rules": ["acme.pii.email_external"],
      "palisade.policy.digest": "sha256:abc",
      "palisade.phase": "tool_call",
      "palisade.latency_ms": 0.25,
    });
    const ms = (x: [number, number]) => x[0] * 1000 + x[1] / 1e6;
    assert.equal(ms(span.endTime), 1_767_600_000_000);
    await m.close();
  });
});

test("chat spans name the provider, the model and the conversation; outcomes carry tokens and the call's wall time", async () => {
  const { exporter, tracer: t } = tracer();
  const m = new Monitor({ tracer: t, flushIntervalMs: 0, descriptors: false });
  m.record({ time: 10_000, decision: "allow", phase: "model_call", provider: "openai", model: "gpt-4.1-mini", session: "conv-9", agent: "a" });
  m.record({ kind: "outcome", time: 11_000, phase: "model_call", provider: "openai", model: "gpt-4.1-mini", session: "conv-9", agent: "a", durationMs: 850, tokens: { input: 1200, output: 80 } });
  m.record({ kind: "outcome", time: 12_000, phase: "tool_call", tool: "lookup", session: "conv-9", agent: "a", durationMs: 5000, error: { source: "tool", type: "TimeoutError", message: "upstream timed out" } });
  await m.flush();
  const [chatDecision, chat, tool] = exporter.getFinishedSpans();
  assert.equal(chatDecision.name, "chat gpt-4.1-mini");
  for (const s of [chatDecision, chat]) {
    assert.equal(s.attributes["gen_ai.operation.name"], "chat");
    assert.equal(s.attributes["gen_ai.provider.name"], "openai");
    assert.equal(s.attributes["gen_ai.request.model"], "gpt-4.1-mini");
    assert.equal(s.attributes["gen_ai.conversation.id"], "conv-9");
  }
  assert.equal(chat.attributes["gen_ai.usage.input_tokens"], 1200);
  assert.equal(chat.attributes["gen_ai.usage.output_tokens"], 80);
  const ms = (x: [number, number]) => x[0] * 1000 + x[1] / 1e6;
  assert.equal(ms(chat.endTime) - ms(chat.startTime), 850, "the model call's wall time, not the policy's");
  assert.equal(tool.name, "execute_tool lookup");
  assert.deepEqual(tool.status, { code: SpanStatusCode.ERROR, message: "upstream timed out" });
  assert.equal(tool.attributes["error.type"], "TimeoutError");
  await m.close();
});

test("the active span and a traceparent header become an event's parent", () => {
  const { app } = tracer();
  context.setGlobalContextManager(new StackContextManager());
  try {
    const span = app.startSpan("agent step");
    const got = context.with(trace.setSpan(context.active(), span), () => activeSpanContext());
    assert.deepEqual(got, { traceId: span.spanContext().traceId, spanId: span.spanContext().spanId, traceFlags: span.spanContext().traceFlags });
    assert.equal(activeSpanContext(), undefined, "no span open: no parent");
  } finally {
    context.disable();
  }
  assert.deepEqual(parentFromTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags: 1 });
  for (const bad of [undefined, "", "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "00-00000000000000000000000000000000-b7ad6b7169203331-01", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b71692033-01"]) assert.equal(parentFromTraceparent(bad), undefined, String(bad));
});

test("operation names by phase; attributes of a bare decision", () => {
  assert.equal(operationName("model_call"), "chat");
  assert.equal(operationName("tool_result"), "execute_tool");
  assert.equal(operationName("output"), "invoke_agent");
  assert.deepEqual(decisionAttributes({ time: 0, decision: "allow" }), { "gen_ai.operation.name": "invoke_agent", "palisade.decision": "allow", "palisade.rules": [] });
});

test("a monitor exports at flush time, not when recording; its queue and drift runs are metrics", async () => {
  const { exporter, tracer: t } = tracer();
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 });
  const meters = new MeterProvider({ readers: [reader] });
  const m = new Monitor({ tracer: t, meter: meters.getMeter("palisade"), flushIntervalMs: 0, queueCapacity: 4, log: () => {} });
  for (let i = 0; i < 6; i++) m.record({ time: i, decision: "allow", tool: "search" });
  assert.equal(exporter.getFinishedSpans().length, 0, "nothing on the decision path");
  await m.flush();
  assert.equal(exporter.getFinishedSpans().length, 4);
  const report: DriftReport = {
    baseline: { name: "b", createdAt: 0, count: 1, from: null, to: null }, agent: "a", env: "prod", window: { from: 0, to: 1, count: 1 }, unrecorded: [], drifted: 1, warnings: [],
    results: [{ key: "tools/tools@1h", monitor: "tools", metric: "tools", windowMs: 3_600_000, test: "chi2", statistic: 40, pValue: 1e-6, adjustedP: 2e-6, dispersion: 1.3, calibrated: true, threshold: 0.001, rearm: 0.1, verdict: "drift", referenceN: 1, currentN: 1, summary: "", moved: [], chart: { labels: [], reference: [], current: [] } }],
  };
  driftMetrics(meters.getMeter("palisade")).record(report);
  await reader.forceFlush();
  const points = new Map<string, { value: unknown; attributes: Record<string, unknown> }>();
  for (const rm of metricExporter.getMetrics()) for (const sm of rm.scopeMetrics) for (const md of sm.metrics) for (const dp of md.dataPoints) points.set(md.descriptor.name, { value: dp.value, attributes: dp.attributes });
  assert.equal(points.get("palisade.monitor.events")?.value, 4);
  assert.equal(points.get("palisade.monitor.events.dropped")?.value, 2, "drops are a metric (case 6)");
  assert.equal(points.get("palisade.monitor.queue.size")?.value, 0);
  assert.equal(points.get("palisade.drift.q_value")?.value, 2e-6);
  assert.equal(points.get("palisade.drift.drifted")?.value, 1);
  assert.deepEqual(points.get("palisade.drift.q_value")?.attributes, { "palisade.monitor": "tools", "palisade.metric": "tools", "palisade.test": "chi2", "palisade.window": "1h", "palisade.baseline": "b", "gen_ai.agent.id": "a", "deployment.environment.name": "prod" });
  await meters.shutdown();
  await m.close();
});
