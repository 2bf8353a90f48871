// An OpenAI Agents SDK agent with a guard on its function tools. The model is a small scripted
// implementation of the SDK's Model interface so the example runs offline.
import { Agent, Runner, Usage, setTracingDisabled, tool } from "@openai/agents";
import type { Model, ModelResponse } from "@openai/agents";
import { z } from "zod";
import { createGuard } from "../../engine/sdk/index.ts";
import { guardAgentModel, guardAgentTool, palisadeOutputGuardrail } from "../../engine/sdk/openai/index.ts";

setTracingDisabled(true);
const guard = createGuard({ policies: `${import.meta.dirname}/agent.policy`, env: "production", agent: "ops-agent", approver: () => true });

const tools = [
  tool({ name: "delete_file", description: "delete a file", parameters: z.object({ path: z.string() }), execute: async ({ path }) => `deleted ${path}` }),
  tool({ name: "lookup", description: "look a customer up", parameters: z.object({ id: z.string() }), execute: async ({ id }) => ({ text: `${id}: bo@example.com` }) }),
].map((t) => guardAgentTool(guard, t));

type Item = ModelResponse["output"][number];
const turns: Item[][] = [
  [{ type: "function_call", callId: "1", name: "delete_file", arguments: '{"path":"/data"}', status: "completed" } as Item],
  [{ type: "function_call", callId: "2", name: "lookup", arguments: '{"id":"c7"}', status: "completed" } as Item],
  [{ type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: "Done. Card 4111 1111 1111 1111 refunded." }] } as Item],
];
const model: Model = {
  async getResponse(request) {
    for (const i of (Array.isArray(request.input) ? request.input : []) as { type?: string; output?: unknown }[]) if (i.type === "function_call_result") console.log(`tool said: ${JSON.stringify(i.output)}`);
    return { usage: new Usage(), output: turns.shift() ?? [], responseId: "r" };
  },
  getStreamedResponse: () => { throw new Error("not used"); },
};

// One conversation: its session rides in the run's context; the model is guarded for it too.
const chat = guard.session("ticket-c7", { id: "agent-7", roles: ["ops"] });
const agent = new Agent({ name: "ops", instructions: "help", model: guardAgentModel(chat, model, "scripted"), tools, outputGuardrails: [palisadeOutputGuardrail(guard)] });
const result = await new Runner().run(agent, "clean up for c7", { context: { palisade: chat } });
console.log(`answer: ${result.finalOutput}`);
