// LangChain.js: each tool is wrapped, and so is the chat model.
import { FakeListChatModel } from "@langchain/core/utils/testing";
const model = new FakeListChatModel({ responses: ["Write to ann@example.com."] });
// readme:start
import { tool } from "@langchain/core/tools";
import { z } from "zod";
import { guardChatModel, guardLangChainTool } from "palisade/langchain";
import { guard } from "./guard.ts";
import { deleteFile, lookup } from "./tools.ts";

const deleteTool = guardLangChainTool(guard, tool(async ({ path }) => deleteFile(path), { name: "delete_file", description: "delete a file", schema: z.object({ path: z.string() }) }));
const lookupTool = guardLangChainTool(guard, tool(async ({ id }) => lookup(id), { name: "lookup", description: "look a customer up", schema: z.object({ id: z.string() }) }));
const chat = guardChatModel(guard, model);
// readme:end
console.log(`delete_file -> ${JSON.stringify(await deleteTool.invoke({ path: "/data" }))}`);
console.log(`lookup -> ${JSON.stringify(await lookupTool.invoke({ id: "c42" }))}`);
console.log(`answer: ${(await chat.invoke("who do I write to?")).content}`);
await guard.flush();
