// One error type for everything a user can get wrong with bundles, environments and promotion:
// a stable code to branch on, a lowercase message, and a one-line hint. The CLI prints
// `error[code]: message` and the hint, never a stack.

/** Stable codes of EnvironmentError. */
export type EnvironmentErrorCode =
  | "bundle/unreadable"
  | "bundle/malformed"
  | "bundle/unsigned"
  | "bundle/untrusted"
  | "bundle/tampered"
  | "bundle/does-not-check"
  | "key/invalid"
  | "key/missing"
  | "config/unreadable"
  | "config/invalid"
  | "env/unknown"
  | "env/no-bundle"
  | "env/no-state"
  | "env/no-previous"
  | "env/no-audit"
  | "env/not-promoted"
  | "env/not-first"
  | "env/direct-write"
  | "env/state-damaged"
  | "env/state-unsigned"
  | "env/state-stale"
  | "order/same"
  | "order/backwards"
  | "order/skip"
  | "approval/unreadable"
  | "approval/insufficient"
  | "audit/unreadable";

/** A failure a user can cause or fix; `code` is stable across releases. */
export class EnvironmentError extends Error {
  /** Stable machine-readable code. */
  readonly code: EnvironmentErrorCode;
  /** One-line advice, when there is any. */
  readonly hint: string | undefined;

  constructor(code: EnvironmentErrorCode, message: string, hint?: string) {
    super(message);
    this.name = "EnvironmentError";
    this.code = code;
    this.hint = hint;
  }
}
