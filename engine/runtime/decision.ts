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
  /** For `redact`: how many matches it replaced (a redact that replaced none is no reason). */
  readonly replacements?: number;
}

/** A rule that failed at run time (a type clash the checker could not rule out), or an input the set refused. */
export interface RuleError {
  readonly rule: string;
  readonly message: string;
  /** A stable code: `runtime/type` (a value of another type than the checker inferred), `input/invalid`... */
  readonly code?: string;
  /** The input path at fault, dotted (`principal.roles`), when there is one. */
  readonly path?: string;
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
