// The change-management evidence: every attempt to change what an environment serves — a build
// into the first environment, a promotion, a rollback, granted or refused for any reason — and
// every bundle a serving node refused is an audit entry beside the decisions, shaped like a
// decision record so the same tools read it. Compliance reports cite these entries (SOC 2 CC8.1,
// SOX change management); the shapes below are the contract with them and only ever grow.
//
// How a reader tells a change from an attempt: `decision` is "allow" exactly when what serves
// changed (`event.outcome` promoted, rolled_back or built); every other outcome (blocked,
// unchanged) is "deny", with one `reasons` entry per failed gate or refusal.
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

/**
 * One signed approval presented with a promotion or rollback, whether it counted or not. The
 * note is kept whole, so anyone holding the approvers' verifier keys can check it again.
 */
export interface ApprovalEvidence {
  /** The configured approver whose key verified the signature; null when no configured key did. */
  readonly approver: string | null;
  /** The roles that approver holds (empty when unknown). */
  readonly roles: readonly string[];
  /** The required role it counted under; null when it did not count or no role was required. */
  readonly role: string | null;
  /** Whether it counted towards the approval rule. Only counted approvals approve anything. */
  readonly counted: boolean;
  /** Why it did not count; null when it counted. */
  readonly rejected: string | null;
  /** `sha256:<hex>` of the note's text: an approval is used at most once. */
  readonly digest: string;
  /** The C2SP signed note as presented. */
  readonly note: string;
}

/** One replayed decision that changed, as the gate's report keeps it (no inputs, only digests). */
export interface ReplayExample {
  /** Index of the recorded decision in the environment's audit log. */
  readonly index: number;
  readonly time: string;
  readonly phase: string;
  readonly tool: string | null;
  readonly input_digest: string;
  readonly recorded: string;
  readonly replayed: string;
  /** The rules behind the change (the candidate's when it now decides otherwise, else the recorded ones). */
  readonly rules: readonly string[];
}

/** A replay as stored with a promotion record: counts, changes by rule, a few examples. */
export interface ReplayReport {
  /** The environment whose recorded traffic was replayed. */
  readonly env: string;
  /** ISO-8601 bounds of the window. */
  readonly from: string;
  readonly to: string;
  /** Decision records of the environment in the window. */
  readonly decisions: number;
  /** Decided again (records carrying an input that matches its digest). */
  readonly replayed: number;
  readonly changed: number;
  readonly without_input: number;
  readonly unverifiable: number;
  /** The candidate could not decide them; counted as changes. */
  readonly failed: number;
  /** Refused by the guard's own rules before any policy ran, by rule: not replayed, never changes (present when any). */
  readonly guard_denials?: { readonly [rule: string]: number };
  /** Changes by `recorded -> replayed`. */
  readonly transitions: { readonly [transition: string]: number };
  /** Changes by the rule behind them ("(default)" when no rule is). */
  readonly by_rule: { readonly [rule: string]: number };
  /** The first changes, at most REPLAY_EXAMPLES. */
  readonly examples: readonly ReplayExample[];
}

/** What the replay gate read: the target's traffic (what it judges), the source's (shown), a waiver. */
export interface ReplayEvidence {
  /** The most changes the target allows; null when the target has no replay gate. */
  readonly limit: number | null;
  readonly target: ReplayReport | null;
  readonly source: ReplayReport | null;
  /** A signed waiver that let a promotion through with no target traffic to replay. */
  readonly waiver: { readonly reason: string; readonly approvers: readonly string[] } | null;
}

/** Why an attempt was refused before or beside its gates: a stable code and what was found. */
export interface Refusal {
  /** An EnvironmentError code, e.g. `order/backwards`, `bundle/untrusted`, `env/not-promoted`. */
  readonly code: string;
  readonly message: string;
}

/** `event` of a change record. */
export interface ChangeEvent {
  /**
   * `palisade.promotion/1`, `palisade.rollback/1` or `palisade.build/1` (a build into the first
   * environment), so readers can branch on the shape.
   */
  readonly type: "palisade.promotion/1" | "palisade.rollback/1" | "palisade.build/1";
  /** promoted, rolled_back and built changed what serves; blocked and unchanged did not. */
  readonly outcome: "promoted" | "rolled_back" | "built" | "blocked" | "unchanged";
  /**
   * Whose signature made the change: the approvers whose signed approvals counted (promotion,
   * rollback), or the trusted keys that signed the bundle (build). Never a name merely typed.
   */
  readonly who: readonly string[];
  /** Source environment; null for a build; the environment itself for a rollback. */
  readonly from: string | null;
  /** Target environment (the one whose state would change). */
  readonly to: string;
  /** Bundle digest (`sha256:`) of the bundle promoted, built or returned to; null when it could not be read. */
  readonly bundle_digest: string | null;
  /** Bundle digest serving in the target before, or null. */
  readonly previous_digest: string | null;
  /** The bundle's version label, or null. */
  readonly version: string | null;
  /** Names of the target's trusted keys that signed the bundle. */
  readonly signers: readonly string[];
  /** Every gate run, passed or not (empty when refused before the gates and for builds; a rollback's approval). */
  readonly gates: readonly GateResult[];
  // The fields below are written on every record since signed approvals (palisade 0.1); they are
  // optional only so that readers of older records (and of hand-made ones) handle their absence.
  /** Why it was refused outside the gates (order, bundle, state, keys); null otherwise. */
  readonly refusal?: Refusal | null;
  /** Every approval presented, counted or not. */
  readonly approvals?: readonly ApprovalEvidence[];
  /** Environments a recorded, separately approved skip went past (empty for an ordinary promotion). */
  readonly skipped?: readonly string[];
  /** The replay gate's report; null when no replay ran. */
  readonly replay?: ReplayEvidence | null;
  /** The target state's sequence number after the attempt (it grows by one per change), or null. */
  readonly state_seq?: number | null;
  /** The target environment key that signed the new state and attested the bundle; null when nothing changed. */
  readonly attested_by?: string | null;
}

/**
 * A change record. The fields of a decision record (engine/audit/entry.ts) with: `agent`
 * "palisade", `env` the target, `principal` the first of `who`, `session` and `tool` null,
 * `phase` "promotion" (also for builds) or "rollback", `decision` allow exactly when the change
 * happened, one `reasons` entry per failed gate (`gate.<name>`) or refusal (`refusal.<code>`),
 * `policy_digest` the bundle's policy digest (NO_POLICY_DIGEST when unreadable), `input_digest`
 * the digest of `event`.
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

/** `sha256:<hex>` of no bytes: the policy digest of a record about a bundle that could not be read. */
export const NO_POLICY_DIGEST: string = digest(new Uint8Array());

/** Most changed decisions a stored replay report keeps as examples. */
export const REPLAY_EXAMPLES = 5;

const CHANGED: ReadonlySet<ChangeEvent["outcome"]> = new Set(["promoted", "rolled_back", "built"]);

/** Whether the event changed what the environment serves. */
export function isChange(event: Pick<ChangeEvent, "outcome">): boolean {
  return CHANGED.has(event.outcome);
}

/** Builds the audit record of a change attempt. */
export function changeRecord(event: ChangeEvent, policyDigest: string | null, now: Date = new Date()): ChangeRecord {
  const reasons: AuditReason[] = event.gates.filter((g) => !g.passed).map((g) => ({ rule: `gate.${g.gate}`, effect: "deny", message: g.detail }));
  if (event.refusal != null) reasons.push({ rule: `refusal.${event.refusal.code}`, effect: "deny", message: event.refusal.message });
  return {
    time: now.toISOString(),
    agent: "palisade",
    env: event.to,
    principal: event.who[0] ?? null,
    session: null,
    phase: event.type === "palisade.rollback/1" ? "rollback" : "promotion",
    tool: null,
    decision: isChange(event) ? "allow" : "deny",
    reasons,
    policy_digest: policyDigest ?? NO_POLICY_DIGEST,
    input_digest: digest(event as unknown as JsonValue),
    event,
  };
}

/** `refusal` of a BundleRefusalRecord. */
export interface BundleRefusal {
  readonly type: "palisade.bundle-refusal/1";
  /** The serving node (`serve --env`, an SDK process) that refused, as it names itself. */
  readonly node: string;
  /** The EnvironmentError code, e.g. `env/not-promoted`, `bundle/tampered`, `env/state-unsigned`. */
  readonly code: string;
  readonly message: string;
  /** Digest of the bundle file it refused, when it could be read. */
  readonly bundle_digest: string | null;
  /** The digest the environment's signed state names as current, when it verified. */
  readonly state_digest: string | null;
  /** What the node keeps serving instead; null when it serves nothing (a refused start). */
  readonly serving: string | null;
}

/**
 * A serving node refused to load its environment's bundle: `phase` "bundle_refused", `decision`
 * deny, one reason `refusal.<code>`, the details under `refusal`.
 */
export interface BundleRefusalRecord {
  readonly time: string;
  readonly agent: "palisade";
  readonly env: string;
  readonly principal: null;
  readonly session: null;
  readonly phase: "bundle_refused";
  readonly tool: null;
  readonly decision: "deny";
  readonly reasons: readonly AuditReason[];
  readonly policy_digest: string;
  readonly input_digest: string;
  readonly refusal: BundleRefusal;
}

/** Builds the record of a refused bundle. */
export function bundleRefusalRecord(env: string, refusal: Omit<BundleRefusal, "type">, now: Date = new Date()): BundleRefusalRecord {
  const r: BundleRefusal = { type: "palisade.bundle-refusal/1", ...refusal };
  return {
    time: now.toISOString(),
    agent: "palisade",
    env,
    principal: null,
    session: null,
    phase: "bundle_refused",
    tool: null,
    decision: "deny",
    reasons: [{ rule: `refusal.${r.code}`, effect: "deny", message: r.message }],
    policy_digest: NO_POLICY_DIGEST,
    input_digest: digest(r as unknown as JsonValue),
    refusal: r,
  };
}

/**
 * The states a drift alert can be in, as the drift-alert convention and the compliance evidence
 * write them (drift.ts reads them through DRIFT_ALERT_STATES, which says which ones block).
 */
export type DriftAlertStatus = "open" | "acknowledged" | "resolved";

/**
 * A drift alert as an audit entry, the convention the drift gate reads beside an environment's
 * monitor store: `drift_alert: { key, status, message }` on a record of `phase` "drift_alert" in
 * the environment. The newest entry per key (in log order) says what state the alert is in.
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
  readonly drift_alert: { readonly key: string; readonly status: DriftAlertStatus; readonly message: string };
}

/** Builds a drift alert record (see DriftAlertRecord). `policyDigest` is the digest serving when it fired. */
export function driftAlertRecord(env: string, alert: DriftAlertRecord["drift_alert"], policyDigest: string, now: Date = new Date()): DriftAlertRecord {
  return { time: now.toISOString(), agent: "palisade", env, principal: null, session: null, phase: "drift_alert", tool: null, decision: "allow", reasons: [], policy_digest: policyDigest, input_digest: digest(alert), drift_alert: alert };
}

/** Records the environments module writes to the audit log. */
export type GovernanceRecord = ChangeRecord | DriftAlertRecord | BundleRefusalRecord;
