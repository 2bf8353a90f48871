// The decision service's public face: build one, its wire types, its keys, its approval client.
export { createService } from "./server.ts";
export type { Service, ServiceOptions } from "./server.ts";
export type { DriftSource, EnvironmentSource, ReportSource, ServiceContext } from "./context.ts";
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
