// The service's HTTP wire types, versioned as a whole: a client written against V1 keeps working
// while V1 is served. Error codes here are the service's own (`request/...`, `auth/...`), apart
// from the language's diagnostic codes, which only ever travel inside a decision or a check.
import type { Decision, Reason, RuleError } from "../runtime/index.ts";

/** A phase of an agent step (LANGUAGE.md). */
export type PhaseV1 = "input" | "model_call" | "tool_call" | "tool_result" | "output";

/** `POST /v1/decide`: one phase's input, decided by the served policy set. */
export interface DecisionRequestV1 {
  readonly phase: PhaseV1;
  /** The phase's input; `agent`, `env`, `session` and `time` are filled in when absent. */
  readonly input: Readonly<Record<string, unknown>>;
  /** The session id: its earlier tool calls become `session.calls` unless the input gives them. */
  readonly session?: string;
  /** The environment (`env` in policies); defaults to the key's only environment. */
  readonly environment?: string;
  /**
   * `enforce` (default), or `shadow`: the client applies nothing, so a `require_approval` files no
   * request, the session's call counts as executed, and the audit entry says `mode: "shadow"`.
   */
  readonly mode?: "enforce" | "shadow";
  /**
   * What the answer's `payload` holds: `full` (default) the whole decided input, context included
   * (agent, env, time), its `session` by reference as the audit log records it
   * (`{ id, calls_before }`), so an answer does not grow with the session; `input` only the
   * fields the request's input gave, after the transforms; `history` the full input with the
   * session's calls themselves (grows with the session).
   */
  readonly payload?: "full" | "input" | "history";
}

/** The approval a `require_approval` decision created. */
export interface ApprovalRefV1 {
  readonly id: string;
  readonly status: ApprovalStatusV1;
  /** ISO-8601 instant after which the request fails closed. */
  readonly expiresAt: string;
  /** Where to wait for the outcome (long-poll); `/events` beside it streams server-sent events. */
  readonly wait: string;
}

/** `POST /v1/decide`'s answer: the decision (enforced transforms included in `payload`). */
export interface DecisionResponseV1 {
  /** Identifies this decision in the console and in the session view. */
  readonly id: string;
  readonly decision: Decision["decision"];
  readonly reasons: readonly Reason[];
  readonly warnings: readonly Reason[];
  readonly payload: unknown;
  readonly errors: readonly RuleError[];
  readonly policy: Decision["policy"];
  /** Present when the decision is `require_approval`. */
  readonly approval?: ApprovalRefV1;
  /** A tool_call's place in its session's history (from 0), when it joined one: what `POST /v1/settlements` names. */
  readonly call_seq?: number;
}

/** `POST /v1/decide/batch`: several decisions in one round trip, answered in order. */
export interface BatchRequestV1 {
  readonly requests: readonly DecisionRequestV1[];
}

/** `POST /v1/decide/batch`'s answer: one result per request, in order; a bad request gets its error in place. */
export interface BatchResponseV1 {
  readonly results: readonly (DecisionResponseV1 | ErrorResponseV1)[];
}

/** Where an approval request stands. `expired` is final and means no: timeouts fail closed. */
export type ApprovalStatusV1 = "pending" | "approved" | "rejected" | "expired";

/** One approval request as listed and waited on. */
export interface ApprovalV1 {
  readonly id: string;
  readonly status: ApprovalStatusV1;
  /** The role the rule names (`from "role"`), or null when any approver may answer. */
  readonly role: string | null;
  readonly phase: PhaseV1;
  readonly agent: string;
  readonly env: string;
  readonly session: string | null;
  readonly tool: string | null;
  readonly reasons: readonly Reason[];
  /** The payload awaiting approval (after transforms). */
  readonly payload: unknown;
  /** The digest of the policy set that asked. */
  readonly policy: string;
  /** The decision that asked. */
  readonly decisionId: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  /** Who answered (the key's principal, or the person a framework named), once answered. */
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly note?: string;
  /** The key that filed the request (the one whose decision asked). */
  readonly askedBy?: string;
  /**
   * `framework` when the answer was given in the agent's framework (an interrupt, a run state)
   * and relayed by the key that asked; absent when an approver answered here or the deadline passed.
   */
  readonly via?: "framework";
  /** What the waiting client must do: `allow` only once approved, `deny` once rejected or expired. */
  readonly outcome: "pending" | "allow" | "deny";
}

/** `POST /v1/approvals`: answer one request. */
export interface ApprovalActionV1 {
  readonly id: string;
  readonly action: "approve" | "reject";
  readonly note?: string;
}

/** `POST /v1/approvals/{id}/answered`: the answer a framework's own human gave, relayed by the key that asked. */
export interface ApprovalRelayV1 {
  readonly approved: boolean;
  /** Who answered in the framework (a person, or the framework's name for its answer). */
  readonly by?: string;
  readonly note?: string;
}

/** `GET /v1/approvals`'s answer. */
export interface ApprovalListV1 {
  readonly approvals: readonly ApprovalV1[];
}

/** `GET /v1/audit/proof`'s answer: an RFC 9162 inclusion proof, hashes in base64. */
export interface InclusionProofV1 {
  readonly index: number;
  readonly size: number;
  readonly leafHash: string;
  readonly proof: readonly string[];
  readonly root: string;
}

/** `GET /v1/audit/status`'s answer: the latest signed checkpoint and whether it verifies. */
export interface AuditStatusV1 {
  readonly size: number;
  readonly pending: number;
  readonly checkpoint: { readonly origin: string; readonly size: number; readonly root: string; readonly note: string } | null;
  readonly verification: { readonly ok: boolean; readonly detail: string };
}

/** One decision as the console lists it (live view and session view). */
export interface DecisionRecordV1 {
  readonly id: string;
  readonly time: string;
  readonly agent: string;
  readonly env: string;
  readonly phase: PhaseV1;
  readonly session: string | null;
  readonly tool: string | null;
  readonly decision: Decision["decision"];
  readonly reasons: readonly Reason[];
  readonly warnings: readonly Reason[];
  /** Fields the transforms changed: `path`, the effect (`redact` or `set`) and before/after values. */
  readonly changes: readonly ChangeV1[];
  readonly input: unknown;
  readonly payload: unknown;
  readonly approval?: string;
}

/** One field a transform changed. */
export interface ChangeV1 {
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
}

/** The service's error codes; each maps to one HTTP status. */
export type ServiceErrorCode =
  | "request/invalid"
  | "request/too-large"
  | "request/not-found"
  | "request/method-not-allowed"
  | "request/timeout"
  | "request/unsupported-media-type"
  | "request/wrong-environment"
  | "auth/missing-key"
  | "auth/invalid-key"
  | "auth/expired-key"
  | "auth/forbidden"
  | "rate/limited"
  | "approval/not-found"
  | "approval/already-decided"
  | "session/call-not-found"
  | "session/already-settled"
  | "audit/unavailable"
  | "audit/invalid-range"
  | "session/conflict"
  | "service/unavailable"
  | "internal";

/** Every error the service sends: a stable code, a lowercase message, and the bad field's path when one is to blame. */
export interface ErrorResponseV1 {
  readonly error: {
    readonly code: ServiceErrorCode;
    readonly message: string;
    /** JSON Pointer of the bad field in the request body or query, e.g. `/requests/2/phase`. */
    readonly path?: string;
  };
}
