// LangChain's own human-in-the-loop middleware beside Palisade's: a human's `edit` of a call is a
// new call, decided again by the policies (an approval the HITL reviewer gave to the model's
// arguments does not carry over to edited ones, nor does Palisade's own approval of them).
import { test } from "node:test";
import assert from "node:assert/strict";
import { tool } from "@langchain/core/tools";
import { fakeModel } from "@langchain/core/testing";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { MemorySaver, Command } from "@langchain/langgraph";
import { createAgent, humanInTheLoopMiddleware } from "langchain";
import { z } from "zod";
import { createGuard } from "../../index.ts";
import { palisadeMiddleware } from "../index.ts";
import { POLICY } from "../../test/fixtures.ts";

type Interrupts = { __interrupt__?: { value: { type?: string; tool?: string; args?: unknown } }[] };

test("LangChain HITL: an edit to a refund over the limit is decided again (Palisade asks its own approval), and runs only once that is given", async () => {
  const guard = createGuard({ policies: [POLICY], env: "test", agent: "lc-hitl" });
  const refunded: number[] = [];
  const tools = [tool(async ({ amount }) => (refunded.push(amount), `refunded ${amount}`), { name: "refund", description: "refund", schema: z.object({ amount: z.number() }) })];
  const model = fakeModel().respondWithTools([{ name: "refund", args: { amount: 40 }, id: "r1" }]).respond(new AIMessage("done"));
  const agent = createAgent({ model, tools, middleware: [humanInTheLoopMiddleware({ interruptOn: { refund: true } }), palisadeMiddleware(guard)], checkpointer: new MemorySaver() });
  const config = { configurable: { thread_id: "hitl-1" } };
  await agent.invoke({ messages: [new HumanMessage("refund 40")] }, config);
  // The reviewer edits 40 (which the policies allow) into 90,000.
  const edited = (await agent.invoke(new Command({ resume: { decisions: [{ type: "edit", editedAction: { name: "refund", args: { amount: 90_000 } } }] } }) as never, config)) as Interrupts;
  assert.deepEqual(refunded, [], "the edited call did not run on the reviewer's approval of 40");
  const asked = (edited.__interrupt__ ?? []).map((i) => i.value);
  assert.deepEqual(asked.map((v) => [v.type, v.tool, v.args]), [["palisade_approval", "refund", { amount: 90_000 }]]);
  await agent.invoke(new Command({ resume: { approved: false, by: "sue" } }) as never, config);
  assert.deepEqual(refunded, []);
});
