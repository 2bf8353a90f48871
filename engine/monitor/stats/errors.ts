// One error type for the drift statistics, so monitors and the CLI can branch on a stable code
// instead of receiving a NaN that silently reads as "no drift".

/** Stable codes for bad input to a statistic. */
export type StatsErrorCode =
  | "stats/empty-sample"
  | "stats/not-finite"
  | "stats/negative-value"
  | "stats/length-mismatch"
  | "stats/zero-total"
  | "stats/invalid-argument";

/** Bad input to a statistic: a stable `code`, a lowercase message, an optional fix hint. */
export class StatsError extends Error {
  /** Stable machine-readable code. */
  readonly code: StatsErrorCode;
  /** One-line advice, when there is any. */
  readonly hint: string | undefined;

  constructor(code: StatsErrorCode, message: string, hint?: string) {
    super(message);
    this.name = "StatsError";
    this.code = code;
    this.hint = hint;
  }
}
