// Vercel AI SDK adapter: `guardTools` wraps a ToolSet's `execute` functions (tool_call,
// tool_result) and `guardMiddleware` is a language-model middleware for `wrapLanguageModel`
// (input and model_call before the call, output after it, streamed text included).
import { wrapLanguageModel } from "ai";
import type { LanguageModel, LanguageModelMiddleware, ToolSet } from "ai";
import type { JSONSchemaObject } from "../../../language/index.ts";
import type { GuardScope, OnDeny } from "../scope.ts";
import { LineBuffer, guardText } from "../text.ts";

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
}

/** The tools with each `execute` guarded; tool schemas given as JSON Schema are checked with ajv too. */
export function guardTools<T extends ToolSet>(scope: GuardScope, tools: T, options: GuardToolsOptions = {}): T {
  const out: Record<string, unknown> = {};
  for (const [name, t] of Object.entries(tools)) {
    const execute = (t as { execute?: (input: unknown, opts: unknown) => unknown }).execute;
    if (typeof execute !== "function") {
      out[name] = t;
      continue;
    }
    const schema = plainJsonSchema((t as { inputSchema?: unknown }).inputSchema);
    const wrapped = scope.wrapTool(name, (input: unknown, opts: unknown) => execute.call(t, input, opts), { ...(schema ? { schema } : {}), ...(options.onDeny ? { onDeny: options.onDeny } : {}) });
    out[name] = { ...t, execute: wrapped };
  }
  return out as T;
}

// A schema made with `jsonSchema(...)` carries it synchronously; zod schemas are validated by
// the AI SDK itself before `execute`, so they need no second check here.
function plainJsonSchema(schema: unknown): JSONSchemaObject | undefined {
  const js = (schema as { jsonSchema?: unknown } | undefined)?.jsonSchema;
  if (typeof js !== "object" || js === null || typeof (js as { then?: unknown }).then === "function") return undefined;
  return js as JSONSchemaObject;
}

/** A middleware guarding a model's input, calls and output; pass it to `wrapLanguageModel`. */
export function guardMiddleware(scope: GuardScope): Middleware {
  return {
    specificationVersion: "v4",
    transformParams: async ({ params, model }) => {
      let prompt = params.prompt;
      const last = prompt[prompt.length - 1];
      // A step after a tool result ends with a tool message: the user's input was decided already.
      if (last?.role === "user") {
        const parts = await Promise.all(last.content.map(async (p) => (p.type === "text" ? { ...p, text: await guardText(scope, "input", p.text) } : p)));
        prompt = [...prompt.slice(0, -1), { ...last, content: parts }];
      }
      await scope.enforceNow("model_call", { model: { provider: model.provider, name: model.modelId, messages: plainMessages(prompt) } });
      return { ...params, prompt };
    },
    wrapGenerate: async ({ doGenerate }) => {
      const result: GenerateResult = await doGenerate();
      const content = await Promise.all(result.content.map(async (c) => (c.type === "text" ? { ...c, text: await guardText(scope, "output", c.text) } : c)));
      return { ...result, content };
    },
    wrapStream: async ({ doStream }) => {
      const result = await doStream();
      const buffers = new Map<string, LineBuffer>();
      const decide = async (id: string, text: string, controller: TransformStreamDefaultController<StreamPart>) => {
        if (text !== "") controller.enqueue({ type: "text-delta", id, delta: await guardText(scope, "output", text) });
      };
      const stream = result.stream.pipeThrough(
        new TransformStream<StreamPart, StreamPart>({
          async transform(part, controller) {
            if (part.type === "text-delta") {
              let buf = buffers.get(part.id);
              if (buf === undefined) buffers.set(part.id, (buf = new LineBuffer()));
              await decide(part.id, buf.push(part.delta), controller);
              return;
            }
            if (part.type === "text-end") {
              await decide(part.id, buffers.get(part.id)?.end() ?? "", controller);
              buffers.delete(part.id);
            }
            controller.enqueue(part);
          },
        }),
      );
      return { ...result, stream };
    },
  };
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
