// The report as data: what `--format json` prints, what the HTML and OSCAL renderings are made
// from, and what `palisade report verify` re-checks. Claims about single entries cite them by
// index; `entries` holds each cited entry with its inclusion proof in the embedded checkpoint.
import type { Fact } from "./catalogue.ts";
import type { CollectedEvidence } from "./collect.ts";

/** The format tag of this report layout; readers refuse any other. */
export const REPORT_FORMAT = "palisade.compliance-report/1";

/**
 * A control's standing over the period:
 * - `satisfied`: evidence was recorded and nothing needs an auditor's attention;
 * - `exceptions`: the control met exceptions (denials it caught, refused approvals, failed
 *   pack tests, drift alerts left open), each listed with its evidence;
 * - `not-covered`: no loaded rule maps to it and facts alone do not feed it;
 * - `no-evidence`: covered, but nothing it is fed by was recorded in the period ("no evidence yet").
 */
export type ControlStatus = "satisfied" | "exceptions" | "not-covered" | "no-evidence";

/** One control's line in the report. */
export interface ControlReport {
  readonly id: string;
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
  };
  readonly period: { readonly from: string; readonly to: string };
  /** The policies coverage was computed from. */
  readonly policies: { readonly paths: readonly string[]; readonly digest: string | null; readonly rules: number };
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
  for (const p of evidence.promotions) out.add(p.entry);
  for (const t of evidence.test_runs) out.add(t.entry);
  for (const a of evidence.drift_alerts) {
    out.add(a.entry);
    if (a.handled) out.add(a.handled.entry);
  }
  for (const f of Object.values(evidence.controls)) {
    for (const d of f.approved) out.add(d.entry);
    for (const e of f.exceptions) {
      if (e.kind === "test-failure") out.add(e.test_run.entry);
      else if (e.kind === "drift-alert-open") out.add(e.alert.entry);
      else out.add(e.decision.entry);
    }
  }
  return [...out].sort((a, b) => a - b);
}
