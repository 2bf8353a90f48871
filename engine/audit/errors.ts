// One error type for the pure audit core, so the CLI and stores can branch on a stable code.

/** Stable codes for errors a caller of the audit core can meet. */
export type AuditErrorCode =
  | "audit/invalid-size"
  | "audit/index-out-of-range"
  | "audit/invalid-range-state"
  | "audit/invalid-hash"
  | "audit/entry-too-large"
  | "audit/invalid-record"
  | "audit/invalid-checkpoint";

/** An error a caller of the audit core can meet: a stable `code`, a lowercase message, an optional fix hint. */
export class AuditError extends Error {
  /** Stable machine-readable code. */
  readonly code: AuditErrorCode;
  /** One-line advice, when there is any. */
  readonly hint: string | undefined;

  constructor(code: AuditErrorCode, message: string, hint?: string) {
    super(message);
    this.name = "AuditError";
    this.code = code;
    this.hint = hint;
  }
}
