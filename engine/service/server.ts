// The decision service: a Fastify app over a policy set, an audit log and an approval queue.
// createService wires the parts; the routes live in one module per area.
import Fastify from "fastify";
import type { FastifyError, FastifyInstance } from "fastify";
import type { AuditLog } from "../audit/index.ts";
import type { Monitor } from "../monitor/index.ts";
import type { PolicySet, PolicySource } from "../runtime/index.ts";
import { SessionHistory } from "../sdk/history.ts";
import { Activity } from "./activity.ts";
import type { ApprovalStore } from "./approval-store.ts";
import { ApprovalQueue } from "./approvals.ts";
import { AuditWriter } from "./audit-writer.ts";
import type { DriftSource, EnvironmentSource, ReportSource, ServedEnvironment, ServiceContext } from "./context.ts";
import { ServiceError } from "./errors.ts";
import { KeyRing } from "./keys.ts";
import type { ApiKeyConfig } from "./keys.ts";
import { Metrics } from "./metrics.ts";
import { feedMonitor } from "./monitor-feed.ts";
import { RateLimiter } from "./rate-limit.ts";
import type { RateLimit } from "./rate-limit.ts";
import { complianceReports } from "./report-source.ts";
import { approvalRoutes } from "./routes-approvals.ts";
import { auditRoutes } from "./routes-audit.ts";
import { consoleRoutes } from "./routes-console.ts";
import { decideRoutes } from "./routes-decide.ts";
import { staticRoutes } from "./static.ts";

/** Everything a service is built from. */
export interface ServiceOptions {
  readonly policySet: PolicySet;
  readonly sources: readonly PolicySource[];
  /** Serve this environment's bundle instead (`policySet` and `sources` are then its bundle at start). */
  readonly environment?: ServedEnvironment;
  /** The audit log; the service owns it from here (closes it on close). */
  readonly audit: AuditLog;
  /** Where approval requests live; the service owns it. */
  readonly approvals: ApprovalStore;
  readonly keys: readonly ApiKeyConfig[];
  /** Largest request body in bytes (default 1 MiB). */
  readonly bodyLimit?: number;
  /** Per-key rate limit (default 50,000/s sustained, bursts of 100,000). */
  readonly rateLimit?: RateLimit;
  /** Milliseconds an approval request waits before it fails closed (default 5 minutes). */
  readonly approvalTimeoutMs?: number;
  /** How often a checkpoint is signed when the log grew, in milliseconds (default 5,000; 0: never on a timer). */
  readonly checkpointEveryMs?: number;
  /** PEM certificate and key: the service then speaks HTTPS only. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** The built playground and console pages (playground/dist); none served when absent. */
  readonly pagesDir?: string;
  /** Records every decision (queued on the decision path, aggregated off it); the service closes it. */
  readonly monitor?: Monitor;
  readonly drift?: DriftSource;
  /** Default: compliance reports built from `audit` (engine/compliance). */
  readonly reports?: ReportSource;
  readonly environments?: EnvironmentSource;
  /** Where internal failures (audit appends, signing) are reported. */
  readonly onError?: (err: unknown) => void;
}

/** A running (or ready to run) service. */
export interface Service {
  readonly app: FastifyInstance;
  readonly context: ServiceContext;
  /** Listens and resolves with the base URL. */
  listen(port: number, host: string): Promise<string>;
  /** Signs a checkpoint now if the log grew since the last one; returns its size. */
  checkpoint(): Promise<number | undefined>;
  /** Stops listening, commits queued audit records, closes the log, the queue and the monitor. */
  close(): Promise<void>;
}

function bearer(headers: Readonly<Record<string, string | string[] | undefined>>): string | undefined {
  const h = headers.authorization;
  if (typeof h === "string" && h.startsWith("Bearer ")) return h.slice(7).trim();
  const k = headers["x-api-key"];
  return typeof k === "string" ? k : undefined;
}

/** Builds the service (not yet listening). */
export async function createService(o: ServiceOptions): Promise<Service> {
  const onError = o.onError ?? (() => {});
  const metrics = new Metrics();
  const keys = new KeyRing(o.keys);
  const limiter = new RateLimiter(o.rateLimit ?? { perSecond: 50_000, burst: 100_000 });
  const writer = new AuditWriter(o.audit, onError);
  const activity = new Activity();
  if (o.monitor) feedMonitor(activity, o.monitor, onError);
  const approvals = new ApprovalQueue(o.approvals, {
    timeoutMs: o.approvalTimeoutMs ?? 300_000,
    onSettled: (a) => writer.pushApproval(a, a.decidedBy ?? "deadline"),
  });
  let signing: Promise<number | undefined> | null = null;
  const checkpoint = async (): Promise<number | undefined> => {
    await writer.flush();
    const size = await o.audit.size();
    const last = await o.audit.latestCheckpoint();
    if (last && last.size >= size) return last.size;
    return (await o.audit.checkpoint()).size;
  };
  // One signer at a time: the timer, Service.checkpoint and reports all go through here.
  const signNow = (): Promise<number | undefined> => (signing ??= checkpoint().finally(() => (signing = null)));
  const served = o.environment;
  const context: ServiceContext = {
    get policySet() {
      return served === undefined ? o.policySet : served.current();
    },
    get sources() {
      return served === undefined ? o.sources : served.sources;
    },
    environment: served?.env.name,
    served,
    keys,
    limiter,
    audit: o.audit,
    writer,
    approvals,
    activity,
    history: new SessionHistory(),
    metrics,
    drift: o.drift,
    reports:
      o.reports ??
      complianceReports({
        audit: o.audit,
        get policySet() {
          return context.policySet;
        },
        get sources() {
          return context.sources;
        },
        checkpoint: signNow,
      }),
    environments: o.environments,
    caller(headers, cost = 1) {
      const c = keys.authenticate(bearer(headers));
      if (!limiter.take(c.id, cost)) throw new ServiceError("rate/limited", `key '${c.id}' is over its rate limit: slow down and retry`);
      return c;
    },
  };
  metrics.gauge("palisade_audit_queued", "Decisions not yet committed to the audit log.", () => writer.queued + o.audit.pending);
  metrics.gauge("palisade_audit_failures", "Audit appends that failed.", () => writer.failures);
  if (o.monitor) {
    const m = o.monitor;
    metrics.gauge("palisade_monitor_queued", "Decisions queued for the monitor's next flush.", () => m.pending);
    metrics.gauge("palisade_monitor_dropped", "Decisions the monitor dropped because its queue was full.", () => m.dropped);
  }

  const app = (Fastify as unknown as (opts: Record<string, unknown>) => FastifyInstance)({
    logger: false,
    bodyLimit: o.bodyLimit ?? 1024 * 1024,
    return503OnClosing: true,
    forceCloseConnections: true,
    ...(o.tls ? { https: { cert: o.tls.cert, key: o.tls.key } } : {}),
  });

  app.setErrorHandler((err: FastifyError | ServiceError | Error, _req, reply) => {
    let e: ServiceError;
    if (err instanceof ServiceError) e = err;
    else if ((err as FastifyError).code === "FST_ERR_CTP_BODY_TOO_LARGE") e = new ServiceError("request/too-large", `the request body is over the ${o.bodyLimit ?? 1024 * 1024}-byte limit`);
    else if ((err as FastifyError).code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") e = new ServiceError("request/invalid", "send the body as application/json");
    else if ((err as FastifyError).statusCode === 400) e = new ServiceError("request/invalid", `the body is not valid JSON: ${err.message.toLowerCase()}`, "/");
    else {
      onError(err);
      e = new ServiceError("internal", "internal error: the failure was logged");
    }
    if (e.code === "rate/limited") reply.header("retry-after", "1");
    return reply.code(e.status).send(e.toJSON());
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send(new ServiceError("request/not-found", `no route ${req.method} ${req.url.split("?")[0]}`).toJSON()));
  app.addHook("onResponse", (req, reply, done) => {
    metrics.response(req.routeOptions.url ?? "unmatched", reply.statusCode);
    done();
  });

  app.get("/healthz", async () => ({ ok: true }));
  app.get("/readyz", async (_req, reply) => {
    try {
      await o.audit.size();
      return { ok: true, policy: context.policySet.digest };
    } catch (err) {
      return reply.code(503).send({ ok: false, reason: err instanceof Error ? err.message : String(err) });
    }
  });
  app.get("/metrics", async (req, reply) => {
    context.caller(req.headers);
    return reply.type("text/plain; version=0.0.4").send(metrics.render());
  });
  decideRoutes(app, context);
  approvalRoutes(app, context);
  auditRoutes(app, context);
  consoleRoutes(app, context);
  if (o.pagesDir) staticRoutes(app, o.pagesDir);

  const every = o.checkpointEveryMs ?? 5000;
  const timer = every > 0
    ? setInterval(() => {
        signing ??= checkpoint().catch((err: unknown) => (onError(err), undefined)).finally(() => (signing = null));
      }, every)
    : undefined;
  timer?.unref();

  return {
    app,
    context,
    async listen(port, host) {
      await app.listen({ port, host });
      const addr = app.server.address();
      const p = typeof addr === "object" && addr ? addr.port : port;
      return `${o.tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${p}`;
    },
    checkpoint: signNow,
    async close() {
      clearInterval(timer);
      await app.close();
      await signing?.catch(() => {});
      await writer.flush().catch(onError);
      await approvals.close();
      await o.monitor?.close().catch(onError);
      await o.audit.close();
    },
  };
}
