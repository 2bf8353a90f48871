// The `openai` client, guarded through its own extension point: the `fetch` it is given. The
// guarded client is a new one (`client.withOptions({ fetch })`); the one passed is unchanged.
// Chat Completions and the Responses API alike: before a request, `input` on the newest user
// message (which may be rewritten) and `model_call` on the model and messages; after it,
// `output` on the answer's text, redactions applied before the caller sees it, streamed
// answers (server-sent events) redacted as they arrive. A request the policies refuse never
// leaves the process: the client sees an HTTP 403 and raises its own PermissionDeniedError.
import type OpenAI from "openai";
import { PolicyDeniedError } from "../errors.ts";
import type { GuardScope } from "../scope.ts";
import { checkInside, enforceInside, errorOf, peekInside } from "../scope.ts";
import { SessionRequiredError } from "../errors.ts";
import { OutputStream, guardParts, guardText, peekParts, redecideParts } from "../text.ts";
import { withDecidedParts } from "./parts.ts";
import { callInput, quietCall } from "../tool-args.ts";

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((p: { text?: unknown }) => (typeof p?.text === "string" ? p.text : "")).join("");
  return "";
}

interface Body {
  model?: string;
  stream?: boolean;
  messages?: { role: string; content: unknown }[];
  input?: string | { role?: string; type?: string; content?: unknown }[];
}

/** The request body with the newest user text decided on `input`, after `model_call` is decided. */
async function decideRequest(scope: GuardScope, body: Body): Promise<Body> {
  let next = body;
  if (typeof body.input === "string") next = { ...body, input: await guardText(scope, "input", body.input) };
  else {
    // The newest user message is this turn's input, decided (and recorded); earlier ones come
    // again with every request (the application's copy of the conversation, unredacted): the
    // same rewrites apply to them quietly, and a message once denied stays denied. Text parts
    // and text files are one message: a match split between them is one.
    const list = body.messages ?? (Array.isArray(body.input) ? body.input : undefined);
    if (list !== undefined) {
      let newest = -1;
      list.forEach((m, i) => void (m?.role === "user" && (newest = i)));
      const out = await Promise.all(
        list.map(async (m, i) => {
          if (m?.role !== "user") return m;
          const content = await withDecidedParts(m.content, (texts) => (i === newest ? guardParts(scope, "input", texts) : redecideParts(scope, "input", texts)));
          return content === m.content ? m : { ...m, content };
        }),
      );
      if (out.some((m, i) => m !== list[i])) next = body.messages ? { ...body, messages: out as Body["messages"] } : { ...body, input: out };
    }
  }
  const messages = (next.messages ?? (Array.isArray(next.input) ? next.input : [{ role: "user", content: next.input }])).map((m) => ({ role: m.role ?? "item", content: contentText(m.content) }));
  await enforceInside(scope, "model_call", { model: { provider: "openai", name: next.model ?? "", messages } });
  return next;
}

/** A JSON answer with its texts decided on `output`. */
async function decideAnswer(scope: GuardScope, json: Record<string, unknown>, durationMs: number): Promise<Record<string, unknown>> {
  const usage = json.usage as { prompt_tokens?: number; completion_tokens?: number; input_tokens?: number; output_tokens?: number } | undefined;
  const tokens = usage ? { input: usage.prompt_tokens ?? usage.input_tokens, output: usage.completion_tokens ?? usage.output_tokens } : undefined;
  const step = { durationMs, ...(tokens ? { tokens } : {}) };
  if (Array.isArray(json.choices)) {
    const choices = await Promise.all(
      (json.choices as { message?: { content?: unknown } }[]).map(async (c) => (typeof c.message?.content === "string" ? { ...c, message: { ...c.message, content: await guardText(scope, "output", c.message.content, { ...step, outputSize: c.message.content.length }) } } : c)),
    );
    return { ...json, choices };
  }
  if (Array.isArray(json.output)) {
    // The messages' text is one answer, decided (and recorded) whole; the rest (reasoning) quietly.
    const slots: { item: number; part: number }[] = [];
    const items = json.output as { type?: string; content?: { type?: string; text?: unknown }[] }[];
    items.forEach((item, i) => {
      if (item.type === "message" && Array.isArray(item.content)) item.content.forEach((c, j) => void (c.type === "output_text" && typeof c.text === "string" && slots.push({ item: i, part: j })));
    });
    const texts = slots.map(({ item, part }) => items[item]?.content?.[part]?.text as string);
    const decided = await guardParts(scope, "output", texts, { ...step, outputSize: texts.join("").length });
    const output = items.map((item, i) => {
      if (item.type !== "message") return quietTexts(scope, item);
      if (!Array.isArray(item.content)) return item;
      return { ...item, content: item.content.map((c, j) => {
        const k = slots.findIndex((s) => s.item === i && s.part === j);
        return k < 0 ? c : { ...c, text: decided[k] };
      }) };
    });
    return { ...json, output, ...(typeof json.output_text === "string" ? { output_text: output.flatMap((i) => (i.type === "message" && Array.isArray(i.content) ? i.content.map((c: { type?: string; text?: unknown }) => (c.type === "output_text" && typeof c.text === "string" ? c.text : "")) : [])).join("") } : {}) };
  }
  return json;
}

/**
 * `value` with every text in it decided quietly on `output` (what was decided and recorded
 * already, or reasoning): the `text`, `refusal` and `summary` strings of an event or item, a
 * list of parts joined (a match split between two parts is a match). Throws PolicyDeniedError
 * on deny.
 */
function quietTexts<T>(scope: GuardScope, value: T): T {
  if (Array.isArray(value)) {
    const at = value.flatMap((v: { text?: unknown } | null, i) => (typeof v?.text === "string" ? [i] : []));
    const decided = at.length > 0 ? peekParts(scope, "output", at.map((i) => (value[i] as { text: string }).text)) : [];
    return value.map((v: unknown, i) => {
      const copy = quietTexts(scope, v);
      const k = at.indexOf(i);
      return k < 0 ? copy : { ...(copy as object), text: decided[k] };
    }) as T;
  }
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = typeof v === "string" && TEXT_KEYS.has(k) ? quiet(scope, v) : quietTexts(scope, v);
  return out as T;
}

const TEXT_KEYS = new Set(["text", "refusal", "summary"]);

/** Server-sent events redacted as they arrive: chat deltas and Responses-API text deltas. */
function decideStream(scope: GuardScope, body: ReadableStream<Uint8Array>, started: number): ReadableStream<Uint8Array> {
  const out = new OutputStream(scope);
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  let buffer = "";
  let template: Record<string, unknown> | undefined;
  const calls = new StreamedCalls();
  const emit = (c: TransformStreamDefaultController<Uint8Array>, data: unknown) => c.enqueue(encoder.encode(`data: ${JSON.stringify(data)}\n\n`));
  // A chunk like the last text chunk, carrying `text` instead.
  const withText = (text: string): unknown => {
    if (template === undefined) return undefined;
    if (template.type === "response.output_text.delta") return { ...template, delta: text };
    const choices = (template.choices as { delta?: object }[] | undefined) ?? [{}];
    return { ...template, choices: [{ ...choices[0], delta: { ...(choices[0]?.delta ?? {}), content: text } }] };
  };
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      async transform(chunk, c) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const event = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const dataLine = event.split("\n").find((l) => l.startsWith("data:"));
          const data = dataLine?.slice(5).trim();
          if (data === undefined || data === "[DONE]") {
            if (data === "[DONE]") {
              calls.flush(scope, (e) => emit(c, e));
              const rest = await out.end({ durationMs: performance.now() - started, outputSize: out.text.length });
              if (rest !== "" && template) emit(c, withText(rest));
            }
            c.enqueue(encoder.encode(`${event}\n\n`));
            continue;
          }
          const json = JSON.parse(data) as Record<string, unknown>;
          // A call's arguments: held until complete, then passed whole, or left out (and the
          // denial recorded) when the call would be denied (spec/streams.md).
          if (!calls.take(scope, json, (e) => emit(c, e))) continue;
          // A chat chunk's other texts (a refusal, a provider's reasoning) are not streamed through the guard: not passed on.
          if (Array.isArray(json.choices)) json.choices = (json.choices as { delta?: Record<string, unknown> }[]).map((ch) => (ch?.delta ? { ...ch, delta: Object.fromEntries(Object.entries(ch.delta).filter(([k, v]) => typeof v !== "string" || k === "content" || k === "role")) } : ch));
          const chatDelta = (json.choices as { delta?: { content?: unknown } }[] | undefined)?.[0]?.delta?.content;
          const respDelta = json.type === "response.output_text.delta" ? json.delta : undefined;
          const delta = typeof chatDelta === "string" ? chatDelta : typeof respDelta === "string" ? respDelta : undefined;
          if (delta !== undefined) {
            template = json;
            const ready = out.push(delta);
            if (ready !== "") emit(c, withText(ready));
            continue;
          }
          if (json.type === "response.completed" || json.type === "response.output_text.done") {
            const rest = await out.end({ durationMs: performance.now() - started, outputSize: out.text.length });
            if (rest !== "") emit(c, withText(rest));
          }
          // Any other event may carry the answer's text (a part or item done, the completed
          // response, reasoning): a delta of text not streamed through the guard is not passed
          // on; every other text is the same redactions, decided quietly.
          if (typeof json.type === "string" && json.type.endsWith(".delta")) continue;
          emit(c, json.type !== undefined ? quietTexts(scope, json) : json);
        }
      },
    }),
  );
}

interface ChatCallDelta {
  index?: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}

/**
 * The tool calls of a streamed answer. The application reading the stream is the code that runs
 * its calls, so a call's arguments reach it whole, unredacted, but only once complete and only
 * for a call the guard would not deny: Chat Completions argument fragments are held until the
 * answer finishes and sent as one chunk; a Responses function call is decided when its arguments
 * are done. A denied call is left out of the stream (its events, its place in the completed
 * response) and its denial recorded: the application never sees or runs it.
 */
class StreamedCalls {
  readonly #chat = new Map<number, { id?: string; type?: string; name: string; args: string }>();
  #template: Record<string, unknown> | undefined;
  readonly #names = new Map<string, string>();
  readonly #denied = new Set<string>();

  /** Takes one event: false when it must not be passed on as it is (`emit` sends what replaces it). */
  take(scope: GuardScope, json: Record<string, unknown>, emit: (event: unknown) => void): boolean {
    const choice = (json.choices as { delta?: { tool_calls?: ChatCallDelta[] }; finish_reason?: unknown }[] | undefined)?.[0];
    if (choice !== undefined) {
      const deltas = choice.delta?.tool_calls;
      if (Array.isArray(deltas)) {
        this.#template = json;
        for (const d of deltas) {
          const i = d.index ?? 0;
          const call = this.#chat.get(i) ?? { name: "", args: "" };
          call.id ??= d.id;
          call.type ??= d.type;
          call.name += d.function?.name ?? "";
          call.args += d.function?.arguments ?? "";
          this.#chat.set(i, call);
        }
        const { tool_calls: _held, ...rest } = choice.delta as Record<string, unknown>;
        json.choices = [{ ...choice, delta: rest }, ...(json.choices as unknown[]).slice(1)];
      }
      if (choice.finish_reason !== null && choice.finish_reason !== undefined) this.flush(scope, emit);
      return true;
    }
    const type = json.type;
    const item = json.item as { type?: string; id?: string; name?: string } | undefined;
    if (type === "response.output_item.added" && item?.type === "function_call" && item.id !== undefined) this.#names.set(item.id, item.name ?? "");
    if (type === "response.function_call_arguments.done" && typeof json.item_id === "string" && typeof json.arguments === "string") {
      const name = typeof json.name === "string" ? json.name : (this.#names.get(json.item_id) ?? "");
      if (!allowed(scope, name, json.arguments)) this.#denied.add(json.item_id);
    }
    const id = typeof json.item_id === "string" ? json.item_id : item?.id;
    if (id !== undefined && this.#denied.has(id)) return false;
    if (type === "response.completed" && this.#denied.size > 0) {
      const response = json.response as { output?: { id?: string }[] };
      json.response = { ...response, output: (response.output ?? []).filter((o) => o.id === undefined || !this.#denied.has(o.id)) };
    }
    return true;
  }

  /** Sends the Chat Completions calls held, whole, leaving out those the guard denies. */
  flush(scope: GuardScope, emit: (event: unknown) => void): void {
    if (this.#chat.size === 0 || this.#template === undefined) return;
    const tool_calls = [...this.#chat]
      .filter(([, c]) => allowed(scope, c.name, c.args))
      .map(([index, c]) => ({ index, ...(c.id !== undefined ? { id: c.id } : {}), type: c.type ?? "function", function: { name: c.name, arguments: c.args } }));
    this.#chat.clear();
    const choice = (this.#template.choices as Record<string, unknown>[])[0];
    if (tool_calls.length > 0) emit({ ...this.#template, choices: [{ ...choice, index: choice?.index ?? 0, delta: { tool_calls }, finish_reason: null }] });
  }
}

// A call is shown when the guard would not deny it; a denied call's decision is recorded here,
// since the application will never see it to run it through the guard.
function allowed(scope: GuardScope, name: string, text: string): boolean {
  if (scope.core.mode !== "enforce" || quietCall(scope, name, text).decision !== "deny") return true;
  checkInside(scope, "tool_call", callInput(name, text));
  return false;
}

function quiet(scope: GuardScope, text: string): string {
  const d = peekInside(scope, "output", { output: { text } });
  if (d.decision === "deny" && scope.core.mode === "enforce") throw new PolicyDeniedError(d, "output", undefined, "deny", "the answer is denied by policy");
  const t = (d.payload as { output?: { text?: unknown } }).output?.text;
  return scope.core.mode === "enforce" && typeof t === "string" ? t : text;
}

/** A `fetch` for the openai client that guards Chat Completions and Responses requests. */
export function guardedFetch(scope: GuardScope, base: Fetch = fetch): Fetch {
  if (scope.sessionId === null) throw new SessionRequiredError("guardOpenAI");
  return async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (!/\/(chat\/completions|responses)(\?|$)/.test(url) || init?.method?.toUpperCase() !== "POST" || typeof init.body !== "string") return base(input, init);
    let body: Body;
    try {
      body = await decideRequest(scope, JSON.parse(init.body) as Body);
    } catch (err) {
      // A refusal the client understands: an HTTP 403 it raises as PermissionDeniedError (never retried).
      if (!(err instanceof PolicyDeniedError)) throw err;
      const rule = err.decision.reasons.find((r) => r.effect === "deny" || r.effect === "require_approval")?.rule ?? null;
      return new Response(JSON.stringify({ error: { message: err.message, type: "policy_denied", code: rule, param: null } }), { status: 403, headers: { "content-type": "application/json", "x-palisade-denial": err.denial } });
    }
    const started = performance.now();
    let response: Response;
    try {
      response = await base(input, { ...init, body: JSON.stringify(body) });
    } catch (err) {
      scope.modelOutcome({ durationMs: performance.now() - started, error: errorOf("model", err), model: body.model ?? "", provider: "openai" });
      throw err;
    }
    if (!response.ok || response.body === null) return response;
    const headers = new Headers(response.headers);
    headers.delete("content-length");
    if (body.stream === true) return new Response(decideStream(scope, response.body, started), { status: response.status, statusText: response.statusText, headers });
    const json = (await response.json()) as Record<string, unknown>;
    return new Response(JSON.stringify(await decideAnswer(scope, json, performance.now() - started)), { status: response.status, statusText: response.statusText, headers });
  };
}

/** A new client like `client` whose Chat Completions and Responses calls are guarded (the client given is unchanged). */
export function guardOpenAI<C extends OpenAI>(scope: GuardScope, client: C): C {
  const base = (client as unknown as { fetch?: Fetch }).fetch;
  return client.withOptions({ fetch: guardedFetch(scope, base ?? fetch) as never }) as C;
}
