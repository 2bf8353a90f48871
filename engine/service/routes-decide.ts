// POST /v1/decide and /v1/decide/batch: fill in the input's context (agent, env, time, the
// session's earlier calls), decide, answer, and queue the decision for the audit log. Only a
// `require_approval` decision waits on anything (filing the approval request).
import { documented } from "./openapi.ts";
import { ref } from "./schemas.ts";
import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { Decision } from "../runtime/index.ts";
import type { ServiceContext } from "./context.ts";
import { ServiceError, invalid } from "./errors.ts";
import { checkScope } from "./keys.ts";
import type { Caller } from "./keys.ts";
import { sourceOf } from "../sdk/history.ts";
import { FOREIGN_STATE } from "./sessions.ts";
import type { SessionCall, SessionState } from "./sessions.ts";
import { batchRequest, decisionRequest } from "./validate.ts";
import type { DecisionRequestV1, DecisionResponseV1, ErrorResponseV1 } from "./wire.ts";

/** `payload` with its `session` (when it is the decided one) replaced by `slim`. */
function withSession(payload: unknown, decided: unknown, slim: unknown): unknown {
  const p = payload as Record<string, unknown> | null;
  return typeof p === "object" && p !== null && p.session === decided ? { ...p, session: slim } : payload;
}

const NO_STATE: SessionState = { calls: [], sources: [] };

function only(set: ReadonlySet<string> | null): string | undefined {
  if (set === null || set.size !== 1) return undefined;
  return set.values().next().value;
}

interface Prepared {
  readonly response: DecisionResponseV1;
  readonly approval: boolean;
  readonly decision: Decision;
  readonly agent: string;
  readonly env: string;
  readonly session: string | null;
  readonly tool: string | null;
  /** The call's place in its session, when it joined one: an approval's answer settles it there. */
  readonly callSeq: number | undefined;
  /** The key that asked. */
  readonly caller: string;
  /** The answer's payload as JSON text: the decided payload, or only the request input's fields (`payload: "input"`). */
  readonly answerPayloadJson: string;
  /** Settles once the audit entry is durable (or the failure is allowed); rejects with audit/unavailable. */
  readonly recorded: Promise<void>;
  /** Shows the decision to the console and the monitor; only once recorded. */
  readonly note: () => void;
}

const q = JSON.stringify;

let isoAt = NaN;
let isoText = "";
/** The time as ISO 8601, written once per millisecond: several decisions share a millisecond under load, and toISOString costs about a microsecond. */
function nowIso(): string {
  const now = Date.now();
  if (now !== isoAt) {
    isoAt = now;
    isoText = new Date(now).toISOString();
  }
  return isoText;
}

/** The decided `payload` cut down to the fields the request's `input` gave (`payload: "input"`). */
function inputFieldsOf(payload: unknown, input: Readonly<Record<string, unknown>>): unknown {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return payload;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(input)) if (k in payload) out[k] = (payload as Record<string, unknown>)[k];
  return out;
}

/**
 * The response's JSON text, with the input's and payload's texts spliced in: the route writes the
 * input's JSON once, for the answer, the audit log and the console alike.
 */
function responseText(p: Prepared): string {
  const r = p.response;
  return `{"id":${q(r.id)},"decision":${q(r.decision)},"reasons":${listText(r.reasons)},"warnings":${listText(r.warnings)},"payload":${p.answerPayloadJson},"errors":${listText(r.errors)},"policy":${policyText(r.policy)}${r.call_seq === undefined ? "" : `,"call_seq":${r.call_seq}`}}`;
}

function listText(list: readonly unknown[]): string {
  return list.length === 0 ? "[]" : q(list);
}

let lastPolicy: DecisionResponseV1["policy"] | undefined;
let lastPolicyText = "";
/** The policy set's JSON, written once per policy set rather than once per answer. */
function policyText(policy: DecisionResponseV1["policy"]): string {
  if (policy !== lastPolicy) {
    lastPolicyText = q(policy);
    lastPolicy = policy;
  }
  return lastPolicyText;
}

/**
 * The answer's JSON text once the decision is recorded (audit/unavailable when it cannot be,
 * under the default `audit.onFailure: deny`), shown to the console, and its approval request filed.
 */
async function settle(ctx: ServiceContext, prepared: Prepared | Promise<Prepared>, phase: DecisionRequestV1["phase"]): Promise<string> {
  const p = prepared instanceof Promise ? await prepared : prepared;
  await p.recorded;
  p.note();
  return p.approval ? q(await withApproval(ctx, p, phase)) : responseText(p);
}

/** A decision before it is recorded. */
interface Decided {
  /** The input decided on, as recorded and shown (the session without its sources). */
  readonly full: Record<string, unknown>;
  /** The payload as decided, sources included (what a source is taken from). */
  readonly given?: unknown;
  /** What the audit entry records: `full` with the session's history replaced by its length. */
  readonly recorded: Record<string, unknown>;
  /** JSON.stringify(recorded), checked against MAX_INPUT_BYTES before deciding. */
  readonly recordedJson: string;
  readonly decision: Decision;
  readonly tool: string | null;
  readonly args: unknown;
  /** The call's place in its session and what became of it, when it joins the history. */
  call?: { readonly seq: number; readonly outcome: SessionCall["outcome"] };
}

/**
 * Most UTF-8 bytes of a recorded input (the decided input, the session's history by reference).
 * Under the SDK's inline limit in characters, so the input is always inlined whole, and with room
 * for the entry's other fields under the log's 64 KiB entry limit.
 */
export const MAX_INPUT_BYTES = 40 * 1024;

/**
 * Decides one checked request for `caller`; `at` is the request's JSON Pointer for errors.
 * Synchronous without a session; in a session it waits for the session's history.
 */
function decideOne(ctx: ServiceContext, caller: Caller, r: DecisionRequestV1, at: string): Prepared | Promise<Prepared> {
  const input = r.input as Record<string, unknown>;
  const givenAgent = input.agent as { id?: unknown } | undefined;
  // The same fact given twice must agree: the policy and the log would see one, a client (or a
  // gateway judging the input) may have meant the other.
  if (r.environment !== undefined && input.env !== undefined && input.env !== r.environment) throw invalid(`${at}/input/env`, `'input.env' (${JSON.stringify(input.env)}) differs from 'environment' (${JSON.stringify(r.environment)}): give the environment once`);
  const sessionGiven = (input.session as { id?: unknown } | undefined | null)?.id;
  if (r.session !== undefined && sessionGiven !== undefined && sessionGiven !== null && sessionGiven !== r.session) throw invalid(`${at}/input/session/id`, `'input.session.id' (${JSON.stringify(sessionGiven)}) differs from 'session' (${JSON.stringify(r.session)}): give the session id once`);
  const givenEnv = r.environment ?? input.env;
  // Both defaults are looked at before either is refused, so a client is told everything it
  // must add in one answer rather than one field at a time.
  const agentDefault = givenAgent === undefined || givenAgent === null ? only(caller.agents) : undefined;
  const envDefault = givenEnv === undefined ? ctx.environment ?? only(caller.environments) : undefined;
  const missing: string[] = [];
  if ((givenAgent === undefined || givenAgent === null) && agentDefault === undefined) missing.push(`'agent.id' in the input (key '${caller.id}' may decide for several agents)`);
  if (givenEnv === undefined && envDefault === undefined) missing.push(`'environment' (key '${caller.id}' may decide in several)`);
  if (missing.length > 0) throw invalid(givenAgent === undefined || givenAgent === null ? `${at}/input/agent` : `${at}/environment`, `give ${missing.join(" and ")}, e.g. {"phase": "tool_call", "environment": "production", "input": {"agent": {"id": "support-bot"}, ...}}`);
  let agent: string;
  if (givenAgent !== undefined && givenAgent !== null) {
    if (typeof givenAgent !== "object" || typeof givenAgent.id !== "string") throw invalid(`${at}/input/agent/id`, "'agent.id' must be a string");
    agent = givenAgent.id;
  } else agent = agentDefault as string;
  let env: string;
  if (givenEnv !== undefined) {
    if (typeof givenEnv !== "string") throw invalid(`${at}/input/env`, "'env' must be a string");
    env = givenEnv;
  } else env = envDefault as string;
  if (ctx.environment !== undefined && env !== ctx.environment) {
    throw new ServiceError("request/wrong-environment", `this service serves the bundle of environment '${ctx.environment}', not of '${env}': send the request to that environment's service`, r.environment !== undefined ? `${at}/environment` : `${at}/input/env`);
  }
  // An unscoped key (most) skips building the refusal's paths.
  if (caller.agents !== null || caller.environments !== null) checkScope(caller, agent, env, { agent: `${at}/input/agent/id`, env: r.environment !== undefined ? `${at}/environment` : `${at}/input/env` });
  const givenSession = input.session as { id?: unknown; calls?: unknown } | undefined;
  const session = r.session ?? (typeof givenSession?.id === "string" ? givenSession.id : null);
  // A client that sends its own session.calls could send [] and erase its history: only a key
  // with the history scope may, and its calls are then the client's own, never the service's.
  const ownCalls = givenSession !== undefined && givenSession !== null && typeof givenSession === "object" && givenSession.calls !== undefined;
  if (ownCalls) {
    if (!caller.scopes.has("history")) throw new ServiceError("auth/forbidden", `key '${caller.id}' may not send session.calls: the service keeps each session's calls itself (send 'session' with the session id), or give the key the 'history' scope`, `${at}/input/session/calls`);
    if (!Array.isArray(givenSession.calls)) throw invalid(`${at}/input/session/calls`, "'session.calls' must be a list of earlier calls");
  }
  // The time is the service's clock, as the session's calls are its record: a client naming its
  // own would step outside any window it is counted in (`time - c.time < 1m` against calls the
  // service timed) or any hour a rule forbids. Only a client that sends the whole context
  // (its own calls, under the history scope) gives the time they are measured against.
  if (input.time !== undefined && !ownCalls) throw new ServiceError("auth/forbidden", `key '${caller.id}' may not send 'time': the service decides at its own time (remove 'time'; a key with the 'history' scope may give it with its own 'session.calls')`, `${at}/input/time`);
  const iso = nowIso();
  const decideOn = (state: SessionState): Decided => {
    const agentField = givenAgent ?? { id: agent };
    const time = ownCalls ? input.time ?? iso : iso;
    // The entry names the history it was decided on by its length, never copies it (as the SDK
    // does, spec/sdk.md "References, not copies"): a verifier rebuilds it from the session's
    // earlier tool_call entries (`call_seq`, `outcome`), and entries stay flat as sessions grow.
    // A history the client sent is the input's own `session`: then what is recorded is what is
    // decided on, one object.
    const recorded: Record<string, unknown> = ownCalls ? { ...input, agent: agentField, env, time } : { ...input, agent: agentField, env, time, session: session === null ? { id: null, calls: [] } : { id: session, calls_before: state.calls.length } };
    const recordedJson = JSON.stringify(recorded);
    // Refused before deciding (and before the session grows): an input the entry cannot hold.
    // The entry repeats the ids beside the input: they count too, so no field can push it over.
    const toolName = (input.tool as { name?: unknown } | undefined)?.name;
    const principalId = (input.principal as { id?: unknown } | undefined)?.id;
    const bytes = Buffer.byteLength(recordedJson) + Buffer.byteLength(agent) + Buffer.byteLength(env) + (session === null ? 0 : Buffer.byteLength(session)) + (typeof toolName === "string" ? Buffer.byteLength(toolName) : 0) + (typeof principalId === "string" ? Buffer.byteLength(principalId) : 0);
    if (bytes > MAX_INPUT_BYTES) throw new ServiceError("request/too-large", `the input is ${bytes} bytes of JSON, over the ${MAX_INPUT_BYTES}-byte limit of a recorded decision: send large content by reference (a digest or an id), not inline`, `${at}/input`);
    const full: Record<string, unknown> = ownCalls ? recorded : { ...input, agent: agentField, env, time, session: { id: session, calls: state.calls, sources: state.sources } };
    const started = performance.now();
    // Parsed from the request and the service's own store: JSON data the policy set need not copy.
    const policies = ctx.policySet.decide(r.phase, full, { json: true });
    const decided = state.foreign === true ? foreignSession(policies, session) : policies;
    ctx.metrics.decision(r.phase, decided.decision, performance.now() - started);
    const toolField = full.tool as { name?: unknown; args?: unknown } | undefined;
    const tool = typeof toolField?.name === "string" ? toolField.name : null;
    if (ownCalls) return { full, recorded, recordedJson, decision: decided, tool, args: toolField?.args };
    // The session's sources are the earlier inputs' and results' own texts, recorded with those
    // steps: the record, the answer and the console carry the history without them.
    const slim = { id: session, calls: state.calls };
    const shown = { ...full, session: slim };
    const payload = decided.payload === full ? shown : withSession(decided.payload, full.session, slim);
    return { full: shown, recorded, recordedJson, decision: payload === decided.payload ? decided : { ...decided, payload }, tool, args: toolField?.args, given: decided.payload };
  };
  const shadow = r.mode === "shadow";
  const finish = ({ full, recorded: input0, recordedJson, decision, tool, call }: Decided): Prepared => {
    const id = randomUUID();
    const principal = (full.principal as { id?: unknown } | undefined)?.id;
    // An input parsed from checked JSON plus strings and earlier inputs' calls: JSON.stringify cannot fail on it.
    // The console, like the log, sees the history by reference (one node keeps 5,000 decisions).
    const shown = decision.payload === full ? input0 : withSession(decision.payload, full.session, input0.session);
    const shownJson = shown === input0 ? recordedJson : (JSON.stringify(shown) ?? "null");
    // Absent fields stay undefined rather than being spread in: one object of one shape per decision.
    const recorded = ctx.record({ id, iso, agent, env, phase: r.phase, session, principal: typeof principal === "string" ? principal : null, tool, input: input0, inputJson: recordedJson, decision, caller: caller.id, mode: shadow ? "shadow" : undefined, callSeq: call?.seq, outcome: call?.outcome });
    // By default the answer is what the console shows: the history by reference, as the log has
    // it, so an answer does not grow with its session, and an input no transform changed is
    // written to JSON once for the entry, the console and the answer.
    let answerPayload: unknown;
    let answerPayloadJson: string;
    if (r.payload === "input") {
      answerPayload = inputFieldsOf(shown, input);
      answerPayloadJson = JSON.stringify(answerPayload) ?? "null";
    } else if (r.payload === "history") {
      answerPayload = decision.payload;
      answerPayloadJson = JSON.stringify(answerPayload) ?? "null";
    } else {
      answerPayload = shown;
      answerPayloadJson = shownJson;
    }
    const response: DecisionResponseV1 = { id, decision: decision.decision, reasons: decision.reasons, warnings: decision.warnings, payload: answerPayload, errors: decision.errors, policy: decision.policy, ...(call !== undefined ? { call_seq: call.seq } : {}) };
    const note = (): void => {
      ctx.activity.add({ id, time: iso, agent, env, phase: r.phase, session, tool, decision: decision.decision, reasons: decision.reasons, warnings: decision.warnings, input: input0, payload: shown }, decision, { input: recordedJson, payload: shownJson });
    };
    // In shadow mode nobody waits for an answer: no request is filed.
    return { response, approval: decision.decision === "require_approval" && !shadow, decision, agent, env, session, tool, caller: caller.id, callSeq: call?.seq, answerPayloadJson, recorded, note };
  };
  if (session === null) return finish(decideOn(NO_STATE));
  const principal = sessionPrincipal(input, at);
  const key = JSON.stringify([agent, session]);
  // The key and environment own the session with its principal: a principal is what the key's
  // holder says it is, so another key naming it (or this one in another environment) is foreign.
  const actor = { key: caller.id, env };
  // A history the client sent is its own, but the session id still names one principal's
  // conversation: another is denied there as anywhere, and the first claims it.
  if (ownCalls) {
    const mine = ctx.sessions.mayAct(key, principal, actor);
    return typeof mine === "boolean" ? finish(decideOn(mine ? NO_STATE : FOREIGN_STATE)) : mine.then((m) => finish(decideOn(m ? NO_STATE : FOREIGN_STATE)));
  }
  // The session's exact history from the shared store; a tool call joins it before it is answered.
  return ctx.sessions
    .run(key, (state) => {
      const d = decideOn(state);
      if (state.foreign === true) return { result: d };
      // A shadow decision is not applied: the tool runs, and the content reaches the agent, whatever was decided.
      const outcome = shadow || d.decision.decision === "allow" ? "executed" : d.decision.decision === "deny" ? "denied" : "pending";
      // What an input or tool result may give the agent joins the session's sources
      // (spec/provenance.md); one held for approval too, since its approval gives it later.
      const source = shadow || d.decision.decision !== "deny" ? sourceOf(r.phase, d.given ?? d.decision.payload) : undefined;
      const joins = { ...(source !== undefined ? { source } : {}), subject: ctx.sessions.subjectOf(input) };
      if (r.phase !== "tool_call" || d.tool === null) return { result: d, ...joins };
      d.call = { seq: state.calls.length, outcome };
      // The deciding key is kept with the call (never shown to policies): only it may settle the call (POST /v1/settlements).
      return { result: d, call: { tool: { name: d.tool, args: d.args }, time: iso, decision: d.decision.decision, outcome, by: caller.id }, ...joins };
    }, principal, actor)
    .then(finish);
}

async function withApproval(ctx: ServiceContext, p: Prepared, phase: DecisionRequestV1["phase"]): Promise<DecisionResponseV1> {
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
    askedBy: p.caller,
    ...(p.callSeq !== undefined ? { callSeq: p.callSeq } : {}),
  });
  ctx.link(p.response.id, a.id);
  return { ...p.response, approval: { id: a.id, status: a.status, expiresAt: a.expiresAt, wait: `/v1/approvals/${a.id}?wait=30` } };
}

/** The rule a decision in a session of another principal is denied by (as the SDK's guard does, spec/sdk.md). */
export const SESSION_PRINCIPAL_RULE = "palisade.session_principal";

/**
 * The principal a decision in a session acts for: its id, or null when the input names none (none
 * counts as one: it owns a session it starts, and is denied in a principal's, as in the SDK). A
 * principal given needs a non-empty string id: one without could act as nobody, or as a number
 * that reads like another's id.
 */
function sessionPrincipal(input: Record<string, unknown>, at: string): string | null {
  const p = input.principal;
  if (p === undefined || p === null) return null;
  const isObject = typeof p === "object" && !Array.isArray(p);
  const id = isObject ? (p as { id?: unknown }).id : undefined;
  if (typeof id === "string" && id !== "") return id;
  throw invalid(`${at}/input/principal${isObject ? "/id" : ""}`, `a principal in a session needs a non-empty string 'id' (the session is that principal's), e.g. "principal": {"id": "u-42", "roles": ["customer"]}; send no principal for a session of nobody's`);
}

/**
 * The denial of a decision in a session another principal (or none) owns, from the policies'
 * decision on no history: its payload is as their transforms leave it (a redaction applies to
 * what the console and the answer show), its outcome and reasons are the session's owner check.
 */
function foreignSession(d: Decision, session: string | null): Decision {
  return { ...d, decision: "deny", reasons: [{ rule: SESSION_PRINCIPAL_RULE, effect: "deny", message: `session '${session}' belongs to another owner (another principal or none, another API key, or another environment); a session is one conversation of one principal, through one key, in one environment: give each user's conversation its own unguessable session id, and name its principal in every step`, severity: "high" }], warnings: [] };
}

/** A refused request's place in a batch answer; anything but a ServiceError stays a failure of the whole request. */
function errorText(err: unknown): string {
  if (err instanceof ServiceError) return q(err.toJSON() satisfies ErrorResponseV1);
  throw err;
}

const JSON_TYPE = "application/json; charset=utf-8";

/** Registers the decision routes. */
export function decideRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.post("/v1/decide", documented({
    summary: "Decide one step",
    description: "Decides one phase's input with the served policies and answers once the decision is recorded in the audit log. A require_approval decision files an approval request (its id in `approval`).",
    tag: "decisions",
    auth: "key",
    body: ref("DecisionRequest"),
    responses: { 200: { description: "The decision.", schema: ref("DecisionResponse") }, 409: { description: "The request names another environment than the one this service serves, or a session kept changing under it.", schema: ref("Error") } },
  }), async (req, reply) => {
    const caller = ctx.caller(req);
    const r = decisionRequest(req.body);
    // The answer is written as text: the payload's JSON is spliced in as the log was given it.
    return reply.type(JSON_TYPE).send(await settle(ctx, decideOne(ctx, caller, r, ""), r.phase));
  });

  app.post("/v1/decide/batch", documented({
    summary: "Decide several steps in one round trip",
    description: "Up to 1,000 decision requests, answered in order once all are recorded; a bad request gets its error in place.",
    tag: "decisions",
    auth: "key",
    body: ref("BatchRequest"),
    responses: { 200: { description: "One result per request.", schema: ref("BatchResponse") } },
  }), async (req, reply) => {
    const caller = ctx.caller(req);
    const body = batchRequest(req.body);
    // One token was taken to get this far; a batch pays for every decision in it.
    if (body.requests.length > 1 && !ctx.limiter.take(caller.id, body.requests.length - 1)) throw new ServiceError("rate/limited", `key '${caller.id}' is over its rate limit: slow down and retry`);
    // Every decision is taken first, then all are awaited together: one batch, one commit.
    const pending: (string | Promise<string>)[] = [];
    for (let i = 0; i < body.requests.length; i++) {
      try {
        const r = decisionRequest(body.requests[i], `/requests/${i}`);
        const p = decideOne(ctx, caller, r, `/requests/${i}`);
        pending.push(settle(ctx, p, r.phase).catch(errorText));
      } catch (err) {
        pending.push(errorText(err));
      }
    }
    // Each result as its JSON text (BatchResponseV1), the payloads spliced in as for one decision.
    return reply.type(JSON_TYPE).send(`{"results":[${(await Promise.all(pending)).join(",")}]}`);
  });
}
