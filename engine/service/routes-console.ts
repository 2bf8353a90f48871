// What the console reads (all admin-only): live decisions with filters, one session's steps, the
// policy set in force, and the drift, report and environment panels where those parts are wired.
import { documented } from "./openapi.ts";
import { ref } from "./schemas.ts";
import type { FastifyInstance } from "fastify";
import type { ReportOptions, ServiceContext } from "./context.ts";
import { ServiceError, invalid } from "./errors.ts";
import { requireAdmin } from "./keys.ts";
import { queryInt } from "./validate.ts";
import type { DecisionRecordV1 } from "./wire.ts";

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
  const format = str(q, "format") ?? "json";
  if (format !== "json" && format !== "oscal" && format !== "html") throw invalid("/format", `query parameter 'format' must be json, oscal or html, got ${JSON.stringify(format)}`);
  const from = instant(q, "from");
  const to = instant(q, "to");
  return { format, ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

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
      phase: { description: "Only this phase's.", schema: { type: "string" } },
      decision: { description: "Only these outcomes.", schema: { type: "string" } },
      session: { description: "Only this session's.", schema: { type: "string" } },
      limit: { description: "At most this many (default 200).", schema: { type: "integer", minimum: 0, maximum: 1000 } },
    },
    responses: { 200: { description: "Newest first.", schema: { type: "object", required: ["decisions"], properties: { decisions: { type: "array", items: ref("DecisionRecord") } } } } },
  }), async (req): Promise<{ decisions: DecisionRecordV1[] }> => {
    requireAdmin(ctx.caller(req));
    const q = req.query as Record<string, unknown>;
    const filter = { agent: str(q, "agent"), env: str(q, "env"), phase: str(q, "phase"), decision: str(q, "decision"), session: str(q, "session") };
    return { decisions: await ctx.view.recent(filter, queryInt(q, "limit", 1000) ?? 200) };
  });

  app.get("/v1/sessions", documented({
    summary: "Recent session ids (admin)",
    tag: "console",
    auth: "key",
    responses: { 200: { description: "Most recently started last.", schema: { type: "object", required: ["sessions"], properties: { sessions: { type: "array", items: { type: "string" } } } } } },
  }), async (req): Promise<{ sessions: string[] }> => {
    requireAdmin(ctx.caller(req));
    return { sessions: await ctx.view.sessions() };
  });

  app.get("/v1/sessions/:id", documented({
    summary: "One session's steps (admin)",
    tag: "console",
    auth: "key",
    params: { id: { description: "The session id." } },
    responses: { 200: { description: "Oldest first.", schema: { type: "object", required: ["session", "steps"], properties: { session: { type: "string" }, steps: { type: "array", items: ref("DecisionRecord") } } } } },
  }), async (req): Promise<{ session: string; steps: readonly DecisionRecordV1[] }> => {
    requireAdmin(ctx.caller(req));
    const { id } = req.params as { id: string };
    return { session: id, steps: await ctx.view.session(id) };
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
    requireAdmin(ctx.caller(req));
    if (!ctx.drift) throw new ServiceError("request/not-found", "drift is not configured on this service: run it with a monitor");
    return ctx.drift.report();
  });

  app.get("/v1/reports", documented({
    summary: "The compliance reports offered (admin)",
    tag: "console",
    auth: "key",
    responses: { 200: { description: "Report names.", schema: { type: "object", required: ["reports"], properties: { reports: { type: "array", items: { type: "string" } } } } } },
  }), async (req) => {
    requireAdmin(ctx.caller(req));
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
    requireAdmin(ctx.caller(req));
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
        description: "The policy digest and version; with --env, this node's bundle, state sequence and last refused bundle.",
        schema: { type: "object", required: ["policy", "environment"], properties: { policy: { type: "object", required: ["digest", "version"], properties: { digest: { type: "string" }, version: { type: ["string", "null"] } } }, environment: { type: ["object", "null"] } } },
      },
    },
  }), async (req) => {
    ctx.caller(req);
    const set = ctx.policySet;
    return { policy: { digest: set.digest, version: set.version ?? null }, environment: ctx.served?.status?.() ?? null };
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
