// Evidence collection: one pass over the log's entries, gathering for one framework what each
// control's facts call for. Pure: the same entries, catalogue and period give the same evidence,
// which is what lets `palisade report verify --db` recompute it and compare.
import type { Catalogue, Control } from "./catalogue.ts";
import { readLoggedRecord } from "./evidence.ts";
import type { DriftAlertEvidence, DriftHandlingEvidence, LoggedDecision, LoggedReason, LoggedRecord, PackTestRunEvidence, PromotionEvidence } from "./evidence.ts";

/** Most entries cited per control and kind; the rest are counted, not cited, so a report stays readable. */
export const MAX_CITED = 25;

/** A logged decision as a report cites it. Every field is derived from the entry alone. */
export interface DecisionCitation extends Pick<LoggedDecision, "time" | "agent" | "env" | "principal" | "phase" | "tool" | "decision" | "approval"> {
  readonly entry: number;
  readonly reasons: readonly Pick<LoggedReason, "rule" | "effect" | "message">[];
}

/** A promotion as a report cites it. */
export interface PromotionCitation extends PromotionEvidence {
  readonly entry: number;
  readonly time: string;
  /** Who recorded the promotion (the record's principal). */
  readonly by: string | null;
}

/** How a drift alert was handled, as a report cites it. */
export interface HandlingCitation extends DriftHandlingEvidence {
  readonly entry: number;
  readonly time: string;
}

/** A drift alert and its handling (null while open). */
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

/** One policy set version seen deciding in the period. */
export interface PolicyVersion {
  readonly policy_digest: string;
  readonly first_seen: string;
  readonly last_seen: string;
  readonly decisions: number;
  readonly envs: readonly string[];
  /** The first decision it made in the period (cited). */
  readonly first_entry: number;
}

/** Why something is listed as an exception. */
export type ExceptionKind = "denial" | "approval-refused" | "test-failure" | "drift-alert-open";

/** An exception a control met, with the entry that evidences it. */
export type ExceptionCitation =
  | { readonly kind: "denial" | "approval-refused"; readonly decision: DecisionCitation }
  | { readonly kind: "test-failure"; readonly test_run: TestRunCitation }
  | { readonly kind: "drift-alert-open"; readonly alert: DriftAlertCitation };

/** Counts of decisions by outcome. */
export interface OutcomeCounts {
  readonly total: number;
  readonly allow: number;
  readonly deny: number;
  readonly require_approval: number;
}

/** What was recorded for one control in the period. */
export interface ControlFacts {
  /** Decisions whose reasons or warnings name a rule mapped to the control. */
  readonly decisions: OutcomeCounts;
  /** Decisions a mapped rule denied. */
  readonly denials: number;
  /** require_approval decisions by a mapped rule, by outcome (`pending` when none was recorded). */
  readonly approvals: { readonly approved: number; readonly refused: number; readonly pending: number };
  readonly warnings: number;
  readonly redactions: number;
  /** Exceptions, the first MAX_CITED of each kind cited. */
  readonly exceptions: readonly ExceptionCitation[];
  /** Exceptions in all, cited or not. */
  readonly exceptions_total: number;
  /** Approved decisions with who approved, the first MAX_CITED cited. */
  readonly approved: readonly DecisionCitation[];
}

/** Decisions over time, in equal buckets from the period's start. */
export interface Timeline {
  readonly bucket_ms: number;
  readonly buckets: readonly { readonly start: string; readonly allow: number; readonly deny: number; readonly require_approval: number }[];
}

/** Everything the log says about one framework over one period, up to one tree size. */
export interface CollectedEvidence {
  readonly framework: string;
  readonly period: { readonly from: string; readonly to: string };
  /** Entries read (the checkpoint's tree size). */
  readonly entries_read: number;
  /** Entries whose time falls in the period. */
  readonly entries_in_period: number;
  readonly decisions: OutcomeCounts;
  readonly timeline: Timeline;
  readonly controls: Readonly<Record<string, ControlFacts>>;
  readonly policy_versions: readonly PolicyVersion[];
  readonly promotions: readonly PromotionCitation[];
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
    reasons: d.reasons.map((r) => (r.message === undefined ? { rule: r.rule, effect: r.effect } : { rule: r.rule, effect: r.effect, message: r.message })),
    approval: d.approval,
  };
}

/** Cites any logged record the way the report does; null for records a report never cites. */
export function citeRecord(entry: number, r: LoggedRecord): DecisionCitation | PromotionCitation | HandlingCitation | TestRunCitation | Omit<DriftAlertCitation, "handled"> | null {
  switch (r.kind) {
    case "decision":
      return citeDecision(entry, r);
    case "promotion":
      return { ...r.promotion, entry, time: r.time, by: r.by };
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

const BUCKETS_MS = [3_600_000, 6 * 3_600_000, 86_400_000, 7 * 86_400_000, 30 * 86_400_000];

function bucketSize(fromMs: number, toMs: number): number {
  for (const b of BUCKETS_MS) if ((toMs - fromMs) / b <= 96) return b;
  return Math.ceil((toMs - fromMs) / 96);
}

interface ControlAcc {
  counts: { total: number; allow: number; deny: number; require_approval: number };
  denials: number;
  approvals: { approved: number; refused: number; pending: number };
  warnings: number;
  redactions: number;
  exceptions: ExceptionCitation[];
  cited: Map<ExceptionKind, number>;
  exceptionsTotal: number;
  approved: DecisionCitation[];
}

/**
 * Collects evidence entry by entry (`add` in index order), then `result()`. Entries outside the
 * period are read only for the handling of alerts raised inside it.
 */
export class EvidenceCollector {
  readonly #catalogue: Catalogue;
  readonly #from: number;
  readonly #to: number;
  readonly #period: { from: string; to: string };
  readonly #bucketMs: number;
  readonly #buckets: { allow: number; deny: number; require_approval: number }[];
  readonly #byControl = new Map<string, ControlAcc>();
  // Which controls each rule feeds: the rule's own `controls` on the record, and the catalogue's list.
  readonly #ruleControls = new Map<string, Set<string>>();
  readonly #versions = new Map<string, { first_seen: string; last_seen: string; decisions: number; envs: Set<string>; first_entry: number }>();
  readonly #promotions: PromotionCitation[] = [];
  readonly #testRuns: TestRunCitation[] = [];
  readonly #alerts: Omit<DriftAlertCitation, "handled">[] = [];
  readonly #handled = new Map<string, HandlingCitation>();
  #read = 0;
  #inPeriod = 0;
  readonly #totals = { total: 0, allow: 0, deny: 0, require_approval: 0 };

  constructor(catalogue: Catalogue, period: { from: Date; to: Date }) {
    this.#catalogue = catalogue;
    this.#from = period.from.getTime();
    this.#to = period.to.getTime();
    this.#period = { from: period.from.toISOString(), to: period.to.toISOString() };
    this.#bucketMs = bucketSize(this.#from, this.#to);
    this.#buckets = Array.from({ length: Math.max(1, Math.ceil((this.#to - this.#from) / this.#bucketMs)) }, () => ({ allow: 0, deny: 0, require_approval: 0 }));
    for (const c of catalogue.controls) {
      this.#byControl.set(c.id, {
        counts: { total: 0, allow: 0, deny: 0, require_approval: 0 },
        denials: 0,
        approvals: { approved: 0, refused: 0, pending: 0 },
        warnings: 0,
        redactions: 0,
        exceptions: [],
        cited: new Map(),
        exceptionsTotal: 0,
        approved: [],
      });
      for (const r of c.rules) {
        const s = this.#ruleControls.get(r) ?? new Set<string>();
        s.add(c.id);
        this.#ruleControls.set(r, s);
      }
    }
  }

  #controlsOf(rule: string, controls: readonly string[]): Set<string> {
    const out = new Set(this.#ruleControls.get(rule) ?? []);
    const prefix = `${this.#catalogue.framework}:`;
    for (const c of controls) if (c.startsWith(prefix) && this.#byControl.has(c.slice(prefix.length))) out.add(c.slice(prefix.length));
    return out;
  }

  #exception(acc: ControlAcc, e: ExceptionCitation): void {
    acc.exceptionsTotal++;
    const n = acc.cited.get(e.kind) ?? 0;
    if (n >= MAX_CITED) return;
    acc.cited.set(e.kind, n + 1);
    acc.exceptions.push(e);
  }

  /** Adds the entry at `index` (its parsed JSON; anything unreadable is skipped). */
  add(index: number, parsed: unknown): void {
    this.#read++;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return;
    const r = readLoggedRecord(parsed as Record<string, unknown>);
    if (r.kind === "drift_alert_handled") {
      // The first handling counts; later ones (re-acknowledgements) add nothing an auditor needs.
      if (!this.#handled.has(r.handling.key)) this.#handled.set(r.handling.key, { ...r.handling, entry: index, time: r.time });
    }
    const t = Date.parse(r.time);
    if (!(t >= this.#from && t < this.#to)) return;
    this.#inPeriod++;
    switch (r.kind) {
      case "decision":
        this.#decision(index, r, t);
        return;
      case "promotion":
        this.#promotions.push({ ...r.promotion, entry: index, time: r.time, by: r.by });
        return;
      case "drift_alert":
        this.#alerts.push({ entry: index, time: r.time, alert: r.alert });
        return;
      case "pack_test_run":
        this.#testRuns.push({ ...r.test_run, entry: index, time: r.time });
        return;
      default:
        return;
    }
  }

  #decision(index: number, d: LoggedDecision, t: number): void {
    const outcome = d.decision === "deny" ? "deny" : d.decision === "require_approval" ? "require_approval" : d.decision === "allow" ? "allow" : undefined;
    if (outcome === undefined) return;
    this.#totals.total++;
    this.#totals[outcome]++;
    this.#buckets[Math.min(this.#buckets.length - 1, Math.floor((t - this.#from) / this.#bucketMs))][outcome]++;
    const v = this.#versions.get(d.policy_digest);
    if (v) {
      v.last_seen = d.time;
      v.decisions++;
      v.envs.add(d.env);
    } else this.#versions.set(d.policy_digest, { first_seen: d.time, last_seen: d.time, decisions: 1, envs: new Set([d.env]), first_entry: index });

    // For each control: whether a mapped rule took part, and in which way.
    const touched = new Map<string, { decided: boolean; warned: boolean; redacted: boolean }>();
    const mark = (rule: string, controls: readonly string[], how: "decided" | "warned" | "redacted" | "shaped") => {
      for (const c of this.#controlsOf(rule, controls)) {
        const m = touched.get(c) ?? { decided: false, warned: false, redacted: false };
        if (how === "decided") m.decided = true;
        if (how === "warned") m.warned = true;
        if (how === "redacted") m.redacted = true;
        touched.set(c, m);
      }
    };
    for (const r of d.reasons) mark(r.rule, r.controls, r.effect === outcome ? "decided" : r.effect === "redact" || r.effect === "set" ? "redacted" : r.effect === "warn" ? "warned" : "shaped");
    for (const r of d.warnings) mark(r.rule, r.controls, "warned");
    if (touched.size === 0) return;
    const cite = citeDecision(index, d);
    for (const [id, m] of touched) {
      const acc = this.#byControl.get(id);
      if (!acc) continue;
      acc.counts.total++;
      acc.counts[outcome]++;
      if (m.warned) acc.warnings++;
      if (m.redacted) acc.redactions++;
      if (outcome === "deny" && m.decided) {
        acc.denials++;
        this.#exception(acc, { kind: "denial", decision: cite });
      }
      if (outcome === "require_approval" && m.decided) {
        if (d.approval === null) acc.approvals.pending++;
        else if (d.approval.approved) {
          acc.approvals.approved++;
          if (acc.approved.length < MAX_CITED) acc.approved.push(cite);
        } else {
          acc.approvals.refused++;
          this.#exception(acc, { kind: "approval-refused", decision: cite });
        }
      }
    }
  }

  /** The evidence gathered. Call it once, after the last `add`: it files the period-wide exceptions into the controls. */
  result(): CollectedEvidence {
    const alerts: DriftAlertCitation[] = this.#alerts.map((a) => ({ ...a, handled: this.#handled.get(a.alert.key) ?? null }));
    const controls: Record<string, ControlFacts> = {};
    for (const c of this.#catalogue.controls) {
      const acc = this.#byControl.get(c.id) as ControlAcc;
      if (c.facts.includes("pack-test-runs")) {
        for (const run of this.#testRuns) if (run.failed > 0 && this.#packMatches(run.pack)) this.#exception(acc, { kind: "test-failure", test_run: run });
      }
      if (c.facts.includes("drift-alerts")) for (const a of alerts) if (a.handled === null) this.#exception(acc, { kind: "drift-alert-open", alert: a });
      controls[c.id] = {
        decisions: acc.counts,
        denials: acc.denials,
        approvals: acc.approvals,
        warnings: acc.warnings,
        redactions: acc.redactions,
        exceptions: acc.exceptions,
        exceptions_total: acc.exceptionsTotal,
        approved: acc.approved,
      };
    }
    return {
      framework: this.#catalogue.framework,
      period: this.#period,
      entries_read: this.#read,
      entries_in_period: this.#inPeriod,
      decisions: { ...this.#totals },
      timeline: {
        bucket_ms: this.#bucketMs,
        buckets: this.#buckets.map((b, i) => ({ start: new Date(this.#from + i * this.#bucketMs).toISOString(), ...b })),
      },
      controls,
      policy_versions: [...this.#versions].map(([policy_digest, v]) => ({ policy_digest, first_seen: v.first_seen, last_seen: v.last_seen, decisions: v.decisions, envs: [...v.envs].sort(), first_entry: v.first_entry })),
      promotions: this.#promotions,
      test_runs: this.#testRuns,
      drift_alerts: alerts,
    };
  }

  #packMatches(pack: string): boolean {
    const mine = this.#catalogue.pack;
    if (mine === undefined) return true;
    return pack.replace(/\/+$/, "").endsWith(mine.replace(/\/+$/, ""));
  }
}

/** Whether a control's facts were recorded at all in the period (policy versions and checkpoints alone do not count). */
export function hasEvidence(control: Control, facts: ControlFacts, evidence: CollectedEvidence): boolean {
  if (facts.decisions.total > 0) return true;
  if (control.facts.includes("promotions") && evidence.promotions.length > 0) return true;
  if (control.facts.includes("drift-alerts") && evidence.drift_alerts.length > 0) return true;
  if (control.facts.includes("pack-test-runs") && evidence.test_runs.length > 0) return true;
  return false;
}
