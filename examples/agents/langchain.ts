// A LangChain.js tool and chat model with a guard. The model is LangChain's FakeListChatModel so
// the example runs offline.
import { tool } from "@langchain/core/tools";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { z } from "zod";
import { createGuard } from "../../engine/sdk/index.ts";
import { guardChatModel, guardLangChainTool } from "../../engine/sdk/langchain/index.ts";

const guard = createGuard({ policies: `${import.meta.dirname}/agent.policy`, env: "production", agent: "lc-agent", approver: () => false });

const refund = guardLangChainTool(guard.anonymous(), tool(async ({ amount }) => `refunded ${amount}`, { name: "refund", description: "refund", schema: z.object({ amount: z.number() }) }));
const lookup = guardLangChainTool(guard.anonymous(), tool(async ({ id }) => ({ text: `${id}: cy@example.com` }), { name: "lookup", description: "lookup", schema: z.object({ id: z.string() }) }));
const model = guardChatModel(guard.anonymous(), new FakeListChatModel({ responses: ["Your card 4111 1111 1111 1111 is on file."] }));

console.log(`refund 50 -> ${await refund.invoke({ amount: 50 })}`);
console.log(`refund 900 -> ${await refund.invoke({ amount: 900 })}`);
console.log(`lookup -> ${JSON.stringify(await lookup.invoke({ id: "c9" }))}`);
console.log(`answer: ${(await model.invoke("which card do you have?")).content}`);
