// Decisions as OpenTelemetry spans, so they show up in the tracing a team already runs. The
// attributes follow the GenAI semantic conventions where one exists (operation, tool, agent,
// token usage) and use `palisade.*` for the rest. Only @opentelemetry/api is used: with no SDK
// registered every call is a no-op, and the application chooses exporters.
import { SpanKind } from "@opentelemetry/api";
import type { Attributes, Tracer } from "@opentelemetry/api";
import type { Evaluations } from "./aggregate.ts";
import type { DecisionEvent } from "./event.ts";

/** The instrumentation scope name the monitor's tracer should use. */
export const TRACER_NAME = "palisade";

/** The GenAI operation a phase belongs to (`gen_ai.operation.name`). */
export function operationName(phase: string | undefined): string {
  if (phase === "tool_call" || phase === "tool_result") return "execute_tool";
  if (phase === "model_call") return "chat";
  return "invoke_agent";
}

/** The span attributes of one decision. */
export function decisionAttributes(e: DecisionEvent, evaluations?: Evaluations): Attributes {
  const a: Attributes = {
    "gen_ai.operation.name": operationName(e.phase),
    "palisade.decision": e.decision,
    "palisade.rules": (e.rules ?? []).map((r) => r.rule),
  };
  if (e.tool !== undefined) a["gen_ai.tool.name"] = e.tool;
  if (e.agent !== undefined) a["gen_ai.agent.id"] = e.agent;
  if (e.agentVersion !== undefined) a["gen_ai.agent.version"] = e.agentVersion;
  if (e.tokens?.input !== undefined) a["gen_ai.usage.input_tokens"] = e.tokens.input;
  if (e.tokens?.output !== undefined) a["gen_ai.usage.output_tokens"] = e.tokens.output;
  if (e.env !== undefined) a["deployment.environment.name"] = e.env;
  if (e.phase !== undefined) a["palisade.phase"] = e.phase;
  if (e.policyDigest !== undefined) a["palisade.policy.digest"] = e.policyDigest;
  if (e.latencyMs !== undefined) a["palisade.latency_ms"] = e.latencyMs;
  if (e.category !== undefined) a["palisade.response.category"] = e.category;
  if (e.labels) for (const k of Object.keys(e.labels)) a[`palisade.label.${k}`] = e.labels[k];
  if (e.scores) for (const k of Object.keys(e.scores)) a[`palisade.score.${k}`] = e.scores[k];
  if (evaluations) for (const k of Object.keys(evaluations)) a[`palisade.eval.${k}`] = evaluations[k];
  return a;
}

/** The span name the GenAI conventions give: `{operation} {tool}`, or the operation alone. */
export function spanName(e: DecisionEvent): string {
  const op = operationName(e.phase);
  return e.tool !== undefined ? `${op} ${e.tool}` : op;
}

/** Exports one decision as a finished span, from `time - latencyMs` to `time`. */
export function exportDecisionSpan(tracer: Tracer, e: DecisionEvent, evaluations?: Evaluations): void {
  const end = e.time;
  const start = e.latencyMs !== undefined && e.latencyMs >= 0 ? end - e.latencyMs : end;
  const span = tracer.startSpan(spanName(e), { kind: SpanKind.INTERNAL, startTime: start, attributes: decisionAttributes(e, evaluations) });
  span.end(end);
}
