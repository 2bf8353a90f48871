// The decision service's public face: build one, its wire types, its keys, its approval client,
// and the drift, report and environment sources a deployment wires in.
export { createService } from "./server.ts";
export type { Service, ServiceOptions } from "./server.ts";
export type { DriftSource, EnvironmentSource, ReportOptions, ReportSource, ServedEnvironment, ServiceContext } from "./context.ts";
export { SERVICE_MONITORS, monitorDriftSource, serviceMonitorConfig } from "./drift-source.ts";
export type { DriftStatusV1, MonitorDriftOptions } from "./drift-source.ts";
export { complianceReports } from "./report-source.ts";
export type { ComplianceReportParts } from "./report-source.ts";
export { environmentSource } from "./environment-source.ts";
export type { EnvironmentV1 } from "./environment-source.ts";
export { decisionEvent, feedMonitor } from "./monitor-feed.ts";
export { ServiceError } from "./errors.ts";
export { KeyRing, hashKey, newKey } from "./keys.ts";
export type { ApiKeyConfig, Caller } from "./keys.ts";
export { MemoryApprovalStore } from "./approval-store.ts";
export type { ApprovalStore, StoredApproval } from "./approval-store.ts";
export { serviceApprover } from "./approver.ts";
export type { ServiceApproverOptions } from "./approver.ts";
export { loadServiceConfig } from "./config.ts";
export type { ServiceConfig } from "./config.ts";
export type * from "./wire.ts";
