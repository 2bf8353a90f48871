// The evidence records other parts of Palisade write into the audit log, and how a logged record
// is read back as evidence.
//
// Convention: a record that is not a decision carries an `event` field naming what happened, and
// its details under a field of its own. The audit log's record shape still applies (a phase, a
// decision, reasons, two digests), so these records use `phase: "input"`, `decision: "allow"`,
// no reasons and no tool, with `input_digest` the digest of the details; readers tell them from
// decisions by `event` alone, never by phase. The builders below are the one place these shapes
// are spelt, so the environments (promotions), the monitor (drift alerts) and CI (pack test runs)
// can write them and the report can read them.
import { digest } from "../audit/index.ts";
import type { AuditRecord, JsonValue } from "../audit/index.ts";

/** The `event` markers of evidence records. */
export type EvidenceEvent = "promotion" | "drift_alert" | "drift_alert_handled" | "pack_test_run";

/** `sha256:<hex>` of no bytes: the `policy_digest` of an evidence record no policy set produced. */
export const NO_POLICY_DIGEST: string = digest(new Uint8Array());

/** A person or service that approved something, with the role they approved under. */
export interface Approver {
  readonly id: string;
  readonly role?: string;
}

/** A gate a promotion had to pass (tests, replay, no open drift alert, approvals). */
export interface PromotionGate {
  readonly name: string;
  readonly passed: boolean;
  readonly detail?: string;
}

/** `event: "promotion"`: a policy bundle installed into an environment, under `promotion`. */
export interface PromotionEvidence {
  /** The environment it came from; null for a first install or a rollback. */
  readonly from: string | null;
  readonly to: string;
  readonly action: "promotion" | "rollback";
  /** `sha256:<hex>` of the signed bundle. */
  readonly bundle_digest: string;
  /** The policy digest of the bundle's sources (also the record's `policy_digest`). */
  readonly policy_digest: string;
  readonly version: string | null;
  readonly approvers: readonly Approver[];
  readonly gates: readonly PromotionGate[];
}

/** `event: "drift_alert"`: an alert the monitor fired, under `alert` (the monitor's `palisade.drift.alert/1` fields). */
export interface DriftAlertEvidence {
  /** Identifies the alert; a later `drift_alert_handled` record names it. */
  readonly key: string;
  readonly monitor: string;
  readonly metric: string;
  readonly test: string;
  readonly value: number;
  readonly threshold: number;
  readonly baseline: string;
  readonly message: string;
}

/** How a drift alert was dealt with. */
export type DriftHandlingAction = "acknowledged" | "resolved" | "baseline_updated" | "dismissed";

/** `event: "drift_alert_handled"`: someone dealt with an alert, under `handling`. */
export interface DriftHandlingEvidence {
  /** The alert's `key`. */
  readonly key: string;
  readonly by: string;
  readonly action: DriftHandlingAction;
  readonly note?: string;
}

/** `event: "pack_test_run"`: a run of a pack's test blocks (`palisade test`), under `test_run`. */
export interface PackTestRunEvidence {
  /** The pack folder, e.g. `stdlib-policies/hipaa`. */
  readonly pack: string;
  readonly policy_digest: string;
  readonly passed: number;
  readonly failed: number;
  /** Names of the failed tests. */
  readonly failures: readonly string[];
}

/** Where and when an evidence record was made. */
export interface EvidenceContext {
  /** ISO-8601 instant. */
  readonly time: string;
  /** Who recorded it (a service or the operator's tool), e.g. "palisade-environments". */
  readonly agent: string;
  readonly env: string;
  /** The person who acted, when one did. */
  readonly principal?: string | null;
  /** The policy set in force; NO_POLICY_DIGEST when none applies. */
  readonly policy_digest?: string;
}

const DETAIL_FIELD: Readonly<Record<EvidenceEvent, string>> = {
  promotion: "promotion",
  drift_alert: "alert",
  drift_alert_handled: "handling",
  pack_test_run: "test_run",
};

function eventRecord(event: EvidenceEvent, details: JsonValue, ctx: EvidenceContext, policyDigest?: string): AuditRecord {
  return {
    time: ctx.time,
    agent: ctx.agent,
    env: ctx.env,
    principal: ctx.principal ?? null,
    session: null,
    phase: "input",
    tool: null,
    decision: "allow",
    reasons: [],
    policy_digest: policyDigest ?? ctx.policy_digest ?? NO_POLICY_DIGEST,
    input_digest: digest(details),
    event,
    [DETAIL_FIELD[event]]: details,
  };
}

const json = (v: object): JsonValue => JSON.parse(JSON.stringify(v)) as JsonValue;

/** The audit record of a promotion (its `policy_digest` is the promoted one). */
export function promotionRecord(p: PromotionEvidence, ctx: EvidenceContext): AuditRecord {
  return eventRecord("promotion", json(p), ctx, p.policy_digest);
}

/** The audit record of a fired drift alert. */
export function driftAlertRecord(a: DriftAlertEvidence, ctx: EvidenceContext): AuditRecord {
  return eventRecord("drift_alert", json(a), ctx);
}

/** The audit record of a drift alert being dealt with. */
export function driftHandlingRecord(h: DriftHandlingEvidence, ctx: EvidenceContext): AuditRecord {
  return eventRecord("drift_alert_handled", json(h), { ...ctx, principal: ctx.principal ?? h.by });
}

/** The audit record of a pack test run (its `policy_digest` is the tested set's). */
export function packTestRunRecord(t: PackTestRunEvidence, ctx: EvidenceContext): AuditRecord {
  return eventRecord("pack_test_run", json(t), ctx, t.policy_digest);
}

/** An approval outcome as the SDK records it on a decision (`approval`). */
export interface ApprovalOutcomeEvidence {
  readonly approved: boolean;
  readonly by?: string;
  readonly cause?: string;
  readonly reason?: string;
}

/** One reason or warning of a logged decision. */
export interface LoggedReason {
  readonly rule: string;
  readonly effect: string;
  readonly message?: string;
  readonly severity?: string;
  readonly controls: readonly string[];
  readonly approver_role?: string;
}

/** A logged decision, read leniently (application fields may be absent or sealed). */
export interface LoggedDecision {
  readonly kind: "decision";
  readonly time: string;
  readonly agent: string;
  readonly env: string;
  readonly principal: string | null;
  readonly phase: string;
  readonly tool: string | null;
  readonly decision: string;
  readonly reasons: readonly LoggedReason[];
  readonly warnings: readonly LoggedReason[];
  readonly policy_digest: string;
  readonly approval: ApprovalOutcomeEvidence | null;
}

/** A logged evidence record of one of the known events. */
export type LoggedEvent =
  | { readonly kind: "promotion"; readonly time: string; readonly by: string | null; readonly promotion: PromotionEvidence }
  | { readonly kind: "drift_alert"; readonly time: string; readonly alert: DriftAlertEvidence }
  | { readonly kind: "drift_alert_handled"; readonly time: string; readonly handling: DriftHandlingEvidence }
  | { readonly kind: "pack_test_run"; readonly time: string; readonly test_run: PackTestRunEvidence };

/** What a logged record is to the report: a decision, a known event, or something to ignore. */
export type LoggedRecord = LoggedDecision | LoggedEvent | { readonly kind: "other"; readonly time: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const idOf = (v: unknown, key: string): string | null => (typeof v === "string" ? v : isObj(v) && typeof v[key] === "string" ? (v[key] as string) : null);

function reasonsOf(v: unknown): LoggedReason[] {
  if (!Array.isArray(v)) return [];
  const out: LoggedReason[] = [];
  for (const r of v) {
    if (!isObj(r) || typeof r.rule !== "string" || typeof r.effect !== "string") continue;
    const controls = Array.isArray(r.controls) ? r.controls.filter((c): c is string => typeof c === "string") : [];
    out.push({
      rule: r.rule,
      effect: r.effect,
      controls,
      ...(typeof r.message === "string" ? { message: r.message } : {}),
      ...(typeof r.severity === "string" ? { severity: r.severity } : {}),
      ...(typeof r.approver_role === "string" ? { approver_role: r.approver_role } : {}),
    });
  }
  return out;
}

function approvalOf(v: unknown): ApprovalOutcomeEvidence | null {
  if (!isObj(v) || typeof v.approved !== "boolean") return null;
  return {
    approved: v.approved,
    ...(typeof v.by === "string" ? { by: v.by } : {}),
    ...(typeof v.cause === "string" ? { cause: v.cause } : {}),
    ...(typeof v.reason === "string" ? { reason: v.reason } : {}),
  };
}

const hasStrings = (o: Obj, keys: readonly string[]) => keys.every((k) => typeof o[k] === "string");

/**
 * A promotion or rollback as `palisade promote` / `palisade rollback` record it
 * (engine/environments/records.ts: `phase` "promotion" | "rollback", details under `event`),
 * read as promotion evidence. Blocked attempts changed nothing in force, so they are not cited
 * as changes. Null for anything else.
 */
function changeEvidence(r: Obj): PromotionEvidence | null {
  const e = r.event;
  if (!isObj(e) || (e.type !== "palisade.promotion/1" && e.type !== "palisade.rollback/1") || e.outcome === "blocked") return null;
  if (!hasStrings(e, ["to", "bundle_digest"]) || typeof r.policy_digest !== "string") return null;
  const who = Array.isArray(e.who) ? e.who.filter((w): w is string => typeof w === "string") : [];
  const gates = Array.isArray(e.gates) ? e.gates.filter(isObj) : [];
  return {
    from: e.type === "palisade.rollback/1" ? null : (str(e.from) ?? null),
    to: e.to as string,
    action: e.type === "palisade.rollback/1" ? "rollback" : "promotion",
    bundle_digest: e.bundle_digest as string,
    policy_digest: r.policy_digest,
    version: str(e.version) ?? null,
    approvers: who.map((id) => ({ id })),
    gates: gates.map((g) => ({ name: str(g.gate) ?? "", passed: g.passed === true, ...(typeof g.detail === "string" ? { detail: g.detail } : {}) })),
  };
}

/** Reads a logged record (parsed entry JSON) as evidence. Malformed event details read as `other`. */
export function readLoggedRecord(r: Obj): LoggedRecord {
  const time = str(r.time) ?? "";
  const event = r.event;
  if (event === undefined) {
    return {
      kind: "decision",
      time,
      agent: idOf(r.agent, "id") ?? "",
      env: str(r.env) ?? "",
      principal: idOf(r.principal, "id"),
      phase: str(r.phase) ?? "",
      tool: idOf(r.tool, "name"),
      decision: str(r.decision) ?? "",
      reasons: reasonsOf(r.reasons),
      warnings: reasonsOf(r.warnings),
      policy_digest: str(r.policy_digest) ?? "",
      approval: approvalOf(r.approval),
    };
  }
  const change = changeEvidence(r);
  if (change !== null) return { kind: "promotion", time, by: idOf(r.principal, "id"), promotion: change };
  if (event === "promotion" && isObj(r.promotion) && hasStrings(r.promotion, ["to", "action", "bundle_digest", "policy_digest"])) {
    return { kind: "promotion", time, by: idOf(r.principal, "id"), promotion: r.promotion as unknown as PromotionEvidence };
  }
  if (event === "drift_alert" && isObj(r.alert) && hasStrings(r.alert, ["key", "monitor", "metric", "message"])) {
    return { kind: "drift_alert", time, alert: r.alert as unknown as DriftAlertEvidence };
  }
  if (event === "drift_alert_handled" && isObj(r.handling) && hasStrings(r.handling, ["key", "by", "action"])) {
    return { kind: "drift_alert_handled", time, handling: r.handling as unknown as DriftHandlingEvidence };
  }
  if (event === "pack_test_run" && isObj(r.test_run) && hasStrings(r.test_run, ["pack", "policy_digest"]) && typeof r.test_run.passed === "number" && typeof r.test_run.failed === "number") {
    return { kind: "pack_test_run", time, test_run: r.test_run as unknown as PackTestRunEvidence };
  }
  return { kind: "other", time };
}
