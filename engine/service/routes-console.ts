// What the console reads (all admin-only): live decisions with filters, one session's steps, the
// policy set in force, and the drift, report and environment panels where those parts are wired.
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
  app.get("/v1/decisions", async (req): Promise<{ decisions: DecisionRecordV1[] }> => {
    requireAdmin(ctx.caller(req.headers));
    const q = req.query as Record<string, unknown>;
    const filter = { agent: str(q, "agent"), env: str(q, "env"), phase: str(q, "phase"), decision: str(q, "decision"), session: str(q, "session") };
    return { decisions: ctx.activity.recent(filter, queryInt(q, "limit", 1000) ?? 200) };
  });

  app.get("/v1/sessions", async (req): Promise<{ sessions: string[] }> => {
    requireAdmin(ctx.caller(req.headers));
    return { sessions: ctx.activity.sessions().slice(-200) };
  });

  app.get("/v1/sessions/:id", async (req): Promise<{ session: string; steps: readonly DecisionRecordV1[] }> => {
    requireAdmin(ctx.caller(req.headers));
    const { id } = req.params as { id: string };
    return { session: id, steps: ctx.activity.session(id) };
  });

  app.get("/v1/policies", async (req) => {
    requireAdmin(ctx.caller(req.headers));
    const set = ctx.policySet;
    return { digest: set.digest, version: set.version ?? null, rules: set.program.rules.length, files: ctx.sources.map((s) => ({ path: s.path, text: s.text })) };
  });

  app.get("/v1/drift", async (req) => {
    requireAdmin(ctx.caller(req.headers));
    if (!ctx.drift) throw new ServiceError("request/not-found", "drift is not configured on this service: run it with a monitor");
    return ctx.drift.report();
  });

  app.get("/v1/reports", async (req) => {
    requireAdmin(ctx.caller(req.headers));
    return { reports: ctx.reports?.names?.() ?? [] };
  });

  app.get("/v1/reports/:name", async (req, reply) => {
    requireAdmin(ctx.caller(req.headers));
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
  app.get("/v1/status", async (req) => {
    ctx.caller(req.headers);
    const set = ctx.policySet;
    return { policy: { digest: set.digest, version: set.version ?? null }, environment: ctx.served?.status?.() ?? null };
  });

  app.get("/v1/environments", async (req) => {
    requireAdmin(ctx.caller(req.headers));
    if (!ctx.environments) return { environments: [], configured: false, hint: ENVIRONMENTS_HINT };
    return { environments: await ctx.environments.list(), configured: true, file: ctx.environments.file ?? null };
  });
}
