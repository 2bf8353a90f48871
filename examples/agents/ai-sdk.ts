// A Vercel AI SDK agent with a guard: tools and model wrapped, nothing else changed. The model is
// the AI SDK's own mock so the example runs offline; swap in any provider's model.
import { generateText, jsonSchema, stepCountIs, tool } from "ai";
import { MockLanguageModelV4 } from "ai/test";
import { createGuard } from "../../engine/sdk/index.ts";
import { guardModel, guardTools } from "../../engine/sdk/ai-sdk/index.ts";

const guard = createGuard({
  policies: `${import.meta.dirname}/agent.policy`,
  env: "production",
  agent: "support-bot",
  approver: async (req) => (console.log(`approval asked: ${req.reasons[0]?.message}`), true),
});

const tools = guardTools(guard.anonymous(), {
  delete_file: tool({ inputSchema: jsonSchema<{ path: string }>({ type: "object" }), execute: async ({ path }) => `deleted ${path}` }),
  refund: tool({ inputSchema: jsonSchema<{ amount: number }>({ type: "object" }), execute: async ({ amount }) => `refunded ${amount}` }),
  lookup: tool({ inputSchema: jsonSchema<{ id: string }>({ type: "object" }), execute: async ({ id }) => ({ text: `${id}: ann@example.com` }) }),
}, { onDeny: "message" });

// The scripted model asks for three tools, then answers with a card number.
const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } };
const call = (toolName: string, input: unknown) => ({ content: [{ type: "tool-call" as const, toolCallId: toolName, toolName, input: JSON.stringify(input) }], finishReason: { unified: "tool-calls" as const, raw: undefined }, usage, warnings: [] });
const model = guardModel(guard.anonymous(), new MockLanguageModelV4({
  doGenerate: [call("delete_file", { path: "/data" }), call("refund", { amount: 900 }), call("lookup", { id: "c42" }), { content: [{ type: "text", text: "Charged card 4111 1111 1111 1111." }], finishReason: { unified: "stop", raw: undefined }, usage, warnings: [] }],
}));

const result = await generateText({ model, tools, prompt: "help customer c42", stopWhen: stepCountIs(5) });
for (const step of result.steps) for (const c of step.content) if (c.type === "tool-result") console.log(`${c.toolName} -> ${JSON.stringify(c.output)}`);
console.log(`answer: ${result.text}`);
await guard.flush();
