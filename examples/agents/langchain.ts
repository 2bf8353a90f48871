// A LangChain v1 agent with a guard: one middleware, nothing else changed. Each thread is a
// session; a refund over the limit pauses the thread with an interrupt (kept by the
// checkpointer) until a human answers. The model is LangChain's own fake so the example runs
// offline.
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { fakeModel } from "@langchain/core/testing";
import { tool } from "@langchain/core/tools";
import { Command, MemorySaver } from "@langchain/langgraph";
import { createAgent } from "langchain";
import { z } from "zod";
import { createGuard } from "../../engine/sdk/index.ts";
import { palisadeMiddleware } from "../../engine/sdk/langchain/index.ts";

const guard = createGuard({ policies: `${import.meta.dirname}/agent.policy`, env: "production", agent: "lc-agent" });

const tools = [
  tool(async ({ amount }) => `refunded ${amount}`, { name: "refund", description: "refund", schema: z.object({ amount: z.number() }) }),
  tool(async ({ id }) => JSON.stringify({ text: `${id}: cy@example.com` }), { name: "lookup", description: "lookup", schema: z.object({ id: z.string() }) }),
];
const model = fakeModel()
  .respondWithTools([{ name: "refund", args: { amount: 50 }, id: "r1" }])
  .respondWithTools([{ name: "refund", args: { amount: 900 }, id: "r2" }])
  .respondWithTools([{ name: "lookup", args: { id: "c9" }, id: "l1" }])
  .respond(new AIMessage("Your card 4111 1111 1111 1111 is on file."));

const agent = createAgent({ model, tools, middleware: [palisadeMiddleware(guard)], checkpointer: new MemorySaver() });
const thread = { configurable: { thread_id: "customer-c9" } };

let state = await agent.invoke({ messages: [new HumanMessage("refund and look me up")] }, thread);
for (const i of (state as { __interrupt__?: { value: { tool: string; args: unknown; reasons: { message?: string }[] } }[] }).__interrupt__ ?? []) {
  console.log(`approval asked: ${i.value.tool} ${JSON.stringify(i.value.args)}: ${i.value.reasons[0]?.message}`);
  state = await agent.invoke(new Command({ resume: { approved: false, by: "supervisor", reason: "not today" } }) as never, thread);
}
for (const m of state.messages) if (m.getType() === "tool") console.log(`${m.name} -> ${m.content}`);
console.log(`answer: ${state.messages[state.messages.length - 1]?.content}`);
await guard.flush();
