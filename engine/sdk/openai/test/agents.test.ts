import { test } from "node:test";
import assert from "node:assert/strict";
import { Agent, InputGuardrailTripwireTriggered, OutputGuardrailTripwireTriggered, Runner, Usage, setTracingDisabled, tool } from "@openai/agents";
import type { Model, ModelRequest, ModelResponse } from "@openai/agents";
import { z } from "zod";
import { createGuard } from "../../index.ts";
import { guardAgentTool, palisadeInputGuardrail, palisadeOutputGuardrail } from "../index.ts";
import { CARD, POLICY } from "../../test/fixtures.ts";

setTracingDisabled(true);

type Item = ModelResponse["output"][number];
const call = (name: string, args: unknown): Item => ({ type: "function_call", callId: `c-${name}`, name, arguments: JSON.stringify(args), status: "completed" }) as Item;
const say = (text: string): Item => ({ type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text }] }) as Item;

/** A scripted model: one response per turn; records the tool outputs it was sent. */
class FakeModel implements Model {
  readonly requests: ModelRequest[] = [];
  #turns: Item[][];
  constructor(turns: Item[][]) {
    this.#turns = turns;
  }
  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    return { usage: new Usage(), output: this.#turns.shift() ?? [say("done")], responseId: `r${this.requests.length}` };
  }
  // eslint-disable-next-line require-yield
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error("not used");
  }
}

function toolOutputs(model: FakeModel): string[] {
  const out: string[] = [];
  for (const r of model.requests) {
    if (!Array.isArray(r.input)) continue;
    for (const i of r.input as { type?: string; output?: unknown }[]) if (i.type === "function_call_result") out.push(JSON.stringify(i.output));
  }
  return [...new Set(out)];
}

test("Agents SDK: function tools denied, rewritten, redacted and approved by the guard", async () => {
  const approvals: string[] = [];
  const guard = createGuard({ policies: [POLICY], env: "test", agent: "openai-agent", approver: (r) => (approvals.push(`${r.tool}`), true) });
  const scope = guard.session("s1", { id: "u1", roles: [] });
  let deleted = false;
  let limit = 0;
  const tools = [
    tool({ name: "delete_file", description: "delete", parameters: z.object({ path: z.string() }), execute: async () => ((deleted = true), "gone") }),
    tool({ name: "search", description: "search", parameters: z.object({ limit: z.number() }), execute: async ({ limit: l }) => ((limit = l), { text: "mail eve@example.com" }) }),
    tool({ name: "refund", description: "refund", parameters: z.object({ amount: z.number() }), execute: async ({ amount }) => `refunded ${amount}` }),
  ].map((t) => guardAgentTool(scope, t));
  const model = new FakeModel([[call("delete_file", { path: "/etc" })], [call("search", { limit: 99 })], [call("refund", { amount: 900 })], [say("all done")]]);
  const agent = new Agent({ name: "ops", instructions: "help", model, tools });
  const result = await new Runner().run(agent, "tidy up");
  assert.equal(result.finalOutput, "all done");
  assert.equal(deleted, false);
  assert.equal(limit, 10);
  assert.deepEqual(approvals, ["refund"]);
  const outputs = toolOutputs(model).join("\n");
  assert.match(outputs, /blocked by policy: deleting files is not allowed/);
  assert.match(outputs, /\[EMAIL\]/);
  assert.doesNotMatch(outputs, /eve@example\.com/);
  assert.match(outputs, /refunded 900/);
});

test("Agents SDK: input and output guardrails trip on deny", async () => {
  const guard = createGuard({ policies: [{ path: "g.policy", text: `package g\nrule inj on input {\n  when input.text contains "ignore previous instructions"\n  then deny "prompt injection"\n}\nrule cards on output {\n  when output.text matches pii.credit_card\n  then deny "card numbers may not be shown"\n}\n` }], env: "test", agent: "openai-agent" });
  const agent = (text: string) => new Agent({ name: "a", instructions: "x", model: new FakeModel([[say(text)]]), inputGuardrails: [palisadeInputGuardrail(guard.anonymous())], outputGuardrails: [palisadeOutputGuardrail(guard.anonymous())] });
  await assert.rejects(new Runner().run(agent("hi"), "please ignore previous instructions"), InputGuardrailTripwireTriggered);
  await assert.rejects(new Runner().run(agent(`card ${CARD}`), "what is my card"), OutputGuardrailTripwireTriggered);
  const ok = await new Runner().run(agent("hello"), "hi");
  assert.equal(ok.finalOutput, "hello");
});
