// LangChain.js v1, through its own extension points:
// - `palisadeMiddleware(guard)`: a `createMiddleware` agent middleware. `wrapToolCall` decides
//   each tool call and result (a `require_approval` is a graph interrupt the application
//   resumes with `new Command({ resume: { approved: true } })`, which needs a checkpointer);
//   `wrapModelCall` hands the agent a guarded model for the step, so input, model_call and
//   output are decided and streamed tokens redacted ("messages" stream mode included).
//   Applied twice, the inner copy steps aside.
// - `guardChatModel(guard, model)`: that guarded model on its own, a BaseChatModel whose
//   `invoke` and `stream` are decided; `guardLangChainTool(guard, tool)`: a new tool, guarded.
// Nothing of the application's models or tools is changed in place. The session of a call is
// the scope given, or the one in the run's context (`context: { palisade }`), or the thread
// (`configurable.thread_id`).
import { AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import type { MessageContent, ToolCallChunk } from "@langchain/core/messages";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseChatModelCallOptions } from "@langchain/core/language_models/chat_models";
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import { ChatGenerationChunk } from "@langchain/core/outputs";
import type { ChatResult } from "@langchain/core/outputs";
import { DynamicStructuredTool } from "@langchain/core/tools";
import type { StructuredToolInterface } from "@langchain/core/tools";
import { createMiddleware } from "langchain";
import type { ApprovalOutcome } from "../approval.ts";
import { scopeFrom } from "../context.ts";
import { bytesText, isTextMedia } from "../file-text.ts";
import { PolicyDeniedError } from "../errors.ts";
import { deniedToolMessage, enforceInside, errorOf } from "../scope.ts";
import { resultFrom, viewOf } from "../result.ts";
import type { ToolResultView } from "../result.ts";
import type { GuardScope, OnDeny } from "../scope.ts";
import { OutputStream, guardParts, redecideParts } from "../text.ts";
import { ArgsHold, argsPreview } from "../tool-args.ts";
import { WithheldCallError, dropCall, redactedArgs, restoreCall, showCall } from "../shown-calls.ts";

/** Options of `guardLangChainTool` and `palisadeMiddleware`. */
export interface GuardLangChainToolOptions {
  /** `message` (default: the agent reads it as the tool's answer) or `throw`. */
  readonly onDeny?: OnDeny;
}

interface RunConfig {
  readonly configurable?: { readonly thread_id?: unknown } & Record<string, unknown>;
  readonly context?: unknown;
  readonly metadata?: Record<string, unknown>;
  readonly signal?: AbortSignal;
}

function threadOf(config: RunConfig | undefined): string | undefined {
  const t = config?.configurable?.thread_id ?? config?.metadata?.thread_id;
  return typeof t === "string" ? t : undefined;
}

function sessionOf(guard: GuardScope, config: RunConfig | undefined, where: string): GuardScope {
  return scopeFrom(guard, config?.context ?? config?.configurable, where, threadOf(config));
}

/** The text of a message's content, string or content blocks (every block's `text`, whatever its type: `text`, `text_delta`, `output_text`...). */
export function contentText(content: MessageContent | unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((p: { text?: unknown }) => (typeof p?.text === "string" ? p.text : "")).join("");
}

// The fields of content blocks a reader is shown: the answer's text, and the model's thinking
// (LangChain's `reasoning` blocks, Anthropic's `thinking`), each decided as one text of its own.
const BLOCK_TEXTS = ["text", "reasoning", "thinking"] as const;

/** The text of a file block whose media type is text (LangChain's `{ type: "file", mimeType, data }`, base64; or the older `mime_type` / `source_type: "base64"` form). */
function fileBlockText(b: Record<string, unknown> | undefined): string | undefined {
  if (b?.type !== "file" || typeof b.data !== "string") return undefined;
  if (!isTextMedia(b.mimeType ?? b.mime_type) || (b.source_type !== undefined && b.source_type !== "base64")) return undefined;
  return bytesText(b.data);
}

/**
 * `content` after the decision on `phase`: a string decided (and recorded) whole; content
 * blocks decided as the text their reader gets, the blocks joined (a match split between two
 * blocks is a match), their thinking apart. `quiet`: an earlier message sent again, decided
 * with the same rewrites but not recorded again (a deny is).
 */
async function decideContent(scope: GuardScope, phase: "input" | "output", content: MessageContent, step?: { durationMs?: number; tokens?: { input?: number; output?: number } }, quiet = false): Promise<MessageContent> {
  const decide = (texts: string[], withStep: boolean): string[] | Promise<string[]> => (quiet ? redecideParts(scope, phase, texts) : guardParts(scope, phase, texts, withStep && step ? { ...step, outputSize: texts.join("").length } : undefined));
  if (typeof content === "string") return (await decide([content], true))[0] as string;
  if (!Array.isArray(content)) return content;
  let out = content as Record<string, unknown>[];
  for (const field of BLOCK_TEXTS) {
    const at: number[] = [];
    const texts: string[] = [];
    out.forEach((b, i) => {
      // A text file (an attached document, base64) is part of the text its reader gets.
      const t = typeof b?.[field] === "string" ? (b[field] as string) : field === "text" ? fileBlockText(b) : undefined;
      if (t === undefined) return;
      at.push(i);
      texts.push(t);
    });
    // The text is decided even when there is none, as an answer of no text is one.
    if (at.length === 0 && (field !== "text" || quiet)) continue;
    const decided = await decide(texts, field === "text");
    if (decided.every((t, k) => t === texts[k])) continue;
    out = out.map((b, i) => {
      const k = at.indexOf(i);
      if (k < 0 || decided[k] === texts[k]) return b;
      return typeof b[field] === "string" ? { ...b, [field]: decided[k] } : { ...b, data: Buffer.from(decided[k] as string).toString("base64") };
    });
  }
  return out as MessageContent;
}

// Where providers put the model's thinking outside content blocks: `reasoning_content`
// (DeepSeek-style), `reasoning` (OpenAI's, with its summary texts).
const KWARGS_THINKING = ["reasoning_content", "reasoning"] as const;

function wordsOf(v: unknown): string {
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return v.map(wordsOf).join("");
  if (typeof v !== "object" || v === null) return "";
  const o = v as Record<string, unknown>;
  return ["reasoning", "thinking", "text", "summary"].map((k) => wordsOf(o[k])).join("");
}

/**
 * A message's `additional_kwargs` with the thinking they carry decided on `output` as one text of
 * its own (spec/sdk.md, "Streams"): unchanged, the same object; rewritten, the decided text in
 * `reasoning_content` and the provider's own carriers gone. A deny throws.
 */
async function decideKwargsThinking(scope: GuardScope, kwargs: Record<string, unknown> | undefined): Promise<Record<string, unknown>> {
  const given = kwargs ?? {};
  const thought = KWARGS_THINKING.map((k) => wordsOf(given[k])).join("");
  if (thought === "") return given;
  const [decided] = await guardParts(scope, "output", [thought]);
  if (decided === thought) return given;
  const { reasoning: _reasoning, reasoning_content: _content, ...rest } = given;
  return { ...rest, reasoning_content: decided };
}

function roleOf(m: BaseMessage): string {
  return m.getType();
}

/** The messages with the newest human message decided on `input`, then `model_call` decided. */
async function guardRequest(scope: GuardScope, messages: BaseMessage[], modelName: string): Promise<BaseMessage[]> {
  // Earlier human messages come again with every turn as the thread keeps them (unredacted): the
  // same rewrites apply to them, and a message once denied stays denied.
  let out = await Promise.all(
    messages.map(async (m, i) => {
      if (i === messages.length - 1 || !HumanMessage.isInstance(m)) return m;
      const content = await decideContent(scope, "input", m.content, undefined, true);
      return content === m.content ? m : new HumanMessage({ content, id: m.id });
    }),
  );
  if (out.every((m, i) => m === messages[i])) out = messages;
  const last = messages[messages.length - 1];
  if (last !== undefined && HumanMessage.isInstance(last)) {
    const content = await decideContent(scope, "input", last.content);
    if (content !== last.content) out = [...out.slice(0, -1), new HumanMessage({ content, id: last.id })];
  }
  await enforceInside(scope, "model_call", { model: { provider: "langchain", name: modelName, messages: out.map((m) => ({ role: roleOf(m), content: contentText(m.content) })) } });
  return out;
}

function usageOf(m: { usage_metadata?: { input_tokens?: number; output_tokens?: number } }): { input?: number; output?: number } | undefined {
  const u = m.usage_metadata;
  return u === undefined ? undefined : { input: u.input_tokens, output: u.output_tokens };
}

interface Invocable {
  invoke(input: BaseMessage[], options?: unknown): Promise<BaseMessage>;
  stream(input: BaseMessage[], options?: unknown): Promise<AsyncIterable<BaseMessage>>;
  bindTools?(tools: unknown, kwargs?: unknown): Invocable;
  getName?(): string;
}

const GUARDED = Symbol.for("palisade.langchain.guarded");

/**
 * A chat model guarded by `guard`: `invoke` decides input, model_call and output (redactions
 * applied, content blocks included); `stream` (and LangGraph's message streaming) emits tokens
 * redacted as they arrive, holding back only what a pattern can span.
 */
export class GuardedChatModel extends BaseChatModel {
  readonly #guard: GuardScope;
  readonly #inner: Invocable;
  readonly #name: string;
  // Made by the middleware, whose tool hook gives a tool the model's arguments back: the calls
  // in the message are what may be shown of them (the message is the graph's state, which every
  // stream mode shows).
  readonly #showCalls: boolean;
  readonly [GUARDED] = true;

  constructor(guard: GuardScope, inner: Invocable, name?: string, showCalls = false) {
    super({});
    this.#guard = guard;
    this.#inner = inner;
    this.#name = name ?? inner.getName?.() ?? "chat-model";
    this.#showCalls = showCalls;
  }

  _llmType(): string {
    return "palisade-guarded";
  }

  /** Binds tools on the wrapped model and guards the result. */
  override bindTools(tools: Parameters<NonNullable<BaseChatModel["bindTools"]>>[0], kwargs?: Partial<BaseChatModelCallOptions>): GuardedChatModel {
    if (this.#inner.bindTools === undefined) throw new Error(`model ${this.#name} does not support tool calling`);
    return new GuardedChatModel(this.#guard, this.#inner.bindTools(tools, kwargs), this.#name, this.#showCalls);
  }

  #scope(options: unknown, runManager?: CallbackManagerForLLMRun): GuardScope {
    const o = options as RunConfig | undefined;
    const meta = (runManager as { metadata?: Record<string, unknown> } | undefined)?.metadata;
    return sessionOf(this.#guard, { ...o, ...(o?.configurable === undefined && meta !== undefined ? { metadata: meta } : {}) }, `LangChain model ${this.#name}`);
  }

  async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"], runManager?: CallbackManagerForLLMRun): Promise<ChatResult> {
    const scope = this.#scope(options, runManager);
    const request = await guardRequest(scope, messages, this.#name);
    const started = performance.now();
    let answer: BaseMessage;
    try {
      answer = await this.#inner.invoke(request, quiet(options));
    } catch (err) {
      scope.modelOutcome({ durationMs: performance.now() - started, error: errorOf("model", err) });
      throw err;
    }
    const tokens = usageOf(answer as AIMessage);
    const content = await decideContent(scope, "output", answer.content, { durationMs: performance.now() - started, ...(tokens ? { tokens } : {}) });
    const kwargs = await decideKwargsThinking(scope, answer.additional_kwargs);
    const decided = content === answer.content && kwargs === answer.additional_kwargs ? answer : new AIMessage({ ...(answer as AIMessage), content, additional_kwargs: kwargs, tool_calls: (answer as AIMessage).tool_calls ?? [] });
    const message = this.#showCalls && decided instanceof AIMessage ? shownMessage(scope, decided) : decided;
    return { generations: [{ text: contentText(content), message }] };
  }

  override async *_streamResponseChunks(messages: BaseMessage[], options: this["ParsedCallOptions"], runManager?: CallbackManagerForLLMRun): AsyncGenerator<ChatGenerationChunk> {
    const scope = this.#scope(options, runManager);
    const request = await guardRequest(scope, messages, this.#name);
    const started = performance.now();
    const out = new OutputStream(scope);
    const message = (text: string, from?: AIMessageChunk, toolCalls?: ToolCallChunk[]): AIMessageChunk =>
      new AIMessageChunk({
        content: text,
        ...(toolCalls?.length ? { tool_call_chunks: toolCalls } : {}),
        ...(from?.usage_metadata ? { usage_metadata: from.usage_metadata } : {}),
        ...(from?.id ? { id: from.id } : {}),
        ...(from?.response_metadata ? { response_metadata: from.response_metadata } : {}),
      });
    // What the caller's stream handlers get (`shown`: LangGraph's "messages" mode, a UI) may
    // differ from the chunk the model yields, which the caller joins into the message it acts on.
    const emit = async (text: string, from?: AIMessageChunk, toolCalls?: ToolCallChunk[], shown?: ToolCallChunk[]): Promise<ChatGenerationChunk> => {
      const chunk = new ChatGenerationChunk({ message: message(text, from, toolCalls), text });
      const seen = shown === undefined ? chunk : new ChatGenerationChunk({ message: message(text, from, shown), text });
      await runManager?.handleLLMNewToken(text, undefined, undefined, undefined, undefined, { chunk: seen });
      return chunk;
    };
    // A call's argument chunks are held until the answer ends (its arguments complete), then
    // yielded whole for the message the caller runs, and shown to stream handlers redacted, or
    // without arguments when the call would be denied (spec/streams.md).
    const args = new ArgsHold();
    const calls = new Map<string, ToolCallChunk>();
    let tokens: { input?: number; output?: number } | undefined;
    let last: AIMessageChunk | undefined;
    for await (const c of await this.#inner.stream(request, quiet(options))) {
      const chunk = c as AIMessageChunk;
      last = chunk;
      tokens = usageOf(chunk) ?? tokens;
      for (const t of callChunks(chunk)) {
        const key = String(t.index ?? t.id ?? 0);
        const call = calls.get(key);
        if (call === undefined) calls.set(key, { type: "tool_call_chunk", ...(t.index !== undefined ? { index: t.index } : {}), id: t.id, name: t.name });
        else {
          call.id ??= t.id;
          call.name ??= t.name;
        }
        args.add(key, t.args ?? "", t.name ?? "");
      }
      const ready = out.push(contentText(chunk.content));
      if (ready !== "" || chunk.usage_metadata) yield await emit(ready, chunk);
    }
    const rest = await out.end({ durationMs: performance.now() - started, outputSize: out.text.length, ...(tokens ? { tokens } : {}) });
    if (rest !== "") yield await emit(rest);
    if (calls.size > 0) {
      const whole: ToolCallChunk[] = [];
      const shown: ToolCallChunk[] = [];
      for (const [key, call] of calls) {
        const text = args.text(key);
        const preview = args.take(scope, key);
        whole.push({ ...call, args: this.#showCalls ? shownText(scope, call.id, call.name ?? "", text) : text });
        shown.push({ ...call, args: preview ?? "" });
      }
      yield await emit("", last?.id ? new AIMessageChunk({ content: "", id: last.id }) : undefined, whole, shown);
    }
  }
}

/**
 * A streamed chunk's calls as chunks: a model that does not stream yields its whole message,
 * whose calls are `tool_calls` only (they would be lost from the joined message otherwise).
 */
function callChunks(chunk: AIMessageChunk): ToolCallChunk[] {
  if (chunk.tool_call_chunks?.length) return chunk.tool_call_chunks;
  return (chunk.tool_calls ?? []).map((c, index) => ({ type: "tool_call_chunk", index, id: c.id, name: c.name, args: JSON.stringify(c.args) }));
}

/** A call's argument text as `showCall` allows (JSON; text that is not JSON is shown as its preview). */
function shownText(scope: GuardScope, id: string | undefined, name: string, text: string): string {
  let args: unknown;
  try {
    args = JSON.parse(text) as unknown;
  } catch {
    return argsPreview(scope, name, text) ?? "";
  }
  const shown = showCall(scope, id, name, args);
  return shown === args ? text : JSON.stringify(shown);
}

/**
 * `m` with its calls as `showCall` allows, wherever the message carries them: `tool_calls`,
 * content blocks naming a call (`tool_use` input, `tool_call` args, `function_call` arguments),
 * the provider's `additional_kwargs.tool_calls`, and `invalid_tool_calls` (shown as a preview:
 * nothing runs them).
 */
function shownMessage(scope: GuardScope, m: AIMessage): AIMessage {
  const shown = new Map<string, unknown>();
  const toolCalls = (m.tool_calls ?? []).map((c) => {
    const args = showCall(scope, c.id, c.name, c.args);
    if (args === c.args || c.id === undefined) return c;
    shown.set(c.id, args);
    return { ...c, args: args as Record<string, unknown> };
  });
  const invalid = (m.invalid_tool_calls ?? []).map((c) => (typeof c.args === "string" ? { ...c, args: argsPreview(scope, c.name ?? "", c.args) ?? "" } : c));
  const changed = invalid.some((c, i) => c.args !== m.invalid_tool_calls?.[i]?.args);
  if (shown.size === 0 && !changed) return m;
  const idOf = (b: Record<string, unknown>) => (typeof b.id === "string" ? b.id : typeof b.call_id === "string" ? b.call_id : undefined);
  const content = Array.isArray(m.content)
    ? (m.content as Record<string, unknown>[]).map((b) => {
        const args = shown.get(idOf(b) ?? "");
        if (args === undefined) return b;
        return { ...b, ...("input" in b ? { input: args } : {}), ...("args" in b ? { args } : {}), ...(typeof b.arguments === "string" ? { arguments: JSON.stringify(args) } : {}) };
      })
    : m.content;
  const providerCalls = m.additional_kwargs?.tool_calls;
  const additional_kwargs = Array.isArray(providerCalls)
    ? { ...m.additional_kwargs, tool_calls: providerCalls.map((c) => (shown.has(c.id ?? "") ? { ...c, function: { ...c.function, arguments: JSON.stringify(shown.get(c.id ?? "")) } } : c)) }
    : m.additional_kwargs;
  // Named fields, not a spread: a message's own `lc_kwargs` (what it serialises as) keeps the calls it was made with.
  return new AIMessage({ content: content as MessageContent, additional_kwargs, tool_calls: toolCalls, invalid_tool_calls: invalid, response_metadata: m.response_metadata, ...(m.id !== undefined ? { id: m.id } : {}), ...(m.name !== undefined ? { name: m.name } : {}), ...(m.usage_metadata !== undefined ? { usage_metadata: m.usage_metadata } : {}) });
}

// The wrapped model runs without the caller's callbacks: its raw tokens must reach no stream
// handler (LangGraph's "messages" mode listens there); this model emits the decided ones.
function quiet(options: { signal?: AbortSignal }): { signal?: AbortSignal; callbacks: [] } {
  return { ...(options.signal ? { signal: options.signal } : {}), callbacks: [] };
}

/** `model` guarded (a new model; the one given is not changed). */
export function guardChatModel(guard: GuardScope, model: BaseChatModel | Invocable): GuardedChatModel {
  if ((model as unknown as Record<symbol, unknown>)[GUARDED] === true) return model as GuardedChatModel;
  return new GuardedChatModel(guard, model as Invocable);
}

/** A new tool that runs `tool` under the guard (its arguments and result decided; the original is unchanged). */
export function guardLangChainTool<T extends StructuredToolInterface>(guard: GuardScope, tool: T, options: GuardLangChainToolOptions = {}): T {
  if ((tool as unknown as Record<symbol, unknown>)[GUARDED] === true) return tool;
  const onDeny = options.onDeny ?? "message";
  const guarded = new DynamicStructuredTool({
    name: tool.name,
    description: tool.description,
    schema: tool.schema as never,
    func: async (args: unknown, _runManager: unknown, config?: RunConfig & { toolCall?: { id?: string } }) => {
      try {
        const scope = sessionOf(guard, config, `LangChain tool '${tool.name}'`);
        const callId = config?.toolCall?.id;
        return await scope.runTool(tool.name, args, (a) => tool.invoke(a as never, config as never), { ...(callId ? { callId } : {}), ...(config?.signal ? { signal: config.signal } : {}), view: lcView, unview: lcUnview });
      } catch (err) {
        if (!(err instanceof PolicyDeniedError) || onDeny === "throw") throw err;
        return onDeny === "message" ? deniedToolMessage(err) : onDeny(err);
      }
    },
  });
  (guarded as unknown as Record<symbol, unknown>)[GUARDED] = true;
  return guarded as unknown as T;
}

/** The resume value an application gives a palisade interrupt: `true`/`false` or `{ approved, by?, reason? }`. */
export type ApprovalResume = boolean | { readonly approved: boolean; readonly by?: string; readonly reason?: string };

/** What a palisade interrupt carries to the application. */
export interface ApprovalInterrupt {
  readonly type: "palisade_approval";
  readonly tool: string;
  readonly args: unknown;
  readonly reasons: readonly { readonly rule: string; readonly message?: string; readonly approver_role?: string }[];
}

function approvalFrom(answer: unknown): ApprovalOutcome {
  if (answer === true) return { approved: true, by: "interrupt" };
  const a = answer as { approved?: unknown; by?: unknown; reason?: unknown } | null;
  const by = typeof a?.by === "string" ? a.by : "interrupt";
  const reason = typeof a?.reason === "string" ? { reason: a.reason } : {};
  return a?.approved === true ? { approved: true, by, ...reason } : { approved: false, cause: "approval_refused", by, ...reason };
}

const DECIDED = Symbol.for("palisade.langchain.decided");

/**
 * The agent middleware: tool calls and results decided in `wrapToolCall` (approvals as graph
 * interrupts), model calls through a guarded model in `wrapModelCall`. Pass it to `createAgent`.
 */
export function palisadeMiddleware(guard: GuardScope, options: GuardLangChainToolOptions = {}) {
  const onDeny = options.onDeny ?? "message";
  return createMiddleware({
    name: "palisade",
    wrapToolCall: async (request, handler) => {
      const r = request as typeof request & { [DECIDED]?: true };
      if (r[DECIDED]) return handler(request);
      const { toolCall, runtime } = request;
      const scope = sessionOf(guard, runtime as RunConfig, `LangChain tool '${toolCall.name}'`);
      const callId = toolCall.id;
      const reply = (content: string, status: "success" | "error") => new ToolMessage({ content, tool_call_id: callId ?? "", name: toolCall.name, status });
      let interrupted = false;
      try {
        // The state holds what the consumer may see of the call (`shownMessage`); the tool runs
        // on the model's arguments, held until the call is over (an interrupt runs this again).
        const args = restoreCall(scope, callId, toolCall.name, toolCall.args, true);
        const result = await scope.runTool(
          toolCall.name,
          args,
          (args) => handler({ ...request, toolCall: { ...toolCall, args: args as Record<string, unknown> }, [DECIDED]: true } as typeof request),
          {
            ...(callId ? { callId } : {}),
            // The run cancelled while a human was asked: the tool does not start.
            ...((runtime as { signal?: AbortSignal }).signal ? { signal: (runtime as { signal: AbortSignal }).signal } : {}),
            // A human is asked the graph's way: an interrupt, answered by resuming the thread. The
            // human is shown the arguments as decided (after the policies' `set`/`redact`), which are
            // what will run: the guard's frozen copy, never the model's raw arguments.
            ask: async (req) => {
              let answer: unknown;
              try {
                // The human sees the decided arguments with the `output` redactions, as every consumer does.
                answer = (runtime as { interrupt: (v: unknown) => unknown }).interrupt({ type: "palisade_approval", tool: toolCall.name, args: frozen(redactedArgs(scope, (req.payload as { tool?: { args?: unknown } }).tool?.args)), reasons: req.reasons.map((x) => ({ rule: x.rule, ...(x.message ? { message: x.message } : {}), ...(x.approver_role ? { approver_role: x.approver_role } : {}) })) } satisfies ApprovalInterrupt);
              } catch (err) {
                // The graph pausing (an interrupt: LangGraph's control-flow signals bubble up) goes on
                // up, the call waiting for its human. Anything else (no checkpointer) is an approval
                // that failed: refused and recorded, never a call left 'pending' and unrecorded.
                if ((err as { is_bubble_up?: unknown } | null)?.is_bubble_up === true) throw ((interrupted = true), err);
                return { approved: false, cause: "approval_failed", by: "interrupt", reason: err instanceof Error ? err.message : String(err) };
              }
              return approvalFrom(answer);
            },
            view: lcView,
            unview: lcUnview,
          },
        );
        return result as Awaited<ReturnType<typeof handler>>;
      } catch (err) {
        // A marker whose arguments are not held: the model reads why the call did not run.
        if (err instanceof WithheldCallError) return reply(err.message, "error");
        if (!(err instanceof PolicyDeniedError) || onDeny === "throw") throw err;
        return reply(onDeny === "message" ? deniedToolMessage(err) : String(onDeny(err)), "error");
      } finally {
        if (!interrupted) dropCall(scope, callId);
      }
    },
    wrapModelCall: async (request, handler) => {
      const r = request as typeof request & { [DECIDED]?: true };
      if (r[DECIDED]) return handler(request);
      const scope = sessionOf(guard, request.runtime as RunConfig, "LangChain model call");
      // A model the application guarded itself: its answer's calls shown here instead.
      if ((request.model as unknown as Record<symbol, unknown>)[GUARDED] === true) {
        const out = await handler(request);
        return out instanceof AIMessage ? (shownMessage(scope, out) as typeof out) : out;
      }
      return handler({ ...request, model: new GuardedChatModel(scope, request.model as unknown as Invocable, undefined, true), [DECIDED]: true } as typeof request);
    },
  });
}

function frozen<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) frozen(v);
    Object.freeze(value);
  }
  return value;
}

// What a LangChain tool answers, as policies read it (spec/sdk.md): a ToolMessage is its content
// (a tool invoked with its tool call answers with one), a Command the messages of its state
// update (a tool may answer the graph that way: its ToolMessage is what the model reads), and
// anything else as any tool's result. A rewrite goes back in the same kind.
function messagesOf(command: { update?: unknown }): BaseMessage[] {
  const u = command.update;
  const list = Array.isArray(u) ? u.flatMap((t: unknown) => (Array.isArray(t) && t[0] === "messages" ? [t[1]] : [])).flat() : (u as { messages?: unknown } | null | undefined)?.messages;
  return (Array.isArray(list) ? list : [list]).filter((m): m is BaseMessage => BaseMessage.isInstance(m));
}

function isCommand(x: unknown): x is { update?: unknown; goto?: unknown; graph?: unknown; resume?: unknown; constructor: new (args: object) => unknown } {
  return typeof x === "object" && x !== null && (x as { lg_name?: unknown }).lg_name === "Command";
}

/**
 * The graph state a Command writes beside its messages (its other update keys): content the tool
 * answered as much as its ToolMessage (a later node or prompt reads it), so it is decided with it
 * and becomes a source. Undefined when the update writes messages only.
 */
function stateOf(command: { update?: unknown }): Record<string, unknown> | undefined {
  const u = command.update;
  const entries = Array.isArray(u) ? u.flatMap((t: unknown) => (Array.isArray(t) && t[0] !== "messages" ? [[String(t[0]), t[1]] as const] : [])) : typeof u === "object" && u !== null ? Object.entries(u).filter(([k]) => k !== "messages") : [];
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}

// Between a Command's message text and its state's JSON in the view's text.
const STATE_MARK = "\n";

function lcView(result: unknown): ToolResultView {
  if (ToolMessage.isInstance(result)) return { ...viewOf(contentText(result.content)), isError: result.status === "error" };
  if (isCommand(result)) {
    const messages = messagesOf(result);
    const text = messages.map((m) => contentText(m.content)).join("\n");
    const state = stateOf(result);
    const isError = messages.some((m) => ToolMessage.isInstance(m) && m.status === "error");
    return state === undefined ? { ...viewOf(text), isError } : { text: `${text}${STATE_MARK}${JSON.stringify(state)}`, json: state, isError };
  }
  return viewOf(result);
}

function lcUnview(original: unknown, decided: ToolResultView): unknown {
  const seen = lcView(original);
  if (decided.text === seen.text) return original;
  if (ToolMessage.isInstance(original)) return new ToolMessage({ ...original, content: decided.text, tool_call_id: original.tool_call_id });
  if (isCommand(original)) {
    // The decided text goes in the first message, the others' text is emptied: what the model reads is what was decided.
    const messages = messagesOf(original);
    const state = stateOf(original);
    let text = decided.text;
    let newState = state;
    if (state !== undefined) {
      // The state's JSON ends the text: rewritten, it is read back (a redaction keeps it JSON); a
      // rewrite that broke it leaves no state written rather than the raw one.
      const at = text.lastIndexOf(STATE_MARK + "{");
      const parsed = at < 0 ? undefined : parseState(text.slice(at + STATE_MARK.length));
      newState = parsed !== undefined && sameKeys(parsed, state) ? parsed : Object.fromEntries(Object.keys(state).map((k) => [k, null]));
      if (at >= 0) text = text.slice(0, at);
    }
    const rewritten = new Map(messages.map((m, i) => [m, i === 0 ? text : ""]));
    const swap = (m: unknown): unknown => (rewritten.has(m as BaseMessage) ? withContent(m as BaseMessage, rewritten.get(m as BaseMessage) as string) : Array.isArray(m) ? m.map(swap) : m);
    const u = original.update;
    const update = Array.isArray(u)
      ? u.map((t: unknown) => (Array.isArray(t) && t[0] === "messages" ? [t[0], swap(t[1])] : Array.isArray(t) && newState !== undefined && String(t[0]) in newState ? [t[0], newState[String(t[0])]] : t))
      : { ...(u as object), ...newState, messages: swap((u as { messages?: unknown }).messages) };
    return new original.constructor({ update, ...(original.goto !== undefined ? { goto: original.goto } : {}), ...(original.graph !== undefined ? { graph: original.graph } : {}), ...(original.resume !== undefined ? { resume: original.resume } : {}) });
  }
  return resultFrom(original, seen, decided);
}

function parseState(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function sameKeys(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => k in b);
}

function withContent(m: BaseMessage, content: string): BaseMessage {
  if (ToolMessage.isInstance(m)) return new ToolMessage({ ...m, content, tool_call_id: m.tool_call_id });
  return new (m.constructor as new (fields: object) => BaseMessage)({ ...m, content });
}
