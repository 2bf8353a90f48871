// One error type for everything that fails at run time inside a rule. The engine catches it
// around each rule and turns it into an *errored* rule (LANGUAGE.md, "Errors"), which the
// policy set's `on_error` then decides; it never escapes a decision as a stack trace.

/** Stable codes for the runtime errors a rule can meet. */
export type PolicyRuntimeErrorCode =
  /** Anything without a more specific code (an operator's type clash, division by zero). */
  | "runtime/error"
  /** A value of the wrong type reached a builtin (`lower(3)`). */
  | "runtime/type-error"
  /** The right type but an unusable value (`split(s, "")`, a non-finite number). */
  | "runtime/invalid-argument"
  /** A user regex that does not compile or is not allowed. */
  | "runtime/invalid-regex"
  /** An input too large to scan within the time budget of a decision. */
  | "runtime/input-too-large"
  /** A value read from the input whose type is not the one the checker inferred (spec/soundness.md). */
  | "runtime/unexpected-type"
  /** An input value that is not JSON data (a BigInt, a cycle, a Map, a getter that throws...: spec/soundness.md). */
  | "runtime/invalid-input";

/**
 * The rule error a throw inside a rule stands for: a PolicyRuntimeError as it is, a RangeError
 * (the call stack or a string or list length exhausted by a huge or deeply nested value) as
 * `runtime/input-too-large`; null for anything else (a fault of the engine's own, which is not
 * the rule's). Both evaluators call it where a rule is evaluated, so they fail alike.
 */
export function ruleFault(err: unknown): PolicyRuntimeError | null {
  if (err instanceof PolicyRuntimeError) return err;
  if (err instanceof RangeError) return new PolicyRuntimeError(`a value too large or nested too deeply to evaluate (${err.message})`, "runtime/input-too-large");
  return null;
}

/**
 * A type clash or unusable value met while evaluating a rule: a lowercase message that names
 * the operation and quotes the offending input, and a stable `code` to branch on.
 */
export class PolicyRuntimeError extends Error {
  /** Stable machine-readable code. */
  readonly code: PolicyRuntimeErrorCode;
  /** The path read when the error happened (`principal.roles`), when there is one. */
  readonly path: string | undefined;

  constructor(message: string, code: PolicyRuntimeErrorCode = "runtime/error", path?: string) {
    super(message);
    this.name = "PolicyRuntimeError";
    this.code = code;
    this.path = path;
  }
}
