// Vercel AI SDK adapter, through the SDK's own extension points:
// - `guardTools`: each tool's `needsApproval` asks the guard (a `require_approval` becomes the
//   SDK's `tool-approval-request`, answered by the application with a `tool-approval-response`),
//   and its `execute` is decided on `tool_call` and `tool_result`;
// - `guardMiddleware` / `guardModel`: a language-model middleware for `wrapLanguageModel`
//   (input and model_call before the call, output after it, streamed text redacted as it
//   arrives, holding back only what a pattern can span).
// A conversation is a session: pass `guard.session(chatId, user)`, or the root guard and the
// session in the tool context (`toolsContext: { name: { palisade: scope } }`).
import { asSchema, jsonSchema, wrapLanguageModel } from "ai";
import type { LanguageModel, LanguageModelMiddleware, ToolSet } from "ai";
import type { JSONSchemaObject } from "../../../language/index.ts";
import type { ApprovalOutcome } from "../approval.ts";
import { PolicyDeniedError } from "../errors.ts";
import { sameJson } from "../history.ts";
import { GuardScope, deniedToolMessage, enforceInside, errorOf, peekInside } from "../scope.ts";
import { clonePlain } from "../snapshot.ts";
import type { OnDeny } from "../scope.ts";
import { OutputStream, guardParts, redecideParts } from "../text.ts";
import { ArgsHold } from "../tool-args.ts";
import { scopeFrom } from "../context.ts";
import { bytesText, isTextMedia } from "../file-text.ts";
import { SessionRecords } from "../asked.ts";
import { isGuarded, isHeldShown, markGuarded, restoreCall, showCall } from "../shown-calls.ts";

type Middleware = Required<Pick<LanguageModelMiddleware, "transformParams" | "wrapGenerate" | "wrapStream">> & { readonly specificationVersion: "v4" };
type CallOptions = Parameters<Middleware["transformParams"]>[0]["params"];
type GenerateResult = Awaited<ReturnType<Middleware["wrapGenerate"]>>;
type StreamResult = Awaited<ReturnType<Middleware["wrapStream"]>>;
type StreamPart = StreamResult["stream"] extends ReadableStream<infer P> ? P : never;
type Prompt = CallOptions["prompt"];

/** Options of `guardTools`. */
export interface GuardToolsOptions {
  /** What the model gets when a call is stopped: `throw` (default; the AI SDK reports a tool error) or `message`. */
  readonly onDeny?: OnDeny;
  /**
   * The application passes `experimental_toolApprovalSecret` to the SDK, which then refuses an
   * approval whose request it did not sign: an approved answer whose request carries a signature
   * is honoured even when this guard did not ask (another process, a restart), once per guard.
   * Without it (the default) only an answer to a request this guard raised in this session counts.
   */
  readonly signedApprovals?: boolean;
}

interface ExecOptions {
  readonly toolCallId?: string;
  readonly messages?: readonly unknown[];
  readonly context?: unknown;
  readonly abortSignal?: AbortSignal;
}

// Marks tools this adapter made, so that guarding them again changes nothing.
const GUARDED = Symbol.for("palisade.ai-sdk.guarded");

/**
 * The human's answer to this call's `tool-approval-request`, when the conversation holds one and
 * this guard may trust it. `messages` are the client's copy of the conversation: the tool call,
 * the request and the response in them can all be forged, replayed or edited. So an approval
 * counts only for the arguments its request followed (`seen`: as the conversation holds them,
 * which may be what was shown of the model's `input`), while unused in the messages (a tool result
 * or a new call under the id ends it: providers restart ids at `call_0`), and only when this
 * guard asked it in this session about this tool and these arguments (`asked`, spent when the
 * call runs), or, with `signedApprovals`, when its request carries the signature the SDK checked
 * (once per guard). A refusal always counts: it fails closed.
 */
function approvalIn(scope: GuardScope, signed: boolean, messages: readonly unknown[] | undefined, toolCallId: string | undefined, name: string, input: unknown, seen: unknown): ApprovalOutcome | undefined {
  const found = answerIn(messages, toolCallId);
  if (found === undefined || found.spent || toolCallId === undefined) return undefined;
  if (!found.answer.approved) return found.answer;
  if (!answeredIn(found, name, seen)) return undefined;
  const mine = askedOf(scope, toolCallId);
  if (mine !== undefined && mine.name === name && sameJson(mine.args, input)) return found.answer;
  if (signed && found.signature !== undefined && signedUnused(scope, found.approvalId)) return found.answer;
  return undefined;
}

/** The application's answer to the newest request for call `toolCallId`, the call it followed, and whether the call has been answered since (a tool result, or a new call under the id). */
function answerIn(messages: readonly unknown[] | undefined, toolCallId: string | undefined): { answer: ApprovalOutcome; args: unknown; name: unknown; approvalId: string; signature?: string; spent: boolean } | undefined {
  if (messages === undefined || toolCallId === undefined) return undefined;
  let args: unknown;
  let name: unknown;
  let callArgs: unknown;
  let callName: unknown;
  let approvalId: string | undefined;
  let signature: string | undefined;
  let found: { answer: ApprovalOutcome; args: unknown; name: unknown; approvalId: string; signature?: string; spent: boolean } | undefined;
  for (const m of messages) {
    const content = (m as { content?: unknown }).content;
    if (!Array.isArray(content)) continue;
    for (const p of content as { type?: string; toolCallId?: string; toolName?: unknown; approvalId?: string; signature?: unknown; approved?: boolean; reason?: string; input?: unknown }[]) {
      if (p?.toolCallId === toolCallId) {
        if (p.type === "tool-approval-request") {
          approvalId = p.approvalId;
          signature = typeof p.signature === "string" ? p.signature : undefined;
          args = callArgs;
          name = callName;
          found = undefined;
        } else {
          // A new call under this id, or this call's result: the answer so far is spent.
          if (p.type === "tool-call") (callArgs = p.input), (callName = p.toolName);
          if (found !== undefined) found.spent = true;
          if (p.type === "tool-call") approvalId = undefined;
        }
      } else if (p?.type === "tool-approval-response" && approvalId !== undefined && p.approvalId === approvalId) {
        const answer: ApprovalOutcome = p.approved === true ? { approved: true, by: "tool-approval-response", ...(p.reason ? { reason: p.reason } : {}) } : { approved: false, cause: "approval_refused", ...(p.reason ? { reason: p.reason } : {}) };
        found = { answer, args, name, approvalId, ...(signature !== undefined ? { signature } : {}), spent: false };
      }
    }
  }
  return found;
}

/** Whether `found` (answerIn's) is an unused approving answer for a call of `name` on `input`. */
function answeredIn(found: ReturnType<typeof answerIn>, name: string, input: unknown): boolean {
  return found !== undefined && !found.spent && found.answer.approved && found.name === name && sameJson(typeof found.args === "string" ? parseOr(found.args) : found.args, input);
}

function parseOr(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

// Calls a human was asked about through a tool-approval-request, per guard and session (call id ->
// tool and arguments). A refusal reaches no tool hook (the SDK answers the model with an
// `execution-denied` result itself), so the next guarded hook that sees the conversation records
// it: the model middleware (the prompt holds the denied result), or any guarded tool's hooks (the
// messages hold the application's tool-approval-response). The call is then `approval_refused`
// in the session's history and the log, as in every other adapter.
// Bounded (asked.ts): a record dropped for room approves nothing later.
type Asked = { readonly name: string; readonly args: unknown };
const asked = new WeakMap<object, SessionRecords<Asked>>();

function askedBy(scope: GuardScope): SessionRecords<Asked> {
  let records = asked.get(scope.core);
  if (records === undefined) asked.set(scope.core, (records = new SessionRecords(scope.core.history.approvalLimits)));
  return records;
}

function askedOf(scope: GuardScope, callId: string): Asked | undefined {
  return scope.sessionId === null ? undefined : asked.get(scope.core)?.get(scope.sessionId, callId);
}

function remember(scope: GuardScope, callId: string, name: string, args: unknown): void {
  if (scope.sessionId === null) return;
  askedBy(scope).set(scope.sessionId, callId, { name, args: clonePlain(args) });
}

function forget(scope: GuardScope, callId: string): void {
  if (scope.sessionId !== null) asked.get(scope.core)?.delete(scope.sessionId, callId);
}

// Signed approvals this guard let run, per guard and session (approval ids): a signed answer is
// used once per guard. Another process that holds the same signed answer is not stopped by this.
// Bounded too: a session that lost spent ids for room honours no signed answer any more (one of
// them could be a replay).
const signedSpent = new WeakMap<object, SessionRecords<true>>();

function signedUsed(scope: GuardScope): SessionRecords<true> {
  let records = signedSpent.get(scope.core);
  if (records === undefined) signedSpent.set(scope.core, (records = new SessionRecords(scope.core.history.approvalLimits)));
  return records;
}

function signedUnused(scope: GuardScope, approvalId: string): boolean {
  const used = signedUsed(scope);
  const key = scope.sessionId ?? "";
  return !used.lost(key) && !used.has(key, approvalId);
}

const REFUSED: ApprovalOutcome = { approved: false, cause: "approval_refused", by: "tool-approval-response" };

/** Records the refusals `refused` names (call ids) among the calls this session asked about. */
async function recordRefusals(scope: GuardScope, refused: (callId: string) => boolean): Promise<void> {
  const mine = scope.sessionId === null ? undefined : asked.get(scope.core)?.entries(scope.sessionId);
  if (mine === undefined) return;
  for (const [callId, call] of [...mine]) {
    if (!refused(callId)) continue;
    forget(scope, callId);
    try {
      await scope.decideToolCall(call.name, call.args, { callId, approval: REFUSED });
    } catch (err) {
      if (!(err instanceof PolicyDeniedError)) throw err;
    }
  }
}

/** Whether `messages` hold the application's refusal of call `callId`. */
function refusedIn(messages: readonly unknown[] | undefined): (callId: string) => boolean {
  return (callId) => answerIn(messages, callId)?.answer.approved === false;
}

/** The tools with approvals and `execute` guarded; tool schemas given as JSON Schema are checked with ajv too. */
export function guardTools<T extends ToolSet>(guard: GuardScope, tools: T, options: GuardToolsOptions = {}): T {
  const out: Record<string, unknown> = {};
  const onDeny = options.onDeny ?? "throw";
  const signed = options.signedApprovals === true;
  for (const [name, t] of Object.entries(tools)) {
    const execute = (t as { execute?: (input: unknown, opts: unknown) => unknown }).execute;
    if (typeof execute !== "function" || (t as Record<symbol, unknown>)[GUARDED] === true) {
      out[name] = t;
      continue;
    }
    const original = (t as { inputSchema?: unknown }).inputSchema;
    const schema = plainJsonSchema(original);
    if (schema) guard.toolSchema(name, schema);
    const scopeOf = (o: ExecOptions | undefined): GuardScope => scopeFrom(guard, o?.context, `AI SDK tool '${name}'`);
    // The model's arguments of a call the middleware showed otherwise (spec/streams.md), checked
    // against the tool's schema as the SDK would have checked them.
    // `keep`: asked before the call runs (needsApproval), which decides without checking: `execute` checks.
    const modelArgs = async (scope: GuardScope, seen: unknown, o: ExecOptions, keep: boolean): Promise<unknown> => {
      const args = restoreCall(scope, o.toolCallId, name, seen, keep);
      if (keep || (args === seen && !admitted.has(seen as object))) return args;
      return validated(original, args);
    };
    markGuarded(guard, name);
    out[name] = {
      ...t,
      [GUARDED]: true,
      ...(original !== undefined ? { inputSchema: admittingShown(guard, name, original) } : {}),
      // A human is asked the SDK's way: the generation stops with a tool-approval-request.
      needsApproval: async (seen: unknown, o: ExecOptions) => {
        const scope = scopeOf(o);
        await recordRefusals(scope, refusedIn(o.messages));
        const input = await modelArgs(scope, seen, o, true);
        const needs = peekInside(scope, "tool_call", { tool: { name, args: input } }).decision === "require_approval" && approvalIn(scope, signed, o.messages, o.toolCallId, name, input, seen) === undefined;
        // The SDK asks again before it runs an answered request: an answer in the messages for
        // this very call (forged or not) is not a new question this guard asked.
        if (needs && o.toolCallId !== undefined && !answeredIn(answerIn(o.messages, o.toolCallId), name, seen)) remember(scope, o.toolCallId, name, input);
        return needs;
      },
      execute: async (seen: unknown, o: ExecOptions) => {
        try {
          const scope = scopeOf(o);
          await recordRefusals(scope, refusedIn(o.messages));
          const input = await modelArgs(scope, seen, o, false);
          const approval = approvalIn(scope, signed, o.messages, o.toolCallId, name, input, seen);
          // Decided now, whatever the answer: no longer waiting, and the answer is spent.
          if (o?.toolCallId !== undefined) forget(scope, o.toolCallId);
          if (approval?.approved === true && signed) {
            const id = answerIn(o.messages, o.toolCallId)?.approvalId;
            if (id !== undefined) signedUsed(scope).set(scope.sessionId ?? "", id, true);
          }
          return await scope.runTool(name, input, (args) => execute.call(t, args, o), { ...(o?.toolCallId ? { callId: o.toolCallId } : {}), ...(approval ? { approval } : {}), ...(o?.abortSignal ? { signal: o.abortSignal } : {}) });
        } catch (err) {
          if (!(err instanceof PolicyDeniedError) || onDeny === "throw") throw err;
          return onDeny === "message" ? deniedToolMessage(err) : onDeny(err);
        }
      },
    };
  }
  return out as T;
}

/**
 * The tool's schema (the same JSON Schema for the model), whose check also lets through a call's
 * arguments as the middleware showed them (the denial marker, redacted values): the SDK checks
 * the call's part before `execute`, which gives the tool the model's arguments, checked then.
 */
function admittingShown(guard: GuardScope, name: string, original: unknown): unknown {
  const schema = asSchema(original as Parameters<typeof asSchema>[0]);
  return jsonSchema(() => schema.jsonSchema as never, {
    validate: async (value: unknown) => {
      const r = schema.validate === undefined ? { success: true as const, value } : await schema.validate(value);
      if (r.success || !isHeldShown(guard, name, value)) return r;
      if (typeof value === "object" && value !== null) admitted.add(value);
      return { success: true as const, value };
    },
  });
}

// Inputs the schema let through only as a shown form (the SDK hands `execute` the same object):
// `execute` checks the arguments it runs with against the tool's own schema.
const admitted = new WeakSet<object>();

async function validated(original: unknown, value: unknown): Promise<unknown> {
  const schema = asSchema(original as Parameters<typeof asSchema>[0]);
  if (schema.validate === undefined) return value;
  const r = await schema.validate(value);
  if (!r.success) throw r.error;
  return r.value;
}

// A schema made with `jsonSchema(...)` carries it synchronously; zod schemas are validated by
// the AI SDK itself before `execute`, so they need no second check here.
function plainJsonSchema(schema: unknown): JSONSchemaObject | undefined {
  const js = (schema as { jsonSchema?: unknown } | undefined)?.jsonSchema;
  if (typeof js !== "object" || js === null || typeof (js as { then?: unknown }).then === "function") return undefined;
  return js as JSONSchemaObject;
}

type Usage = GenerateResult["usage"];

function tokens(usage: Usage | undefined): { input?: number; output?: number } | undefined {
  const input = usage?.inputTokens?.total;
  const output = usage?.outputTokens?.total;
  if (input === undefined && output === undefined) return undefined;
  return { ...(input !== undefined ? { input } : {}), ...(output !== undefined ? { output } : {}) };
}

/** A middleware guarding a model's input, calls and output; pass it to `wrapLanguageModel`. */
export function guardMiddleware(scope: GuardScope): Middleware {
  if (!(scope instanceof GuardScope) || scope.sessionId === null) scopeFrom(scope, undefined, "guardMiddleware");
  return {
    specificationVersion: "v4",
    transformParams: async ({ params, model }) => {
      await recordRefusals(scope, (callId) => params.prompt.some((m) => m.role === "tool" && m.content.some((p) => p.type === "tool-result" && p.toolCallId === callId && (p.output as { type?: string }).type === "execution-denied")));
      // Earlier user messages come again with every turn as the client keeps them (unredacted):
      // the same rewrites apply to them, and a message once denied stays denied.
      let prompt = params.prompt.map((m, i, all) => {
        if (m.role !== "user" || i === all.length - 1) return m;
        const { at, texts } = userTexts(m.content);
        const decided = redecideParts(scope, "input", texts);
        return decided.every((t, k) => t === texts[k]) ? m : { ...m, content: withUserTexts(m.content, at, decided) };
      });
      const last = prompt[prompt.length - 1];
      // A step after a tool result ends with a tool message: the user's input was decided already.
      if (last?.role === "user") {
        // The text parts are one message: decided joined, so an injection split between two parts is one.
        const { at, texts } = userTexts(last.content);
        const decided = await guardParts(scope, "input", texts);
        prompt = [...prompt.slice(0, -1), { ...last, content: withUserTexts(last.content, at, decided) }];
      }
      await enforceInside(scope, "model_call", { model: { provider: model.provider, name: model.modelId, messages: plainMessages(prompt) } });
      return { ...params, prompt };
    },
    wrapGenerate: async ({ doGenerate }) => {
      const started = performance.now();
      let result: GenerateResult;
      try {
        result = await doGenerate();
      } catch (err) {
        scope.modelOutcome({ durationMs: performance.now() - started, error: errorOf("model", err) });
        throw err;
      }
      const durationMs = performance.now() - started;
      const usage = tokens(result.usage);
      // The answer's text parts are read as one text, its reasoning as another: each decided whole.
      let content = result.content;
      for (const kind of ["text", "reasoning"] as const) {
        const at = content.flatMap((c, i) => (c.type === kind ? [i] : []));
        if (at.length === 0) continue;
        const texts = at.map((i) => (content[i] as { text: string }).text);
        const decided = await guardParts(scope, "output", texts, kind === "text" ? { durationMs, outputSize: texts.join("").length, ...(usage ? { tokens: usage } : {}) } : undefined);
        content = content.map((c, i) => (at.includes(i) ? { ...c, text: decided[at.indexOf(i)] } : c)) as typeof content;
      }
      content = content.map((c) => (c.type === "tool-call" ? shownPart(scope, c) : c)) as typeof content;
      // The provider's raw response body holds the answer undecided (generateText hands it on as `response.body`).
      return { ...result, content, ...(result.response !== undefined ? { response: { ...result.response, body: undefined } } : {}) };
    },
    wrapStream: async ({ doStream }) => {
      const started = performance.now();
      const result = await doStream();
      // The answer's text is one text however many ids it comes under (text, a tool call, more
      // text), and so is its reasoning: each goes through one OutputStream, under the id it
      // started with, and its end is sent when the answer ends, so that no match is cut between ids.
      const channels = { text: new Channel("text"), reasoning: new Channel("reasoning") };
      // A call's argument deltas are held until its arguments are complete, then shown as one
      // delta, redacted, or not at all when the call would be denied (spec/streams.md); the
      // `tool-call` part, which the SDK both shows and executes, carries what may be shown of the
      // arguments (`shownPart`), the guarded tool getting the model's back.
      const args = new ArgsHold();
      const close = async (controller: TransformStreamDefaultController<StreamPart>): Promise<void> => {
        for (const c of [channels.text, channels.reasoning]) for (const part of await c.end(started)) controller.enqueue(part);
        // A call whose arguments never ended shows none of them.
        for (const id of args.ids()) {
          args.take(scope, id, "");
          controller.enqueue({ type: "tool-input-end", id } as StreamPart);
        }
      };
      const stream = result.stream.pipeThrough(
        new TransformStream<StreamPart, StreamPart>({
          async transform(part, controller) {
            const kind = part.type.startsWith("text-") ? "text" : part.type.startsWith("reasoning-") ? "reasoning" : undefined;
            if (kind !== undefined && (part.type.endsWith("-start") || part.type.endsWith("-delta") || part.type.endsWith("-end"))) {
              for (const p of channels[kind].take(scope, part)) controller.enqueue(p);
              return;
            }
            // A provider's raw chunk (includeRawChunks) holds its text undecided: not passed on.
            if (part.type === "raw") return;
            if (part.type === "tool-input-start") args.start(part.id, part.toolName);
            else if (part.type === "tool-input-delta") return args.add(part.id, part.delta);
            else if (part.type === "tool-input-end" || (part.type === "tool-call" && args.tool(part.toolCallId) !== undefined)) {
              const id = part.type === "tool-call" ? part.toolCallId : part.id;
              const shown = args.take(scope, id, part.type === "tool-call" ? part.input : undefined);
              if (shown !== undefined && shown !== "") controller.enqueue({ type: "tool-input-delta", id, delta: shown } as StreamPart);
              if (part.type === "tool-call") controller.enqueue({ type: "tool-input-end", id } as StreamPart);
            }
            if (part.type === "tool-call") return controller.enqueue(shownPart(scope, part) as StreamPart);
            if (part.type === "finish") {
              await close(controller);
              const usage = tokens(part.usage as Usage);
              if (usage) scope.modelOutcome({ tokens: usage, durationMs: performance.now() - started });
            }
            controller.enqueue(part);
          },
          // A stream that stops without its finish part: what was held is decided and sent now.
          flush: close,
        }),
      );
      return { ...result, stream };
    },
  };
}

type CallPart = { readonly type: "tool-call"; readonly toolCallId: string; readonly toolName: string; readonly input: string; readonly providerExecuted?: boolean };

/**
 * A model's complete call as every consumer of the SDK's parts sees it (`tool-call`, the UI
 * stream's `tool-input-available`, a step's content, the tool result's and error's `input`, the
 * approval request): its arguments as `showCall` allows, for a tool `guardTools` guards (its
 * `execute` gives the tool the model's arguments back). A provider-executed call, or one of a
 * tool no guarded hook runs, passes as it came: its arguments are what runs.
 */
function shownPart<P extends CallPart>(scope: GuardScope, part: P): P {
  if (part.providerExecuted === true || !isGuarded(scope, part.toolName)) return part;
  const args = parseOr(part.input);
  const shown = showCall(scope, part.toolCallId, part.toolName, args);
  return shown === args ? part : { ...part, input: JSON.stringify(shown) };
}

/** One kind of streamed text (the answer, or its reasoning), decided as one text whatever its ids. */
class Channel {
  readonly #kind: "text" | "reasoning";
  #id: string | undefined;
  #out: OutputStream | undefined;
  #start: StreamPart | undefined;
  #end: StreamPart | undefined;

  constructor(kind: "text" | "reasoning") {
    this.#kind = kind;
  }

  /** The parts to send for one start, delta or end part of this kind. */
  take(scope: GuardScope, part: StreamPart): StreamPart[] {
    const p = part as StreamPart & { id: string; delta?: string };
    if (this.#out === undefined) {
      this.#out = new OutputStream(scope);
      this.#id = p.id;
    }
    if (part.type.endsWith("-start")) {
      if (this.#start !== undefined) return [];
      this.#start = part;
      return [part];
    }
    if (part.type.endsWith("-end")) {
      this.#end ??= part;
      return [];
    }
    const ready = this.#out.push(p.delta ?? "");
    if (ready === "") return [];
    return [{ ...p, id: this.#id, delta: ready } as StreamPart];
  }

  /** The rest, decided with the whole (recorded once for the answer's text), and the end. */
  async end(started: number): Promise<StreamPart[]> {
    const out = this.#out;
    if (out === undefined) return [];
    this.#out = undefined;
    const rest = this.#kind === "text" ? await out.end({ durationMs: performance.now() - started, outputSize: out.text.length }) : await out.end();
    const parts: StreamPart[] = [];
    if (rest !== "") parts.push({ type: `${this.#kind}-delta`, id: this.#id, delta: rest } as StreamPart);
    parts.push(this.#end !== undefined ? ({ ...this.#end, id: this.#id } as StreamPart) : ({ type: `${this.#kind}-end`, id: this.#id } as StreamPart));
    this.#start = undefined;
    this.#end = undefined;
    return parts;
  }
}

type UserContent = Extract<Prompt[number], { role: "user" }>["content"];
type FileData = { type: "text"; text: string } | { type: "data"; data: Uint8Array | string };

/**
 * The texts of a user message the model reads: its text parts, and its text files (an attached
 * document, inline or as UTF-8 bytes: an injection in a file is one in the message).
 */
function userTexts(content: UserContent): { at: number[]; texts: string[] } {
  const at: number[] = [];
  const texts: string[] = [];
  content.forEach((p, i) => {
    const t = p.type === "text" ? p.text : p.type === "file" ? fileText(p as { mediaType?: string; data?: unknown }) : undefined;
    if (t === undefined) return;
    at.push(i);
    texts.push(t);
  });
  return { at, texts };
}

function fileText(part: { mediaType?: string; data?: unknown }): string | undefined {
  const d = part.data as FileData | undefined;
  if (d?.type === "text") return d.text;
  return d?.type === "data" && isTextMedia(part.mediaType) ? bytesText(d.data) : undefined;
}

function withUserTexts(content: UserContent, at: readonly number[], decided: readonly string[]): UserContent {
  return content.map((p, i) => {
    const k = at.indexOf(i);
    if (k < 0) return p;
    const text = decided[k] as string;
    if (p.type === "text") return p.text === text ? p : { ...p, text };
    const d = (p as { data: FileData }).data;
    if (fileText(p as { mediaType?: string; data?: unknown }) === text) return p;
    // The file keeps its kind: inline text, or bytes as given (base64 text or an array).
    const data: FileData = d.type === "text" ? { type: "text", text } : { type: "data", data: typeof d.data === "string" ? Buffer.from(text).toString("base64") : new TextEncoder().encode(text) };
    return { ...p, data };
  }) as UserContent;
}

/** `model` wrapped with `guardMiddleware(scope)`. */
export function guardModel(scope: GuardScope, model: Exclude<LanguageModel, string>): Exclude<LanguageModel, string> {
  return wrapLanguageModel({ model: model as Parameters<typeof wrapLanguageModel>[0]["model"], middleware: guardMiddleware(scope) }) as Exclude<LanguageModel, string>;
}

/** The prompt as policies read `model.messages`: role and text. */
function plainMessages(prompt: Prompt): { role: string; content: string }[] {
  return prompt.map((m) => ({
    role: m.role,
    content: typeof m.content === "string" ? m.content : m.content.map((p) => ("text" in p && typeof p.text === "string" ? p.text : "")).join(""),
  }));
}
