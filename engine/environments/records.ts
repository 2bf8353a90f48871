// The change-management evidence: every promotion (granted or blocked) and every rollback is an
// audit entry beside the decisions, shaped like a decision record so the same tools read it,
// with `phase` "promotion" or "rollback" and the details under `event`. Compliance reports cite
// these entries (SOC 2 CC8.1, SOX change management).
import { digest } from "../audit/index.ts";
import type { AuditReason, JsonValue } from "../audit/index.ts";

/** The gates a promotion runs, by name. */
export type GateName = "approval" | "tests" | "replay" | "drift";

/** One gate's outcome. */
export interface GateResult {
  readonly gate: GateName;
  readonly passed: boolean;
  /** One line: what was checked and what was found. */
  readonly detail: string;
}

/** `event` of a promotion or rollback record. */
export interface ChangeEvent {
  /** `palisade.promotion/1` or `palisade.rollback/1`, so readers can branch on the shape. */
  readonly type: "palisade.promotion/1" | "palisade.rollback/1";
  /** promoted and rolled_back changed what serves; blocked did not. */
  readonly outcome: "promoted" | "blocked" | "rolled_back";
  /** The approvers (promotion) or the operator (rollback), as given. */
  readonly who: readonly string[];
  /** Source environment (for a rollback, the environment itself). */
  readonly from: string;
  /** Target environment. */
  readonly to: string;
  /** Bundle digest (`sha256:`) of the bundle promoted, or returned to by a rollback. */
  readonly bundle_digest: string;
  /** Bundle digest that served in the target before, or null. */
  readonly previous_digest: string | null;
  /** The bundle's version label, or null. */
  readonly version: string | null;
  /** Names of the trusted keys that signed the bundle. */
  readonly signers: readonly string[];
  /** Every gate run, passed or not (empty for a rollback). */
  readonly gates: readonly GateResult[];
}

/**
 * A promotion or rollback audit record. The fields of a decision record (engine/audit/entry.ts)
 * with: `agent` "palisade", `env` the target, `principal` the first approver (or operator),
 * `session` and `tool` null, `decision` allow when the change happened and deny when it was
 * blocked, one `reasons` entry (`gate.<name>`, effect deny) per failed gate, `policy_digest` the
 * bundle's policy digest, `input_digest` the digest of `event`.
 */
export interface ChangeRecord {
  readonly time: string;
  readonly agent: "palisade";
  readonly env: string;
  readonly principal: string | null;
  readonly session: null;
  readonly phase: "promotion" | "rollback";
  readonly tool: null;
  readonly decision: "allow" | "deny";
  readonly reasons: readonly AuditReason[];
  readonly policy_digest: string;
  readonly input_digest: string;
  readonly event: ChangeEvent;
}

/** Builds the audit record of a promotion or rollback. */
export function changeRecord(event: ChangeEvent, policyDigest: string, now: Date = new Date()): ChangeRecord {
  return {
    time: now.toISOString(),
    agent: "palisade",
    env: event.to,
    principal: event.who[0] ?? null,
    session: null,
    phase: event.type === "palisade.rollback/1" ? "rollback" : "promotion",
    tool: null,
    decision: event.outcome === "blocked" ? "deny" : "allow",
    reasons: event.gates.filter((g) => !g.passed).map((g) => ({ rule: `gate.${g.gate}`, effect: "deny", message: g.detail })),
    policy_digest: policyDigest,
    input_digest: digest(event as unknown as JsonValue),
    event,
  };
}

/**
 * A drift alert as an audit entry, the convention the drift gate reads when an environment has
 * no monitor store: `drift_alert: { key, status: "open" | "resolved", message }` on a record of
 * `phase` "drift_alert" in the environment. The newest entry per key says whether it is open.
 */
export interface DriftAlertRecord {
  readonly time: string;
  readonly agent: "palisade";
  readonly env: string;
  readonly principal: null;
  readonly session: null;
  readonly phase: "drift_alert";
  readonly tool: null;
  readonly decision: "allow";
  readonly reasons: readonly AuditReason[];
  readonly policy_digest: string;
  readonly input_digest: string;
  readonly drift_alert: { readonly key: string; readonly status: "open" | "resolved"; readonly message: string };
}

/** Builds a drift alert record (see DriftAlertRecord). `policyDigest` is the digest serving when it fired. */
export function driftAlertRecord(env: string, alert: DriftAlertRecord["drift_alert"], policyDigest: string, now: Date = new Date()): DriftAlertRecord {
  return { time: now.toISOString(), agent: "palisade", env, principal: null, session: null, phase: "drift_alert", tool: null, decision: "allow", reasons: [], policy_digest: policyDigest, input_digest: digest(alert), drift_alert: alert };
}

/** Records the environments module writes to the audit log. */
export type GovernanceRecord = ChangeRecord | DriftAlertRecord;
