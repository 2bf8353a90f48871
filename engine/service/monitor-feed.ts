// The service's decisions as the monitor's telemetry: one event per decision, queued from the
// console's activity feed (so the decision route stays as it is) and aggregated by the Monitor
// off the request, in its own background flushes.
import type { DecisionEvent, Monitor } from "../monitor/index.ts";
import type { Decision } from "../runtime/index.ts";
import type { Activity } from "./activity.ts";
import type { DecisionRecordV1 } from "./wire.ts";

/**
 * The event of one served decision. Built as one object (eventFromDecision's spread of a context
 * would be a second), sharing the decision's reasons rather than copying them.
 */
export function decisionEvent(record: DecisionRecordV1, decision: Decision, time: number): DecisionEvent {
  return record.tool === null
    ? { time, agent: record.agent, env: record.env, phase: record.phase, decision: decision.decision, rules: decision.reasons, policyDigest: decision.policy.digest }
    : { time, agent: record.agent, env: record.env, phase: record.phase, tool: record.tool, decision: decision.decision, rules: decision.reasons, policyDigest: decision.policy.digest };
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
