// Evidence collection: one pass over the log's entries, gathering for one framework what each
// control did (spec/compliance-evidence.md). Pure: the same entries, catalogue, period and given
// rules give the same evidence, which is what lets `palisade report verify --db` recompute it.
import { ERASED_MARKER, SEALED_MARKER } from "../audit/index.ts";
import type { Catalogue } from "./catalogue.ts";
import { acknowledges, readLoggedRecord } from "./evidence.ts";
import type { ChangeEvidence, DriftAlertEvidence, DriftHandlingEvidence, LoggedDecision, LoggedReason, LoggedRecord, PackTestRunEvidence } from "./evidence.ts";
import { RuleActivityCounter } from "./activity.ts";
import type { GivenRule, PolicyVersion, RuleActivity } from "./activity.ts";

/** Most decisions cited per control and kind of operating evidence; the rest are counted. Exceptions are all cited. */
export const MAX_SAMPLES = 25;

/** A logged decision as a report cites it. Every field is derived from the entry alone. */
export interface DecisionCitation extends Pick<LoggedDecision, "time" | "agent" | "env" | "principal" | "phase" | "tool" | "decision" | "approval" | "mode" | "errors"> {
  readonly entry: number;
  readonly reasons: readonly Pick<LoggedReason, "rule" | "effect" | "message" | "replacements">[];
}

/** A change to what serves in an environment, as a report cites it. */
export interface ChangeCitation extends ChangeEvidence {
  readonly entry: number;
  readonly time: string;
  /** Who recorded it (the record's principal). */
  readonly by: string | null;
}

/** How a drift alert was handled, as a report cites it. */
export interface HandlingCitation extends DriftHandlingEvidence {
  readonly entry: number;
  readonly time: string;
}

/** A drift alert and its handling (null while unacknowledged). */
export interface DriftAlertCitation {
  readonly entry: number;
  readonly time: string;
  readonly alert: DriftAlertEvidence;
  readonly handled: HandlingCitation | null;
}

/** A recorded pack test run. */
export interface TestRunCitation extends PackTestRunEvidence {
  readonly entry: number;
  readonly time: string;
}

/** Kinds of operating evidence a decision gives (spec/compliance-evidence.md). */
export type OperatingKind = "denial" | "approved" | "refused" | "held" | "transform" | "warning" | "failed-closed";

/** A decision cited as evidence that a control operated. */
export interface OperatingCitation {
  readonly kind: OperatingKind;
  readonly decision: DecisionCitation;
}

/** Why something is an exception: an action went through that should not have, or the evidence cannot be trusted. */
export type ExceptionKind =
  | "not-enforced"
  | "fail-open"
  | "self-approved"
  | "approver-not-recorded"
  | "unpromoted-policy"
  | "unapproved-change"
  | "gate-bypassed"
  | "skipped-environment"
  | "unacknowledged-alert"
  | "test-failure"
  | "unanchored-entries"
  | "log-gap"
  | "log-unverifiable"
  | "unreadable-entry";

/** An exception with what evidences it. */
export type ExceptionCitation =
  | { readonly kind: "not-enforced" | "fail-open" | "self-approved" | "approver-not-recorded"; readonly rules: readonly string[]; readonly decision: DecisionCitation }
  | { readonly kind: "unpromoted-policy"; readonly env: string; readonly policy_digest: string; readonly decisions: number; readonly first: DecisionCitation }
  | { readonly kind: "unapproved-change" | "gate-bypassed"; readonly change: ChangeCitation }
  | { readonly kind: "skipped-environment"; readonly change: ChangeCitation; readonly skipped: readonly string[] }
  | { readonly kind: "unacknowledged-alert"; readonly alert: DriftAlertCitation }
  | { readonly kind: "test-failure"; readonly test_run: TestRunCitation }
  | { readonly kind: "unanchored-entries" | "log-gap" | "log-unverifiable"; readonly from: number; readonly to: number; readonly entries: number; readonly detail: string }
  | { readonly kind: "unreadable-entry"; readonly entry: number };

/** Counts of decisions by outcome. */
export interface OutcomeCounts {
  readonly total: number;
  readonly allow: number;
  readonly deny: number;
  readonly require_approval: number;
}

/** What a control did in the period, by kind. */
export interface OperatingCounts {
  /** Enforced denials by a mapped rule. */
  readonly denials: number;
  /** Enforced approval holds by a mapped rule, by outcome (`pending`: no outcome recorded). */
  readonly holds: { readonly approved: number; readonly refused: number; readonly pending: number };
  /** Enforced transforms that replaced something: decisions, matches replaced, and transforms logged without a count. */
  readonly transforms: { readonly decisions: number; readonly replacements: number; readonly unknown: number };
  /** Decisions a mapped rule flagged with `warn`. */
  readonly warnings: number;
  /** Enforced decisions denied because a mapped rule errored (on_error deny). */
  readonly failed_closed: number;
  /** Drift alerts fired in the period, and how many of them were acknowledged or resolved (controls fed by drift alerts). */
  readonly alerts: { readonly fired: number; readonly handled: number };
  /** Changes in the period: granted (with their gates), refused by a gate, rollbacks (controls fed by promotions). */
  readonly changes: { readonly granted: number; readonly refused: number; readonly rollbacks: number };
  /** Recorded runs of the framework's pack in the period (controls fed by pack test runs). */
  readonly test_runs: { readonly passed: number; readonly failed: number };
  /** Decisions of the period anchored in a checkpoint their bytes verify against (controls fed by audit checkpoints). */
  readonly anchored_decisions: number;
}

/** What was recorded for one control in the period. */
export interface ControlFacts {
  /** Decisions on which a mapped rule was evaluated (it was in force, in the decision's phase) and on which one triggered. */
  readonly activity: { readonly evaluated: number; readonly triggered: number };
  /** Each mapped rule's own activity. */
  readonly rules: readonly RuleActivity[];
  /** Decisions on which a mapped rule triggered, by outcome. */
  readonly decisions: OutcomeCounts;
  readonly operating: OperatingCounts;
  /** Operating evidence, the first MAX_SAMPLES decisions of each kind. */
  readonly samples: readonly OperatingCitation[];
  /** Every exception. */
  readonly exceptions: readonly ExceptionCitation[];
}

/** Decisions over time, in equal buckets from the period's start. */
export interface Timeline {
  readonly bucket_ms: number;
  readonly buckets: readonly { readonly start: string; readonly allow: number; readonly deny: number; readonly require_approval: number }[];
}

/** The state of the log the evidence rests on. */
export interface LogIntegrity {
  /** Entries below the checkpoint's size (anchored), and entries read past it. */
  readonly anchored: number;
  readonly read_to: number;
  /** Whether the anchored entries' own bytes hash to the checkpoint's root. */
  readonly root_verified: boolean;
  /** Anchored indices the store did not return. */
  readonly missing: number;
}

/** Everything the log says about one framework over one period, up to one tree size. */
export interface CollectedEvidence {
  readonly framework: string;
  readonly period: { readonly from: string; readonly to: string };
  /** Entries read (the checkpoint's tree size). */
  readonly entries_read: number;
  /** Anchored entries whose time falls in the period. */
  readonly entries_in_period: number;
  readonly log: LogIntegrity;
  readonly decisions: OutcomeCounts;
  readonly timeline: Timeline;
  readonly controls: Readonly<Record<string, ControlFacts>>;
  readonly policy_versions: readonly PolicyVersion[];
  /** Changes to what serves (promotions granted and refused, rollbacks, builds) in the period. */
  readonly changes: readonly ChangeCitation[];
  readonly test_runs: readonly TestRunCitation[];
  readonly drift_alerts: readonly DriftAlertCitation[];
}

/** Cites a logged decision (the same function builds a report and re-checks it). */
export function citeDecision(entry: number, d: LoggedDecision): DecisionCitation {
  return {
    entry,
    time: d.time,
    agent: d.agent,
    env: d.env,
    principal: d.principal,
    phase: d.phase,
    tool: d.tool,
    decision: d.decision,
    mode: d.mode,
    errors: d.errors,
    reasons: d.reasons.map((r) => ({
      rule: r.rule,
      effect: r.effect,
      ...(r.message !== undefined ? { message: r.message } : {}),
      ...(r.replacements !== undefined ? { replacements: r.replacements } : {}),
    })),
    approval: d.approval,
  };
}

/** Cites any logged record the way the report does; null for records a report never cites. */
export function citeRecord(entry: number, r: LoggedRecord): DecisionCitation | ChangeCitation | HandlingCitation | TestRunCitation | Omit<DriftAlertCitation, "handled"> | null {
  switch (r.kind) {
    case "decision":
      return citeDecision(entry, r);
    case "change":
      return { ...r.change, entry, time: r.time, by: r.by };
    case "drift_alert":
      return { entry, time: r.time, alert: r.alert };
    case "drift_alert_handled":
      return { ...r.handling, entry, time: r.time };
    case "pack_test_run":
      return { ...r.test_run, entry, time: r.time };
    default:
      return null;
  }
}

const NONE: ReadonlySet<string> = new Set();

const BUCKETS_MS = [3_600_000, 6 * 3_600_000, 86_400_000, 7 * 86_400_000, 30 * 86_400_000];

function bucketSize(fromMs: number, toMs: number): number {
  for (const b of BUCKETS_MS) if ((toMs - fromMs) / b <= 96) return b;
  return Math.ceil((toMs - fromMs) / 96);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };

interface ControlAcc {
  counts: Mutable<OutcomeCounts>;
  operating: Mutable<OperatingCounts>;
  triggered: number;
  samples: OperatingCitation[];
  sampled: Map<OperatingKind, number>;
  exceptions: ExceptionCitation[];
  unpromoted: Map<string, { env: string; policy_digest: string; decisions: number; first: DecisionCitation }>;
}

const emptyOperating = (): Mutable<OperatingCounts> => ({
  denials: 0,
  holds: { approved: 0, refused: 0, pending: 0 },
  transforms: { decisions: 0, replacements: 0, unknown: 0 },
  warnings: 0,
  failed_closed: 0,
  alerts: { fired: 0, handled: 0 },
  changes: { granted: 0, refused: 0, rollbacks: 0 },
  test_runs: { passed: 0, failed: 0 },
  anchored_decisions: 0,
});

/** How a control's mapped rules took part in one decision. */
interface Touch {
  triggered: boolean;
  deny: string[];
  hold: string[];
  transformed: number;
  transformUnknown: boolean;
  warned: boolean;
  errored: string[];
}

/** What collection needs besides the entries. */
export interface CollectOptions {
  readonly catalogue: Catalogue;
  /** The period, start inclusive, end exclusive. */
  readonly period: { readonly from: Date; readonly to: Date };
  /** The rules the report was given, mapped to this framework, for activity. */
  readonly rules?: readonly GivenRule[];
  /** The policy digest of the set those rules came from. */
  readonly policyDigest?: string | null;
  /** The checkpoint's size: entries at or past it are not evidence, only counted when in the period. */
  readonly anchored: number;
  /** The environments in pipeline order (palisade.environments.json), when known. */
  readonly pipeline?: readonly string[] | null;
}

/**
 * Collects evidence entry by entry (`add` in index order, anchored entries then those past the
 * checkpoint), then `result()`. Entries outside the period are read only for what happened to
 * something inside it (an alert's acknowledgement) or what put a policy in place (a promotion).
 */
export class EvidenceCollector {
  readonly #catalogue: Catalogue;
  readonly #from: number;
  readonly #to: number;
  readonly #period: { from: string; to: string };
  readonly #anchored: number;
  readonly #bucketMs: number;
  readonly #buckets: { allow: number; deny: number; require_approval: number }[];
  readonly #byControl = new Map<string, ControlAcc>();
  // Which controls each rule feeds: the rule's own `controls` on the record, and the catalogue's list.
  readonly #ruleControls = new Map<string, Set<string>>();
  readonly #activity: RuleActivityCounter;
  readonly #changes: ChangeCitation[] = [];
  readonly #testRuns: TestRunCitation[] = [];
  readonly #alerts: { alert: Omit<DriftAlertCitation, "handled">; handled: HandlingCitation | null }[] = [];
  // Environment|policy digest pairs a granted change put in place, in log order.
  readonly #inPlace = new Set<string>();
  // Environments some promotion enters: a build straight into one of them skips its predecessors.
  readonly #promotedInto = new Set<string>();
  readonly #pipeline: readonly string[];
  readonly #unreadable: number[] = [];
  // Holds the service recorded as pending, by decision id, until their outcome entry answers them.
  readonly #awaiting = new Map<string, { principal: string | null; holds: Map<string, string[]>; cite: DecisionCitation }>();
  readonly #changeControls: readonly string[];
  #read = 0;
  #inPeriod = 0;
  #unanchored = { entries: 0, first: -1, last: -1 };
  #integrity = { rootVerified: true, missing: [] as [number, number][], detail: "" };
  readonly #totals = { total: 0, allow: 0, deny: 0, require_approval: 0 };

  constructor(o: CollectOptions) {
    this.#catalogue = o.catalogue;
    this.#from = o.period.from.getTime();
    this.#to = o.period.to.getTime();
    this.#period = { from: o.period.from.toISOString(), to: o.period.to.toISOString() };
    this.#anchored = o.anchored;
    this.#pipeline = o.pipeline ?? [];
    this.#bucketMs = bucketSize(this.#from, this.#to);
    this.#buckets = Array.from({ length: Math.max(1, Math.ceil((this.#to - this.#from) / this.#bucketMs)) }, () => ({ allow: 0, deny: 0, require_approval: 0 }));
    for (const c of o.catalogue.controls) {
      this.#byControl.set(c.id, { counts: { total: 0, allow: 0, deny: 0, require_approval: 0 }, operating: emptyOperating(), triggered: 0, samples: [], sampled: new Map(), exceptions: [], unpromoted: new Map() });
      for (const r of c.rules) this.#mapRule(r, c.id);
    }
    for (const r of o.rules ?? []) this.#controlsOf(r.id, r.controls);
    this.#activity = new RuleActivityCounter(o.rules ?? [], o.policyDigest ?? null);
    this.#changeControls = o.catalogue.controls.filter((c) => c.facts.includes("promotions")).map((c) => c.id);
  }

  #mapRule(rule: string, control: string): void {
    const s = this.#ruleControls.get(rule) ?? new Set<string>();
    s.add(control);
    this.#ruleControls.set(rule, s);
  }

  // A rule's own `controls` (given, or on a record: a user's rule citing the framework) map it too, from then on.
  #controlsOf(rule: string, controls: readonly string[]): ReadonlySet<string> {
    const prefix = `${this.#catalogue.framework}:`;
    for (const c of controls) if (c.startsWith(prefix) && this.#byControl.has(c.slice(prefix.length)) && !this.#ruleControls.get(rule)?.has(c.slice(prefix.length))) this.#mapRule(rule, c.slice(prefix.length));
    return this.#ruleControls.get(rule) ?? NONE;
  }

  #inPeriodTime(time: string): number | null {
    const t = Date.parse(time);
    return t >= this.#from && t < this.#to ? t : null;
  }

  /** Adds the entry at `index` (its parsed JSON; undefined when it is not JSON). */
  /**
   * `opened` is the same record with its sealed fields opened (engine/audit's unseal), when the
   * caller holds the subjects' keys: who held and who approved are compared on it, while every
   * citation keeps the entry's own bytes, the only thing a report's reader can check.
   */
  add(index: number, parsed: unknown, opened?: Record<string, unknown>): void {
    this.#read++;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      if (index < this.#anchored) this.#unreadable.push(index);
      return;
    }
    const r = readLoggedRecord(parsed as Record<string, unknown>);
    const who = opened === undefined ? r : readLoggedRecord(opened);
    const t = this.#inPeriodTime(r.time);
    if (index >= this.#anchored) {
      // Past the checkpoint: not evidence, but an auditor must know the period holds entries the report cannot prove.
      if (t !== null) {
        this.#unanchored.entries++;
        if (this.#unanchored.first < 0) this.#unanchored.first = index;
        this.#unanchored.last = index;
      }
      return;
    }
    if (r.kind === "drift_alert_handled" && acknowledges(r.handling)) {
      // An acknowledgement names one firing, or every earlier one of its key still unacknowledged;
      // the first counts (re-acknowledgements add nothing an auditor needs).
      const h = r.handling;
      for (const a of this.#alerts) {
        if (a.handled !== null) continue;
        if (h.alert_id !== undefined ? a.alert.alert.id === h.alert_id : a.alert.alert.key === h.key) a.handled = { ...h, entry: index, time: r.time };
      }
    }
    if (r.kind === "change") this.#change(index, r.time, r.by, r.change, t !== null);
    if (r.kind === "decision" && r.resolves !== null) {
      // An answer may come after the period; it is the outcome of a hold made in it.
      if (t !== null) this.#inPeriod++;
      this.#answer(index, r, who.kind === "decision" ? who : r);
      return;
    }
    if (t === null) return;
    this.#inPeriod++;
    switch (r.kind) {
      case "decision":
        this.#decision(index, r, t, who.kind === "decision" ? who : r);
        return;
      case "drift_alert":
        this.#alerts.push({ alert: { entry: index, time: r.time, alert: r.alert }, handled: null });
        return;
      case "pack_test_run":
        this.#testRuns.push({ ...r.test_run, entry: index, time: r.time });
        return;
      default:
        return;
    }
  }

  /** Anchored indices the store did not hold (`from` inclusive, `to` exclusive). */
  missing(from: number, to: number): void {
    this.#integrity.missing.push([from, to]);
  }

  /** Whether the anchored entries' bytes hash to the checkpoint's root, and if not, where they do not. */
  rootVerified(ok: boolean, detail = ""): void {
    this.#integrity.rootVerified = ok;
    this.#integrity.detail = detail;
  }

  #change(index: number, time: string, by: string | null, change: ChangeEvidence, inPeriod: boolean): void {
    const cite: ChangeCitation = { ...change, entry: index, time, by };
    if (change.outcome === "granted") {
      if (change.action === "promotion") this.#promotedInto.add(change.to);
      if (change.action !== "build" || change.pipeline_entry !== false) this.#inPlace.add(`${change.to}|${change.policy_digest}`);
    }
    if (inPeriod) this.#changes.push(cite);
  }

  #decision(index: number, d: LoggedDecision, t: number, who: LoggedDecision): void {
    const outcome = d.decision === "deny" ? "deny" : d.decision === "require_approval" ? "require_approval" : d.decision === "allow" ? "allow" : undefined;
    if (outcome === undefined) return;
    this.#totals.total++;
    this.#totals[outcome]++;
    this.#buckets[Math.min(this.#buckets.length - 1, Math.floor((t - this.#from) / this.#bucketMs))][outcome]++;
    this.#activity.decision(index, d);

    const touched = new Map<string, Touch>();
    const acting = new Set<string>();
    const touch = (rule: string, controls: readonly string[], f: (m: Touch) => void) => {
      for (const c of this.#controlsOf(rule, controls)) {
        let m = touched.get(c);
        if (!m) touched.set(c, (m = { triggered: false, deny: [], hold: [], transformed: 0, transformUnknown: false, warned: false, errored: [] }));
        f(m);
      }
    };
    for (const r of d.reasons) {
      if (r.effect === "redact" || r.effect === "set") {
        // A redaction counts by the matches it replaced; one logged without a count (engines that
        // listed every redact whose rule held) is unknown, never a redaction. A `set` is one field
        // rewritten: engines list it only when the value changed.
        const replaced = r.effect === "set" ? 1 : (r.replacements ?? 0);
        touch(r.rule, r.controls, (m) => {
          if (r.effect === "redact" && r.replacements === undefined) m.transformUnknown = true;
          else if (replaced > 0) {
            m.transformed += replaced;
            m.triggered = true;
          }
        });
        if (replaced > 0) acting.add(r.rule);
        continue;
      }
      const acts = (r.effect === "deny" && outcome === "deny") || (r.effect === "require_approval" && outcome === "require_approval") || r.effect === "warn";
      if (!acts) continue;
      acting.add(r.rule);
      touch(r.rule, r.controls, (m) => {
        m.triggered = true;
        if (r.effect === "deny") m.deny.push(r.rule);
        else if (r.effect === "require_approval") m.hold.push(r.rule);
        else m.warned = true;
      });
    }
    for (const r of d.warnings) {
      acting.add(r.rule);
      touch(r.rule, r.controls, (m) => ((m.warned = true), (m.triggered = true)));
    }
    for (const rule of d.errors) touch(rule, [], (m) => m.errored.push(rule));
    for (const rule of acting) this.#activity.triggered(rule);

    const promotionsFed = this.#changeControls;
    let cite: DecisionCitation | undefined;
    const citation = () => (cite ??= citeDecision(index, d));
    if (promotionsFed.length > 0 && !this.#inPlace.has(`${d.env}|${d.policy_digest}`)) {
      for (const id of promotionsFed) {
        const acc = this.#byControl.get(id) as ControlAcc;
        const key = `${d.env}|${d.policy_digest}`;
        const u = acc.unpromoted.get(key);
        if (u) u.decisions++;
        else acc.unpromoted.set(key, { env: d.env, policy_digest: d.policy_digest, decisions: 1, first: citation() });
      }
    }
    if (touched.size === 0) return;
    const shadow = d.mode === "shadow";
    for (const [id, m] of touched) {
      const acc = this.#byControl.get(id);
      if (!acc) continue;
      if (m.triggered) {
        acc.triggered++;
        acc.counts.total++;
        acc.counts[outcome]++;
      }
      if (m.warned) {
        acc.operating.warnings++;
        this.#sample(acc, "warning", citation);
      }
      if (m.transformUnknown && m.transformed === 0) acc.operating.transforms.unknown++;
      if (m.errored.length > 0 && outcome !== "deny") {
        acc.exceptions.push({ kind: "fail-open", rules: m.errored, decision: citation() });
        continue;
      }
      const acted = m.deny.length > 0 || m.hold.length > 0 || m.transformed > 0 || (m.errored.length > 0 && outcome === "deny");
      if (!acted) continue;
      if (shadow) {
        acc.exceptions.push({ kind: "not-enforced", rules: [...m.deny, ...m.hold, ...m.errored], decision: citation() });
        continue;
      }
      if (m.transformed > 0) {
        acc.operating.transforms.decisions++;
        acc.operating.transforms.replacements += m.transformed;
        this.#sample(acc, "transform", citation);
      }
      if (m.deny.length > 0) {
        acc.operating.denials++;
        this.#sample(acc, "denial", citation);
      } else if (m.errored.length > 0 && outcome === "deny") {
        acc.operating.failed_closed++;
        this.#sample(acc, "failed-closed", citation);
      }
      if (m.hold.length > 0) {
        if (d.approval === null && d.decision_id !== null) {
          // The service records the outcome as its own entry later: wait for it.
          const w = this.#awaiting.get(d.decision_id) ?? { principal: who.principal, holds: new Map<string, string[]>(), cite: citation() };
          w.holds.set(id, m.hold);
          this.#awaiting.set(d.decision_id, w);
        } else this.#hold(acc, who.approval, who.principal, m.hold, citation);
      }
    }
  }

  /** The service's entry answering a held decision: the hold's outcome, by who answered; no new decision. */
  #answer(index: number, d: LoggedDecision, who: LoggedDecision): void {
    const waiting = d.resolves === null ? undefined : this.#awaiting.get(d.resolves);
    if (waiting === undefined) return;
    this.#awaiting.delete(d.resolves as string);
    let cite: DecisionCitation | undefined;
    const citation = () => (cite ??= citeDecision(index, d));
    for (const [id, rules] of waiting.holds) {
      const acc = this.#byControl.get(id);
      if (acc) this.#hold(acc, who.approval, waiting.principal, rules, citation);
    }
  }

  #hold(acc: ControlAcc, a: LoggedDecision["approval"], principal: string | null, rules: string[], citation: () => DecisionCitation): void {
    if (a === null) {
      acc.operating.holds.pending++;
      this.#sample(acc, "held", citation);
    } else if (!a.approved) {
      acc.operating.holds.refused++;
      this.#sample(acc, "refused", citation);
    } else if (a.by === undefined || a.by === "" || unreadable(a.by) || (principal !== null && unreadable(principal))) {
      // A sealed field the builder holds no key for, or an erased one, cannot show that the
      // approver is not the requester: separation of duties is not shown, so it is not counted.
      acc.exceptions.push({ kind: "approver-not-recorded", rules, decision: citation() });
    }
    else if (principal !== null && a.by === principal) acc.exceptions.push({ kind: "self-approved", rules, decision: citation() });
    else {
      acc.operating.holds.approved++;
      this.#sample(acc, "approved", citation);
    }
  }

  #sample(acc: ControlAcc, kind: OperatingKind, citation: () => DecisionCitation): void {
    const n = acc.sampled.get(kind) ?? 0;
    if (n >= MAX_SAMPLES) return;
    acc.sampled.set(kind, n + 1);
    acc.samples.push({ kind, decision: citation() });
  }

  /** The evidence gathered. Call it once, after the last `add`: it files the period-wide facts into the controls. */
  result(): CollectedEvidence {
    const alerts: DriftAlertCitation[] = this.#alerts.map((a) => ({ ...a.alert, handled: a.handled }));
    // Holds no outcome entry answered (yet) are pending.
    for (const w of this.#awaiting.values()) {
      for (const id of w.holds.keys()) {
        const acc = this.#byControl.get(id);
        if (acc) this.#hold(acc, null, w.principal, [], () => w.cite);
      }
    }
    this.#awaiting.clear();
    const activity = this.#activity.result();
    const integrity = this.#integrityExceptions();
    const changes = this.#judgeChanges();
    const controls: Record<string, ControlFacts> = {};
    for (const c of this.#catalogue.controls) {
      const acc = this.#byControl.get(c.id) as ControlAcc;
      const op = acc.operating;
      const exceptions = [...acc.exceptions];
      if (c.facts.includes("promotions")) {
        op.changes = { ...changes.counts };
        exceptions.push(...changes.exceptions);
        for (const u of acc.unpromoted.values()) exceptions.push({ kind: "unpromoted-policy", ...u });
      }
      if (c.facts.includes("pack-test-runs")) {
        for (const run of this.#testRuns) {
          if (!this.#packMatches(run.pack)) continue;
          if (run.failed > 0) {
            op.test_runs.failed++;
            exceptions.push({ kind: "test-failure", test_run: run });
          } else op.test_runs.passed++;
        }
      }
      if (c.facts.includes("drift-alerts")) {
        for (const a of alerts) {
          op.alerts.fired++;
          if (a.handled === null) exceptions.push({ kind: "unacknowledged-alert", alert: a });
          else op.alerts.handled++;
        }
      }
      if (c.facts.includes("audit-checkpoints") || c.facts.includes("audit-log")) exceptions.push(...integrity);
      if (c.facts.includes("audit-log") && integrity.every((e) => e.kind === "unanchored-entries")) op.anchored_decisions = this.#totals.total;
      controls[c.id] = {
        activity: { evaluated: activity.evaluated(c.id, this.#ruleControls), triggered: acc.triggered },
        rules: activity.rulesOf(c.id, this.#ruleControls),
        decisions: acc.counts,
        operating: op,
        samples: acc.samples,
        exceptions,
      };
    }
    return {
      framework: this.#catalogue.framework,
      period: this.#period,
      entries_read: Math.min(this.#read, this.#anchored),
      entries_in_period: this.#inPeriod,
      log: { anchored: this.#anchored, read_to: this.#anchored + Math.max(0, this.#read - this.#anchored), root_verified: this.#integrity.rootVerified, missing: this.#integrity.missing.reduce((n, [a, b]) => n + b - a, 0) },
      decisions: { ...this.#totals },
      timeline: {
        bucket_ms: this.#bucketMs,
        buckets: this.#buckets.map((b, i) => ({ start: new Date(this.#from + i * this.#bucketMs).toISOString(), ...b })),
      },
      controls,
      policy_versions: activity.versions,
      changes: this.#changes,
      test_runs: this.#testRuns,
      drift_alerts: alerts,
    };
  }

  /**
   * What each change in the period was: a promotion through passing gates with a named approver,
   * a refusal or a rollback (the process working), or an exception. Environments skipped are
   * those the record names, those the pipeline (when given) puts between a promotion's source and
   * target, and for a build straight into an environment, every one before it.
   */
  #judgeChanges(): { counts: { granted: number; refused: number; rollbacks: number }; exceptions: ExceptionCitation[] } {
    const counts = { granted: 0, refused: 0, rollbacks: 0 };
    const exceptions: ExceptionCitation[] = [];
    const order = this.#pipeline;
    const between = (from: string | null, to: string): string[] => {
      const a = from === null ? -1 : order.indexOf(from);
      const b = order.indexOf(to);
      return a >= 0 && b > a + 1 ? order.slice(a + 1, b) : [];
    };
    for (const ch of this.#changes) {
      if (ch.outcome === "refused") counts.refused++;
      else if (ch.action === "rollback") counts.rollbacks++;
      else if (ch.action === "build") {
        const before = order.indexOf(ch.to) > 0 ? order.slice(0, order.indexOf(ch.to)) : [];
        const skipped = [...ch.skipped, ...before];
        if (skipped.length > 0 || ch.pipeline_entry === false || (ch.pipeline_entry === null && order.length === 0 && this.#promotedInto.has(ch.to))) exceptions.push({ kind: "skipped-environment", change: ch, skipped });
        else counts.granted++;
      } else if (ch.approvers.length === 0 && this.#needsApprover(ch)) exceptions.push({ kind: "unapproved-change", change: ch });
      else if (ch.gates.some((g) => !g.passed)) exceptions.push({ kind: "gate-bypassed", change: ch });
      else {
        const skipped = [...new Set([...ch.skipped, ...between(ch.from, ch.to)])];
        if (skipped.length > 0) exceptions.push({ kind: "skipped-environment", change: ch, skipped });
        else counts.granted++;
      }
    }
    return { counts, exceptions };
  }

  /**
   * Whether a promotion needed a named approver: when it ran an approval gate, when it entered
   * the last environment of the pipeline, or when the pipeline is not known (nothing says it
   * did not).
   */
  #needsApprover(ch: ChangeCitation): boolean {
    const order = this.#pipeline;
    return ch.gates.some((g) => g.name === "approval") || order.length === 0 || ch.to === order[order.length - 1];
  }

  #integrityExceptions(): ExceptionCitation[] {
    const out: ExceptionCitation[] = [];
    for (const [from, to] of this.#integrity.missing) out.push({ kind: "log-gap", from, to, entries: to - from, detail: `entries ${from} to ${to - 1} are missing from the store` });
    if (!this.#integrity.rootVerified) out.push({ kind: "log-unverifiable", from: 0, to: this.#anchored, entries: this.#anchored, detail: this.#integrity.detail || "the entries' bytes do not hash to the signed checkpoint's root" });
    for (const entry of this.#unreadable) out.push({ kind: "unreadable-entry", entry });
    const u = this.#unanchored;
    if (u.entries > 0) out.push({ kind: "unanchored-entries", from: u.first, to: u.last + 1, entries: u.entries, detail: `${u.entries} entries of the period were recorded after the checkpoint this report is built against` });
    return out;
  }

  #packMatches(pack: string): boolean {
    const mine = this.#catalogue.pack;
    if (mine === undefined) return true;
    return pack.replace(/\/+$/, "").endsWith(mine.replace(/\/+$/, ""));
  }
}

/** Whether an identity is a marker standing for a sealed or erased value rather than the value. */
function unreadable(id: string): boolean {
  return id === SEALED_MARKER || id === ERASED_MARKER;
}
