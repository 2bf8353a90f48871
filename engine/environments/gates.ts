// The gates a bundle passes on its way into an environment. Each returns a GateResult and never
// throws for a finding: a failed gate is evidence to record, not an error.
import { runTests } from "../runtime/index.ts";
import type { PolicySet } from "../runtime/policy-set.ts";
import type { ApprovalCheck } from "./approvals.ts";
import type { GateResult, ReplayEvidence } from "./records.ts";
import type { ScannedRecord } from "./log-io.ts";
import { replayRecords, replayReport } from "./replay.ts";

export { driftGate } from "./drift.ts";

/** Approval: enough distinct approvers with a required role signed this very change. */
export function approvalGate(check: ApprovalCheck): GateResult {
  return { gate: "approval", passed: check.satisfied, detail: check.detail };
}

/** Tests: the bundle's own test blocks all pass, and there is at least one. */
export function testsGate(required: boolean, set: PolicySet): GateResult {
  if (!required) return { gate: "tests", passed: true, detail: "tests not required" };
  const results = runTests(set);
  const failed = results.filter((r) => !r.passed);
  // A bundle without tests proves nothing, so the gate does not pass it vacuously.
  if (results.length === 0) return { gate: "tests", passed: false, detail: "the bundle has no tests" };
  if (failed.length > 0) return { gate: "tests", passed: false, detail: `${failed.length} of ${results.length} tests failed: ${failed.map((r) => `${r.file}:${r.line} ${r.name} (${r.failures[0] ?? "failed"})`).join("; ")}` };
  return { gate: "tests", passed: true, detail: `${results.length} tests passed` };
}

/** What the replay gate reads. */
export interface ReplayInput {
  /** Most changes allowed among the target's replayed decisions; null: no replay gate. */
  readonly max: number | null;
  readonly candidate: PolicySet;
  /** The target environment and its recorded traffic. */
  readonly target: { readonly name: string; readonly records: readonly ScannedRecord[] | null };
  /** The source environment and its recorded traffic, shown beside (never judged). */
  readonly source: { readonly name: string; readonly records: readonly ScannedRecord[] | null };
  readonly windowMs: number;
  readonly now: number;
  /** A replay waiver that counted, if any: it lets a promotion through when there is nothing to replay. */
  readonly waiver: { readonly reason: string; readonly approvers: readonly string[] } | null;
}

/**
 * Replay where it lands: the target's recorded decisions of the window, decided by the candidate,
 * change at most `max`. A gate that cannot check fails: no target traffic, or less than half of
 * it replayable (recorded without its input, or with one that no longer matches its digest),
 * fails unless a signed waiver stands.
 */
export function replayGate(input: ReplayInput): { result: GateResult; evidence: ReplayEvidence | null } {
  if (input.max === null) return { result: { gate: "replay", passed: true, detail: "replay not required" }, evidence: null };
  const options = { windowMs: input.windowMs, now: input.now };
  const target = input.target.records === null ? null : replayReport(replayRecords(input.candidate, input.target.records, { ...options, env: input.target.name }));
  const source = input.source.records === null ? null : replayReport(replayRecords(input.candidate, input.source.records, { ...options, env: input.source.name }));
  const shown = source ? `; in '${source.env}' ${source.changed} of ${source.replayed} would change` : "";
  const waived = (why: string): GateResult =>
    input.waiver !== null
      ? { gate: "replay", passed: true, detail: `${why}; waived by ${input.waiver.approvers.join(" and ")}: ${input.waiver.reason}${shown}` }
      : { gate: "replay", passed: false, detail: `${why}, and no signed waiver was given (approvers sign one with 'palisade promote sign --waive-replay REASON')${shown}` };
  const evidence = (w: boolean): ReplayEvidence => ({ limit: input.max, target, source, waiver: w ? input.waiver : null });
  if (target === null || target.replayed === 0) {
    const why = target === null ? `'${input.target.name}' has no audit log to replay` : `nothing to replay in '${input.target.name}' (${target.decisions} decisions in the window, ${target.without_input} without their input, ${target.unverifiable} whose input does not match its digest)`;
    const r = waived(why);
    return { result: r, evidence: evidence(r.passed) };
  }
  const checked = `${target.changed} of ${target.replayed} of '${target.env}''s decisions would change (limit ${input.max})`;
  if (target.changed > input.max) return { result: { gate: "replay", passed: false, detail: `${checked}${byRule(target.by_rule)}${shown}` }, evidence: evidence(false) };
  if (target.replayed * 2 < target.decisions) {
    const r = waived(`${checked}, but only ${target.replayed} of its ${target.decisions} decisions could be replayed`);
    return { result: r, evidence: evidence(r.passed) };
  }
  return { result: { gate: "replay", passed: true, detail: `${checked}${byRule(target.by_rule)}${shown}` }, evidence: evidence(false) };
}

function byRule(rules: Readonly<Record<string, number>>): string {
  const parts = Object.entries(rules).map(([r, n]) => `${r}: ${n}`);
  return parts.length > 0 ? ` (by rule: ${parts.join(", ")})` : "";
}
