// LangChain.js v1: one middleware on the agent; each thread is a session.
import { langchainModel as model } from "./test-models.ts";
// readme:start
import { tool } from "@langchain/core/tools";
import { createAgent } from "langchain";
import { z } from "zod";
import { palisadeMiddleware } from "palisade/langchain";
import { guard } from "./guard.ts";
import { deleteFile, lookup } from "./tools.ts";

const tools = [
  tool(async ({ path }) => deleteFile(path), { name: "delete_file", description: "delete a file", schema: z.object({ path: z.string() }) }),
  tool(async ({ id }) => JSON.stringify(await lookup(id)), { name: "lookup", description: "look a customer up", schema: z.object({ id: z.string() }) }),
];
const agent = createAgent({ model, tools, middleware: [palisadeMiddleware(guard)] });
const state = await agent.invoke({ messages: [{ role: "user", content: "clean up for c42" }] }, { configurable: { thread_id: "chat-c42" } });
// readme:end
for (const m of state.messages) if (m.getType() === "tool") console.log(`${m.name} -> ${m.content}`);
console.log(`answer: ${state.messages[state.messages.length - 1]?.content}`);
await guard.flush();
