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

/** What `GET /v1/reports/:name?from=&to=&format=` asks for. */
export interface ReportOptions {
  /** Start of the period, inclusive; default 30 days before `to`. */
  readonly from?: Date;
  /** End of the period, exclusive; default now. */
  readonly to?: Date;
  /** `json` (default), `oscal`, or `html` (a self-contained page). */
  readonly format?: "json" | "oscal" | "html";
}

/** A source of compliance reports (engine/compliance). */
export interface ReportSource {
  /**
   * The report `name` (e.g. `soc2`) as JSON, or undefined when there is no such report. For
   * format `html` the result is the page's text (a string), sent as text/html.
   */
  report(name: string, options?: ReportOptions): Promise<unknown>;
  /** The report names offered, for listings. */
  names?(): readonly string[];
}

/** Environments and the bundle each runs (engine/environments), wired in where that part exists. */
export interface EnvironmentSource {
  /** Every environment with its bundle's digest, as JSON. */
  list(): Promise<unknown>;
  /** Where the environments are declared (the config file), for the console. */
  readonly file?: string;
}

/**
 * An environment's bundle, served in place of fixed policies (an EnvironmentHandle is one): the
 * set is read once per decision, so a promotion or rollback takes effect between two decisions.
 */
export interface ServedEnvironment {
  readonly env: { readonly name: string };
  current(): PolicySet;
  readonly sources: readonly PolicySource[];
  /** What this node serves (bundle digest, version, state sequence, last refusal), for GET /v1/status. */
  status?(): unknown;
}

/** The parts a service is made of. */
export interface ServiceContext {
  /** The policies to decide with now (an environment's current bundle when it serves one): read once per decision. */
  readonly policySet: PolicySet;
  readonly sources: readonly PolicySource[];
  /** The environment whose bundle this service serves; requests for another are refused. */
  readonly environment: string | undefined;
  /** That environment's handle, when the service serves one. */
  readonly served: ServedEnvironment | undefined;
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
