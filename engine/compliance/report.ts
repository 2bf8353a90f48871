// The report as data: what `--format json` prints, what the HTML and OSCAL renderings are made
// from, and what `palisade report verify` re-checks. Claims about single entries cite them by
// index; `entries` holds each cited entry with its inclusion proof in the embedded checkpoint.
import type { Fact, Scope } from "./catalogue.ts";
import type { GivenRule } from "./activity.ts";
import type { CollectedEvidence, ControlFacts, ExceptionCitation } from "./collect.ts";

/** The format tag of this report layout; readers refuse any other. */
export const REPORT_FORMAT = "palisade.compliance-report/2";

/**
 * A control's standing over the period (spec/compliance-evidence.md):
 * - `exceptions`: something went through that should not have (or the log cannot prove the
 *   period), each listed with its evidence;
 * - `satisfied`: the control acted (denied, held, replaced, flagged, alerted, gated a change,
 *   recorded the period) and met no exception;
 * - `in-force`: its rules were evaluated and never triggered, no exception;
 * - `no-evidence`: nothing it is fed by was recorded in the period;
 * - `not-covered`: no given rule maps to it and facts alone do not feed it.
 */
export type ControlStatus = "satisfied" | "in-force" | "exceptions" | "no-evidence" | "not-covered";

/** Every status, in the order reports list them. */
export const STATUSES: readonly ControlStatus[] = ["satisfied", "in-force", "exceptions", "no-evidence", "not-covered"];

/** How many things a control did in the period (operating evidence), whatever their kind. */
export function operatingTotal(f: ControlFacts): number {
  const o = f.operating;
  return o.denials + o.holds.approved + o.holds.refused + o.holds.pending + o.transforms.decisions + o.warnings + o.failed_closed + o.alerts.fired + o.changes.granted + o.changes.refused + o.changes.rollbacks + o.anchored_decisions;
}

/** A control's status from its coverage and facts; the one function build and verify share. */
export function controlStatus(covered: "rules" | "facts" | "none", f: ControlFacts): ControlStatus {
  if (covered === "none") return "not-covered";
  if (f.exceptions.length > 0) return "exceptions";
  if (operatingTotal(f) > 0) return "satisfied";
  if (f.activity.evaluated > 0) return "in-force";
  return "no-evidence";
}

/** The entries an exception cites (none for ranges past the checkpoint or missing from the store). */
export function exceptionEntries(e: ExceptionCitation): number[] {
  switch (e.kind) {
    case "unpromoted-policy":
      return [e.first.entry];
    case "unapproved-change":
    case "gate-bypassed":
    case "skipped-environment":
      return [e.change.entry];
    case "unacknowledged-alert":
      return [e.alert.entry];
    case "test-failure":
      return [e.test_run.entry];
    case "unreadable-entry":
      return [e.entry];
    case "unanchored-entries":
    case "log-gap":
    case "log-unverifiable":
      return [];
    default:
      return [e.decision.entry];
  }
}

/** One control's line in the report. */
export interface ControlReport {
  readonly id: string;
  /** The id as the framework writes it. */
  readonly label: string;
  /** The OSCAL control id findings name: from the published catalog, else the framework's own id tokenised. */
  readonly oscal_control: string;
  readonly title: string;
  readonly family: string | null;
  /** What evidence satisfies the control (from the catalogue). */
  readonly evidence_required: string;
  readonly facts: readonly Fact[];
  readonly status: ControlStatus;
  readonly covered_by: "rules" | "facts" | "none";
  /** Loaded rules that map to it. */
  readonly rules: readonly string[];
}

/** The signed checkpoint a report was built against, and the key it verifies with. */
export interface LogAnchor {
  readonly origin: string;
  /** The log's verifier key (`<name>+<id>+<key>`). */
  readonly verifier_key: string;
  /** The C2SP signed note, exactly as signed. */
  readonly checkpoint: string;
  readonly size: number;
  /** Root hash in hex, as the checkpoint states it. */
  readonly root: string;
}

/** A cited entry: its bytes (canonical JSON text) and its inclusion proof in the checkpoint's tree. */
export interface CitedEntry {
  readonly index: number;
  /** The entry's exact bytes as UTF-8 text (RFC 8785 canonical JSON). */
  readonly entry: string;
  /** RFC 9162 leaf hash, hex. */
  readonly leaf_hash: string;
  /** Audit path, hex, leaf to root. */
  readonly proof: readonly string[];
}

/** A run of the pack's tests made while building the report (not in the log, so not proven). */
export interface ReportTestRun {
  readonly pack: string;
  readonly policy_digest: string;
  readonly time: string;
  readonly passed: number;
  readonly failed: number;
  readonly failures: readonly string[];
}

/** A compliance report. */
export interface Report {
  readonly format: typeof REPORT_FORMAT;
  /** ISO-8601 instant it was built. */
  readonly generated: string;
  readonly framework: {
    readonly id: string;
    readonly name: string;
    readonly version: string;
    readonly publisher: string;
    readonly source: string;
    readonly notes: string | null;
    /** The published OSCAL catalog control ids come from (null: the framework's own ids, defined in the assessment plan). */
    readonly oscal_catalog: string | null;
    readonly oscal_catalog_href: string | null;
  };
  readonly period: { readonly from: string; readonly to: string };
  /** Which units of the framework the report addresses, and which it leaves out. */
  readonly scope: Scope;
  /** The environments in pipeline order that changes were judged against; null when not given. */
  readonly pipeline: readonly string[] | null;
  /** The policies coverage and activity were computed from: their digest and the rules mapped to this framework. */
  readonly policies: { readonly paths: readonly string[]; readonly digest: string | null; readonly rules: readonly GivenRule[] };
  readonly summary: Readonly<Record<ControlStatus, number>> & { readonly controls: number };
  readonly controls: readonly ControlReport[];
  /** What the log recorded (recomputable from the log up to `log.size`). */
  readonly evidence: CollectedEvidence;
  readonly test_runs_at_report: readonly ReportTestRun[];
  /** Null only when the log was empty and had no checkpoint. */
  readonly log: LogAnchor | null;
  readonly entries: readonly CitedEntry[];
}

/** Every entry index the evidence cites, ascending, each once. */
export function citedIndices(evidence: CollectedEvidence): number[] {
  const out = new Set<number>();
  for (const v of evidence.policy_versions) out.add(v.first_entry);
  for (const p of evidence.changes) out.add(p.entry);
  for (const t of evidence.test_runs) out.add(t.entry);
  for (const a of evidence.drift_alerts) {
    out.add(a.entry);
    if (a.handled) out.add(a.handled.entry);
  }
  for (const f of Object.values(evidence.controls)) {
    for (const s of f.samples) out.add(s.decision.entry);
    for (const e of f.exceptions) for (const i of exceptionEntries(e)) out.add(i);
  }
  return [...out].sort((a, b) => a - b);
}
