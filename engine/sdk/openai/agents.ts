// OpenAI Agents SDK, through its own extension points:
// - `guardAgentTool`: a new FunctionTool whose `needsApproval` asks the guard (a
//   `require_approval` becomes a run interruption the application answers on its `RunState`,
//   resumable after a restart), with a tool input guardrail deciding `tool_call` and a tool
//   output guardrail deciding `tool_result`;
// - `guardAgentModel`: a Model wrapper for any Responses-API model: `input` and `model_call`
//   before each request, `output` on the answer (redactions applied, so `finalOutput` is the
//   redacted text), streamed text redacted as it arrives;
// - input and output guardrails that trip on a deny, for agents whose model is not wrapped.
// The session of a call is the scope given, or the one the run's context carries
// (`run(agent, input, { context: { palisade: guard.session(id, user) } })`), or one per run.
import { ToolGuardrailFunctionOutputFactory, defineToolInputGuardrail, defineToolOutputGuardrail } from "@openai/agents";
import type { InputGuardrail, Model, ModelRequest, ModelResponse, OutputGuardrail, RunContext, StreamEvent, ToolGuardrailFunctionOutput } from "@openai/agents";
import type { JSONSchemaObject } from "../../../language/index.ts";
import type { ApprovalOutcome } from "../approval.ts";
import { scopeFrom } from "../context.ts";
import { PolicyDeniedError, SessionRequiredError } from "../errors.ts";
import type { GuardScope, OnDeny } from "../scope.ts";
import { deniedToolMessage, enforceInside, errorOf, peekInside } from "../scope.ts";
import { sameJson } from "../history.ts";
import { SessionRecords } from "../asked.ts";
import { clonePlain } from "../snapshot.ts";
import { OutputStream, guardParts, guardText, peekParts, redecideParts } from "../text.ts";
import { argsPreview } from "../tool-args.ts";
import { WithheldCallError, isGuarded, markGuarded, restoreCall, showCall } from "../shown-calls.ts";
import { withDecidedParts } from "./parts.ts";

/** Options of `guardAgentTool`. */
export interface GuardAgentToolOptions {
  /**
   * `message` (default here: the tool input guardrail rejects the call and the model reads the
   * text), `throw` (the guardrail throws: the run ends with the SDK's tripwire error), or a
   * function whose answer the model reads instead.
   */
  readonly onDeny?: OnDeny;
  /**
   * The application's `RunState`s never leave its servers (no client can edit one): an approval
   * on a state counts for its call without this guard having paused it (a state resumed after a
   * restart, in another process). Off by default: only an approval of a call this guard paused,
   * in this session, with the arguments the human was asked about, counts, once.
   */
  readonly trustedRunState?: boolean;
}

/** The part of an Agents SDK `FunctionTool` the guard needs. */
export interface AgentFunctionTool {
  readonly type: "function";
  readonly name: string;
  readonly parameters: unknown;
  readonly invoke: (runContext: never, input: string, details?: never) => Promise<unknown>;
  readonly isEnabled?: unknown;
  readonly inputGuardrails?: readonly unknown[];
  readonly outputGuardrails?: readonly unknown[];
}

interface CallDetails {
  readonly toolCall?: { readonly callId?: string };
  readonly signal?: AbortSignal;
}

type Ctx = RunContext<unknown> & { isToolApproved?: (a: { toolName: string; callId: string }) => boolean | undefined };

/** Names of Palisade's tool guardrails, as the run's `toolInputGuardrailResults` / `toolOutputGuardrailResults` show them. */
export const TOOL_GUARDRAILS = { input: "palisade_tool_call", output: "palisade_tool_result" } as const;

const GUARDED = Symbol.for("palisade.openai-agents.guarded");
// One session per run when the application gives none: a run's context object lives as long as the run.
const perRun = new WeakMap<object, GuardScope>();
// What the tool input guardrail decided, per run context and call id, for the tool's body and
// its output guardrail (the SDK's guardrails can allow or reject a call, not rewrite its arguments).
interface DecidedCall {
  readonly scope: GuardScope;
  readonly args: unknown;
  /** The tool's name, for a call the run stopped before its body ran. */
  readonly name: string;
  /** Set when the body starts: a call decided and never invoked was stopped by a later guardrail. */
  invoked?: true;
  durationMs?: number;
}
const decidedCalls = new WeakMap<object, Map<string, DecidedCall>>();

const APPROVED: ApprovalOutcome = { approved: true, by: "run-state" };
const REFUSED: ApprovalOutcome = { approved: false, cause: "approval_refused", by: "run-state" };

/**
 * Calls the input guardrail let run whose body never started: a guardrail after it (the tool's
 * own) rejected them. The run lists its tools (isEnabled) only once the last turn's calls are
 * done, so any left then never ran: they are `denied` in the history, not `executed`.
 */
function stopped(ctx: object): void {
  const calls = decidedCalls.get(ctx);
  if (calls === undefined) return;
  for (const [callId, d] of calls) {
    if (d.invoked) continue;
    calls.delete(callId);
    d.scope.toolStopped(d.name, callId);
  }
}

/** Thrown by the `ask` of a guardrail that runs before the SDK asked its human (`preApprovalInputGuardrails`). */
class AwaitingRunState extends Error {}
const awaitRunState = (): never => {
  throw new AwaitingRunState("the run asks for approval");
};

function scopeOf(guard: GuardScope, ctx: Ctx | undefined, where: string): GuardScope {
  if (guard.sessionId !== null) return guard;
  try {
    return scopeFrom(guard, ctx?.context, where);
  } catch (err) {
    if (!(err instanceof SessionRequiredError) || ctx === undefined) throw err;
    let s = perRun.get(ctx);
    if (s === undefined) perRun.set(ctx, (s = guard.anonymous()));
    return s;
  }
}

function parseArgs(input: string): unknown {
  return input === "" ? {} : (JSON.parse(input) as unknown);
}

function answerOf(ctx: Ctx | undefined, toolName: string, callId: string | undefined): boolean | undefined {
  return callId === undefined ? undefined : ctx?.isToolApproved?.({ toolName, callId });
}

function asText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value ?? null);
}

/**
 * `tool` (from the Agents SDK's `tool()`) guarded through the SDK's own extension points:
 * `needsApproval` asks the guard (a `require_approval` is a run interruption the application
 * answers on its `RunState`), a tool input guardrail decides `tool_call` (a deny rejects the call:
 * the tool's body never runs), a tool output guardrail decides `tool_result` (a redaction or a
 * rewrite replaces what the model reads). An approval refused on the `RunState` is recorded as
 * `approval_refused` as soon as the resumed run lists its tools. The JSON parameters schema is
 * checked with ajv.
 */
export function guardAgentTool<T extends AgentFunctionTool>(guard: GuardScope, tool: T, options: GuardAgentToolOptions = {}): T {
  if ((tool as unknown as Record<symbol, unknown>)[GUARDED] === true) return tool;
  const name = tool.name;
  const where = `Agents SDK tool '${name}'`;
  const onDeny = options.onDeny ?? "message";
  const invoke = tool.invoke as (ctx: unknown, input: string, details?: unknown) => Promise<unknown>;
  const isEnabled = tool.isEnabled as ((ctx: unknown, agent: unknown) => Promise<boolean>) | boolean | undefined;
  guard.toolSchema(name, tool.parameters as JSONSchemaObject);
  markGuarded(guard, name);
  // Calls that wait for a human's answer on a RunState, per session: call id -> arguments.
  // Bounded (asked.ts): a call forgotten for room is not one this tool paused, so its approval
  // approves nothing (decided again: with no approver, refused and recorded).
  const awaiting = new SessionRecords<unknown>(guard.core.history.approvalLimits);

  // A refusal given with `state.reject(...)` reaches no tool hook; the next hook that sees the
  // run's context records it, so that the session's history says the call did not run.
  const settle = async (ctx: Ctx | undefined, scope: GuardScope): Promise<void> => {
    const key = scope.sessionId ?? "";
    const mine = awaiting.entries(key);
    if (mine === undefined || ctx === undefined) return;
    for (const [callId, args] of [...mine]) {
      const answer = answerOf(ctx, name, callId);
      // An approved call is decided when it runs, through the input guardrail (which spends its entry).
      if (answer !== false) continue;
      awaiting.delete(key, callId);
      try {
        await scope.decideToolCall(name, args, { callId, approval: REFUSED });
      } catch (err) {
        if (!(err instanceof PolicyDeniedError)) throw err;
      }
    }
  };
  const settleQuietly = async (ctx: Ctx | undefined): Promise<void> => {
    if (awaiting.empty || ctx === undefined) return;
    let scope: GuardScope;
    try {
      scope = scopeOf(guard, ctx, where);
    } catch (err) {
      if (err instanceof SessionRequiredError) return;
      throw err;
    }
    await settle(ctx, scope);
  };

  // The state's answer for a call. A RunState may have been to a client and back: its approval
  // counts only for a call this tool paused in this session, with the arguments the human was
  // asked about (edited arguments are a new call), and once (a state resumed twice, or moved to
  // another session by editing its context, approves nothing). A refusal always counts.
  const approvalFor = (ctx: Ctx | undefined, scope: GuardScope, callId: string | undefined, args: unknown): ApprovalOutcome | undefined => {
    const answer = answerOf(ctx, name, callId);
    if (answer === false) return REFUSED;
    if (answer !== true || callId === undefined) return undefined;
    if (options.trustedRunState === true) return APPROVED;
    const key = scope.sessionId ?? "";
    if (!awaiting.has(key, callId) || !sameJson(awaiting.get(key, callId), args)) return undefined;
    awaiting.delete(key, callId);
    return APPROVED;
  };

  const denied = (err: PolicyDeniedError): ToolGuardrailFunctionOutput => {
    const info = { decision: err.decision.decision, cause: err.cause, message: err.message, reasons: err.decision.reasons };
    if (onDeny === "throw") return ToolGuardrailFunctionOutputFactory.throwException(info);
    return ToolGuardrailFunctionOutputFactory.rejectContent(onDeny === "message" ? deniedToolMessage(err) : asText(onDeny(err)), info);
  };

  const needsApproval = async (ctx: Ctx, seen: unknown, callId?: string): Promise<boolean> => {
    const scope = scopeOf(guard, ctx, where);
    await settle(ctx, scope);
    if (answerOf(ctx, name, callId) !== undefined) return true;
    // The response items hold what the consumer may see of the call (`shownItems`); the model's arguments are decided.
    let input: unknown;
    try {
      input = restoreCall(scope, callId, name, seen, true);
    } catch (err) {
      // Arguments no longer held: the input guardrail refuses the call.
      if (err instanceof WithheldCallError) return false;
      throw err;
    }
    const needs = peekInside(scope, "tool_call", { tool: { name, args: input } }).decision === "require_approval";
    if (needs && callId !== undefined) {
      awaiting.set(scope.sessionId ?? "", callId, clonePlain(input));
    }
    return needs;
  };

  const inputGuardrail = defineToolInputGuardrail({
    name: TOOL_GUARDRAILS.input,
    run: async ({ context, toolCall }) => {
      const ctx = context as Ctx;
      const scope = scopeOf(guard, ctx, where);
      await settle(ctx, scope);
      let args: unknown;
      try {
        args = parseArgs(toolCall.arguments);
      } catch {
        return ToolGuardrailFunctionOutputFactory.rejectContent(`invalid arguments for tool '${name}': not JSON`);
      }
      try {
        args = restoreCall(scope, toolCall.callId, name, args);
      } catch (err) {
        if (err instanceof WithheldCallError) return ToolGuardrailFunctionOutputFactory.rejectContent(err.message);
        throw err;
      }
      const approval = approvalFor(ctx, scope, toolCall.callId, args);
      try {
        // With no answer yet, a `require_approval` is the SDK's to ask (needsApproval): never the approver's here.
        const decided = await scope.decideToolCall(name, args, { callId: toolCall.callId, ...(approval ? { approval } : { ask: awaitRunState }) });
        let calls = decidedCalls.get(ctx);
        if (calls === undefined) decidedCalls.set(ctx, (calls = new Map()));
        calls.set(toolCall.callId, { scope, args: decided, name });
        return ToolGuardrailFunctionOutputFactory.allow({ decision: approval ? "approved" : "allow" });
      } catch (err) {
        // Left undecided: the tool's body decides it, and asks a human, if it is ever reached.
        if (err instanceof AwaitingRunState) return ToolGuardrailFunctionOutputFactory.allow({ decision: "require_approval" });
        if (!(err instanceof PolicyDeniedError)) throw err;
        return denied(err);
      }
    },
  });

  const outputGuardrail = defineToolOutputGuardrail({
    name: TOOL_GUARDRAILS.output,
    run: async ({ context, toolCall, output }) => {
      const calls = decidedCalls.get(context);
      const d = calls?.get(toolCall.callId);
      calls?.delete(toolCall.callId);
      // Decided in the tool's body (no input guardrail decided it): nothing left to decide.
      if (d === undefined) return ToolGuardrailFunctionOutputFactory.allow({ decision: "decided by the tool" });
      try {
        const seen = await d.scope.decideToolResult(name, d.args, output, d.durationMs ?? 0);
        if (seen === output) return ToolGuardrailFunctionOutputFactory.allow({ decision: "allow" });
        return ToolGuardrailFunctionOutputFactory.rejectContent(asText(seen), { decision: "rewritten" });
      } catch (err) {
        if (!(err instanceof PolicyDeniedError)) throw err;
        return denied(err);
      }
    },
  });

  const guarded = async (ctx: Ctx, input: string, details?: CallDetails): Promise<unknown> => {
    const callId = details?.toolCall?.callId;
    const d = callId !== undefined ? decidedCalls.get(ctx)?.get(callId) : undefined;
    if (d !== undefined) {
      d.invoked = true;
      const started = performance.now();
      try {
        return await invoke.call(tool, ctx, JSON.stringify(d.args), details);
      } catch (err) {
        d.scope.toolOutcome(name, { durationMs: performance.now() - started, error: errorOf("tool", err) }, callId);
        decidedCalls.get(ctx)?.delete(callId as string);
        throw err;
      } finally {
        d.durationMs = performance.now() - started;
      }
    }
    // Invoked outside the runner's guardrails (directly, or left undecided by them): both phases here.
    let args: unknown;
    try {
      args = parseArgs(input);
    } catch {
      return `invalid arguments for tool '${name}': not JSON`;
    }
    try {
      const scope = scopeOf(guard, ctx, where);
      args = restoreCall(scope, callId, name, args);
      const approval = approvalFor(ctx, scope, callId, args);
      return await scope.runTool(name, args, (a) => invoke.call(tool, ctx, JSON.stringify(a), details), { ...(callId !== undefined ? { callId } : {}), ...(approval ? { approval } : {}), ...(details?.signal ? { signal: details.signal } : {}) });
    } catch (err) {
      if (!(err instanceof PolicyDeniedError) || onDeny === "throw") throw err;
      return onDeny === "message" ? deniedToolMessage(err) : onDeny(err);
    }
  };

  const enabled = async (ctx: Ctx, agent: unknown): Promise<boolean> => {
    await settleQuietly(ctx);
    stopped(ctx);
    return typeof isEnabled === "function" ? isEnabled.call(tool, ctx, agent) : isEnabled !== false;
  };

  return {
    ...tool,
    needsApproval,
    invoke: guarded,
    isEnabled: enabled,
    inputGuardrails: [inputGuardrail, ...(tool.inputGuardrails ?? [])],
    outputGuardrails: [outputGuardrail, ...(tool.outputGuardrails ?? [])],
    [GUARDED]: true,
  } as T;
}

function text(input: unknown): string {
  if (typeof input === "string") return input;
  if (!Array.isArray(input)) return JSON.stringify(input ?? "");
  // The newest user message is the input being decided.
  for (let i = input.length - 1; i >= 0; i--) {
    const item = input[i] as { role?: string; content?: unknown };
    if (item?.role !== "user") continue;
    if (typeof item.content === "string") return item.content;
    if (Array.isArray(item.content)) return item.content.map((c: { text?: unknown }) => (typeof c?.text === "string" ? c.text : "")).join("");
  }
  return "";
}

function plainMessages(input: ModelRequest["input"]): { role: string; content: string }[] {
  if (typeof input === "string") return [{ role: "user", content: input }];
  return input.map((i) => {
    const item = i as { role?: string; type?: string; content?: unknown; output?: unknown };
    const content = typeof item.content === "string" ? item.content : Array.isArray(item.content) ? item.content.map((c: { text?: unknown }) => (typeof c?.text === "string" ? c.text : "")).join("") : typeof item.output === "string" ? item.output : "";
    return { role: item.role ?? item.type ?? "item", content };
  });
}

// The newest user message is this turn's input, decided (and recorded). Earlier user messages
// come again with every turn (the run's history, a session's memory), unredacted: the same
// rewrites apply to them quietly, and a message once denied stays denied. Text parts and text
// files (input_file data URLs) are one message: a match split between them is one.
async function decideInputs(scope: GuardScope, input: ModelRequest["input"]): Promise<ModelRequest["input"]> {
  if (typeof input === "string") return guardText(scope, "input", input);
  let newest = -1;
  input.forEach((item, i) => void ((item as { role?: string }).role === "user" && (newest = i)));
  const out = await Promise.all(
    input.map(async (item, i) => {
      const m = item as { role?: string; content?: unknown };
      if (m.role !== "user") return item;
      const content = await withDecidedParts(m.content, (texts) => (i === newest ? guardParts(scope, "input", texts) : redecideParts(scope, "input", texts)));
      return content === m.content ? item : ({ ...m, content } as typeof item);
    }),
  );
  return out.some((m, i) => m !== input[i]) ? out : input;
}

// Where an answer's text sits: the output_text parts of its messages, and its reasoning (shown
// to users as the model's thinking: its summary, and its raw text apart). Each is decided as one
// text, its parts joined.
interface TextSlot {
  readonly item: number;
  readonly field: "content" | "rawContent";
  readonly part: number;
}

const TEXT_GROUPS = [
  { kind: "message", field: "content" },
  { kind: "reasoning", field: "content" },
  { kind: "reasoning", field: "rawContent" },
] as const;

function textSlots(output: readonly unknown[], kind: "message" | "reasoning", field: TextSlot["field"]): { slots: TextSlot[]; texts: string[] } {
  const slots: TextSlot[] = [];
  const texts: string[] = [];
  output.forEach((item, i) => {
    const it = item as { type?: string; content?: unknown; rawContent?: unknown };
    const parts = it.type === kind ? it[field] : undefined;
    if (!Array.isArray(parts)) return;
    parts.forEach((c: { type?: string; text?: unknown }, j) => {
      if (typeof c?.text === "string" && (kind === "reasoning" || c.type === "output_text")) {
        slots.push({ item: i, field, part: j });
        texts.push(c.text);
      }
    });
  });
  return { slots, texts };
}

function withTexts<I>(output: readonly I[], slots: readonly TextSlot[], texts: readonly string[]): I[] {
  const out = [...output];
  slots.forEach((slot, k) => {
    const item = out[slot.item] as Record<string, unknown>;
    const parts = [...(item[slot.field] as object[])];
    if ((parts[slot.part] as { text?: unknown }).text === texts[k]) return;
    parts[slot.part] = { ...parts[slot.part], text: texts[k] };
    out[slot.item] = { ...item, [slot.field]: parts } as I;
  });
  return out;
}

/** The answer's messages and reasoning decided on `output` (`decide`: recorded, or quietly for a streamed answer already recorded). */
async function decideOutput<I>(output: readonly I[], decide: (texts: string[]) => string[] | Promise<string[]>): Promise<I[]> {
  let out = [...output];
  for (const { kind, field } of TEXT_GROUPS) {
    const { slots, texts } = textSlots(out, kind, field);
    if (slots.length > 0) out = withTexts(out, slots, await decide(texts));
  }
  return out;
}

// Raw provider events the runner reads (a response's id, the items a cancelled stream must
// reconcile): they carry no text of the answer. Every other raw event (text and reasoning
// deltas, a completed response with its output) would hand the consumer what the guard did not
// decide, so it is not passed on.
const RAW_WITHOUT_TEXT = new Set(["response.created", "response.in_progress", "response.output_item.added", "response.output_item.done"]);

function rawWithoutText(event: StreamEvent): boolean {
  const raw = (event as { event?: { type?: unknown; item?: { type?: unknown } } }).event;
  if (typeof raw?.type !== "string" || !RAW_WITHOUT_TEXT.has(raw.type)) return false;
  const kind = raw.item?.type;
  return kind !== "message" && kind !== "reasoning";
}

/**
 * A raw item event as a consumer may see it: a tool call's arguments (a function or MCP call's
 * `arguments`, a custom tool call's `input`) shown only as `argsPreview` allows (redacted, or
 * emptied for a call the guard would deny). The runner reads only ids and names from these events;
 * the call it runs comes from the final response, unchanged (spec/streams.md).
 */
function withArgsShown(scope: GuardScope, event: StreamEvent): StreamEvent {
  const raw = (event as { event?: { item?: Record<string, unknown> } }).event;
  const item = raw?.item;
  const key = typeof item?.arguments === "string" ? "arguments" : item?.type === "custom_tool_call" && typeof item.input === "string" ? "input" : undefined;
  if (item === undefined || key === undefined || item[key] === "") return event;
  const shown = argsPreview(scope, typeof item.name === "string" ? item.name : "", item[key] as string) ?? "";
  return { ...event, event: { ...raw, item: { ...item, [key]: shown } } } as StreamEvent;
}

/**
 * The response's function calls as `showCall` allows, for tools `guardAgentTool` guards: the runner
 * runs a call from these items and shows the same items (the `tool_called` run item and its
 * stream event, `newItems`, `history`, a `RunState` and its interruptions); the guarded tool gives
 * the tool the model's arguments back.
 */
function shownItems<I>(scope: GuardScope, output: readonly I[]): I[] {
  return output.map((i) => {
    const item = i as { type?: unknown; name?: unknown; callId?: unknown; arguments?: unknown };
    if (item.type !== "function_call" || typeof item.name !== "string" || typeof item.arguments !== "string" || !isGuarded(scope, item.name)) return i;
    let args: unknown;
    try {
      args = JSON.parse(item.arguments) as unknown;
    } catch {
      return i;
    }
    const shown = showCall(scope, typeof item.callId === "string" ? item.callId : undefined, item.name, args);
    return shown === args ? i : ({ ...item, arguments: JSON.stringify(shown) } as I);
  });
}

/**
 * `model` guarded: each request decided on `input` (the newest user message, which redactions
 * may rewrite) and `model_call`; each answer on `output`, redactions applied before the run
 * sees it; streamed text redacted as it arrives. Give the agent a session scope per
 * conversation (`agent.clone({ model: guardAgentModel(session, model) })`).
 */
export function guardAgentModel(scope: GuardScope, model: Model, name = "agents-model"): Model {
  if (scope.sessionId === null) throw new SessionRequiredError("guardAgentModel");
  const before = async (request: ModelRequest): Promise<ModelRequest> => {
    const input = await decideInputs(scope, request.input);
    await enforceInside(scope, "model_call", { model: { provider: "openai-agents", name, messages: plainMessages(input) } });
    return { ...request, input };
  };
  return {
    async getResponse(request) {
      const req = await before(request);
      const started = performance.now();
      let response: ModelResponse;
      try {
        response = await model.getResponse(req);
      } catch (err) {
        scope.modelOutcome({ durationMs: performance.now() - started, error: errorOf("model", err), model: name, provider: "openai-agents" });
        throw err;
      }
      const step = { durationMs: performance.now() - started, tokens: { input: response.usage.inputTokens, output: response.usage.outputTokens } };
      return { ...response, output: shownItems(scope, await decideOutput(response.output, (texts) => guardParts(scope, "output", texts, { ...step, outputSize: texts.join("").length }))) };
    },
    async *getStreamedResponse(request): AsyncIterable<StreamEvent> {
      const req = await before(request);
      const started = performance.now();
      // One stream for the whole answer: a match may straddle two output items.
      let stream: OutputStream | undefined;
      let itemId: string | undefined;
      for await (const event of model.getStreamedResponse(req)) {
        if (event.type === "output_text_delta") {
          stream ??= new OutputStream(scope);
          itemId = event.itemId ?? itemId;
          const ready = stream.push(event.delta);
          if (ready !== "") yield { ...event, delta: ready };
          continue;
        }
        if (event.type === "model") {
          if (rawWithoutText(event)) yield withArgsShown(scope, event);
          continue;
        }
        if (event.type === "response_done") {
          if (stream !== undefined) {
            const rest = await stream.end({ durationMs: performance.now() - started });
            if (rest !== "") yield { type: "output_text_delta", delta: rest, ...(itemId !== undefined ? { itemId } : {}) };
            stream = undefined;
          }
          // The final response is what the run keeps (finalOutput): the same redactions, decided quietly.
          const output = shownItems(scope, await decideOutput(event.response.output, (texts) => peekParts(scope, "output", texts)));
          scope.modelOutcome({ durationMs: performance.now() - started, tokens: { input: event.response.usage.inputTokens, output: event.response.usage.outputTokens } });
          yield { ...event, response: { ...event.response, output } };
          continue;
        }
        yield event;
      }
    },
  };
}

async function trips(scope: GuardScope, phase: "input" | "output", value: string): Promise<{ tripwireTriggered: boolean; outputInfo: unknown }> {
  try {
    const g = await enforceInside(scope, phase, { [phase]: { text: value } });
    return { tripwireTriggered: false, outputInfo: { decision: g.decision.decision, reasons: clonePlain(g.decision.reasons) } };
  } catch (err) {
    if (!(err instanceof PolicyDeniedError)) throw err;
    return { tripwireTriggered: true, outputInfo: { decision: err.decision.decision, message: err.message, reasons: err.decision.reasons } };
  }
}

/** An input guardrail deciding the user's message on the `input` phase. */
export function palisadeInputGuardrail(guard: GuardScope): InputGuardrail {
  return { name: "palisade_input", runInParallel: false, execute: async ({ input, context }) => trips(scopeOf(guard, context as Ctx, "palisadeInputGuardrail"), "input", text(input)) };
}

/** An output guardrail deciding the agent's final answer on the `output` phase. */
export function palisadeOutputGuardrail(guard: GuardScope): OutputGuardrail {
  return { name: "palisade_output", execute: async ({ agentOutput, context }) => trips(scopeOf(guard, context as Ctx, "palisadeOutputGuardrail"), "output", typeof agentOutput === "string" ? agentOutput : JSON.stringify(agentOutput)) };
}
