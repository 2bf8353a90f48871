// Everything a route needs, built once by createService and passed to each route module.
import type { AuditLog } from "../audit/index.ts";
import type { PolicySet, PolicySource } from "../runtime/index.ts";
import { SessionHistory } from "../sdk/history.ts";
import type { Activity } from "./activity.ts";
import type { ApprovalQueue } from "./approvals.ts";
import type { AuditWriter } from "./audit-writer.ts";
import type { Caller, KeyRing } from "./keys.ts";
import type { Metrics } from "./metrics.ts";
import type { RateLimiter } from "./rate-limit.ts";

/** A source of drift reports (engine/monitor), wired in where a monitor runs beside the service. */
export interface DriftSource {
  /** The current drift report, as JSON. */
  report(): Promise<unknown>;
}

/** A source of compliance reports (engine/compliance), wired in where that part exists. */
export interface ReportSource {
  /** The report `name` (e.g. `soc2`) as JSON, or undefined when there is no such report. */
  report(name: string): Promise<unknown>;
}

/** Environments and the bundle each runs (engine/environments), wired in where that part exists. */
export interface EnvironmentSource {
  /** Every environment with its bundle's digest, as JSON. */
  list(): Promise<unknown>;
}

/** The parts a service is made of. */
export interface ServiceContext {
  readonly policySet: PolicySet;
  readonly sources: readonly PolicySource[];
  readonly keys: KeyRing;
  readonly limiter: RateLimiter;
  readonly audit: AuditLog;
  readonly writer: AuditWriter;
  readonly approvals: ApprovalQueue;
  readonly activity: Activity;
  readonly history: SessionHistory;
  readonly metrics: Metrics;
  readonly drift: DriftSource | undefined;
  readonly reports: ReportSource | undefined;
  readonly environments: EnvironmentSource | undefined;
  /** Authenticates a request's key and takes `cost` from its rate limit. */
  readonly caller: (headers: Readonly<Record<string, string | string[] | undefined>>, cost?: number) => Caller;
}
