// The one error type a user can meet building or reading reports: a stable code, a lowercase
// message and, where there is one, a one-line fix. The CLI decides how it is shown.

/** Stable codes of compliance errors. */
export type ComplianceErrorCode =
  | "report/unknown-framework"
  | "report/no-checkpoint"
  | "report/unreadable"
  | "report/policies"
  | "report/environments";

/** A failure a user can cause while building or reading a report. */
export class ComplianceError extends Error {
  /** Stable machine-readable code. */
  readonly code: ComplianceErrorCode;
  /** One-line advice, when there is any. */
  readonly hint: string | undefined;

  constructor(code: ComplianceErrorCode, message: string, hint?: string) {
    super(message);
    this.name = "ComplianceError";
    this.code = code;
    this.hint = hint;
  }
}
