// The decision service: a Fastify app over a policy set, an audit log and an approval queue.
// createService wires the parts; the routes live in one module per area.
import { createServer as createHttpServer, STATUS_CODES } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import Fastify from "fastify";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { StoreError } from "../audit/index.ts";
import type { AuditLog } from "../audit/index.ts";
import type { Monitor } from "../monitor/index.ts";
import type { PolicySet, PolicySource } from "../runtime/index.ts";
import { Activity, clearPart } from "./activity.ts";
import type { ApprovalStore } from "./approval-store.ts";
import { ApprovalQueue } from "./approvals.ts";
import { AuditAlarms } from "./audit-alarm.ts";
import { AuditTimeoutError, AuditWriter } from "./audit-writer.ts";
import { parseBody } from "./body.ts";
import type { ActivityView, DriftSource, EnvironmentSource, ReportSource, ServedEnvironment, ServiceContext, SharedActivity } from "./context.ts";
import { ServiceError } from "./errors.ts";
import { KeyRing, presentedKey, requireScope } from "./keys.ts";
import type { ApiKeyConfig, Caller } from "./keys.ts";
import { Metrics } from "./metrics.ts";
import { feedMonitor } from "./monitor-feed.ts";
import { RateLimiter } from "./rate-limit.ts";
import type { RateLimit } from "./rate-limit.ts";
import { complianceReports } from "./report-source.ts";
import { approvalRoutes } from "./routes-approvals.ts";
import { auditRoutes } from "./routes-audit.ts";
import { consoleRoutes } from "./routes-console.ts";
import { decideRoutes } from "./routes-decide.ts";
import { outcomeRoutes } from "./routes-outcomes.ts";
import { settleRoutes } from "./routes-settle.ts";
import { withTraceParent } from "./trace-context.ts";
import { staticRoutes } from "./static.ts";
import { documented, openApiDocument } from "./openapi.ts";
import type { RegisteredRoute, RouteDoc } from "./openapi.ts";
import { ref } from "./schemas.ts";
import { queryCheck } from "./query.ts";
import { MemorySessionStore, Sessions } from "./sessions.ts";
import { guardStore, isStoreFailure } from "./store-guard.ts";
import { MemoryApprovalStore } from "./approval-store.ts";
import { SealedApprovalStore, SealedSessionStore, Sealer } from "./private-copies.ts";
import type { SessionStore } from "./sessions.ts";
import { allowedMethods, baseSecurityHeaders, repeatedHeader, securityHeaders } from "./edges.ts";

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
  /** Where each session's tool calls live (default: in memory); the service owns it. */
  readonly sessions?: SessionStore;
  /** Recent decisions shared by every node, for the console (default: this node's own); the service owns it. */
  readonly activity?: SharedActivity;
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
  /** What to do with a decision whose audit entry cannot be recorded (default `deny`: 503 audit/unavailable). */
  readonly auditOnFailure?: "deny" | "allow";
  /** Milliseconds a decision waits for its entry to be committed before it counts as failed (default 10,000). */
  readonly auditTimeoutMs?: number;
  /** Connection limits against slow and idle clients. */
  readonly timeouts?: Timeouts;
  /** Failed authentications allowed per client address (default 5/s sustained, bursts of 50). */
  readonly authFailureLimit?: RateLimit;
  /** Serve the log's entry bundles under /tlog/ to anyone (default false: hashes and checkpoints only). */
  readonly publicEntries?: boolean;
  /** The log's verifier key file (`<db>.vkey`), served at /v1/audit/vkey; default: the signing key's public half. */
  readonly verifierKeyFile?: string;
  /** Where internal failures (audit appends, signing) are reported. */
  readonly onError?: (err: unknown) => void;
}

/** Connection limits, in milliseconds. */
export interface Timeouts {
  /** Whole request (headers and body) must arrive within this (default 30,000). */
  readonly requestMs?: number;
  /** Headers must arrive within this (default 10,000; at most requestMs). */
  readonly headersMs?: number;
  /** An idle keep-alive connection is closed after this (default 5,000). */
  readonly keepAliveMs?: number;
  /** A connection with no traffic either way is closed after this (default 120,000: above the longest long-poll). */
  readonly idleMs?: number;
}

/** The version the OpenAPI document states (the package's). */
const SERVICE_VERSION = "0.1.0";

/** A running (or ready to run) service. */
export interface Service {
  readonly app: FastifyInstance;
  /** Every route the server registered, with its doc (the OpenAPI document is built from these). */
  readonly routes: readonly RegisteredRoute[];
  readonly context: ServiceContext;
  /** Listens and resolves with the base URL. */
  listen(port: number, host: string): Promise<string>;
  /** Signs a checkpoint now if the log grew since the last one; returns its size. */
  checkpoint(): Promise<number | undefined>;
  /** Stops listening, commits queued audit records, closes the log, the queue and the monitor. */
  close(): Promise<void>;
}

/** The V1 error for any failure a handler, a hook or Fastify itself raised. */
function toServiceError(err: FastifyError | ServiceError | Error, bodyLimit: number, onError: (err: unknown) => void): ServiceError {
  if (err instanceof ServiceError) return err;
  const f = err as FastifyError;
  switch (f.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new ServiceError("request/too-large", `the request body is over the ${bodyLimit}-byte limit`);
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new ServiceError("request/unsupported-media-type", "send the body as application/json");
    case "FST_ERR_BAD_URL":
      return new ServiceError("request/invalid", "the URL is not valid: percent-encode it as UTF-8");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new ServiceError("request/invalid", "the body is empty: send a JSON object", "/");
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new ServiceError("request/invalid", "the Content-Length header does not match the body");
    case "FST_ERR_MAX_PARAM_LENGTH":
      return new ServiceError("request/invalid", "a path parameter is too long");
  }
  if (typeof f.statusCode === "number" && f.statusCode >= 400 && f.statusCode < 500) return new ServiceError("request/invalid", `the request is not valid: ${err.message.replace(/^./, (c) => c.toLowerCase())}`);
  onError(err);
  // The audit log's own refusal to serve (its store closed, unreadable, damaged, or alarmed by a
  // refused signing): the dependency is unavailable, not the request at fault.
  if (err instanceof StoreError) return new ServiceError("audit/unavailable", `the audit log cannot serve this (${err.code}): ${err.message}; operators, check the audit store`);
  // A store reached other than through a guarded one (the audit log's reads, its pseudonyms).
  if (isStoreFailure(err)) return new ServiceError("service/unavailable", "a store the service depends on cannot be reached: retry (on another node when there are several)");
  return new ServiceError("internal", "internal error: the failure was logged");
}

/**
 * Refuses a JSON body the service would read otherwise than its sender meant: one in another
 * charset than UTF-8 (read as UTF-8 it would decide on other characters), or compressed (the
 * service does not inflate: a body it cannot read as sent is refused by its encoding, not by
 * garbage in a parse error).
 */
function bodyCheck(headers: Readonly<Record<string, string | string[] | undefined>>): void {
  // Node's parser takes any transfer coding that ends in chunked and hands over the chunks as they
  // came: `gzip, chunked` was read as if it were plain, so the service decided on other bytes
  // than a gateway honouring the coding (or the sender) meant.
  const transfer = headers["transfer-encoding"];
  if (transfer !== undefined && String(transfer).trim().toLowerCase() !== "chunked") throw new ServiceError("request/unsupported-media-type", `the body's Transfer-Encoding '${String(transfer).slice(0, 40)}' is not accepted: send it with Content-Length or chunked alone`);
  const encoding = headers["content-encoding"];
  if (encoding !== undefined && String(encoding).trim().toLowerCase() !== "identity") throw new ServiceError("request/unsupported-media-type", `the body's Content-Encoding '${String(encoding).slice(0, 40)}' is not accepted: send it uncompressed`);
  const type = headers["content-type"] ?? "";
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(String(type))?.[1];
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) throw new ServiceError("request/unsupported-media-type", `the body's charset '${charset.slice(0, 40)}' is not accepted: send JSON as UTF-8 (RFC 8259)`);
}

/** An error answered straight onto a socket (the request never reached Fastify). */
function socketError(socket: Socket, e: ServiceError): void {
  if (socket.destroyed || !socket.writable) return void socket.destroy();
  const body = JSON.stringify(e.toJSON());
  socket.end(`HTTP/1.1 ${e.status} ${STATUS_CODES[e.status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/** Builds the service (not yet listening). */
export async function createService(o: ServiceOptions): Promise<Service> {
  const onError = o.onError ?? (() => {});
  const bodyLimit = o.bodyLimit ?? 1024 * 1024;
  const metrics = new Metrics();
  const keys = new KeyRing(o.keys);
  const limiter = new RateLimiter(o.rateLimit ?? { perSecond: 50_000, burst: 100_000 });
  const authFailures = new RateLimiter(o.authFailureLimit ?? { perSecond: 5, burst: 50 });
  const writer = new AuditWriter(o.audit, onError, o.auditTimeoutMs ?? 10_000);
  // What the console keeps beside the log holds only what the log keeps in clear.
  const sealed = o.audit.seals;
  const activity = new Activity(undefined, undefined, undefined, sealed);
  const shared = o.activity && guardStore(o.activity, "decision store", onError);
  if (shared) activity.observe((record) => shared.add(sealed ? clearPart(record) : record));
  const view: ActivityView = shared ?? {
    recent: async (filter, limit) => activity.recent(filter, limit),
    sessions: async () => activity.sessions().slice(-200),
    session: async (id, agent) => [...activity.session(id, agent)],
  };
  // What is kept beside the log in files or rows is sealed as the log seals it (private-copies.ts);
  // a store in memory keeps nothing an erasure must reach.
  const sealer = Sealer.for(o.audit);
  const sessionStore = o.sessions ?? new MemorySessionStore();
  // A session's owner is kept as the log's pseudonym of its principal (the plain id only where
  // the log, having no salt, keeps plain ids itself).
  const pseudonym = (principal: string): Promise<string> => o.audit.pseudonym(principal);
  const sessions = sealer === undefined || sessionStore instanceof MemorySessionStore
    ? new Sessions(guardStore(sessionStore, "session store", onError), undefined, undefined, pseudonym)
    : new Sessions(guardStore(new SealedSessionStore(sessionStore, sealer), "session store", onError), undefined, (input) => sealer.subjectOf(input), pseudonym);
  const approvalStore = guardStore(sealer === undefined || o.approvals instanceof MemoryApprovalStore ? o.approvals : new SealedApprovalStore(o.approvals, sealer), "approval store", onError);
  if (o.monitor) feedMonitor(activity, o.monitor, onError);
  const stopping = new AbortController();
  let unrecorded = 0;
  let checkpointFailures = 0;
  let approvalAuditFailures = 0;
  const approvals = new ApprovalQueue(approvalStore, {
    timeoutMs: o.approvalTimeoutMs ?? 300_000,
    onSettled: async (a, callSeq) => {
      // The answer is written back into the session's history (and its entry says so, for replay):
      // a later call in the session sees the call executed, or refused, no longer pending.
      const outcome = a.status === "approved" ? "executed" : "approval_refused";
      const inHistory = a.session !== null && callSeq !== undefined;
      const history = inHistory ? sessions.settle(JSON.stringify([a.agent, a.session]), callSeq, outcome).catch(onError) : undefined;
      try {
        // A framework's answer is the asking key's word (`via`), not an approver's.
        await writer.pushApproval(a, a.via === "framework" ? a.askedBy ?? "framework" : a.decidedBy ?? "deadline", inHistory ? { callSeq, outcome } : undefined);
      } catch {
        approvalAuditFailures++;
        throw new ServiceError("audit/unavailable", `approval request '${a.id}' is ${a.status}, but the answer could not be recorded in the audit log: check the audit store`);
      } finally {
        await history;
      }
    },
  });
  let signing: Promise<number | undefined> | null = null;
  const alarms = new AuditAlarms(onError);
  let checked = false;
  const checkpoint = async (): Promise<number | undefined> => {
    await writer.flush();
    const size = await o.audit.size();
    const last = await o.audit.latestCheckpoint();
    // Only an unchanged tree that this process has checked skips signing: a store restored from a
    // backup, truncated or rolled back goes to the log, which proves it against what was signed.
    if (checked && last && last.size === size) return last.size;
    const signed = (await alarms.watch(() => o.audit.checkpoint())).size;
    checked = true;
    return signed;
  };
  // One signer at a time: the timer, Service.checkpoint and reports all go through here.
  const signNow = (): Promise<number | undefined> => (signing ??= checkpoint().finally(() => (signing = null)));
  const served = o.environment;
  const allowUnrecorded = o.auditOnFailure === "allow";
  const refused = (err: unknown): void => {
    if (!allowUnrecorded) {
      const why = err instanceof AuditTimeoutError ? "the audit store did not commit it in time" : "the audit store refused it";
      throw new ServiceError("audit/unavailable", `the decision was not recorded in the audit log (${why}), so it is not given: retry later; operators, check the audit store`);
    }
    // audit.onFailure: allow, chosen by the operator: answered all the same, counted and logged.
    unrecorded++;
    onError(new Error(`a decision was answered without its audit entry (audit.onFailure: allow): ${err instanceof Error ? err.message : String(err)}`));
  };
  // An address past its failed attempts is refused before its key is looked at, so guessing keys
  // from it learns nothing until its bucket refills.
  const authenticate = (ip: string, headers: IncomingMessage["headers"], rawHeaders: readonly string[] | undefined): Caller => {
    if (!authFailures.has(ip)) throw new ServiceError("rate/limited", "too many failed authentications from this address: wait, then retry with a valid key");
    try {
      return keys.authenticate(presentedKey(headers, rawHeaders));
    } catch (err) {
      authFailures.take(ip);
      throw err;
    }
  };
  // Keyed routes with a body authenticate before it is read (the onRequest hook below), so an
  // address without a valid key cannot make the service read, parse and check up to bodyLimit
  // bytes; the route's own `caller` then takes that caller instead of hashing the key again.
  const authenticatedBeforeBody = new WeakMap<object, Caller>();
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
    view,
    link(id, approval) {
      activity.link(id, approval);
      shared?.link(id, approval);
    },
    sessions,
    metrics,
    drift: o.drift,
    auditAlarms: () => alarms.list(),
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
    caller(req, cost = 1) {
      const c = (req.raw && authenticatedBeforeBody.get(req.raw)) || authenticate(req.ip, req.headers, req.raw?.rawHeaders);
      if (!limiter.take(c.id, cost)) throw new ServiceError("rate/limited", `key '${c.id}' is over its rate limit: slow down and retry`);
      return c;
    },
    record: (p) => writer.push(p).then(() => {}, refused),
    stopping: stopping.signal,
  };
  metrics.gauge("palisade_audit_queue", "Decisions waiting for their audit entry to be committed.", () => writer.queued + o.audit.pending);
  metrics.counter("palisade_audit_failures_total", "Audit entries that could not be recorded.", () => writer.failures);
  metrics.counter("palisade_audit_unrecorded_answers_total", "Decisions answered although their audit entry failed (audit.onFailure: allow).", () => unrecorded);
  metrics.counter("palisade_approval_audit_failures_total", "Approval answers whose audit entry failed.", () => approvalAuditFailures);
  metrics.counter("palisade_checkpoint_failures_total", "Checkpoints the timer could not sign (store failure, or a signing the log refused).", () => checkpointFailures);
  metrics.gauge("palisade_audit_alarm", "1 while the audit log is alarmed (a refused signing or a witness conflict; see /v1/status), else 0.", () => (alarms.list().length > 0 ? 1 : 0));
  metrics.counter("palisade_checkpoint_refused_total", "Checkpoint signings the log refused: the store does not extend what its key signed.", () => alarms.refused);
  metrics.counter("palisade_witness_conflicts_total", "Witness answers reporting a conflict: the witness cosigned a history this log contradicts.", () => alarms.conflicts);
  metrics.gauge("palisade_approvals_pending", "Approval requests waiting for an answer.", async () => (await o.approvals.list("pending", 100_000)).length);
  metrics.gauge("palisade_checkpoint_age_seconds", "Seconds since the newest signed checkpoint (absent before the first).", async () => {
    const all = await o.audit.store.checkpoints();
    const last = all[all.length - 1];
    return last === undefined ? NaN : (Date.now() - last.time) / 1000;
  });
  if (o.monitor) {
    const m = o.monitor;
    metrics.gauge("palisade_monitor_queued", "Decisions queued for the monitor's next flush.", () => m.pending);
    metrics.counter("palisade_monitor_dropped_total", "Decisions the monitor dropped because its queue was full.", () => m.dropped);
  }

  const t = o.timeouts ?? {};
  const requestMs = t.requestMs ?? 30_000;
  const serverOptions = {
    requestTimeout: requestMs,
    headersTimeout: Math.min(t.headersMs ?? 10_000, requestMs),
    keepAliveTimeout: t.keepAliveMs ?? 5_000,
    // Node checks request deadlines on this interval (30 s by default), which would let a slow
    // client hold its connection up to that long past the deadline.
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(requestMs / 4))),
    // Node's own 400 for a missing Host has an empty body; ours (onRequest) has the error shape.
    requireHostHeader: false,
  };
  const app = (Fastify as unknown as (opts: Record<string, unknown>) => FastifyInstance)({
    logger: false,
    bodyLimit,
    // A session id may be 200 characters, each up to 4 UTF-8 bytes sent as %XX: the router's
    // default (100 characters of raw path) refused to read sessions the service had decided in.
    routerOptions: { maxParamLength: 2400 },
    // Closing is answered by our own hook below, in the V1 error shape.
    return503OnClosing: false,
    forceCloseConnections: "idle",
    serverFactory: (handler: Parameters<typeof createHttpServer>[1]): Server => {
      const server = o.tls ? createHttpsServer({ ...serverOptions, cert: o.tls.cert, key: o.tls.key }, handler) : createHttpServer(serverOptions, handler);
      server.setTimeout(t.idleMs ?? 120_000);
      // Node answers every Expect: 100-continue with 100 before any route has looked at the key,
      // inviting the body (up to the limit) from anyone. A body-bearing request without a valid
      // key is answered 401 at once instead, and counts against its address's failures.
      server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
        if (req.method !== "GET" && req.method !== "HEAD") {
          let refusal: ServiceError | undefined;
          try {
            authenticate(req.socket.remoteAddress ?? "", req.headers, req.rawHeaders);
          } catch (err) {
            refusal = err instanceof ServiceError ? err : new ServiceError("auth/invalid-key", "the API key is not valid");
          }
          if (refusal !== undefined) {
            const body = JSON.stringify(refusal.toJSON());
            res.writeHead(refusal.status, { ...baseSecurityHeaders(false), "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body), connection: "close" }).end(body);
            return;
          }
        }
        res.writeContinue();
        server.emit("request", req, res);
      });
      // Node answers an Expect other than 100-continue with its own empty 417; this one has the error shape.
      server.on("checkExpectation", (req: IncomingMessage, res: ServerResponse) => {
        const body = JSON.stringify(new ServiceError("request/invalid", `the Expect header '${String(req.headers.expect).slice(0, 40)}' cannot be met: send 'Expect: 100-continue' or none`).toJSON());
        res.writeHead(417, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body), connection: "close" }).end(body);
      });
      return server;
    },
    frameworkErrors: (err: FastifyError, _req: unknown, reply: FastifyReply) => {
      const e = toServiceError(err, bodyLimit, onError);
      return reply.code(e.status).send(e.toJSON());
    },
    clientErrorHandler: (err: NodeJS.ErrnoException, socket: Socket) => {
      if (err.code === "ECONNRESET") return void socket.destroy();
      if (err.code === "ERR_HTTP_REQUEST_TIMEOUT") return socketError(socket, new ServiceError("request/timeout", `the request did not arrive within ${requestMs} ms`));
      if (err.code === "HPE_HEADER_OVERFLOW") return socketError(socket, new ServiceError("request/too-large", "the request headers are too large"));
      socketError(socket, new ServiceError("request/invalid", "the request is not valid HTTP/1.1"));
    },
  });

  // JSON only (Fastify's text/plain parser would hand a route a string it then calls "not an
  // object"), as UTF-8 bytes, uncompressed: bodyCheck says why each of those matters.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "buffer", bodyLimit }, (req, body, done) => {
    // No route, no body to read: the answer is 404 or 405, never a complaint about the body.
    if (req.routeOptions.url === undefined) return done(null, undefined);
    try {
      bodyCheck(req.headers);
      done(null, parseBody(body as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  app.setErrorHandler((err: FastifyError | ServiceError | Error, _req, reply) => {
    const e = toServiceError(err, bodyLimit, onError);
    if (e.code === "rate/limited") reply.header("retry-after", "1");
    return reply.code(e.status).send(e.toJSON());
  });
  const routes: RegisteredRoute[] = [];
  app.addHook("onRoute", (r) => {
    const doc = (r.config as { doc?: RouteDoc } | undefined)?.doc;
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    for (const m of methods) routes.push({ method: m, url: r.url, doc });
    // What a read route takes is what its doc says (query.ts); pages keep whatever a link appends.
    // Only GET (and its HEAD) routes read a query, so the decision routes pay nothing for this.
    if (doc !== undefined && doc.tag !== "pages" && (methods.includes("GET") || methods.includes("HEAD"))) {
      const check = queryCheck(doc);
      const hook = (req: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void => {
        const at = req.url.indexOf("?");
        if (at < 0) return done();
        try {
          check(req.url.slice(at + 1));
        } catch (err) {
          return done(err as Error);
        }
        done();
      };
      r.onRequest = r.onRequest === undefined ? [hook] : [...(Array.isArray(r.onRequest) ? r.onRequest : [r.onRequest]), hook];
    }
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split("?")[0];
    const allow = allowedMethods(routes, path);
    if (allow.length > 0) {
      reply.header("allow", allow.join(", "));
      return reply.code(405).send(new ServiceError("request/method-not-allowed", `${req.method} is not allowed on ${path}: use ${allow.join(" or ")}`).toJSON());
    }
    return reply.code(404).send(new ServiceError("request/not-found", `no route ${req.method} ${path}`).toJSON());
  });
  app.addHook("onRequest", (req, reply, done) => {
    // RFC 9112 §3.2: an HTTP/1.1 request without Host gets 400.
    if (req.headers.host === undefined && req.raw.httpVersionMinor === 1) return done(new ServiceError("request/invalid", "the request has no Host header"));
    const twice = repeatedHeader(req.raw.rawHeaders);
    if (twice !== undefined) {
      reply.header("connection", "close");
      return done(new ServiceError("request/invalid", `the request sends its ${twice} header twice: send it once`));
    }
    if (stopping.signal.aborted) {
      reply.header("connection", "close");
      return done(new ServiceError("service/unavailable", "the service is stopping: retry on another node"));
    }
    if (req.method === "POST" && (req.routeOptions.config as { doc?: RouteDoc } | undefined)?.doc?.auth === "key") {
      try {
        authenticatedBeforeBody.set(req.raw, authenticate(req.ip, req.headers, req.raw.rawHeaders));
      } catch (err) {
        // The body stays unread: closing spares reading and discarding it.
        reply.header("connection", "close");
        return done(err as Error);
      }
    }
    // A client's `traceparent` parents the decision's span, which only the monitor exports.
    if (o.monitor) return withTraceParent(req.headers, done);
    done();
  });
  app.addHook("onSend", (_req, reply, payload, done) => {
    securityHeaders(reply);
    done(null, payload);
  });
  app.addHook("onResponse", (req, reply, done) => {
    metrics.response(req.routeOptions.url ?? "unmatched", req.method, reply.statusCode, reply.elapsedTime);
    done();
  });

  app.get("/healthz", documented({ summary: "Liveness", tag: "operations", auth: "public", responses: { 200: { description: "The process answers.", schema: ref("Health") } } }), async () => ({ ok: true }));
  app.get("/readyz", documented({ summary: "Readiness: the audit store answers and its log is not alarmed", tag: "operations", auth: "public", responses: { 200: { description: "Ready, with the policy digest in force.", schema: ref("Health") }, 503: { description: "audit/unavailable: the store cannot be read, or the log refused to sign or a witness reported a conflict (see /v1/status).", schema: ref("Error") } } }), async (_req, reply) => {
    const alarm = alarms.list()[0];
    if (alarm) return reply.code(503).send(new ServiceError("audit/unavailable", `the audit log is alarmed (${alarm.code}): ${alarm.message}`).toJSON());
    try {
      await o.audit.size();
      return { ok: true, policy: context.policySet.digest };
    } catch (err) {
      return reply.code(503).send(new ServiceError("audit/unavailable", `the audit store cannot be read: ${err instanceof Error ? err.message : String(err)}`).toJSON());
    }
  });
  app.get("/metrics", documented({ summary: "Prometheus metrics (admin or the metrics scope)", tag: "operations", auth: "key", responses: { 200: { description: "The text exposition format 0.0.4.", type: "text/plain" } } }), async (req, reply) => {
    requireScope(context.caller(req), "metrics");
    return reply.type("text/plain; version=0.0.4; charset=utf-8").send(await metrics.render());
  });
  decideRoutes(app, context);
  outcomeRoutes(app, context, o.monitor);
  settleRoutes(app, context);
  approvalRoutes(app, context);
  auditRoutes(app, context, { publicEntries: o.publicEntries === true, ...(o.verifierKeyFile !== undefined ? { verifierKeyFile: o.verifierKeyFile } : {}) });
  consoleRoutes(app, context);
  if (o.pagesDir) staticRoutes(app, o.pagesDir);
  let openapi: unknown;
  app.get("/openapi.json", documented({ summary: "This document (OpenAPI 3.1)", tag: "operations", auth: "public", responses: { 200: { description: "The OpenAPI document.", schema: { type: "object" } } } }), async () => (openapi ??= openApiDocument(routes, SERVICE_VERSION)));

  const every = o.checkpointEveryMs ?? 5000;
  const timer = every > 0
    ? setInterval(() => {
        // A refused or failed signing is an alarm: logged and counted, the timer tries again.
        signing ??= checkpoint()
          .catch((err: unknown) => {
            checkpointFailures++;
            onError(new Error(`checkpoint signing failed: ${err instanceof Error ? err.message : String(err)}`));
            return undefined;
          })
          .finally(() => (signing = null));
      }, every)
    : undefined;
  timer?.unref();

  return {
    app,
    routes,
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
      // New requests get service/unavailable; long-polls answer with what they have, streams end.
      stopping.abort();
      await app.close();
      await signing?.catch(() => {});
      await writer.flush().catch(onError);
      await approvals.close();
      await sessions.close();
      await shared?.close().catch(onError);
      await o.monitor?.close().catch(onError);
      await o.audit.close();
    },
  };
}
