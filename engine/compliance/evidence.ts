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
import { alertEffect } from "../environments/drift.ts";
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
  /** `granted` (default) when the bundle was installed, `refused` when a gate stopped it. */
  readonly outcome?: "granted" | "refused";
  /** Environments of the pipeline the change went around (a promotion that skipped staging). */
  readonly skipped?: readonly string[];
}

/**
 * `event: "drift_alert"`: an alert the monitor fired, under `alert` (spec/drift.md: the monitor's
 * `palisade.drift.alert/1` fields). Read back, the optional fields are present when recorded.
 */
export interface DriftAlertEvidence {
  /** The alert state; stable across firings, and what an acknowledgement may name. */
  readonly key: string;
  /** This firing, when the record names it (a later acknowledgement may name it as `alert_id`). */
  readonly id?: string;
  readonly monitor: string;
  readonly metric: string;
  readonly test: string;
  readonly value: number;
  readonly threshold: number;
  readonly baseline: string;
  readonly message: string;
  /** The window compared, ISO-8601. */
  readonly window?: { readonly from: string; readonly to: string };
  readonly statistic?: number | null;
  readonly p?: number | null;
  readonly q?: number | null;
}

/** Who the monitor records as handling an alert whose metric came back on its own. */
const MONITOR = "palisade-monitor";

/**
 * Whether a handling is a person's: an acknowledgement, or a decision (resolved, dismissed,
 * baseline updated). A recovery the monitor records (`resolved` by "palisade-monitor") is not:
 * an alert stays unacknowledged until a person looks at it (spec/drift.md, spec/environments.md).
 */
export function acknowledges(h: DriftHandlingEvidence): boolean {
  return h.action !== "resolved" || h.by !== MONITOR;
}

const handlingAction = (word: string): DriftHandlingAction => (word === "dismissed" || word === "baseline_updated" ? word : "resolved");

/** How a drift alert was dealt with. */
export type DriftHandlingAction = "acknowledged" | "resolved" | "baseline_updated" | "dismissed";

/** `event: "drift_alert_handled"`: someone dealt with an alert, under `handling`. */
export interface DriftHandlingEvidence {
  /** The alert's `key`. */
  readonly key: string;
  /** The firing it handles (`alert.id`); without it, every earlier unacknowledged firing of `key`. */
  readonly alert_id?: string;
  /** Who dealt with it; null when the record does not say (an environment's "resolved" entry). */
  readonly by: string | null;
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
export function driftHandlingRecord(h: DriftHandlingEvidence & { readonly by: string }, ctx: EvidenceContext): AuditRecord {
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
  /**
   * Matches a transform replaced (`redact`, `set`). Engines that report it list a transform only
   * when it changed something; records without it (older engines listed every transform whose
   * rule held) leave the count unknown, never a redaction.
   */
  readonly replacements?: number;
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
  /** Rules that errored while deciding (`errors[].rule`). */
  readonly errors: readonly string[];
  /** `shadow` when the decision was recorded but not applied. */
  readonly mode: "enforce" | "shadow";
  readonly policy_digest: string;
  readonly approval: ApprovalOutcomeEvidence | null;
  /** The service's id of this decision (`decision_id`), which a later approval outcome names. */
  readonly decision_id: string | null;
  /**
   * Set on the service's approval outcome entry (`approval.decision_id`): the decision it answers.
   * Such an entry is no new decision; its principal is who answered.
   */
  readonly resolves: string | null;
}

/**
 * A change to what serves in an environment, from any of the records that describe one: the
 * environments' promotion, rollback and build records, and the compliance `promotion` event.
 */
export interface ChangeEvidence extends Omit<PromotionEvidence, "action" | "outcome" | "skipped"> {
  /** `load`: a serving node refused to load a bundle its environment was given. */
  readonly action: "promotion" | "rollback" | "build" | "load";
  readonly outcome: "granted" | "refused";
  readonly skipped: readonly string[];
  /**
   * For a build: whether the record says the environment is where changes enter the pipeline
   * (true), that it is not (false), or says nothing (null).
   */
  readonly pipeline_entry: boolean | null;
}

/** A logged evidence record of one of the known events. */
export type LoggedEvent =
  | { readonly kind: "change"; readonly time: string; readonly by: string | null; readonly change: ChangeEvidence }
  | { readonly kind: "drift_alert"; readonly time: string; readonly alert: DriftAlertEvidence }
  | { readonly kind: "drift_alert_handled"; readonly time: string; readonly handling: DriftHandlingEvidence }
  | { readonly kind: "pack_test_run"; readonly time: string; readonly test_run: PackTestRunEvidence };

/** What a logged record is to the report: a decision, a known event, or something to ignore. */
export type LoggedRecord = LoggedDecision | LoggedEvent | { readonly kind: "other"; readonly time: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const idOf = (v: unknown, key: string): string | null => (typeof v === "string" ? v : isObj(v) && typeof v[key] === "string" ? (v[key] as string) : null);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

/** The phases a decision is taken in (LANGUAGE.md); other phases are other parts' records. */
const DECISION_PHASES: ReadonlySet<string> = new Set(["input", "model_call", "tool_call", "tool_result", "output"]);

function reasonsOf(v: unknown): LoggedReason[] {
  if (!Array.isArray(v)) return [];
  const out: LoggedReason[] = [];
  for (const r of v) {
    if (!isObj(r) || typeof r.rule !== "string" || typeof r.effect !== "string") continue;
    const replacements = num(r.replacements);
    out.push({
      rule: r.rule,
      effect: r.effect,
      controls: strings(r.controls),
      ...(typeof r.message === "string" ? { message: r.message } : {}),
      ...(typeof r.severity === "string" ? { severity: r.severity } : {}),
      ...(typeof r.approver_role === "string" ? { approver_role: r.approver_role } : {}),
      ...(replacements !== null && replacements >= 0 ? { replacements } : {}),
    });
  }
  return out;
}

/**
 * An approval outcome: the SDK's (`approved`, `by`, `cause`) or the service's outcome entry
 * (`status`, answered by the record's principal). A pending one is no outcome.
 */
function approvalOf(v: unknown, principal: string | null): ApprovalOutcomeEvidence | null {
  if (isObj(v) && typeof v.decision_id === "string" && typeof v.status === "string") {
    if (v.status === "pending") return null;
    return v.status === "approved" ? { approved: true, ...(principal !== null ? { by: principal } : {}) } : { approved: false, cause: `approval_${v.status}`, ...(principal !== null ? { by: principal } : {}) };
  }
  if (!isObj(v) || typeof v.approved !== "boolean") return null;
  return {
    approved: v.approved,
    ...(typeof v.by === "string" ? { by: v.by } : {}),
    ...(typeof v.cause === "string" ? { cause: v.cause } : {}),
    ...(typeof v.reason === "string" ? { reason: v.reason } : {}),
  };
}

const hasStrings = (o: Obj, keys: readonly string[]) => keys.every((k) => typeof o[k] === "string");

function gatesOf(v: unknown): PromotionGate[] {
  if (!Array.isArray(v)) return [];
  return v.filter(isObj).map((g) => ({ name: str(g.gate) ?? str(g.name) ?? "", passed: g.passed === true, ...(typeof g.detail === "string" ? { detail: g.detail } : {}) }));
}

function approversOf(v: unknown): Approver[] {
  if (!Array.isArray(v)) return [];
  const out: Approver[] = [];
  for (const a of v) {
    if (typeof a === "string") out.push({ id: a });
    else if (isObj(a) && typeof a.id === "string") out.push(typeof a.role === "string" ? { id: a.id, role: a.role } : { id: a.id });
  }
  return out;
}

/**
 * A change as engine/environments/records.ts writes it: `event.type` names the shape
 * (`palisade.promotion/1`, `palisade.rollback/1`, `palisade.build/1`), `event.outcome` whether it
 * happened (promoted, rolled_back, built; blocked is a refusal, unchanged no change at all).
 * Approvers are the `approvals` that counted (who, under which role) when the record has them,
 * else `who`. A serving node's refusal to load a bundle (`palisade.bundle-refusal/1`) is a
 * refused change too.
 */
function environmentsChange(r: Obj): ChangeEvidence | null {
  const refusal = r.refusal;
  if (isObj(refusal) && refusal.type === "palisade.bundle-refusal/1") {
    const env = str(r.env);
    if (env === null) return null;
    return { from: null, to: env, action: "load", outcome: "refused", bundle_digest: str(refusal.bundle_digest) ?? "", policy_digest: str(r.policy_digest) ?? "", version: null, approvers: [], gates: [], skipped: [], pipeline_entry: null };
  }
  const e = r.event;
  if (!isObj(e) || typeof e.type !== "string") return null;
  const action = e.type === "palisade.promotion/1" ? "promotion" : e.type === "palisade.rollback/1" ? "rollback" : e.type === "palisade.build/1" ? "build" : null;
  if (action === null || e.outcome === "unchanged") return null;
  const to = str(e.to) ?? str(e.env) ?? str(r.env);
  if (to === null || typeof r.policy_digest !== "string") return null;
  const refused = e.outcome === "blocked" || e.outcome === "refused" || r.decision === "deny";
  const counted = Array.isArray(e.approvals)
    ? e.approvals.filter(isObj).flatMap((a): Approver[] => {
        const id = str(a.approver) ?? str(a.id);
        if (id === null || a.counted === false) return [];
        const role = str(a.role);
        return [role === null ? { id } : { id, role }];
      })
    : null;
  return {
    from: action === "promotion" ? (str(e.from) ?? null) : null,
    to,
    action,
    outcome: refused ? "refused" : "granted",
    bundle_digest: str(e.bundle_digest) ?? "",
    policy_digest: r.policy_digest,
    version: str(e.version) ?? null,
    approvers: action === "build" ? [] : (counted ?? approversOf(e.who)),
    gates: gatesOf(e.gates),
    skipped: strings(e.skipped),
    pipeline_entry: typeof e.pipeline_entry === "boolean" ? e.pipeline_entry : typeof e.first === "boolean" ? e.first : null,
  };
}

function promotionEventChange(p: Obj): ChangeEvidence | null {
  if (!hasStrings(p, ["to", "bundle_digest", "policy_digest"]) || (p.action !== "promotion" && p.action !== "rollback")) return null;
  return {
    from: str(p.from),
    to: p.to as string,
    action: p.action,
    outcome: p.outcome === "refused" ? "refused" : "granted",
    bundle_digest: p.bundle_digest as string,
    policy_digest: p.policy_digest as string,
    version: str(p.version),
    approvers: approversOf(p.approvers),
    gates: gatesOf(p.gates),
    skipped: strings(p.skipped),
    pipeline_entry: null,
  };
}

/**
 * A drift alert from any of the shapes written today: the compliance `drift_alert` event
 * (`alert`), the environments' record (`drift_alert: { key, status, message }`), and the
 * monitor's alert fields (`palisade.drift.alert/1`: window, metric, test, statistic, p, q).
 */
function alertOf(a: Obj, env: string): DriftAlertEvidence | null {
  const key = str(a.key) ?? str(a.id);
  if (key === null) return null;
  const value = num(a.value) ?? num(a.q) ?? num(a.p) ?? 0;
  const w = isObj(a.window) && typeof a.window.from === "string" && typeof a.window.to === "string" ? { from: a.window.from, to: a.window.to } : null;
  const stat = (k: string) => (k in a ? { [k]: num(a[k]) } : {});
  return {
    key,
    ...(typeof a.id === "string" && a.key !== undefined ? { id: a.id } : {}),
    monitor: str(a.monitor) ?? key,
    metric: str(a.metric) ?? "",
    test: str(a.test) ?? "",
    value,
    threshold: num(a.threshold) ?? 0,
    baseline: str(a.baseline) ?? "",
    message: str(a.message) ?? str(a.summary) ?? `drift on ${str(a.metric) ?? key} in ${env}`,
    ...(w ? { window: w } : {}),
    ...stat("statistic"),
    ...stat("p"),
    ...stat("q"),
  };
}

/** Reads a logged record (parsed entry JSON) as evidence. Malformed event details read as `other`. */
export function readLoggedRecord(r: Obj): LoggedRecord {
  const time = str(r.time) ?? "";
  const event = r.event;
  const env = str(r.env) ?? "";
  if (event === undefined && r.drift_alert === undefined && DECISION_PHASES.has(str(r.phase) ?? "")) {
    const principal = idOf(r.principal, "id");
    return {
      kind: "decision",
      time,
      agent: idOf(r.agent, "id") ?? "",
      env,
      principal,
      phase: str(r.phase) ?? "",
      tool: idOf(r.tool, "name"),
      decision: str(r.decision) ?? "",
      reasons: reasonsOf(r.reasons),
      warnings: reasonsOf(r.warnings),
      errors: Array.isArray(r.errors) ? r.errors.map((e) => (isObj(e) ? str(e.rule) : null)).filter((x): x is string => x !== null) : [],
      mode: r.mode === "shadow" ? "shadow" : "enforce",
      policy_digest: str(r.policy_digest) ?? "",
      approval: approvalOf(r.approval, principal),
      decision_id: str(r.decision_id),
      resolves: isObj(r.approval) && typeof r.approval.decision_id === "string" ? r.approval.decision_id : null,
    };
  }
  const change = environmentsChange(r) ?? (event === "promotion" && isObj(r.promotion) ? promotionEventChange(r.promotion) : null);
  if (change !== null) return { kind: "change", time, by: idOf(r.principal, "id"), change };
  if (isObj(r.drift_alert)) {
    // The environments' convention: each word about an alert key does what ALERT_STATES says
    // (engine/environments/drift.ts): a person's acknowledgement or decision, a recovery the
    // monitor saw, or (any other word) a firing.
    const a = r.drift_alert;
    const word = str(a.status) ?? "open";
    const effect = alertEffect(word);
    if (effect !== "opens" && typeof a.key === "string") {
      const by = effect === "recovers" ? MONITOR : idOf(r.principal, "id");
      return { kind: "drift_alert_handled", time, handling: { key: a.key, by, action: effect === "acknowledges" ? "acknowledged" : effect === "recovers" ? "resolved" : handlingAction(word) } };
    }
    const alert = alertOf(a, env);
    if (alert !== null) return { kind: "drift_alert", time, alert };
  }
  if (event === "drift_alert" && isObj(r.alert)) {
    const alert = hasStrings(r.alert, ["key"]) ? alertOf(r.alert, env) : null;
    if (alert !== null) return { kind: "drift_alert", time, alert };
  }
  if (event === "drift_alert_handled" && isObj(r.handling) && hasStrings(r.handling, ["key", "action"])) {
    const h = r.handling;
    const action = h.action as string;
    if (action === "acknowledged" || action === "resolved" || action === "baseline_updated" || action === "dismissed") {
      return {
        kind: "drift_alert_handled",
        time,
        handling: { key: h.key as string, ...(typeof h.alert_id === "string" ? { alert_id: h.alert_id } : {}), by: str(h.by) ?? idOf(r.principal, "id"), action, ...(typeof h.note === "string" ? { note: h.note } : {}) },
      };
    }
  }
  if (event === "pack_test_run" && isObj(r.test_run) && hasStrings(r.test_run, ["pack", "policy_digest"]) && typeof r.test_run.passed === "number" && typeof r.test_run.failed === "number") {
    const t = r.test_run;
    return { kind: "pack_test_run", time, test_run: { pack: t.pack as string, policy_digest: t.policy_digest as string, passed: t.passed as number, failed: t.failed as number, failures: strings(t.failures) } };
  }
  return { kind: "other", time };
}
