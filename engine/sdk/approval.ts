// Asking a human: the approver callback, awaited with a timeout that fails closed. A refusal, a
// timeout, a thrown error or no approver at all all mean the action does not happen.
import type { Decision, Reason } from "../runtime/index.ts";
import type { DenialCause } from "./errors.ts";

/** What an approver is asked. */
export interface ApprovalRequest {
  readonly phase: string;
  /** The tool, for tool phases. */
  readonly tool?: string;
  /** The payload awaiting approval (after transforms). */
  readonly payload: unknown;
  readonly decision: Decision;
  /** The `require_approval` reasons, each with its message and `approver_role` when the rule names one. */
  readonly reasons: readonly Reason[];
  readonly session: string | null;
  readonly principal: string | null;
  /** Aborted when the guard stops waiting (timeout). */
  readonly signal: AbortSignal;
}

/** An approver's answer: a boolean, or an object naming who approved and why. */
export type ApprovalAnswer = boolean | { readonly approved: boolean; readonly by?: string; readonly reason?: string };

/** A callback (or a client of the service's approval queue) that decides approval requests. */
export type Approver = (request: ApprovalRequest) => ApprovalAnswer | Promise<ApprovalAnswer>;

/** The outcome of asking, as recorded in the audit log. */
export interface ApprovalOutcome {
  readonly approved: boolean;
  /** Set when not approved. */
  readonly cause?: Exclude<DenialCause, "deny">;
  readonly by?: string;
  readonly reason?: string;
}

/** Asks `approver`, waiting at most `timeoutMs`; anything but an explicit approval is a refusal. */
export async function askApprover(approver: Approver | undefined, request: Omit<ApprovalRequest, "signal">, timeoutMs: number): Promise<ApprovalOutcome> {
  if (approver === undefined) return { approved: false, cause: "no_approver", reason: "no approver is configured" };
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<ApprovalOutcome>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({ approved: false, cause: "approval_timeout", reason: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
  });
  const asked = (async (): Promise<ApprovalOutcome> => {
    try {
      const answer = await approver({ ...request, signal: controller.signal });
      if (answer === true) return { approved: true };
      if (answer === false || typeof answer !== "object" || answer === null) return { approved: false, cause: "approval_refused" };
      const out: ApprovalOutcome = answer.approved === true ? { approved: true } : { approved: false, cause: "approval_refused" };
      return { ...out, ...(answer.by !== undefined ? { by: answer.by } : {}), ...(answer.reason !== undefined ? { reason: answer.reason } : {}) };
    } catch (err) {
      return { approved: false, cause: "approval_failed", reason: err instanceof Error ? err.message : String(err) };
    }
  })();
  try {
    return await Promise.race([asked, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
