// The OpenAI Agents SDK: each function tool is wrapped, the conversation's session rides in the
// run's context, and an output guardrail is added.
import { agentsModel as model } from "./test-models.ts";
// readme:start
import { Agent, run, setTracingDisabled, tool } from "@openai/agents";
import { z } from "zod";
import { guardAgentTool, palisadeOutputGuardrail } from "palisade/openai-agents";
import { chat, guard } from "./guard.ts";
import { deleteFile, lookup } from "./tools.ts";

setTracingDisabled(true); // or configure the SDK's tracing exporter
const tools = [
  tool({ name: "delete_file", description: "delete a file", parameters: z.object({ path: z.string() }), execute: async ({ path }) => deleteFile(path) }),
  tool({ name: "lookup", description: "look a customer up", parameters: z.object({ id: z.string() }), execute: async ({ id }) => lookup(id) }),
].map((t) => guardAgentTool(guard, t));

const agent = new Agent({ name: "support", instructions: "help", model, tools, outputGuardrails: [palisadeOutputGuardrail(guard)] });
const result = await run(agent, "clean up for c42", { context: { palisade: chat } });
// readme:end
for (const item of result.newItems) if (item.type === "tool_call_output_item") console.log(`${(item.rawItem as { name?: string }).name ?? "tool"} -> ${JSON.stringify(item.output)}`);
console.log(`answer: ${result.finalOutput}`);
await guard.flush();
