// POST /v1/settlements: the agent's word on what became of a tool call the service let run, when
// it did not run as decided: it threw or reported an error (`failed`), or the framework stopped it
// (`denied`). The call's outcome in the session's history changes, so the session's next decision
// reads it (`any c in session.calls: c.outcome == "failed"`) on whichever node answers, and the
// audit log gets a settlement entry after the call's decision, as the SDK's guard writes it
// (spec/sdk.md "Each call says what happened"); both are durable before the answer. Only the key
// whose decision made the call may settle it, once: the same outcome again is a retry.
import type { FastifyInstance } from "fastify";
import type { ServiceContext } from "./context.ts";
import { ServiceError, invalid } from "./errors.ts";
import { checkScope } from "./keys.ts";
import type { Caller } from "./keys.ts";
import { documented } from "./openapi.ts";
import { ref } from "./schemas.ts";
import { MAX_SESSION_CALLS } from "./sessions.ts";
import type { StoredCall } from "./sessions.ts";

/** `POST /v1/settlements`: call `call_seq` of `session` did not run as decided. */
export interface SettlementRequestV1 {
  readonly agent?: string;
  readonly environment?: string;
  readonly session: string;
  /** The call's place in its session, as /v1/decide answered it (`call_seq`). */
  readonly call_seq: number;
  readonly outcome: "failed" | "denied";
  /** The error's type (e.g. its class name) when it failed; never its message, which may hold personal data. */
  readonly error?: { readonly type: string };
}

/** `POST /v1/settlements`' answer. */
export interface SettlementResponseV1 {
  readonly session: string;
  readonly call_seq: number;
  readonly outcome: "failed" | "denied";
  /** False when the call was settled so already (a retry): nothing changed. */
  readonly settled: boolean;
}

const id = { type: "string", minLength: 1, maxLength: 200 };
const OUTCOMES = ["failed", "denied"] as const;

const BODY = {
  type: "object",
  required: ["session", "call_seq", "outcome"],
  additionalProperties: false,
  properties: {
    agent: { ...id, description: "Default: the key's only agent." },
    environment: { ...id, description: "Default: the served environment, else the key's only one." },
    session: id,
    call_seq: { type: "integer", minimum: 0, maximum: MAX_SESSION_CALLS - 1, description: "The call's place in its session, as /v1/decide answered it." },
    outcome: { enum: OUTCOMES, description: "failed: it ran and threw or reported an error; denied: the framework stopped it before it ran." },
    error: { type: "object", required: ["type"], additionalProperties: false, properties: { type: { ...id, description: "The error's type (its class name); never its message." } } },
  },
} as const;

const ANSWER = {
  type: "object",
  required: ["session", "call_seq", "outcome", "settled"],
  additionalProperties: false,
  properties: { session: { type: "string" }, call_seq: { type: "integer", minimum: 0 }, outcome: { enum: OUTCOMES }, settled: { type: "boolean", description: "False when the call was settled so already (a retry)." } },
} as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(o: Record<string, unknown>, key: string, at: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v.length === 0 || v.length > 200) throw invalid(at, `'${key}' must be a non-empty string of at most 200 characters`);
  return v;
}

function one(set: ReadonlySet<string> | null): string | undefined {
  return set !== null && set.size === 1 ? set.values().next().value : undefined;
}

/** The request checked as the schema says, with agent and environment defaulted and in the key's scope. */
function settlementRequest(ctx: ServiceContext, caller: Caller, body: unknown): Required<Omit<SettlementRequestV1, "error">> & { errorType: string | undefined } {
  if (!isObject(body)) throw invalid("/", "the body must be a JSON object: {\"session\": \"s-1\", \"call_seq\": 3, \"outcome\": \"failed\"}");
  for (const k of Object.keys(body)) if (!(k in BODY.properties)) throw invalid(`/${k}`, `unknown field '${k}'`);
  const session = str(body, "session", "/session");
  if (session === undefined) throw invalid("/session", "give the 'session' the call was decided in");
  const seq = body.call_seq;
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 0 || seq >= MAX_SESSION_CALLS) throw invalid("/call_seq", "'call_seq' must be the call's place in its session (a whole number from 0), as /v1/decide answered it");
  const outcome = body.outcome;
  if (outcome !== "failed" && outcome !== "denied") throw invalid("/outcome", "'outcome' must be \"failed\" (it ran and failed) or \"denied\" (the framework stopped it)");
  let errorType: string | undefined;
  if (body.error !== undefined) {
    if (!isObject(body.error)) throw invalid("/error", "'error' must be { type }");
    for (const k of Object.keys(body.error)) if (k !== "type") throw invalid(`/error/${k}`, `unknown field '${k}': give the error's type only, never its message`);
    errorType = str(body.error, "type", "/error/type");
    if (errorType === undefined) throw invalid("/error/type", "'error.type' is required");
  }
  const agent = str(body, "agent", "/agent") ?? one(caller.agents);
  if (agent === undefined) throw invalid("/agent", `no agent given and key '${caller.id}' may act for several: give 'agent'`);
  const environment = str(body, "environment", "/environment") ?? ctx.environment ?? one(caller.environments);
  if (environment === undefined) throw invalid("/environment", `no environment given and key '${caller.id}' may act in several: give 'environment'`);
  if (ctx.environment !== undefined && environment !== ctx.environment) throw new ServiceError("request/wrong-environment", `this service serves environment '${ctx.environment}', not '${environment}'`, "/environment");
  checkScope(caller, agent, environment, { agent: "/agent", env: "/environment" });
  return { agent, environment, session, call_seq: seq, outcome, errorType };
}

/** Registers POST /v1/settlements. */
export function settleRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.post("/v1/settlements", documented({
    summary: "Settle a tool call that failed",
    description: "The agent's word that a tool call the service let run failed (it threw or reported an error) or was stopped by the framework: the call's outcome in the session's history becomes `failed` or `denied`, so the session's next decision reads it on any node, and the audit log records a settlement entry (`settles: true`); both are durable before the answer. Only the key whose decision made the call may settle it, and only a call that ran (or waits for an answer); the same outcome again is a retry (`settled: false`).",
    tag: "decisions",
    auth: "key",
    body: BODY,
    responses: {
      200: { description: "Settled (or settled so already).", schema: ANSWER },
      404: { description: "session/call-not-found: the session holds no such call.", schema: ref("Error") },
      409: { description: "session/already-settled: the call's outcome is another already (denied, refused, or settled otherwise); or the request names another environment.", schema: ref("Error") },
    },
  }), async (req): Promise<SettlementResponseV1> => {
    const caller = ctx.caller(req);
    const r = settlementRequest(ctx, caller, req.body);
    const may = (c: StoredCall): boolean => c.by === caller.id && (c.outcome === "executed" || c.outcome === "pending");
    const before = await ctx.sessions.settle(JSON.stringify([r.agent, r.session]), r.call_seq, r.outcome, may);
    if (before === undefined) throw new ServiceError("session/call-not-found", `session '${r.session}' of agent '${r.agent}' holds no call ${r.call_seq}: settle the call_seq /v1/decide answered`, "/call_seq");
    // The same answer for a call of another key as for one that does not exist would hide nothing
    // worth hiding (the key's scope covers the agent), and would mislead its owner.
    if (before.by !== caller.id) throw new ServiceError("auth/forbidden", `call ${r.call_seq} of session '${r.session}' was decided for another key than '${caller.id}': only the key whose decision made a call may settle it`, "/call_seq");
    if (!may(before) && before.outcome !== r.outcome) throw new ServiceError("session/already-settled", `call ${r.call_seq} of session '${r.session}' is ${before.outcome} already: a call settles once`, "/outcome");
    // Written again on a retry: the retry may follow an entry the audit store refused, and replay
    // reads two equal settlements as one.
    try {
      await ctx.writer.pushSettlement({ iso: new Date().toISOString(), agent: r.agent, env: r.environment, session: r.session, tool: before.tool.name, callSeq: r.call_seq, decision: before.decision, policyDigest: ctx.policySet.digest, outcome: r.outcome, errorType: r.errorType, caller: caller.id });
    } catch {
      throw new ServiceError("audit/unavailable", `call ${r.call_seq} is ${r.outcome} in its session, but the audit log did not record it: retry the same request`);
    }
    return { session: r.session, call_seq: r.call_seq, outcome: r.outcome, settled: may(before) };
  });
}
