// POST /v1/decide and /v1/decide/batch: fill in the input's context (agent, env, time, the
// session's earlier calls), decide, answer, and queue the decision for the audit log. Only a
// `require_approval` decision waits on anything (filing the approval request).
import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { Decision } from "../runtime/index.ts";
import type { ServiceContext } from "./context.ts";
import { ServiceError, invalid } from "./errors.ts";
import { checkScope } from "./keys.ts";
import type { Caller } from "./keys.ts";
import { batchRequest, decisionRequest } from "./validate.ts";
import type { BatchResponseV1, DecisionRequestV1, DecisionResponseV1, ErrorResponseV1 } from "./wire.ts";

function only(set: ReadonlySet<string> | null): string | undefined {
  if (set === null || set.size !== 1) return undefined;
  return set.values().next().value;
}

type Prepared = { response: DecisionResponseV1; approval: boolean; decision: Decision; agent: string; env: string; session: string | null; tool: string | null; payloadJson: string };

const q = JSON.stringify;

/**
 * The response's JSON text, with the input's and payload's texts spliced in: the route writes the
 * input's JSON once, for the answer, the audit log and the console alike.
 */
function responseText(p: Prepared): string {
  const r = p.response;
  return `{"id":${q(r.id)},"decision":${q(r.decision)},"reasons":${q(r.reasons)},"warnings":${q(r.warnings)},"payload":${p.payloadJson},"errors":${q(r.errors)},"policy":${q(r.policy)}}`;
}

/** Decides one checked request for `caller`; `at` is the request's JSON Pointer for errors. */
function decideOne(ctx: ServiceContext, caller: Caller, r: DecisionRequestV1, at: string): Prepared {
  const input = r.input as Record<string, unknown>;
  const givenAgent = input.agent as { id?: unknown } | undefined;
  let agent: string;
  if (givenAgent !== undefined && givenAgent !== null) {
    if (typeof givenAgent !== "object" || typeof givenAgent.id !== "string") throw invalid(`${at}/input/agent/id`, "'agent.id' must be a string");
    agent = givenAgent.id;
  } else {
    const one = only(caller.agents);
    if (one === undefined) throw invalid(`${at}/input/agent`, `the input names no agent and key '${caller.id}' may decide for several: give 'agent.id'`);
    agent = one;
  }
  const givenEnv = r.environment ?? input.env;
  let env: string;
  if (givenEnv !== undefined) {
    if (typeof givenEnv !== "string") throw invalid(`${at}/input/env`, "'env' must be a string");
    env = givenEnv;
  } else {
    // A service serving an environment's bundle decides in that environment unless told otherwise.
    const one = ctx.environment ?? only(caller.environments);
    if (one === undefined) throw invalid(`${at}/environment`, `no environment given and key '${caller.id}' may decide in several: give 'environment'`);
    env = one;
  }
  if (ctx.environment !== undefined && env !== ctx.environment) {
    throw new ServiceError("request/wrong-environment", `this service serves the bundle of environment '${ctx.environment}', not of '${env}': send the request to that environment's service`, r.environment !== undefined ? `${at}/environment` : `${at}/input/env`);
  }
  checkScope(caller, agent, env, givenEnv === undefined ? `${at}/environment` : `${at}/input/agent`);
  const givenSession = input.session as { id?: unknown; calls?: unknown } | undefined;
  const session = r.session ?? (typeof givenSession?.id === "string" ? givenSession.id : null);
  const historyKey = session === null ? null : `${agent}\u0000${session}`;
  const iso = new Date().toISOString();
  const full: Record<string, unknown> = {
    ...input,
    agent: givenAgent ?? { id: agent },
    env,
    time: input.time ?? iso,
    session: givenSession !== undefined && Array.isArray(givenSession.calls) ? givenSession : { id: session, calls: historyKey === null ? [] : ctx.history.calls(historyKey).slice() },
  };
  const started = performance.now();
  const decision = ctx.policySet.decide(r.phase, full);
  ctx.metrics.decision(r.phase, decision.decision, performance.now() - started);
  const toolField = full.tool as { name?: unknown; args?: unknown } | undefined;
  const tool = typeof toolField?.name === "string" ? toolField.name : null;
  if (r.phase === "tool_call" && historyKey !== null && tool !== null) ctx.history.add(historyKey, { tool: { name: tool, args: toolField?.args }, time: iso, decision: decision.decision, outcome: decision.decision === "allow" ? "executed" : decision.decision === "deny" ? "denied" : "pending" });
  const id = randomUUID();
  const principal = (full.principal as { id?: unknown } | undefined)?.id;
  // An input parsed from JSON plus strings and earlier inputs' calls: JSON.stringify cannot fail on it.
  const inputJson = JSON.stringify(full);
  const payloadJson = decision.payload === full ? inputJson : (JSON.stringify(decision.payload) ?? "null");
  ctx.writer.push({ id, iso, agent, env, phase: r.phase, session, principal: typeof principal === "string" ? principal : null, tool, input: full, inputJson, decision, caller: caller.id });
  ctx.activity.add({ id, time: iso, agent, env, phase: r.phase, session, tool, decision: decision.decision, reasons: decision.reasons, warnings: decision.warnings, input: full, payload: decision.payload }, decision, { input: inputJson, payload: payloadJson });
  const response: DecisionResponseV1 = { id, decision: decision.decision, reasons: decision.reasons, warnings: decision.warnings, payload: decision.payload, errors: decision.errors, policy: decision.policy };
  return { response, approval: decision.decision === "require_approval", decision, agent, env, session, tool, payloadJson };
}

async function withApproval(ctx: ServiceContext, p: Prepared, phase: DecisionRequestV1["phase"]): Promise<DecisionResponseV1> {
  if (!p.approval) return p.response;
  const a = await ctx.approvals.create({
    phase,
    agent: p.agent,
    env: p.env,
    session: p.session,
    tool: p.tool,
    reasons: p.decision.reasons.filter((r) => r.effect === "require_approval"),
    payload: p.decision.payload,
    policy: p.decision.policy.digest,
    decisionId: p.response.id,
  });
  ctx.activity.link(p.response.id, a.id);
  return { ...p.response, approval: { id: a.id, status: a.status, expiresAt: a.expiresAt, wait: `/v1/approvals/${a.id}?wait=30` } };
}

function errorBody(err: unknown): ErrorResponseV1 {
  if (err instanceof ServiceError) return err.toJSON();
  throw err;
}

/** Registers the decision routes. */
export function decideRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.post("/v1/decide", (req, reply) => {
    const caller = ctx.caller(req.headers);
    const r = decisionRequest(req.body);
    const p = decideOne(ctx, caller, r, "");
    if (!p.approval) return reply.type("application/json; charset=utf-8").send(responseText(p));
    return withApproval(ctx, p, r.phase);
  });

  app.post("/v1/decide/batch", async (req): Promise<BatchResponseV1> => {
    const caller = ctx.caller(req.headers);
    const body = batchRequest(req.body);
    // One token was taken to get this far; a batch pays for every decision in it.
    if (body.requests.length > 1 && !ctx.limiter.take(caller.id, body.requests.length - 1)) throw new ServiceError("rate/limited", `key '${caller.id}' is over its rate limit: slow down and retry`);
    const results: (DecisionResponseV1 | ErrorResponseV1)[] = [];
    for (let i = 0; i < body.requests.length; i++) {
      try {
        const r = decisionRequest(body.requests[i], `/requests/${i}`);
        const p = decideOne(ctx, caller, r, `/requests/${i}`);
        // Only an approval waits on anything; awaiting every decision would cost a turn each.
        results.push(p.approval ? await withApproval(ctx, p, r.phase) : p.response);
      } catch (err) {
        results.push(errorBody(err));
      }
    }
    return { results };
  });
}
