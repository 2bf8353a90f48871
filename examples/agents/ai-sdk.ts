// A Vercel AI SDK agent with a guard: tools and model wrapped per conversation, nothing else
// changed. A refund over the limit stops the generation with the SDK's own
// tool-approval-request; the application answers it and the conversation goes on. The model is
// the AI SDK's own mock so the example runs offline; swap in any provider's model.
import { generateText, jsonSchema, stepCountIs, tool } from "ai";
import type { ModelMessage } from "ai";
import { MockLanguageModelV4 } from "ai/test";
import { createGuard } from "../../engine/sdk/index.ts";
import { guardModel, guardTools } from "../../engine/sdk/ai-sdk/index.ts";

const guard = createGuard({ policies: `${import.meta.dirname}/agent.policy`, env: "production", agent: "support-bot" });

const tools = {
  delete_file: tool({ inputSchema: jsonSchema<{ path: string }>({ type: "object" }), execute: async ({ path }) => `deleted ${path}` }),
  refund: tool({ inputSchema: jsonSchema<{ amount: number }>({ type: "object" }), execute: async ({ amount }) => `refunded ${amount}` }),
  lookup: tool({ inputSchema: jsonSchema<{ id: string }>({ type: "object" }), execute: async ({ id }) => ({ text: `${id}: ann@example.com` }) }),
};

// The scripted model asks for three tools, then answers with a card number.
const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } };
const call = (toolName: string, input: unknown) => ({ content: [{ type: "tool-call" as const, toolCallId: toolName, toolName, input: JSON.stringify(input) }], finishReason: { unified: "tool-calls" as const, raw: undefined }, usage, warnings: [] });
const mock = new MockLanguageModelV4({
  doGenerate: [call("delete_file", { path: "/data" }), call("refund", { amount: 900 }), call("lookup", { id: "c42" }), { content: [{ type: "text", text: "Charged card 4111 1111 1111 1111." }], finishReason: { unified: "stop", raw: undefined }, usage, warnings: [] }],
});

// One conversation: its own session (history, principal), its own guarded tools and model.
const conversation = guard.session("chat-c42", { id: "agent-7", roles: ["support"] });
const guarded = {
  model: guardModel(conversation, mock),
  tools: guardTools(conversation, tools, { onDeny: "message" }),
  stopWhen: stepCountIs(5),
  onToolExecutionEnd: (e: { toolCall: { toolName: string }; toolOutput: { type: string; output?: unknown } }) => console.log(`${e.toolCall.toolName} -> ${JSON.stringify(e.toolOutput.output)}`),
};

const messages: ModelMessage[] = [{ role: "user", content: "help customer c42" }];
let result = await generateText({ ...guarded, messages });
messages.push(...result.response.messages);
for (const request of result.content.filter((c) => c.type === "tool-approval-request")) {
  console.log(`approval asked: ${request.toolCall.toolName} ${JSON.stringify(request.toolCall.input)}`);
  messages.push({ role: "tool", content: [{ type: "tool-approval-response", approvalId: request.approvalId, approved: true }] });
}
result = await generateText({ ...guarded, messages });
console.log(`answer: ${result.text}`);
await guard.flush();
