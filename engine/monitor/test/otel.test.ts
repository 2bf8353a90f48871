// Decisions as OpenTelemetry spans through @opentelemetry/api, read back from an in-memory
// exporter: GenAI convention attributes plus Palisade's, timing from the event.
import assert from "node:assert/strict";
import { test } from "node:test";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { Decision } from "../../runtime/decision.ts";
import { eventFromDecision } from "../event.ts";
import { Monitor } from "../monitor.ts";
import { decisionAttributes, exportDecisionSpan, operationName } from "../otel.ts";

function tracer() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { exporter, tracer: provider.getTracer("palisade") };
}

const decision: Decision = {
  decision: "deny",
  reasons: [{ rule: "acme.pii.email_external", effect: "deny", message: "no" }],
  warnings: [],
  payload: {},
  errors: [],
  policy: { digest: "sha256:abc" },
};

test("a decision becomes a span with GenAI and Palisade attributes", () => {
  const { exporter, tracer: t } = tracer();
  const e = eventFromDecision(decision, { time: 1_767_600_000_000, agent: "support-bot", agentVersion: "1.4.0", env: "production", phase: "tool_call", tool: "send_email", latencyMs: 250, tokens: { input: 100, output: 20 } });
  exportDecisionSpan(t, e, { refusal: "answer" });
  const [span] = exporter.getFinishedSpans();
  assert.equal(span.name, "execute_tool send_email");
  assert.deepEqual(span.attributes, {
    "gen_ai.operation.name": "execute_tool",
    "gen_ai.tool.name": "send_email",
    "gen_ai.agent.id": "support-bot",
    "gen_ai.agent.version": "1.4.0",
    "gen_ai.usage.input_tokens": 100,
    "gen_ai.usage.output_tokens": 20,
    "deployment.environment.name": "production",
    "palisade.decision": "deny",
    "palisade.rules": ["acme.pii.email_external"],
    "palisade.policy.digest": "sha256:abc",
    "palisade.phase": "tool_call",
    "palisade.latency_ms": 250,
    "palisade.eval.refusal": "answer",
  });
  const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;
  assert.equal(ms(span.endTime), 1_767_600_000_000);
  assert.equal(ms(span.startTime), 1_767_600_000_000 - 250);
});

test("operation names by phase", () => {
  assert.equal(operationName("model_call"), "chat");
  assert.equal(operationName("tool_result"), "execute_tool");
  assert.equal(operationName("output"), "invoke_agent");
  assert.deepEqual(decisionAttributes({ time: 0, decision: "allow" }), { "gen_ai.operation.name": "invoke_agent", "palisade.decision": "allow", "palisade.rules": [] });
});

test("a monitor with a tracer exports every decision at flush time, not when recorded", async () => {
  const { exporter, tracer: t } = tracer();
  const m = new Monitor({ tracer: t, flushIntervalMs: 0 });
  for (let i = 0; i < 5; i++) m.record({ time: i, decision: "allow", tool: "search" });
  assert.equal(exporter.getFinishedSpans().length, 0, "nothing on the decision path");
  await m.flush();
  assert.equal(exporter.getFinishedSpans().length, 5);
  await m.close();
});
