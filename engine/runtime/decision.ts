// The decision value, exactly as LANGUAGE.md fixes it: what the engine returns for one phase
// of one agent step, and what the audit log, the SDK and the service pass on.

/** The outcome of one evaluation. */
export type DecisionKind = "allow" | "deny" | "require_approval";

/** One rule's contribution to a decision (a reason or a warning). */
export interface Reason {
  /** `package.rule`. */
  readonly rule: string;
  readonly effect: "deny" | "require_approval" | "allow" | "warn" | "redact" | "set";
  readonly message?: string;
  readonly severity?: string;
  readonly controls?: readonly string[];
  /** For `require_approval ... from "role"`. */
  readonly approver_role?: string;
}

/** A rule that failed at run time (a type clash the checker could not rule out). */
export interface RuleError {
  readonly rule: string;
  readonly message: string;
}

/** The decision for one phase's input. */
export interface Decision {
  readonly decision: DecisionKind;
  readonly reasons: readonly Reason[];
  readonly warnings: readonly Reason[];
  /** The input after transforms (`redact`, `set`); the input itself is never mutated. */
  readonly payload: unknown;
  readonly errors: readonly RuleError[];
  readonly policy: { readonly digest: string; readonly version?: string };
}
