// The errors a guard raises. Code branches on `PolicyDeniedError` (the action did not happen) and
// on `GuardConfigError` (the guard could not be built); everything else is a bug.
import type { Decision } from "../runtime/index.ts";
import { decisionCopy } from "./handout.ts";
import type { Seen } from "./handout.ts";

/** Why an action was stopped: a `deny`, an approval refused, or an approval that never came. */
export type DenialCause = "deny" | "approval_refused" | "approval_timeout" | "approval_failed" | "no_approver" | "audit_unavailable";

/** The action was stopped by policy; `decision` is a copy of the engine's decision that stopped it. */
export class PolicyDeniedError extends Error {
  readonly #decision: Decision;
  readonly #seen: Seen | undefined;
  #copy: Decision | undefined;
  /** The phase decided. */
  readonly phase: string;
  /** The tool, for tool phases. */
  readonly tool: string | undefined;
  /** Why it was stopped. */
  readonly denial: DenialCause;

  /** `seen`: how much of its session's history the decision read (the copy shows no more). */
  constructor(decision: Decision, phase: string, tool: string | undefined, cause: DenialCause, message: string, seen?: Seen) {
    super(message);
    this.name = "PolicyDeniedError";
    this.#decision = decision;
    this.#seen = seen;
    this.phase = phase;
    this.tool = tool;
    this.denial = cause;
  }

  /** The decision that stopped the action: a copy made when first read (a denial nobody inspects copies nothing), so that changing it changes nothing the guard holds. */
  get decision(): Decision {
    return (this.#copy ??= decisionCopy(this.#decision, this.#seen));
  }
}

/**
 * A guard was used without a session where one is needed: a tool or model call must belong to
 * a conversation (`guard.session(id)`, the framework's own context, or `guard.anonymous()`).
 */
export class SessionRequiredError extends Error {
  constructor(where: string) {
    super(`${where}: no session for this call; pass guard.session(conversationId, principal), give the session in the framework's context (see spec/sdk.md), or use guard.anonymous() for a one-off`);
    this.name = "SessionRequiredError";
  }
}

/** The guard could not be built: unreadable or invalid policies, or bad options. */
export class GuardConfigError extends Error {
  /** Rendered diagnostics, one a line, when the policies did not check. */
  readonly diagnostics: readonly string[];

  constructor(message: string, diagnostics: readonly string[] = []) {
    super(diagnostics.length > 0 ? `${message}\n${diagnostics.join("\n")}` : message);
    this.name = "GuardConfigError";
    this.diagnostics = diagnostics;
  }
}

/** The first message of the reasons that decided, for error texts a person or a model reads. */
export function denialMessage(decision: Decision, fallback: string): string {
  for (const r of decision.reasons) if (r.effect === decision.decision && r.message) return r.message;
  // A deny with no deciding rule came from a rule that failed under `on_error deny`.
  const e = decision.errors[0];
  return e !== undefined ? `rule ${e.rule} failed (${e.message}), and the policy fails closed` : fallback;
}
