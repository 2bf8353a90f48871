// POST /v1/outcomes: what happened when an allowed action ran (the tool's wall time, whether it
// threw, the model's token use, the size of what came back), reported by a client after the
// action, for the monitor's operational signals (engine/monitor/event.ts's OutcomeEvent). One
// outcome or a batch; agent and environment default and are checked as for /v1/decide. Queued
// for the monitor like decisions, never on the audit log: an outcome is telemetry, not a decision.
import type { FastifyInstance } from "fastify";
import type { Monitor, OutcomeEvent } from "../monitor/index.ts";
import type { ServiceContext } from "./context.ts";
import { ServiceError, invalid } from "./errors.ts";
import { checkScope } from "./keys.ts";
import { documented } from "./openapi.ts";
import type { RouteDoc } from "./openapi.ts";
import { requestParent } from "./trace-context.ts";
import type { Caller } from "./keys.ts";

/** One outcome as a client reports it. */
export interface OutcomeRequestV1 {
  readonly agent?: string;
  readonly environment?: string;
  readonly session?: string;
  /** The id /v1/decide answered for the decision that allowed the action. */
  readonly decision?: string;
  /** The phase of that decision: `tool_call` (a tool ran) or `model_call` (a model answered). */
  readonly phase: "tool_call" | "model_call";
  readonly tool?: string;
  readonly model?: { readonly provider?: string; readonly name: string };
  /** Wall time of the call, milliseconds. */
  readonly durationMs?: number;
  readonly error?: { readonly source: "tool" | "model" | "timeout" | "cancelled"; readonly type?: string; readonly message?: string };
  readonly tokens?: { readonly input?: number; readonly output?: number };
  /** Characters of the tool's result (as JSON text) or of the model's answer. */
  readonly outputSize?: number;
  /** The model's answer, for the descriptors (never stored). */
  readonly output?: string;
  /** Scores the client computed on the answer (metric `score:<name>`), e.g. an embedding drift. */
  readonly scores?: Readonly<Record<string, number>>;
}

/** Most outcomes in one request. */
export const MAX_OUTCOMES = 1000;
const MAX_ID = 200;
const MAX_TEXT = 100_000;
const SOURCES = ["tool", "model", "timeout", "cancelled"];
const MAX_SCORES = 32;
const SCORE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

const id = { type: "string", minLength: 1, maxLength: MAX_ID };
const count = { type: "integer", minimum: 0 };

/** JSON Schema (2020-12) of one outcome: exactly what `outcomeEvent` accepts (a tool_call outcome names its tool). */
export const OUTCOME_SCHEMA = {
  type: "object",
  description: "What happened when an allowed action ran, for drift detection: wall time, error, tokens, output size. Its time is when it arrives.",
  required: ["phase"],
  additionalProperties: false,
  if: { properties: { phase: { const: "tool_call" } } },
  then: { required: ["tool"] },
  properties: {
    agent: { ...id, description: "Default: the key's only agent." },
    environment: { ...id, description: "Default: the served environment, else the key's only one." },
    session: id,
    decision: { ...id, description: "The id /v1/decide answered for the decision that allowed the action." },
    phase: { enum: ["tool_call", "model_call"] },
    tool: id,
    model: { type: "object", required: ["name"], additionalProperties: false, properties: { provider: id, name: id } },
    durationMs: { type: "number", minimum: 0, description: "Wall time of the call, milliseconds." },
    error: { type: "object", required: ["source"], additionalProperties: false, properties: { source: { enum: SOURCES }, type: id, message: { type: "string", minLength: 1, maxLength: 1000 } } },
    tokens: { type: "object", additionalProperties: false, properties: { input: count, output: count } },
    outputSize: { ...count, description: "Characters of the tool's result (as JSON text) or of the model's answer." },
    output: { type: "string", minLength: 1, maxLength: MAX_TEXT, description: "The model's answer, for the answer descriptors; never stored." },
    scores: { type: "object", maxProperties: MAX_SCORES, propertyNames: { pattern: SCORE_NAME.source }, additionalProperties: { type: "number" }, description: "Scores the client computed on the answer (an evaluator's, e.g. answer_drift): metric score:<name>." },
  },
} as const;

/** JSON Schema of the request body: one outcome, or `{ outcomes: [...] }`. */
export const OUTCOMES_BODY_SCHEMA = {
  oneOf: [OUTCOME_SCHEMA, { type: "object", required: ["outcomes"], additionalProperties: false, properties: { outcomes: { type: "array", maxItems: MAX_OUTCOMES, items: OUTCOME_SCHEMA } } }],
} as const;

/** The route's document for the OpenAPI builder. */
export const OUTCOMES_DOC: RouteDoc = {
  summary: "Report the outcomes of actions",
  description: "After an allowed tool or model call ran: its wall time, error, token use and output size. Queued for drift detection (latency, error rate, tokens, output size, answer descriptors); answered 202.",
  tag: "monitor",
  auth: "key",
  body: OUTCOMES_BODY_SCHEMA,
  responses: { 202: { description: "Queued for the monitor (`recorded: false` when the service runs without one).", schema: { type: "object", required: ["accepted", "recorded"], additionalProperties: false, properties: { accepted: count, recorded: { type: "boolean" } } } } },
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(o: Record<string, unknown>, key: string, at: string, max = MAX_ID): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v.length === 0 || v.length > max) throw invalid(`${at}/${key}`, `'${key}' must be a non-empty string of at most ${max} characters`);
  return v;
}

function nonNegative(o: Record<string, unknown>, key: string, at: string, integer: boolean): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) throw invalid(`${at}/${key}`, `'${key}' must be a ${integer ? "whole number" : "number"} of at least 0`);
  return v;
}

function only(o: Record<string, unknown>, allowed: readonly string[], at: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw invalid(`${at}/${k}`, `unknown field '${k}'`);
}

function one(set: ReadonlySet<string> | null): string | undefined {
  return set !== null && set.size === 1 ? set.values().next().value : undefined;
}

/** Checks one outcome at pointer `at` and builds its event for `caller` (scope checked as for /v1/decide). */
export function outcomeEvent(ctx: Pick<ServiceContext, "environment">, caller: Caller, body: unknown, at: string, now: number): OutcomeEvent {
  if (!isObject(body)) throw invalid(at === "" ? "/" : at, "an outcome must be a JSON object");
  only(body, Object.keys(OUTCOME_SCHEMA.properties), at);
  const phase = body.phase;
  if (phase !== "tool_call" && phase !== "model_call") throw invalid(`${at}/phase`, "'phase' must be \"tool_call\" (a tool ran) or \"model_call\" (a model answered)");
  const agent = str(body, "agent", at) ?? one(caller.agents);
  if (agent === undefined) throw invalid(`${at}/agent`, `no agent given and key '${caller.id}' may report for several: give 'agent'`);
  const env = str(body, "environment", at) ?? ctx.environment ?? one(caller.environments);
  if (env === undefined) throw invalid(`${at}/environment`, `no environment given and key '${caller.id}' may report in several: give 'environment'`);
  checkScope(caller, agent, env, { agent: `${at}/agent`, env: `${at}/environment` });
  const tool = str(body, "tool", at);
  if (phase === "tool_call" && tool === undefined) throw invalid(`${at}/tool`, "a tool_call outcome names its 'tool'");
  let model: { provider?: string; name: string } | undefined;
  if (body.model !== undefined) {
    if (!isObject(body.model)) throw invalid(`${at}/model`, "'model' must be { provider?, name }");
    only(body.model, ["provider", "name"], `${at}/model`);
    const name = str(body.model, "name", `${at}/model`);
    if (name === undefined) throw invalid(`${at}/model/name`, "'model.name' is required");
    model = { name, provider: str(body.model, "provider", `${at}/model`) };
  }
  let error: OutcomeEvent["error"];
  if (body.error !== undefined) {
    if (!isObject(body.error)) throw invalid(`${at}/error`, "'error' must be { source, type?, message? }");
    only(body.error, ["source", "type", "message"], `${at}/error`);
    const source = body.error.source;
    if (typeof source !== "string" || !SOURCES.includes(source)) throw invalid(`${at}/error/source`, `'error.source' must be one of ${SOURCES.join(", ")}`);
    error = { source: source as "tool", type: str(body.error, "type", `${at}/error`), message: str(body.error, "message", `${at}/error`, 1000) };
  }
  let tokens: OutcomeEvent["tokens"];
  if (body.tokens !== undefined) {
    if (!isObject(body.tokens)) throw invalid(`${at}/tokens`, "'tokens' must be { input?, output? }");
    only(body.tokens, ["input", "output"], `${at}/tokens`);
    tokens = { input: nonNegative(body.tokens, "input", `${at}/tokens`, true), output: nonNegative(body.tokens, "output", `${at}/tokens`, true) };
  }
  let scores: Record<string, number> | undefined;
  if (body.scores !== undefined) {
    if (!isObject(body.scores)) throw invalid(`${at}/scores`, "'scores' must be an object of names to numbers");
    const names = Object.keys(body.scores);
    if (names.length > MAX_SCORES) throw invalid(`${at}/scores`, `at most ${MAX_SCORES} scores per outcome`);
    scores = {};
    for (const k of names) {
      const v = body.scores[k];
      if (!SCORE_NAME.test(k)) throw invalid(`${at}/scores`, `score name ${JSON.stringify(k)} must be 1 to 64 letters, digits, '_', '.' or '-'`);
      if (typeof v !== "number" || !Number.isFinite(v)) throw invalid(`${at}/scores/${k}`, `score '${k}' must be a finite number`);
      scores[k] = v;
    }
  }
  const e: Record<string, unknown> = { kind: "outcome", time: now, agent, env, phase };
  const set = (k: string, v: unknown) => void (v !== undefined && (e[k] = v));
  set("session", str(body, "session", at));
  set("decisionId", str(body, "decision", at));
  set("tool", tool);
  set("model", model?.name);
  set("provider", model?.provider);
  set("durationMs", nonNegative(body, "durationMs", at, false));
  set("error", error);
  set("tokens", tokens);
  set("outputSize", nonNegative(body, "outputSize", at, true));
  set("output", str(body, "output", at, MAX_TEXT));
  set("scores", scores);
  set("parent", requestParent());
  return e as unknown as OutcomeEvent;
}

/** Registers POST /v1/outcomes; without a monitor, outcomes are checked and acknowledged, not kept. */
export function outcomeRoutes(app: FastifyInstance, ctx: ServiceContext, monitor: Monitor | undefined): void {
  app.post("/v1/outcomes", documented(OUTCOMES_DOC), async (req, reply) => {
    const caller = ctx.caller(req);
    const body = req.body;
    const now = Date.now();
    let events: OutcomeEvent[];
    if (isObject(body) && body.outcomes !== undefined) {
      only(body, ["outcomes"], "");
      if (!Array.isArray(body.outcomes)) throw invalid("/outcomes", "'outcomes' must be a list of outcomes");
      if (body.outcomes.length > MAX_OUTCOMES) throw invalid("/outcomes", `a request holds at most ${MAX_OUTCOMES} outcomes, got ${body.outcomes.length}`);
      // Every outcome is checked before any is queued: a bad one refuses the request whole.
      events = body.outcomes.map((o, i) => outcomeEvent(ctx, caller, o, `/outcomes/${i}`, now));
      // One token was taken to get this far; a batch pays for every outcome in it.
      if (events.length > 1 && !ctx.limiter.take(caller.id, events.length - 1)) throw new ServiceError("rate/limited", `key '${caller.id}' is over its rate limit: slow down and retry`);
    } else events = [outcomeEvent(ctx, caller, body, "", now)];
    if (monitor !== undefined) {
      for (const e of events) {
        // A full queue under backpressure: let the client's request wait rather than lose the outcome.
        if (!monitor.record(e) && monitor.overflow === "backpressure") await monitor.drained();
      }
    }
    return reply.code(202).send({ accepted: events.length, recorded: monitor !== undefined });
  });
}
