// What the console reads (all admin-only): live decisions with filters, one session's steps, the
// policy set in force, and the drift, report and environment panels where those parts are wired.
// An admin key limited to some agents or environments reads only what was decided for them: every
// list, count and proof is cut to its scope, and what covers everything (drift, reports) needs an
// unscoped key.
import { documented } from "./openapi.ts";
import { ref } from "./schemas.ts";
import type { FastifyInstance } from "fastify";
import type { ReportOptions, ServiceContext } from "./context.ts";
import { ServiceError, invalid } from "./errors.ts";
import { isScoped, mayRead, requireAdmin } from "./keys.ts";
import type { Caller } from "./keys.ts";
import { MAX_ID, queryInt } from "./validate.ts";
import type { DecisionRecordV1 } from "./wire.ts";
import { streamHold } from "../sdk/needs.ts";
import type { ActivityFilter } from "./activity.ts";
import { OUTCOMES, findDecisionEntry, overview, pageOf, summarize } from "./console-read.ts";
import type { OverviewV1, SessionPageV1, SessionQuery } from "./console-read.ts";
import { toBase64 } from "../audit/index.ts";

function str(q: Record<string, unknown>, k: string): string | undefined {
  const v = q[k];
  return typeof v === "string" && v !== "" ? v : undefined;
}

const INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

function instant(q: Record<string, unknown>, k: string): Date | undefined {
  const v = str(q, k);
  if (v === undefined) return undefined;
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  if (!INSTANT.test(v) || Number.isNaN(d.getTime())) throw invalid(`/${k}`, `query parameter '${k}' must be an ISO-8601 date or instant with a time zone (e.g. 2026-11-01 or 2026-11-01T09:00:00Z), got ${JSON.stringify(v)}`);
  return d;
}

function reportOptions(q: Record<string, unknown>): ReportOptions {
  // Checked against the route's doc already (query.ts).
  const format = (str(q, "format") ?? "json") as ReportOptions["format"];
  const from = instant(q, "from");
  const to = instant(q, "to");
  return { format, ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

/** How many of the latest decisions the overview (and, on one node, the sessions list) covers. */
const RECENT = 5000;

/** Throws auth/forbidden unless the caller is an admin for every agent and environment. */
function requireWholeAdmin(caller: Caller, what: string): void {
  requireAdmin(caller);
  if (isScoped(caller)) throw new ServiceError("auth/forbidden", `key '${caller.id}' is limited to some agents or environments, and ${what} covers all of them: use an admin key for every agent and environment`);
}

/** What `caller` may read of the latest decisions matching `filter` (the view's order, newest first). */
async function readable(ctx: ServiceContext, caller: Caller, filter: ActivityFilter, limit: number): Promise<DecisionRecordV1[]> {
  if (!isScoped(caller)) return ctx.view.recent(filter, limit);
  return (await ctx.view.recent(filter, RECENT)).filter((r) => mayRead(caller, r)).slice(0, limit);
}

/** The sessions page's query, checked against the route's doc already (query.ts). */
function sessionQuery(q: Record<string, unknown>): SessionQuery {
  const text = str(q, "q")?.trim();
  return { q: text === "" ? undefined : text, agent: str(q, "agent"), env: str(q, "env"), outcome: str(q, "outcome"), offset: queryInt(q, "offset", 1_000_000) ?? 0, limit: queryInt(q, "limit", 500) ?? 50 };
}

const SUMMARY = { type: "object", required: ["id", "agent", "env", "principal", "first", "last", "steps", "outcome", "counts"], properties: { id: { type: "string" }, agent: { type: "string" }, env: { type: "string" }, principal: { type: ["string", "null"] }, first: { type: "string" }, last: { type: "string" }, steps: { type: "integer" }, outcome: { type: "string" }, counts: { type: "object", additionalProperties: { type: "integer" } } } };

const ENVIRONMENTS_HINT = "put a palisade.environments.json in the folder `palisade serve` runs in, or name one with \"environments\" in its --config (see the README's \"Environments and promotion\")";

/** Registers the console's read routes. */
export function consoleRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.get("/v1/decisions", documented({
    summary: "Recent decisions, filtered (admin)",
    tag: "console",
    auth: "key",
    query: {
      agent: { description: "Only this agent's.", schema: { type: "string" } },
      env: { description: "Only this environment's.", schema: { type: "string" } },
      phase: { description: "Only this phase's.", schema: ref("Phase") },
      decision: { description: "Only this outcome's.", schema: { type: "string", enum: [...OUTCOMES] } },
      session: { description: "Only this session's.", schema: { type: "string" } },
      limit: { description: "At most this many (default 200).", schema: { type: "integer", minimum: 0, maximum: 1000 } },
    },
    responses: { 200: { description: "Newest first.", schema: { type: "object", required: ["decisions"], properties: { decisions: { type: "array", items: ref("DecisionRecord") } } } } },
  }), async (req): Promise<{ decisions: DecisionRecordV1[] }> => {
    const caller = ctx.caller(req);
    requireAdmin(caller);
    const q = req.query as Record<string, unknown>;
    const filter = { agent: str(q, "agent"), env: str(q, "env"), phase: str(q, "phase"), decision: str(q, "decision"), session: str(q, "session") };
    return { decisions: await readable(ctx, caller, filter, queryInt(q, "limit", 1000) ?? 200) };
  });

  app.get("/v1/sessions", documented({
    summary: "Recent session ids (admin)",
    tag: "console",
    auth: "key",
    responses: { 200: { description: "Most recently started last.", schema: { type: "object", required: ["sessions"], properties: { sessions: { type: "array", items: { type: "string" } } } } } },
  }), async (req): Promise<{ sessions: string[] }> => {
    const caller = ctx.caller(req);
    requireAdmin(caller);
    if (!isScoped(caller)) return { sessions: await ctx.view.sessions() };
    const started = new Set<string>();
    for (const r of (await readable(ctx, caller, {}, RECENT)).reverse()) if (r.session !== null) started.add(r.session);
    return { sessions: [...started].slice(-200) };
  });

  app.get("/v1/console/sessions", documented({
    summary: "Sessions, searched and paged (admin)",
    description: "One row per session: agent, environment, principal, first and last step, steps, the most severe outcome. Covers the sessions in the shared decisions table (PostgreSQL) or, on one node, those among its latest decisions.",
    tag: "console",
    auth: "key",
    query: {
      q: { description: "Case-insensitive text in the session id, agent, environment or principal.", schema: { type: "string", maxLength: 200 } },
      agent: { description: "Only this agent's.", schema: { type: "string" } },
      env: { description: "Only this environment's.", schema: { type: "string" } },
      outcome: { description: "Only sessions whose most severe decision is this.", schema: { type: "string", enum: [...OUTCOMES] } },
      offset: { description: "Rows to skip (default 0).", schema: { type: "integer", minimum: 0, maximum: 1_000_000 } },
      limit: { description: "Rows to return (default 50).", schema: { type: "integer", minimum: 0, maximum: 500 } },
    },
    responses: { 200: { description: "Most recently active first, with the number of matches.", schema: { type: "object", required: ["sessions", "total", "offset", "limit"], properties: { sessions: { type: "array", items: SUMMARY }, total: { type: "integer" }, offset: { type: "integer" }, limit: { type: "integer" } } } } },
  }), async (req): Promise<SessionPageV1> => {
    const caller = ctx.caller(req);
    requireAdmin(caller);
    const q: SessionQuery = { ...sessionQuery(req.query as Record<string, unknown>), ...(caller.agents ? { agents: [...caller.agents] } : {}), ...(caller.environments ? { envs: [...caller.environments] } : {}) };
    if (ctx.view.summaries) return ctx.view.summaries(q);
    return pageOf(summarize(await readable(ctx, caller, {}, RECENT)), q);
  });

  app.get("/v1/console/overview", documented({
    summary: "Outcomes over time and the rules that fired most (admin)",
    description: `Over the latest ${RECENT} decisions.`,
    tag: "console",
    auth: "key",
    responses: { 200: { description: "The aggregates.", schema: { type: "object", required: ["decisions", "from", "to", "bucketMs", "buckets", "totals", "topRules"], properties: { decisions: { type: "integer" }, from: { type: ["string", "null"] }, to: { type: ["string", "null"] }, bucketMs: { type: "integer" }, buckets: { type: "array", items: { type: "object", required: ["start", "counts"], properties: { start: { type: "string" }, counts: { type: "object", additionalProperties: { type: "integer" } } } } }, totals: { type: "object", additionalProperties: { type: "integer" } }, topRules: { type: "array", items: { type: "object", required: ["rule", "effect", "count"], properties: { rule: { type: "string" }, effect: { type: "string" }, count: { type: "integer" } } } } } } } },
  }), async (req): Promise<OverviewV1> => {
    const caller = ctx.caller(req);
    requireAdmin(caller);
    return overview(await readable(ctx, caller, {}, RECENT));
  });

  const found = new Map<string, number>();
  app.get("/v1/decisions/:id/proof", documented({
    summary: "Where a decision sits in the audit log, and the proof of it (admin)",
    description: "The decision's entry (its bytes, base64), its index, the latest signed checkpoint and the inclusion proof of the entry in that checkpoint's tree: everything a verifier needs to check the entry against a verifier key it already holds. `proof` is null while the entry is newer than the latest checkpoint.",
    tag: "console",
    auth: "key",
    params: { id: { description: "The decision's id." } },
    responses: {
      200: { description: "The entry, the checkpoint and the proof.", schema: { type: "object", required: ["decision", "index", "entry", "checkpoint", "proof"], properties: { decision: { type: "string" }, index: { type: "integer" }, entry: { type: "string", description: "The entry's bytes, base64." }, checkpoint: { type: ["object", "null"], required: ["note", "size"], properties: { note: { type: "string" }, size: { type: "integer" } } }, proof: { oneOf: [{ type: "null" }, ref("InclusionProof")] }, logKeys: { type: "array", items: { type: "string" }, description: "The verifier keys this log says it signs with (a verifier should hold its own copy)." } } } },
      404: { description: "No entry records this decision.", schema: ref("Error") },
    },
  }), async (req) => {
    const caller = ctx.caller(req);
    requireAdmin(caller);
    const { id } = req.params as { id: string };
    const index = await findDecisionEntry(ctx.audit, id, found);
    const entry = index === undefined ? undefined : (await ctx.audit.store.entries(index, index + 1))[0];
    if (index === undefined || !mayReadEntry(caller, entry)) throw new ServiceError("request/not-found", `no audit entry records decision '${id}': it was never recorded here, or its log is another service's`, "/id");
    const cp = await ctx.audit.latestCheckpoint();
    const checkpoint = cp ? { note: cp.note, size: cp.size } : null;
    const logKeys = await ctx.audit.verifierKeys();
    if (!cp || index >= cp.size) return { decision: id, index, entry: toBase64(entry.data), checkpoint, proof: null, logKeys };
    const p = await ctx.audit.inclusionProof(index, cp.size);
    return { decision: id, index, entry: toBase64(entry.data), checkpoint, proof: { index, size: p.size, leafHash: toBase64(p.leafHash), proof: p.proof.map(toBase64), root: toBase64(p.root) }, logKeys };
  });

  app.get("/v1/decisions/:id/record", documented({
    summary: "A decision's audit record, personal fields opened while its subject's key lives (admin)",
    description: "What the console keeps of a decision holds only what the audit log keeps in clear; the principal and input are read here, from the log, opened with the data subject's key. After `audit erase` they read as \"[erased]\" and `status` is `erased`.",
    tag: "console",
    auth: "key",
    params: { id: { description: "The decision's id." } },
    responses: {
      200: { description: "The record and how it opened: open, erased, damaged, or plain (nothing sealed).", schema: { type: "object", required: ["decision", "index", "status", "record"], properties: { decision: { type: "string" }, index: { type: "integer" }, status: { type: "string", enum: ["open", "erased", "damaged", "plain"] }, record: { type: "object" } } } },
      404: { description: "No entry records this decision.", schema: ref("Error") },
    },
  }), async (req) => {
    const caller = ctx.caller(req);
    requireAdmin(caller);
    const { id } = req.params as { id: string };
    const index = await findDecisionEntry(ctx.audit, id, found);
    const entry = index === undefined ? undefined : await ctx.audit.read(index);
    if (index === undefined || !mayReadEntry(caller, entry)) throw new ServiceError("request/not-found", `no audit entry records decision '${id}': it was never recorded here, or its log is another service's`, "/id");
    return { decision: id, index, status: entry.status, record: entry.record };
  });

  app.get("/v1/sessions/:id", documented({
    summary: "One session's steps (admin)",
    tag: "console",
    auth: "key",
    params: { id: { description: "The session id." } },
    query: { agent: { description: "The agent whose session it is (a session is keyed by agent and id); without it, the steps of every agent that used the id, each naming its agent.", schema: { type: "string" } } },
    responses: { 200: { description: "Oldest first.", schema: { type: "object", required: ["session", "steps"], properties: { session: { type: "string" }, agent: { type: "string" }, steps: { type: "array", items: ref("DecisionRecord") } } } } },
  }), async (req): Promise<{ session: string; agent?: string; steps: readonly DecisionRecordV1[] }> => {
    const caller = ctx.caller(req);
    requireAdmin(caller);
    const { id } = req.params as { id: string };
    if (id.length > MAX_ID) throw invalid("/id", `a session id has at most ${MAX_ID} characters, got ${id.length}`);
    const agent = str(req.query as Record<string, unknown>, "agent");
    if (agent !== undefined && agent.length > MAX_ID) throw invalid("/agent", `an agent id has at most ${MAX_ID} characters, got ${agent.length}`);
    const steps = await ctx.view.session(id, agent);
    const shown = isScoped(caller) ? steps.filter((r) => mayRead(caller, r)) : steps;
    return agent !== undefined ? { session: id, agent, steps: shown } : { session: id, steps: shown };
  });

  app.get("/v1/policies", documented({
    summary: "The policy set in force (admin)",
    tag: "console",
    auth: "key",
    responses: { 200: { description: "Its digest, version, rule count and files.", schema: { type: "object", required: ["digest", "version", "rules", "files"], properties: { digest: { type: "string" }, version: { type: ["string", "null"] }, rules: { type: "integer" }, files: { type: "array", items: { type: "object", required: ["path", "text"], properties: { path: { type: "string" }, text: { type: "string" } } } } } } } },
  }), async (req) => {
    requireAdmin(ctx.caller(req));
    const set = ctx.policySet;
    return { digest: set.digest, version: set.version ?? null, rules: set.program.rules.length, files: ctx.sources.map((s) => ({ path: s.path, text: s.text })) };
  });

  app.get("/v1/drift", documented({
    summary: "Drift of recent decisions against the newest baseline (admin)",
    tag: "console",
    auth: "key",
    responses: { 200: { description: "The drift report, or `no-baseline` with the command that makes one.", schema: { type: "object" } }, 404: { description: "No monitor runs beside this service.", schema: ref("Error") } },
  }), async (req) => {
    requireWholeAdmin(ctx.caller(req), "drift");
    if (!ctx.drift) throw new ServiceError("request/not-found", "drift is not configured on this service: run it with a monitor");
    return ctx.drift.report();
  });

  app.get("/v1/reports", documented({
    summary: "The compliance reports offered (admin)",
    tag: "console",
    auth: "key",
    responses: { 200: { description: "Report names.", schema: { type: "object", required: ["reports"], properties: { reports: { type: "array", items: { type: "string" } } } } } },
  }), async (req) => {
    requireWholeAdmin(ctx.caller(req), "compliance reporting");
    return { reports: ctx.reports?.names?.() ?? [] };
  });

  app.get("/v1/reports/:name", documented({
    summary: "A compliance report built from the audit log (admin)",
    tag: "console",
    auth: "key",
    params: { name: { description: "soc2, hipaa, gdpr, pci-dss, sox, ..." } },
    query: {
      from: { description: "Start of the period (ISO-8601), default 30 days before `to`.", schema: { type: "string" } },
      to: { description: "End of the period (ISO-8601), default now.", schema: { type: "string" } },
      format: { description: "json (default), oscal or html.", schema: { type: "string", enum: ["json", "oscal", "html"] } },
    },
    responses: { 200: { description: "The report.", schema: { type: "object" }, alternatives: { "text/html": { type: "string" } } }, 404: { description: "No such report.", schema: ref("Error") } },
  }), async (req, reply) => {
    requireWholeAdmin(ctx.caller(req), "a compliance report");
    const { name } = req.params as { name: string };
    if (!ctx.reports) throw new ServiceError("request/not-found", "compliance reports are not configured on this service");
    const r = await ctx.reports.report(name, reportOptions(req.query as Record<string, unknown>));
    const known = ctx.reports.names?.();
    if (r === undefined) throw new ServiceError("request/not-found", `there is no report '${name}'${known ? `: expected one of ${known.join(", ")}` : ""}`, "/name");
    if (typeof r === "string") return reply.type("text/html; charset=utf-8").send(r);
    return r;
  });

  // Which bundle this node runs, in the spirit of OPA's status API (any key may ask; the other
  // nodes of an environment are listed under /v1/environments).
  app.get("/v1/status", documented({
    summary: "The policy this node decides with, and the environment bundle it serves",
    tag: "operations",
    auth: "key",
    responses: {
      200: {
        description: "The policy digest and version; with --env, this node's bundle, state sequence and last refused bundle; the audit log's alarms (empty when sound).",
        schema: {
          type: "object",
          required: ["policy", "environment", "audit"],
          properties: {
            policy: { type: "object", required: ["digest", "version", "streamHold"], properties: { digest: { type: "string" }, version: { type: ["string", "null"] }, streamHold: { type: "integer", minimum: 0, description: "Characters a client streaming an answer must hold back so that no match of a pattern the output rules use is cut in two (the SDKs' streamHold)." } } },
            environment: { type: ["object", "null"] },
            audit: {
              type: "object",
              required: ["alarms"],
              properties: {
                alarms: {
                  type: "array",
                  items: { type: "object", required: ["code", "message", "since", "count"], properties: { code: { enum: ["audit/signing-refused", "audit/witness-conflict"] }, message: { type: "string" }, since: { type: "string", format: "date-time" }, count: { type: "integer" } } },
                },
              },
            },
          },
        },
      },
    },
  }), async (req) => {
    ctx.caller(req);
    const set = ctx.policySet;
    return { policy: { digest: set.digest, version: set.version ?? null, streamHold: streamHold(set) }, environment: ctx.served?.status?.() ?? null, audit: { alarms: ctx.auditAlarms() } };
  });

  app.get("/v1/environments", documented({
    summary: "Environments and the bundle each serves (admin)",
    tag: "console",
    auth: "key",
    responses: { 200: { description: "The environments.", schema: { type: "object", required: ["environments", "configured"], properties: { environments: { type: "array" }, configured: { type: "boolean" }, hint: { type: "string" }, file: { type: ["string", "null"] } } } } },
  }), async (req) => {
    requireAdmin(ctx.caller(req));
    if (!ctx.environments) return { environments: [], configured: false, hint: ENVIRONMENTS_HINT };
    return { environments: await ctx.environments.list(), configured: true, file: ctx.environments.file ?? null };
  });
}

/** The agent and environment an audit entry names in clear ("" when it has none, or they are sealed). */
function clearScope(data: Uint8Array): { agent: string; env: string } {
  try {
    const e = JSON.parse(new TextDecoder().decode(data)) as { agent?: unknown; env?: unknown };
    return { agent: typeof e.agent === "string" ? e.agent : "", env: typeof e.env === "string" ? e.env : "" };
  } catch {
    return { agent: "", env: "" };
  }
}

/**
 * Whether `caller` may read the decision `entry` records. A key that may not learns nothing of
 * it, not even that it exists; an entry whose agent or environment the log sealed is nobody's to
 * read but an unscoped admin's.
 */
function mayReadEntry<E extends { readonly data: Uint8Array }>(caller: Caller, entry: E | undefined): entry is E {
  return entry !== undefined && (!isScoped(caller) || mayRead(caller, clearScope(entry.data)));
}
