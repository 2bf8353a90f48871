// Each framework's own test model, scripted to ask for the same two tools (delete_file, which
// the policy denies, then lookup, which it allows) and then answer. A real app passes its real
// model instead; nothing else in the examples changes.
import { MockLanguageModelV4 } from "ai/test";
import { AIMessage } from "@langchain/core/messages";
import { fakeModel } from "@langchain/core/testing";
import { Usage } from "@openai/agents";
import type { Model, ModelResponse } from "@openai/agents";

const calls = [
  { name: "delete_file", args: { path: "/data" } },
  { name: "lookup", args: { id: "c42" } },
] as const;

const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } };

/** A Vercel AI SDK model (the SDK's MockLanguageModelV4). */
export const aiSdkModel = new MockLanguageModelV4({
  doGenerate: [
    ...calls.map((c) => ({
      content: [{ type: "tool-call" as const, toolCallId: c.name, toolName: c.name, input: JSON.stringify(c.args) }],
      finishReason: { unified: "tool-calls" as const, raw: undefined },
      usage,
      warnings: [],
    })),
    { content: [{ type: "text" as const, text: "Done." }], finishReason: { unified: "stop" as const, raw: undefined }, usage, warnings: [] },
  ],
});

type Item = ModelResponse["output"][number];
const agentTurns: Item[][] = [
  ...calls.map((c) => [{ type: "function_call", callId: c.name, name: c.name, arguments: JSON.stringify(c.args), status: "completed" } as Item]),
  [{ type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: "Done." }] } as Item],
];

/** An OpenAI Agents SDK model: the SDK's Model interface, answering from the script. */
export const agentsModel: Model = {
  async getResponse() {
    return { usage: new Usage(), output: agentTurns.shift() ?? [], responseId: "scripted" };
  },
  getStreamedResponse() {
    throw new Error("the scripted model does not stream");
  },
};

/** A LangChain chat model (LangChain's fakeModel). */
export const langchainModel = fakeModel()
  .respondWithTools([{ name: calls[0].name, args: calls[0].args, id: calls[0].name }])
  .respondWithTools([{ name: calls[1].name, args: calls[1].args, id: calls[1].name }])
  .respond(new AIMessage("Write to ann@example.com."));

/**
 * The `openai` client's transport (its `fetch` option), answering chat completions the way the
 * API does without a network: it repeats the last user message back.
 */
export async function openaiFetch(_url: string | URL | Request, init?: RequestInit): Promise<Response> {
  const body = JSON.parse(String(init?.body)) as { model: string; messages: { role: string; content: string }[] };
  console.log(`ran chat.completions ${body.model}`);
  const said = body.messages.at(-1)?.content ?? "";
  const completion = { id: "scripted", object: "chat.completion", created: 0, model: body.model, choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: `you said: ${said}` } }] };
  return new Response(JSON.stringify(completion), { headers: { "content-type": "application/json" } });
}
