// The telemetry event: one per decision, what the monitor counts. It is a plain object the
// caller builds (or `eventFromDecision` builds) and hands to `Monitor.record`; the monitor
// keeps a reference until the next flush and never mutates it.
import type { Decision, DecisionKind } from "../runtime/decision.ts";

/** Token use of one step, as the model reported it. */
export interface TokenUse {
  readonly input?: number;
  readonly output?: number;
}

/** One decision as the monitor sees it. Only `time` and `decision` are required. */
export interface DecisionEvent {
  /** When the decision was made, in milliseconds since the Unix epoch. */
  readonly time: number;
  readonly agent?: string;
  readonly agentVersion?: string;
  readonly env?: string;
  /** The phase decided: `input`, `model_call`, `tool_call`, `tool_result`, `output`. */
  readonly phase?: string;
  readonly tool?: string;
  readonly decision: DecisionKind;
  /** Ids of the rules whose effect decided or shaped the outcome, with their effect. */
  readonly rules?: readonly { readonly rule: string; readonly effect: string }[];
  /** Time the decision (or the step it guarded) took, in milliseconds. */
  readonly latencyMs?: number;
  readonly tokens?: TokenUse;
  /** A response category the application assigns (`answer`, `clarification`, ...). */
  readonly category?: string;
  /** Free-form labels, each counted as its own categorical metric (`label:<key>`). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Scores an application computed itself (`score:<name>`). */
  readonly scores?: Readonly<Record<string, number>>;
  /** The agent's output text, for evaluators; never stored. */
  readonly output?: string;
  /** Policy digest, for span export. */
  readonly policyDigest?: string;
}

/** What `eventFromDecision` needs beyond the decision itself. */
export interface DecisionContext {
  readonly time?: number;
  readonly agent?: string;
  readonly agentVersion?: string;
  readonly env?: string;
  readonly phase?: string;
  readonly tool?: string;
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
export function totalTokens(e: DecisionEvent): number | undefined {
  const t = e.tokens;
  if (t === undefined || (t.input === undefined && t.output === undefined)) return undefined;
  return (t.input ?? 0) + (t.output ?? 0);
}
