// The telemetry events: one per decision (what the policy said), and one per outcome (what
// happened when the action the decision allowed was carried out: the tool's wall time, whether
// it threw, the model's token use, the size of what came back). Both are plain objects the
// caller builds and hands to `Monitor.record`; the monitor keeps a reference until the next
// flush and never mutates it.
import type { Decision, DecisionKind } from "../runtime/decision.ts";

/** Token use of one step, as the model reported it. */
export interface TokenUse {
  readonly input?: number;
  readonly output?: number;
}

/**
 * The span an event belongs under (W3C trace context): captured where the decision or outcome
 * happens (`activeSpanContext()` in the SDK, the `traceparent` header in the service), so the
 * span exported later, off the decision path, is a child of the application's span.
 */
export interface ParentSpan {
  /** 32 lowercase hex digits. */
  readonly traceId: string;
  /** 16 lowercase hex digits. */
  readonly spanId: string;
  /** W3C trace flags; 1 = sampled. */
  readonly traceFlags: number;
}

/** What every event says about where it happened. All optional; "" buckets what names none. */
export interface EventSubject {
  readonly agent?: string;
  /** The agent's display name (`agent.name`), for `gen_ai.agent.name`. */
  readonly agentName?: string;
  readonly agentVersion?: string;
  readonly env?: string;
  /** The session (one run of the agent, a conversation): `gen_ai.conversation.id`. */
  readonly session?: string;
  /** The phase: `input`, `model_call`, `tool_call`, `tool_result`, `output`. */
  readonly phase?: string;
  readonly tool?: string;
  /** The model called (`model.name`), on `model_call`. */
  readonly model?: string;
  /** The model's provider (`model.provider`, e.g. `openai`), on `model_call`. */
  readonly provider?: string;
  /** The application's span when the event happened. */
  readonly parent?: ParentSpan;
}

/** One decision as the monitor sees it. Only `time` and `decision` are required. */
export interface DecisionEvent extends EventSubject {
  /** Absent or "decision": a decision. */
  readonly kind?: "decision";
  /** When the decision was made, in milliseconds since the Unix epoch. */
  readonly time: number;
  readonly decision: DecisionKind;
  /** The decision's id (the audit entry's, the service's response id), when it has one. */
  readonly id?: string;
  /** Ids of the rules whose effect decided or shaped the outcome, with their effect. */
  readonly rules?: readonly { readonly rule: string; readonly effect: string }[];
  /**
   * Time the policy evaluation took, in milliseconds (metric `decision_latency`). The wall time
   * of the tool or model call is an outcome's `durationMs` (metric `latency`).
   */
  readonly latencyMs?: number;
  /** Token use, when the application knows it at decision time (usually it is an outcome's). */
  readonly tokens?: TokenUse;
  /** A response category the application assigns (`answer`, `clarification`, ...). */
  readonly category?: string;
  /** Free-form labels, each counted as its own categorical metric (`label:<key>`). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Scores an application computed itself (`score:<name>`). */
  readonly scores?: Readonly<Record<string, number>>;
  /** The agent's output text (the `output` phase), for descriptors and evaluators; never stored. */
  readonly output?: string;
  /** Policy digest, for span export. */
  readonly policyDigest?: string;
}

/** Why an action failed. */
export interface OutcomeError {
  /** `tool` (the tool threw or returned an error), `model` (the model call failed), `timeout`, `cancelled`. */
  readonly source: "tool" | "model" | "timeout" | "cancelled";
  /** The error's class or code (`TypeError`, `ECONNRESET`, `429`): `error.type` in OpenTelemetry. */
  readonly type?: string;
  /** A short message; never stored in aggregates, exported on the span only. */
  readonly message?: string;
}

/**
 * What happened when an allowed action ran: reported after the tool returned or threw, or the
 * model answered or failed. `phase` is that of the decision it follows (`tool_call` for a tool,
 * `model_call` for a model). Metrics: `latency` (durationMs), `error_rate` and
 * `error_rate:<tool>`, `tokens`, `input_tokens`, `output_tokens`, `output_size`.
 */
export interface OutcomeEvent extends EventSubject {
  readonly kind: "outcome";
  /** When the action ended, ms since the epoch. */
  readonly time: number;
  /** The id of the decision that allowed the action, when known. */
  readonly decisionId?: string;
  /** Wall time of the tool or model call, ms. */
  readonly durationMs?: number;
  /** Present when the action failed. */
  readonly error?: OutcomeError;
  /** The model's token use (model calls). */
  readonly tokens?: TokenUse;
  /** Size of what came back: characters of the tool's result (as JSON text) or of the model's answer. */
  readonly outputSize?: number;
  /** The model's answer text, for descriptors and evaluators (`model_call`); never stored. */
  readonly output?: string;
  /** Scores the client computed on the answer (`score:<name>`), e.g. the Python SDK's embedding drift. */
  readonly scores?: Readonly<Record<string, number>>;
}

/** Anything `Monitor.record` accepts. */
export type TelemetryEvent = DecisionEvent | OutcomeEvent;

/** Whether `e` is an outcome report. */
export function isOutcome(e: TelemetryEvent): e is OutcomeEvent {
  return e.kind === "outcome";
}

/** What `eventFromDecision` needs beyond the decision itself. */
export interface DecisionContext extends EventSubject {
  readonly time?: number;
  readonly id?: string;
  readonly latencyMs?: number;
  readonly tokens?: TokenUse;
  readonly category?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly output?: string;
}

/**
 * The telemetry event of an engine decision. The decision's reasons are shared, not copied
 * (they already carry rule and effect), so building the event costs one object on the decision
 * path.
 */
export function eventFromDecision(decision: Decision, context: DecisionContext = {}): DecisionEvent {
  return {
    ...context,
    time: context.time ?? Date.now(),
    decision: decision.decision,
    rules: decision.reasons,
    policyDigest: decision.policy.digest,
  };
}

/** Total tokens of an event, or undefined when it reported none. */
export function totalTokens(e: TelemetryEvent): number | undefined {
  const t = e.tokens;
  if (t === undefined || (t.input === undefined && t.output === undefined)) return undefined;
  return (t.input ?? 0) + (t.output ?? 0);
}

/** The target key of events that name neither tool nor model. */
export const NO_TOOL = "(none)";

/** The key an outcome is counted under: the tool, else `model:<name>`, else `(none)`. */
export function outcomeTarget(e: TelemetryEvent): string {
  if (e.tool !== undefined) return e.tool;
  if (e.model !== undefined) return `model:${e.model}`;
  return NO_TOOL;
}
