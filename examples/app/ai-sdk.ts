// The Vercel AI SDK: the tools and the model are wrapped for the conversation; generateText is unchanged.
import { aiSdkModel as model } from "./test-models.ts";
// readme:start
import { generateText, jsonSchema, stepCountIs, tool } from "ai";
import { guardModel, guardTools } from "palisade/ai-sdk";
import { chat, guard } from "./guard.ts";
import { deleteFile, lookup } from "./tools.ts";

const tools = guardTools(chat, {
  delete_file: tool({ inputSchema: jsonSchema<{ path: string }>({ type: "object" }), execute: async ({ path }) => deleteFile(path) }),
  lookup: tool({ inputSchema: jsonSchema<{ id: string }>({ type: "object" }), execute: async ({ id }) => lookup(id) }),
}, { onDeny: "message" }); // a denied call becomes a tool error the model reads

const result = await generateText({ model: guardModel(chat, model), tools, prompt: "clean up for c42", stopWhen: stepCountIs(5) });
// readme:end
for (const step of result.steps) for (const c of step.content) if (c.type === "tool-result") console.log(`${c.toolName} -> ${JSON.stringify(c.output)}`);
console.log(`answer: ${result.text}`);
await guard.flush();
