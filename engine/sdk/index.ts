// The Guard SDK: governance for an agent in a few lines. Adapters for each framework live in
// their own folders (ai-sdk/, openai/, langchain/, mcp/) so that importing the core never loads
// a framework.
export { createGuard, Guard } from "./guard.ts";
export type { AgentOption, GuardOptions } from "./guard.ts";
export { GuardScope, deniedToolMessage } from "./scope.ts";
export type { OnDeny, ToolFn, WrapToolOptions, WrappedTool } from "./scope.ts";
export type { GuardMode, GuardPhase, Guarded, PhaseInput, Principal } from "./core.ts";
export { PolicyDeniedError, GuardConfigError } from "./errors.ts";
export type { DenialCause } from "./errors.ts";
export type { ApprovalAnswer, ApprovalOutcome, ApprovalRequest, Approver } from "./approval.ts";
export type { AuditSink, GuardEvent, MonitorSink } from "./record.ts";
export { inputDigest } from "./record.ts";
export type { HistoryLimits, SessionCall } from "./history.ts";
export type { InlinePolicy, PoliciesOption } from "./policies.ts";
export { SCHEMA_RULE } from "./schema.ts";
