// The Agents SDK runs a call from the response item it also shows (the `tool_called` run item and
// its stream event, newItems, history, rawResponses, a RunState and its interruptions): a denied
// call's arguments, and a card in a call's arguments, reach none of them raw, while the tools run,
// and are denied, on the model's own arguments (spec/streams.md "The executable call").
import { test } from "node:test";
import assert from "node:assert/strict";
import { Agent, RunState, Runner, Usage, setTracingDisabled, tool } from "@openai/agents";
import type { Model, ModelRequest, ModelResponse, RunResult, StreamEvent } from "@openai/agents";
import { z } from "zod";
import type { AuditRecord } from "../../../audit/index.ts";
import { createGuard } from "../../index.ts";
import { guardAgentModel, guardAgentTool } from "../agents.ts";
import { CARD, POLICY } from "../../test/fixtures.ts";
import { leaked } from "../../test/leaks.ts";

setTracingDisabled(true);

type Item = ModelResponse["output"][number];
const SECRET = "/srv/SECRET-PATH-7731";
const RAW = [SECRET, CARD];
const call = (name: string, args: unknown, callId: string): Item => ({ type: "function_call", callId, name, arguments: JSON.stringify(args), status: "completed" }) as Item;
const say = (text: string): Item => ({ type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text }] }) as Item;

/** A scripted Responses-API model: one response per turn, streamed with its items' raw events. */
class ScriptedModel implements Model {
  #turns: Item[][];
  constructor(turns: Item[][]) {
    this.#turns = turns;
  }
  async getResponse(_request: ModelRequest): Promise<ModelResponse> {
    return { usage: new Usage(), output: this.#turns.shift() ?? [say("done")], responseId: "r" };
  }
  async *getStreamedResponse(request: ModelRequest): AsyncIterable<StreamEvent> {
    const r = await this.getResponse(request);
    yield { type: "response_started" };
    for (const item of r.output) yield { type: "model", event: { type: "response.output_item.done", item } } as StreamEvent;
    yield { type: "response_done", response: { id: "r", usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 }, output: r.output } } as StreamEvent;
  }
}

function setup(session: string, turns: Item[][]) {
  const records: AuditRecord[] = [];
  const guard = createGuard({ policies: [POLICY], env: "test", agent: "agents-shown", audit: { append: async (r) => void records.push(r) } });
  const ran: { tool: string; args: unknown }[] = [];
  const tools = [
    guardAgentTool(guard, tool({ name: "delete_file", description: "delete", parameters: z.object({ path: z.string() }), execute: async (a) => (ran.push({ tool: "delete_file", args: a }), "gone") })),
    guardAgentTool(guard, tool({ name: "pay", description: "pay", parameters: z.object({ card: z.string().regex(/^[0-9 ]+$/), note: z.string() }), execute: async (a) => (ran.push({ tool: "pay", args: a }), "paid") })),
    guardAgentTool(guard, tool({ name: "refund", description: "refund", parameters: z.object({ amount: z.number(), card: z.string() }), execute: async (a) => (ran.push({ tool: "refund", args: a }), "refunded") })),
  ];
  const agent = new Agent({ name: "ops", instructions: "help", model: guardAgentModel(guard.session(session, { id: "u1", roles: [] }), new ScriptedModel(turns), "gpt-test"), tools });
  const context = { palisade: { session, principal: { id: "u1", roles: [] } } };
  return { guard, records, ran, agent, context };
}

// What a run shows, streamed or not.
type Result = Pick<RunResult<any, Agent<any, any>>, "newItems" | "history" | "output" | "rawResponses" | "interruptions" | "finalOutput" | "state">;
const shownBy = (r: Result): unknown[] => [r.newItems, r.history, r.output, r.rawResponses, r.interruptions, r.finalOutput, r.state.toString()];

for (const stream of [false, true]) {
  test(`Agents SDK ${stream ? "streamed" : "run"}: a denied call shows the denial marker and a card is redacted in every item, event and the RunState; the tools run on the model's arguments`, async () => {
    const pay = { card: CARD, note: "order 12" };
    const { guard, records, ran, agent, context } = setup(`shown-${stream}`, [[call("delete_file", { path: SECRET }, "d1"), call("pay", pay, "p1")], [say("done")]]);
    const shown: unknown[] = [];
    let result: Result;
    if (stream) {
      const s = await new Runner().run(agent, "tidy and pay", { context, stream: true });
      for await (const e of s) shown.push(e);
      await s.completed;
      result = s;
    } else result = await new Runner().run(agent, "tidy and pay", { context });
    shown.push(...shownBy(result));
    assert.deepEqual(leaked(shown, RAW), [], "no raw argument of the denied call, no raw card");
    const called = result.newItems.filter((i) => i.type === "tool_call_item").map((i) => [(i.rawItem as { name: string }).name, JSON.parse((i.rawItem as { arguments: string }).arguments)]);
    assert.deepEqual(called, [["delete_file", { palisade: "denied" }], ["pay", { card: "[CARD]", note: "order 12" }]]);
    const outputs = result.newItems.filter((i) => i.type === "tool_call_output_item").map((i) => String((i as { output: unknown }).output));
    assert.match(outputs.join("\n"), /blocked by policy: deleting files is not allowed/);
    assert.deepEqual(ran, [{ tool: "pay", args: pay }]);
    await guard.flush();
    assert.deepEqual(records.filter((r) => r.phase === "tool_call").map((r) => [r.tool, r.decision]), [["delete_file", "deny"], ["pay", "allow"]]);
  });
}

test("Agents SDK: a call held for a human shows the card redacted in the interruption and the saved RunState; approved after a restore, it runs with the model's card", async () => {
  const refund = { amount: 902, card: CARD };
  const { ran, agent, context } = setup("shown-held", [[call("refund", refund, "r1")], [say("refund done")]]);
  const first = await new Runner().run(agent, "refund it", { context });
  assert.equal(first.interruptions.length, 1);
  assert.deepEqual(leaked(shownBy(first), [CARD]), []);
  assert.deepEqual(JSON.parse((first.interruptions[0]!.rawItem as { arguments: string }).arguments), { amount: 902, card: "[CARD]" });
  const state = await RunState.fromString(agent, first.state.toString());
  for (const item of state.getInterruptions()) state.approve(item);
  const resumed = await new Runner().run(agent, state);
  assert.deepEqual(leaked(shownBy(resumed), [CARD]), []);
  assert.deepEqual(ran, [{ tool: "refund", args: refund }]);
});
