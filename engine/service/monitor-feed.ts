// The service's decisions as the monitor's telemetry: one event per decision, queued from the
// console's activity feed (so the decision route stays as it is) and aggregated by the Monitor
// off the request, in its own background flushes.
import type { DecisionEvent, Monitor } from "../monitor/index.ts";
import type { Decision } from "../runtime/index.ts";
import type { Activity } from "./activity.ts";
import { requestParent } from "./trace-context.ts";
import type { DecisionRecordV1 } from "./wire.ts";

/**
 * The event of one served decision, sharing the decision's reasons rather than copying them:
 * the session (rates count sessions), the tool, the model called, and on the `output` phase the
 * answer's text, so the answer descriptors run on served traffic too (never stored).
 */
export function decisionEvent(record: DecisionRecordV1, decision: Decision, time: number): DecisionEvent {
  const e: { -readonly [K in keyof DecisionEvent]: DecisionEvent[K] } = { time, id: record.id, agent: record.agent, env: record.env, phase: record.phase, decision: decision.decision, rules: decision.reasons, policyDigest: decision.policy.digest };
  if (record.session !== null) e.session = record.session;
  if (record.tool !== null) e.tool = record.tool;
  const input = record.input as { agent?: { name?: unknown; version?: unknown }; model?: { name?: unknown; provider?: unknown }; output?: { text?: unknown } } | null;
  if (typeof input?.agent?.name === "string") e.agentName = input.agent.name;
  if (typeof input?.agent?.version === "string") e.agentVersion = input.agent.version;
  if (record.phase === "model_call") {
    if (typeof input?.model?.name === "string") e.model = input.model.name;
    if (typeof input?.model?.provider === "string") e.provider = input.model.provider;
  }
  if (record.phase === "output" && typeof input?.output?.text === "string") e.output = input.output.text;
  const parent = requestParent();
  if (parent !== undefined) e.parent = parent;
  return e;
}

/** Queues every decision `activity` notes into `monitor`; the per-decision cost is one object and a ring push. */
export function feedMonitor(activity: Activity, monitor: Monitor, onError: (err: unknown) => void): void {
  activity.observe((record, decision) => {
    try {
      monitor.record(decisionEvent(record, decision, Date.now()));
    } catch (err) {
      // Telemetry must never fail a decision that was already made and audited.
      onError(err);
    }
  });
}
