// The Guard SDK: governance for an agent in a few lines. Adapters for each framework live in
// their own folders (ai-sdk/, openai/, langchain/, mcp/) so that importing the core never loads
// a framework.
export { createGuard, Guard } from "./guard.ts";
export type { AgentOption, GuardOptions } from "./guard.ts";
export { GuardScope, deniedToolMessage, errorOf } from "./scope.ts";
export type { OnDeny, RunToolOptions, ToolFn, WrapToolOptions, WrappedTool } from "./scope.ts";
export type { CallOptions, Durability, GuardMode, GuardPhase, Guarded, PhaseInput, Principal } from "./core.ts";
export { GUARD_RULES } from "./core.ts";
export { PolicyDeniedError, GuardConfigError, SessionRequiredError } from "./errors.ts";
export type { DenialCause } from "./errors.ts";
export type { ApprovalAnswer, ApprovalOutcome, ApprovalRequest, Approver } from "./approval.ts";
export type { AuditSink, GuardEvent, MonitorSink, OnAuditFailure, StepOutcome, TokenUse } from "./record.ts";
export { ORIGINAL_FIELD, inputDigest } from "./record.ts";
export { RecordedHistories, SessionHistory, isSettlement, rebuildHistories } from "./history.ts";
export type { CallDecision, CallHandle, CallOutcome, HistoryLimits, HistoryState, RecordedDecision, SessionCall } from "./history.ts";
export { resultFrom, viewOf } from "./result.ts";
export type { ToolResultView } from "./result.ts";
export { UnrecordableError, snapshot } from "./snapshot.ts";
export type { InlinePolicy, PoliciesOption } from "./policies.ts";
export { SCHEMA_RULE } from "./schema.ts";
