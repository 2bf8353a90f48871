// The decision service's public face: build one, its wire types, its keys, its approval client,
// its stores (approvals, sessions), and the drift, report and environment sources a deployment
// wires in. The PostgreSQL stores are imported from their own modules (they load `pg`).
export { createService } from "./server.ts";
export type { Service, ServiceOptions, Timeouts } from "./server.ts";
export type { ActivityView, DriftSource, EnvironmentSource, ReportOptions, ReportSource, ServedEnvironment, ServiceContext, SharedActivity } from "./context.ts";
export { SERVICE_MONITORS, monitorDriftSource, serviceMonitorConfig } from "./drift-source.ts";
export type { DriftStatusV1, MonitorDriftOptions } from "./drift-source.ts";
export { complianceReports } from "./report-source.ts";
export type { ComplianceReportParts } from "./report-source.ts";
export { environmentSource } from "./environment-source.ts";
export type { EnvironmentV1 } from "./environment-source.ts";
export { decisionEvent, feedMonitor } from "./monitor-feed.ts";
export { ServiceError } from "./errors.ts";
export { KeyRing, SCOPES, hashKey, newKey, presentedKey } from "./keys.ts";
export type { ApiKeyConfig, Caller, Scope } from "./keys.ts";
export { MemoryApprovalStore } from "./approval-store.ts";
export { SqliteApprovalStore } from "./approval-store-sqlite.ts";
export { MAX_SESSION_CALLS, MemorySessionStore, Sessions } from "./sessions.ts";
export type { SessionState, SessionStep, SessionStore } from "./sessions.ts";
export { SqliteSessionStore } from "./session-store-sqlite.ts";
export { MAX_DEPTH, checkRecordable, parseBody } from "./body.ts";
export { openApiDocument } from "./openapi.ts";
export type { RegisteredRoute, RouteDoc } from "./openapi.ts";
export type { ApprovalStore, StoredApproval } from "./approval-store.ts";
export { serviceApprover } from "./approver.ts";
export type { ServiceApproverOptions } from "./approver.ts";
export { loadServiceConfig } from "./config.ts";
export type { ServiceConfig } from "./config.ts";
export type * from "./wire.ts";
