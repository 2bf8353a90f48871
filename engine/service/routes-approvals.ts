// The approval queue over HTTP: approvers list and answer; the client that asked waits with a
// long-poll (`?wait=SECONDS`) or a server-sent-event stream that ends with the outcome.
import { documented } from "./openapi.ts";
import { ref } from "./schemas.ts";
import type { FastifyInstance } from "fastify";
import type { ServiceContext } from "./context.ts";
import type { Caller } from "./keys.ts";
import { ServiceError } from "./errors.ts";
import { checkScope, mayRead } from "./keys.ts";
import { approvalAction, approvalFiling, approvalRelay, queryInt } from "./validate.ts";
import { baseSecurityHeaders } from "./edges.ts";
import type { ApprovalListV1, ApprovalStatusV1, ApprovalV1 } from "./wire.ts";

/** Longest long-poll, in seconds. */
const MAX_WAIT_S = 60;

/**
 * Whether `caller` may read or wait on request `a`: within its key's scope, the key whose decision
 * asked, an administrator, or an approver the request names. The request carries the input it
 * holds (a session's step); another key for the same agent is another application.
 */
function mayWatch(caller: Caller, a: ApprovalV1): boolean {
  return mayRead(caller, a) && (caller.admin || a.askedBy === caller.id || (a.role !== null && caller.roles.has(a.role)));
}

function forbidden(caller: Caller): ServiceError {
  return new ServiceError("auth/forbidden", `key '${caller.id}' may not see this request: only the key that asked, an administrator or an approver of its role may, within the key's agents and environments`);
}

/** Registers the approval routes. */
export function approvalRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.get("/v1/approvals", documented({
    summary: "List approval requests",
    description: "Admins see every request; an approver sees those naming one of its roles. Either sees only the agents and environments its key covers.",
    tag: "approvals",
    auth: "key",
    query: { status: { description: "Only requests with this status.", schema: ref("ApprovalStatus") } },
    responses: { 200: { description: "Requests, newest last.", schema: ref("ApprovalList") } },
  }), async (req): Promise<ApprovalListV1> => {
    const caller = ctx.caller(req);
    if (!caller.admin && caller.roles.size === 0) throw new ServiceError("auth/forbidden", `key '${caller.id}' is neither an admin nor an approver`);
    // Checked against the route's doc already (query.ts); empty is none.
    const status = (req.query as Record<string, string | undefined>).status || undefined;
    const all = await ctx.approvals.list(status as ApprovalStatusV1 | undefined);
    // An approver sees what it may answer; an admin sees everything its key's scope covers.
    return { approvals: all.filter((a) => mayRead(caller, a) && (caller.admin || (a.role !== null && caller.roles.has(a.role)))) };
  });

  app.post("/v1/approvals", documented({
    summary: "Approve or reject a request",
    tag: "approvals",
    auth: "key",
    body: ref("ApprovalAction"),
    responses: { 200: { description: "The request as answered.", schema: ref("Approval") }, 404: { description: "No such request.", schema: ref("Error") }, 409: { description: "Already answered (or expired).", schema: ref("Error") } },
  }), async (req): Promise<ApprovalV1> => {
    const caller = ctx.caller(req);
    const a = approvalAction(req.body);
    const settled = await ctx.approvals.answer(caller, a.id, a.action, a.note);
    return settled;
  });

  // A guard elsewhere (serviceApprover) files its own require_approval decision here.
  app.post("/v1/approvals/requests", documented({
    summary: "File an approval request from a guard elsewhere",
    tag: "approvals",
    auth: "key",
    body: ref("ApprovalFiling"),
    responses: { 200: { description: "The pending request.", schema: ref("Approval") } },
  }), async (req): Promise<ApprovalV1> => {
    const caller = ctx.caller(req);
    const n = approvalFiling(req.body);
    checkScope(caller, n.agent, n.env, { agent: "/agent", env: "/env" });
    return ctx.approvals.create({ ...n, askedBy: caller.id });
  });

  // A framework that asks its own human (a LangGraph interrupt, an Agents SDK run state) files
  // the answer back, so the queue, the session's record and the audit log say what happened.
  app.post("/v1/approvals/:id/answered", documented({
    summary: "Relay the answer a framework's own human gave",
    description: "Only the key whose decision asked may relay. A relayed approval (`approved: true`) also needs the key's `relay` scope and, when the request names an approver role, that role: otherwise the agent's key would approve the agent. A pending request is settled with the answer (`via: framework`); one already answered (by an approver or the deadline) keeps that answer, which the framework must honour, and the framework's answer is recorded in the audit log beside it.",
    tag: "approvals",
    auth: "key",
    params: { id: { description: "The request's id." } },
    body: ref("ApprovalRelay"),
    responses: { 200: { description: "The request as it stands.", schema: ref("Approval") }, 403: { description: "Not the key that asked, or an approval from a key without the relay scope or the request's role.", schema: ref("Error") }, 404: { description: "No such request.", schema: ref("Error") } },
  }), async (req): Promise<ApprovalV1> => {
    const caller = ctx.caller(req);
    const { id } = req.params as { id: string };
    const r = approvalRelay(req.body);
    const { approval, settled } = await ctx.approvals.relay(caller, id, r.approved, r.by, r.note);
    // Settled here: the queue recorded it. Answered first by an earlier relay: a retry, recorded once.
    if (settled || approval.via === "framework") return approval;
    const status = r.approved ? "approved" : "rejected";
    const late: ApprovalV1 = {
      ...approval,
      status,
      outcome: "deny",
      decidedBy: r.by ?? caller.principal,
      decidedAt: new Date().toISOString(),
      note: `answered in the framework after the request was ${approval.status}${r.note ? `: ${r.note}` : ""}`,
      via: "framework",
    };
    await ctx.writer.pushApproval(late, caller.id).catch(() => {
      throw new ServiceError("audit/unavailable", `the framework's answer to approval request '${id}' could not be recorded in the audit log: retry; operators, check the audit store`);
    });
    return approval;
  });

  // The key that asked waits on it (as do admins and its approvers); another key of the same agent is another application.
  app.get("/v1/approvals/:id", documented({
    summary: "Read or wait for an approval request",
    tag: "approvals",
    auth: "key",
    params: { id: { description: "The request's id." } },
    query: { wait: { description: "Seconds to wait for an answer (long-poll, at most 60).", schema: { type: "integer", minimum: 0, maximum: 60 } } },
    responses: { 200: { description: "The request as it stands (answered, or still pending when the wait ran out).", schema: ref("Approval") }, 404: { description: "No such request.", schema: ref("Error") } },
  }), async (req): Promise<ApprovalV1> => {
    const caller = ctx.caller(req);
    const { id } = req.params as { id: string };
    const wait = queryInt(req.query as Record<string, unknown>, "wait", MAX_WAIT_S) ?? 0;
    const current = await ctx.approvals.get(id);
    if (!mayWatch(caller, current)) throw forbidden(caller);
    if (wait === 0 || current.status !== "pending") return current;
    // A stopping service answers with the request as it stands: the client polls again elsewhere.
    if (ctx.stopping.aborted) return current;
    const abort = new AbortController();
    req.raw.once("close", () => abort.abort());
    const stop = (): void => abort.abort();
    ctx.stopping.addEventListener("abort", stop);
    try {
      // Not past the key's expiry: an expired key reads nothing more (its next poll gets 401).
      return await ctx.approvals.wait(id, Math.max(0, Math.min(wait * 1000, caller.expiresAt - Date.now())), abort.signal);
    } finally {
      ctx.stopping.removeEventListener("abort", stop);
    }
  });

  app.get("/v1/approvals/:id/events", documented({
    summary: "Stream an approval request's outcome (server-sent events)",
    tag: "approvals",
    auth: "key",
    params: { id: { description: "The request's id." } },
    responses: { 200: { description: "`pending` events, then one `settled` event with the request (an Approval as JSON in each event's data).", type: "text/event-stream", schema: {} }, 404: { description: "No such request.", schema: ref("Error") } },
  }), async (req, reply) => {
    const caller = ctx.caller(req);
    const { id } = req.params as { id: string };
    const current = await ctx.approvals.get(id);
    if (!mayWatch(caller, current)) throw forbidden(caller);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { ...baseSecurityHeaders(false), "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
    const send = (a: ApprovalV1): void => void res.write(`event: ${a.status === "pending" ? "pending" : "settled"}\ndata: ${JSON.stringify(a)}\n\n`);
    send(current);
    const abort = new AbortController();
    req.raw.once("close", () => abort.abort());
    const stop = (): void => abort.abort();
    ctx.stopping.addEventListener("abort", stop);
    let a = current;
    // Until the deadline at the latest: by then the request has settled (expired at worst). The
    // stream ends when the key expires, as a new request with it would be refused.
    while (a.status === "pending" && !abort.signal.aborted && Date.now() < caller.expiresAt) {
      a = await ctx.approvals.wait(id, Math.min(15_000, caller.expiresAt - Date.now()), abort.signal);
      if (a.status === "pending" && !abort.signal.aborted) res.write(": keep-alive\n\n");
    }
    ctx.stopping.removeEventListener("abort", stop);
    if (!abort.signal.aborted || ctx.stopping.aborted) send(a);
    res.end();
  });
}
