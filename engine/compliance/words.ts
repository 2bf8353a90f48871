// The report's facts in words, shared by the HTML page and the OSCAL document so both say the
// same thing: numbers with thousands separators, what each control did, and each exception.
import type { ControlFacts, ExceptionCitation, ExceptionKind } from "./collect.ts";
import type { ControlStatus } from "./report.ts";

/** A count with thousands separators (en-US, as the reports are written in English). */
export const num = (n: number): string => n.toLocaleString("en-US");

/** `1 denial`, `1,204 denials`. */
export const count = (n: number, one: string, many = `${one}s`): string => `${num(n)} ${n === 1 ? one : many}`;

/** How each status reads. */
export const STATUS_TEXT: Readonly<Record<ControlStatus, string>> = {
  satisfied: "operating",
  "in-force": "in force, not triggered",
  exceptions: "exceptions",
  "no-evidence": "no evidence",
  "not-covered": "not covered",
};

/** What a control did in the period, one phrase per kind of evidence it has. */
export function operatingPhrases(f: ControlFacts): string[] {
  const o = f.operating;
  const out: string[] = [];
  if (o.denials > 0) out.push(`${count(o.denials, "action")} denied`);
  const h = o.holds;
  const held = h.approved + h.refused + h.pending;
  if (held > 0) out.push(`${count(held, "action")} held for approval (${num(h.approved)} approved by a named approver, ${num(h.refused)} refused, ${num(h.pending)} with no outcome recorded)`);
  if (o.transforms.decisions > 0) out.push(`${count(o.transforms.replacements, "match", "matches")} replaced in ${count(o.transforms.decisions, "decision")}`);
  if (o.warnings > 0) out.push(`${count(o.warnings, "decision")} flagged with a warning`);
  if (o.failed_closed > 0) out.push(`${count(o.failed_closed, "action")} denied because a rule errored (failed closed)`);
  if (o.alerts.fired > 0) out.push(`${count(o.alerts.fired, "drift alert")} raised, ${num(o.alerts.handled)} acknowledged or resolved`);
  const c = o.changes;
  if (c.granted + c.refused + c.rollbacks > 0) out.push(`${count(c.granted, "change")} promoted through passing gates with named approvers, ${num(c.refused)} refused by a gate, ${count(c.rollbacks, "rollback")}`);
  if (o.test_runs.passed + o.test_runs.failed > 0) out.push(`${count(o.test_runs.passed + o.test_runs.failed, "pack test run")} (${num(o.test_runs.failed)} failing)`);
  if (o.anchored_decisions > 0) out.push(`${count(o.anchored_decisions, "decision")} recorded and anchored in the signed checkpoint`);
  if (o.transforms.unknown > 0) out.push(`${count(o.transforms.unknown, "decision")} with transforms logged without a replacement count (not counted)`);
  return out;
}

/** `evaluated 86,487 times, triggered 0 times`. */
export function activityPhrase(f: ControlFacts): string {
  return `evaluated on ${count(f.activity.evaluated, "decision")}, triggered on ${num(f.activity.triggered)}`;
}

/** A short title for each kind of exception. */
export const EXCEPTION_TEXT: Readonly<Record<ExceptionKind, string>> = {
  "not-enforced": "not enforced (shadow mode): the action went through",
  "fail-open": "rule errored and the action went through (on_error allow)",
  "self-approved": "approved by the requester",
  "approver-not-recorded": "approved, approver not recorded",
  "unpromoted-policy": "policy served without a promotion record",
  "unapproved-change": "change promoted without a named approver",
  "gate-bypassed": "change promoted past a failed gate",
  "skipped-environment": "change skipped an environment",
  "unacknowledged-alert": "drift alert never acknowledged",
  "test-failure": "pack tests failed",
  "unanchored-entries": "entries after the signed checkpoint",
  "log-gap": "entries missing from the log",
  "log-unverifiable": "log does not verify against its checkpoint",
  "unreadable-entry": "entry is not a readable record",
};

/** One line on what an exception is about (who, where, how many). */
export function exceptionDetail(e: ExceptionCitation): string {
  switch (e.kind) {
    case "unpromoted-policy":
      return `${count(e.decisions, "decision")} in ${e.env || "an unnamed environment"} under policy ${e.policy_digest} with no promotion, rollback or pipeline-entry build putting it there`;
    case "unapproved-change":
    case "gate-bypassed":
    case "skipped-environment": {
      const c = e.change;
      const failed = c.gates.filter((g) => !g.passed).map((g) => g.name);
      const what =
        e.kind === "skipped-environment"
          ? e.skipped.length > 0
            ? `skipping ${e.skipped.join(", ")}`
            : `built straight into ${c.to}, which changes enter by promotion`
          : e.kind === "gate-bypassed"
            ? `gates not passed: ${failed.join(", ")}`
            : "no approver named";
      return `${c.action} ${c.from ? `${c.from} → ` : ""}${c.to} of ${c.policy_digest}: ${what}`;
    }
    case "unacknowledged-alert":
      return `${e.alert.alert.monitor}: ${e.alert.alert.message}`;
    case "test-failure":
      return `${e.test_run.pack}: ${count(e.test_run.failed, "test")} failed (${e.test_run.failures.join(", ")})`;
    case "unanchored-entries":
    case "log-gap":
    case "log-unverifiable":
      return e.detail;
    case "unreadable-entry":
      return `entry ${e.entry} is not a JSON record`;
    default: {
      const d = e.decision;
      return `${d.agent}${d.principal ? ` for ${d.principal}` : ""} in ${d.env}, ${d.phase}${d.tool ? ` ${d.tool}` : ""}: ${d.decision} by ${e.rules.join(", ")}${d.approval?.by ? `, approved by ${d.approval.by}` : ""}`;
    }
  }
}
