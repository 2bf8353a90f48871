// The `openai` client: `chat.completions.create` guarded. Before the request: `input` on the
// newest user message (which may be rewritten) and `model_call` on the model and messages; after
// it: `output` on each choice's message text, redactions applied before the caller sees it.
// Streaming requests are decided before they start; their chunks pass through unchanged.
import type OpenAI from "openai";
import type { GuardScope } from "../scope.ts";
import { guardText } from "../text.ts";

type Create = OpenAI["chat"]["completions"]["create"];
type Params = Parameters<Create>[0];
type Message = Params["messages"][number];

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((p: { text?: unknown }) => (typeof p?.text === "string" ? p.text : "")).join("");
  return "";
}

/** `client` with `chat.completions.create` guarded (the client is changed in place and returned). */
export function guardOpenAI<C extends OpenAI>(scope: GuardScope, client: C): C {
  const completions = client.chat.completions;
  const create = completions.create.bind(completions) as (p: Params, o?: unknown) => Promise<unknown>;
  const guarded = async (params: Params, options?: unknown): Promise<unknown> => {
    let messages = params.messages;
    const lastIndex = messages.length - 1;
    const last = messages[lastIndex];
    if (last?.role === "user" && typeof last.content === "string") {
      const decided = await guardText(scope, "input", last.content);
      if (decided !== last.content) messages = [...messages.slice(0, lastIndex), { ...last, content: decided } as Message];
    }
    await scope.enforceNow("model_call", { model: { provider: "openai", name: params.model, messages: messages.map((m) => ({ role: m.role, content: contentText(m.content) })) } });
    const response = await create({ ...params, messages }, options);
    if (params.stream === true) return response;
    const completion = response as OpenAI.Chat.Completions.ChatCompletion;
    const choices = await Promise.all(
      completion.choices.map(async (c) => (typeof c.message.content === "string" ? { ...c, message: { ...c.message, content: await guardText(scope, "output", c.message.content) } } : c)),
    );
    return { ...completion, choices };
  };
  (completions as unknown as { create: typeof guarded }).create = guarded;
  return client;
}
