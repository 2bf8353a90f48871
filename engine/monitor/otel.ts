// Decisions and outcomes as OpenTelemetry spans, following the GenAI semantic conventions
// (gen_ai.operation.name, gen_ai.provider.name, gen_ai.request.model, gen_ai.conversation.id,
// gen_ai.agent.*, gen_ai.tool.name, gen_ai.usage.*, error.type), each parented to the span the
// application had open when the decision or outcome happened (the event's `parent`), exported at
// flush time through `@opentelemetry/api`, so nothing here runs on the decision path. A denial is
// an error status naming the rule. Drift runs and the monitor's queue become OTel metrics.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, trace } from "@opentelemetry/api";
import type { Attributes, Context, HrTime, Meter, Tracer } from "@opentelemetry/api";
import type { Evaluations } from "./aggregate.ts";
import type { Alert } from "./alerts.ts";
import { windowLabel } from "./drift.ts";
import type { DecisionEvent, OutcomeEvent, ParentSpan, TelemetryEvent } from "./event.ts";
import type { DriftReport } from "./run.ts";

/** The instrumentation scope name the monitor's tracer and meter use. */
export const TRACER_NAME = "palisade";

/** The GenAI operation a phase belongs to (`gen_ai.operation.name`). */
export function operationName(phase: string | undefined): string {
  if (phase === "tool_call" || phase === "tool_result") return "execute_tool";
  if (phase === "model_call") return "chat";
  return "invoke_agent";
}

/**
 * The span the application has open now, as the event's `parent`: call it where the decision or
 * outcome happens (it reads the active context, a few hundred nanoseconds), not at flush time.
 * Undefined when no valid span is active.
 */
export function activeSpanContext(): ParentSpan | undefined {
  const sc = trace.getSpanContext(context.active());
  if (sc === undefined || !trace.isSpanContextValid(sc)) return undefined;
  return { traceId: sc.traceId, spanId: sc.spanId, traceFlags: sc.traceFlags };
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The parent named by a W3C `traceparent` header (version 00), or undefined when there is none or it is malformed. */
export function parentFromTraceparent(header: string | undefined): ParentSpan | undefined {
  const m = header === undefined ? null : TRACEPARENT.exec(header.trim().toLowerCase());
  if (m === null) return undefined;
  const parent = { traceId: m[1], spanId: m[2], traceFlags: Number.parseInt(m[3], 16) };
  return trace.isSpanContextValid({ ...parent, isRemote: true }) ? parent : undefined;
}

function parentContext(parent: ParentSpan | undefined): Context {
  if (parent === undefined) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, { traceId: parent.traceId, spanId: parent.spanId, traceFlags: parent.traceFlags, isRemote: true });
}

/** The GenAI attributes every span of an event carries. */
function subjectAttributes(e: TelemetryEvent, a: Attributes): void {
  a["gen_ai.operation.name"] = operationName(e.phase);
  if (e.provider !== undefined) a["gen_ai.provider.name"] = e.provider;
  if (e.model !== undefined) a["gen_ai.request.model"] = e.model;
  if (e.session !== undefined) a["gen_ai.conversation.id"] = e.session;
  if (e.agent !== undefined) a["gen_ai.agent.id"] = e.agent;
  if (e.agentName !== undefined) a["gen_ai.agent.name"] = e.agentName;
  if (e.agentVersion !== undefined) a["gen_ai.agent.version"] = e.agentVersion;
  if (e.tool !== undefined) a["gen_ai.tool.name"] = e.tool;
  if (e.tokens?.input !== undefined) a["gen_ai.usage.input_tokens"] = e.tokens.input;
  if (e.tokens?.output !== undefined) a["gen_ai.usage.output_tokens"] = e.tokens.output;
  if (e.env !== undefined) a["deployment.environment.name"] = e.env;
  if (e.phase !== undefined) a["palisade.phase"] = e.phase;
}

/** The span attributes of one decision. */
export function decisionAttributes(e: DecisionEvent, evaluations?: Evaluations): Attributes {
  const a: Attributes = {};
  subjectAttributes(e, a);
  a["palisade.decision"] = e.decision;
  a["palisade.rules"] = (e.rules ?? []).map((r) => r.rule);
  if (e.decision === "deny") a["error.type"] = "palisade.denied";
  if (e.id !== undefined) a["palisade.decision.id"] = e.id;
  if (e.policyDigest !== undefined) a["palisade.policy.digest"] = e.policyDigest;
  if (e.latencyMs !== undefined) a["palisade.latency_ms"] = e.latencyMs;
  if (e.category !== undefined) a["palisade.response.category"] = e.category;
  if (e.labels) for (const k of Object.keys(e.labels)) a[`palisade.label.${k}`] = e.labels[k];
  if (e.scores) for (const k of Object.keys(e.scores)) a[`palisade.score.${k}`] = e.scores[k];
  if (evaluations) for (const k of Object.keys(evaluations)) a[`palisade.eval.${k}`] = evaluations[k];
  return a;
}

/** The span attributes of one outcome. */
export function outcomeAttributes(e: OutcomeEvent, evaluations?: Evaluations): Attributes {
  const a: Attributes = {};
  subjectAttributes(e, a);
  a["palisade.outcome"] = e.error === undefined ? "ok" : "error";
  if (e.error !== undefined) a["error.type"] = e.error.type ?? e.error.source;
  if (e.decisionId !== undefined) a["palisade.decision.id"] = e.decisionId;
  if (e.outputSize !== undefined) a["palisade.output.size"] = e.outputSize;
  if (e.scores) for (const k of Object.keys(e.scores)) a[`palisade.score.${k}`] = e.scores[k];
  if (evaluations) for (const k of Object.keys(evaluations)) a[`palisade.eval.${k}`] = evaluations[k];
  return a;
}

/** The span name the GenAI conventions give: `{operation} {tool | model | agent}`, or the operation alone. */
export function spanName(e: TelemetryEvent): string {
  const op = operationName(e.phase);
  const target = op === "execute_tool" ? e.tool : op === "chat" ? e.model : (e.agentName ?? e.agent);
  return target !== undefined ? `${op} ${target}` : op;
}

/**
 * Milliseconds since the epoch as OTel's [seconds, nanoseconds]: given a plain number, the SDK
 * reads one below `performance.now()` as time since the process started, so an early event's
 * start and end could be read on two different clocks (a 900 ms call exported as 0 ms).
 */
function epoch(ms: number): HrTime {
  const s = Math.floor(ms / 1000);
  const ns = Math.round((ms - s * 1000) * 1e6);
  return ns >= 1e9 ? [s + 1, ns - 1e9] : [s, ns];
}

/**
 * Exports one decision as a finished span, from `time - latencyMs` to `time`, under the
 * application's span when the event names one. A deny is an error status naming the rules.
 */
export function exportDecisionSpan(tracer: Tracer, e: DecisionEvent, evaluations?: Evaluations): void {
  const end = e.time;
  const start = e.latencyMs !== undefined && e.latencyMs >= 0 ? end - e.latencyMs : end;
  const span = tracer.startSpan(spanName(e), { kind: SpanKind.INTERNAL, startTime: epoch(start), attributes: decisionAttributes(e, evaluations) }, parentContext(e.parent));
  if (e.decision === "deny") {
    const rules = (e.rules ?? []).filter((r) => r.effect === "deny").map((r) => r.rule);
    span.setStatus({ code: SpanStatusCode.ERROR, message: `denied by ${rules.length > 0 ? rules.join(", ") : "policy"}` });
  }
  span.end(epoch(end));
}

/** Exports one outcome as a finished span covering the call (`time - durationMs` to `time`); a failure is an error status. */
export function exportOutcomeSpan(tracer: Tracer, e: OutcomeEvent, evaluations?: Evaluations): void {
  const end = e.time;
  const start = e.durationMs !== undefined && e.durationMs >= 0 ? end - e.durationMs : end;
  const kind = operationName(e.phase) === "chat" ? SpanKind.CLIENT : SpanKind.INTERNAL;
  const span = tracer.startSpan(spanName(e), { kind, startTime: epoch(start), attributes: outcomeAttributes(e, evaluations) }, parentContext(e.parent));
  if (e.error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: e.error.message ?? `${e.error.source} failed` });
  span.end(epoch(end));
}

/** Exports a decision or an outcome. */
export function exportSpan(tracer: Tracer, e: TelemetryEvent, evaluations?: Evaluations): void {
  if (e.kind === "outcome") exportOutcomeSpan(tracer, e, evaluations);
  else exportDecisionSpan(tracer, e, evaluations);
}

/** Records drift runs and alerts as OTel metrics. */
export interface DriftMetrics {
  /** Every metric window of a run: its p, q, statistic, distance and dispersion, and whether it drifted. */
  record(report: DriftReport): void;
  /** One more alert fired. */
  alert(a: Alert): void;
}

/**
 * Drift as metrics on `meter`: gauges `palisade.drift.p_value`, `palisade.drift.q_value`,
 * `palisade.drift.statistic`, `palisade.drift.distance`, `palisade.drift.dispersion` and
 * `palisade.drift.drifted` (1 or 0) per monitor, metric, test and window, and the counter
 * `palisade.drift.alerts`.
 */
export function driftMetrics(meter: Meter): DriftMetrics {
  const gauge = (name: string, description: string, unit = "1") => meter.createGauge(name, { description, unit });
  const p = gauge("palisade.drift.p_value", "p-value of a drift test, corrected by the baseline's dispersion");
  const q = gauge("palisade.drift.q_value", "Benjamini-Hochberg q-value of a drift test across its run");
  const statistic = gauge("palisade.drift.statistic", "the drift test's statistic");
  const distance = gauge("palisade.drift.distance", "the drift distance (PSI, Wasserstein, Jensen-Shannon)");
  const dispersion = gauge("palisade.drift.dispersion", "the baseline's dispersion the test was corrected by");
  const drifted = gauge("palisade.drift.drifted", "1 when the metric window drifted, else 0");
  const alerts = meter.createCounter("palisade.drift.alerts", { description: "drift alerts fired", unit: "{alert}" });
  return {
    record(report) {
      for (const r of report.results) {
        if (r.verdict === "insufficient") continue;
        const attrs: Attributes = { "palisade.monitor": r.monitor, "palisade.metric": r.metric, "palisade.test": r.test, "palisade.window": windowLabel(r), "palisade.baseline": report.baseline.name };
        if (report.agent !== null) attrs["gen_ai.agent.id"] = report.agent;
        if (report.env !== null) attrs["deployment.environment.name"] = report.env;
        if (r.pValue !== undefined) p.record(r.pValue, attrs);
        if (r.adjustedP !== undefined) q.record(r.adjustedP, attrs);
        if (r.statistic !== null && Number.isFinite(r.statistic)) statistic.record(r.statistic, attrs);
        if (r.distance !== undefined) distance.record(r.distance, attrs);
        dispersion.record(r.dispersion, attrs);
        drifted.record(r.verdict === "drift" ? 1 : 0, attrs);
      }
    },
    alert(a) {
      const attrs: Attributes = { "palisade.monitor": a.monitor, "palisade.metric": a.metric, "palisade.test": a.test };
      if (a.agent !== null) attrs["gen_ai.agent.id"] = a.agent;
      if (a.env !== null) attrs["deployment.environment.name"] = a.env;
      alerts.add(1, attrs);
    },
  };
}

/** What `monitorMetrics` observes. */
export interface MonitorCounters {
  readonly recorded: number;
  readonly dropped: number;
  readonly pending: number;
}

/**
 * The monitor's queue as metrics: counters `palisade.monitor.events` (accepted) and
 * `palisade.monitor.events.dropped`, and the gauge `palisade.monitor.queue.size`.
 */
export function monitorMetrics(meter: Meter, read: () => MonitorCounters): void {
  const events = meter.createObservableCounter("palisade.monitor.events", { description: "telemetry events the monitor accepted", unit: "{event}" });
  const dropped = meter.createObservableCounter("palisade.monitor.events.dropped", { description: "telemetry events dropped because the monitor's queue was full", unit: "{event}" });
  const size = meter.createObservableGauge("palisade.monitor.queue.size", { description: "telemetry events waiting for the monitor's next flush", unit: "{event}" });
  meter.addBatchObservableCallback(
    (o) => {
      const c = read();
      o.observe(events, c.recorded);
      o.observe(dropped, c.dropped);
      o.observe(size, c.pending);
    },
    [events, dropped, size],
  );
}
