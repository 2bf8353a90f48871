// One error type for the monitor outside the statistics (config, stores, baselines), so the CLI
// can map each to a message and exit code at the edge.

/** Stable codes for monitor failures a user can meet. */
export type MonitorErrorCode =
  | "monitor/bad-config"
  | "monitor/store-unreadable"
  | "monitor/store-corrupt"
  | "monitor/store-closed"
  | "monitor/store-unavailable"
  | "monitor/unknown-baseline"
  | "monitor/baseline-exists"
  | "monitor/empty-baseline"
  | "monitor/no-baseline"
  | "monitor/unknown-alert"
  | "monitor/already-acknowledged";

/** A monitor failure: stable code, lowercase message, optional one-line hint. */
export class MonitorError extends Error {
  /** Stable machine-readable code. */
  readonly code: MonitorErrorCode;
  /** One-line advice, when there is any. */
  readonly hint: string | undefined;

  constructor(code: MonitorErrorCode, message: string, hint?: string) {
    super(message);
    this.name = "MonitorError";
    this.code = code;
    this.hint = hint;
  }
}
