// Errors of the vector runner that stop a file from being run at all (as opposed to a failing case).

/** Stable codes for a file the runner cannot run. */
export type VectorErrorCode = "vectors/unreadable" | "vectors/invalid-json" | "vectors/unknown-format";

/** A vector file that cannot be run: a stable `code`, a lowercase message, an optional hint. */
export class VectorError extends Error {
  /** Stable machine-readable code. */
  readonly code: VectorErrorCode;
  /** One-line advice, when there is any. */
  readonly hint: string | undefined;

  constructor(code: VectorErrorCode, message: string, hint?: string) {
    super(message);
    this.name = "VectorError";
    this.code = code;
    this.hint = hint;
  }
}
