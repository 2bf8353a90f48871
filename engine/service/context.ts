// Everything a route needs, built once by createService and passed to each route module.
import type { AuditLog } from "../audit/index.ts";
import type { AuditAlarmV1 } from "./audit-alarm.ts";
import type { PolicySet, PolicySource } from "../runtime/index.ts";
import type { Activity, ActivityFilter } from "./activity.ts";
import type { SessionPageV1, SessionQuery } from "./console-read.ts";
import type { DecisionRecordV1 } from "./wire.ts";
import type { ApprovalQueue } from "./approvals.ts";
import type { AuditWriter, PendingRecord } from "./audit-writer.ts";
import type { Caller, KeyRing } from "./keys.ts";
import type { Metrics } from "./metrics.ts";
import type { RateLimiter } from "./rate-limit.ts";
import type { Sessions } from "./sessions.ts";

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

/** What the console reads of recent decisions: the node's own, or every node's from a shared store. */
export interface ActivityView {
  /** The latest decisions that match, newest first. */
  recent(filter: ActivityFilter, limit?: number): Promise<DecisionRecordV1[]>;
  /** Ids of recent sessions, most recently started last. */
  sessions(): Promise<string[]>;
  /** One session's steps, oldest first: `agent`'s session `id` (a session is keyed by agent and id), or every agent's that used the id. */
  session(id: string, agent?: string): Promise<DecisionRecordV1[]>;
  /** A page of session summaries, where the store can compute them itself (else they are computed from `recent`). */
  summaries?(q: SessionQuery): Promise<SessionPageV1>;
}

/** Recent decisions of every node in a shared store: each node adds what it answered. */
export interface SharedActivity extends ActivityView {
  add(record: DecisionRecordV1): void;
  link(id: string, approval: string): void;
  close(): Promise<void>;
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
  /** What the console reads: every node's decisions when they are shared, else this node's. */
  readonly view: ActivityView;
  /** Marks the decision that asked for an approval with the approval's id. */
  readonly link: (id: string, approval: string) => void;
  /** Each session's tool calls, in the shared store. */
  readonly sessions: Sessions;
  readonly metrics: Metrics;
  readonly drift: DriftSource | undefined;
  /** The audit log's alarms (a refused signing, a witness conflict); empty when sound. */
  readonly auditAlarms: () => readonly AuditAlarmV1[];
  readonly reports: ReportSource | undefined;
  readonly environments: EnvironmentSource | undefined;
  /**
   * Authenticates a request's key and takes `cost` from its rate limit. Failed attempts are
   * limited per client address: past the limit the address gets rate/limited, key or not.
   */
  readonly caller: (req: RequestLike, cost?: number) => Caller;
  /**
   * Queues a decision for the audit log; settles once its entry is durable. When it cannot be
   * recorded, rejects with audit/unavailable, unless `audit.onFailure` is `allow` (then the
   * failure is only counted and reported).
   */
  readonly record: (p: PendingRecord) => Promise<void>;
  /** Aborted when the service begins to stop: long-polls answer with what they have and streams end. */
  readonly stopping: AbortSignal;
}

/** What authentication reads of a request. */
export interface RequestLike {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly ip: string;
  /** The headers as sent (Node keeps the first of two Authorization headers in `headers`). */
  readonly raw?: { readonly rawHeaders: readonly string[] };
}
