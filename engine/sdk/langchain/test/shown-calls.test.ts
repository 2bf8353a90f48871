// LangGraph's state holds the AIMessage whose calls the tools node runs, and every stream mode
// shows that state: a denied call's arguments, and a card in a call's arguments, reach no
// consumer raw (values, updates, messages, debug, tasks, checkpoints, streamEvents, the state and
// its history, the interrupt a human answers), while the tools run, and are denied, on the model's
// own arguments (spec/streams.md "The executable call").
import { test } from "node:test";
import assert from "node:assert/strict";
import { tool } from "@langchain/core/tools";
import { fakeModel } from "@langchain/core/testing";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { Command, MemorySaver } from "@langchain/langgraph";
import { createAgent } from "langchain";
import { z } from "zod";
import type { AuditRecord } from "../../../audit/index.ts";
import { createGuard } from "../../index.ts";
import { guardChatModel, palisadeMiddleware } from "../index.ts";
import { CARD, POLICY } from "../../test/fixtures.ts";
import { leaked } from "../../test/leaks.ts";

const SECRET = "/srv/SECRET-PATH-7731";
const RAW = [SECRET, CARD];
const MODES = ["values", "updates", "messages", "debug", "tasks", "checkpoints", "custom"] as const;

function setup() {
  const records: AuditRecord[] = [];
  const guard = createGuard({ policies: [POLICY], env: "test", agent: "lc-shown", audit: { append: async (r) => void records.push(r) } });
  const ran: { tool: string; args: unknown }[] = [];
  const tools = [
    tool(async (a) => (ran.push({ tool: "delete_file", args: a }), "gone"), { name: "delete_file", description: "delete", schema: z.object({ path: z.string() }) }),
    tool(async (a) => (ran.push({ tool: "pay", args: a }), "paid"), { name: "pay", description: "pay", schema: z.object({ card: z.string().regex(/^[0-9 ]+$/), note: z.string() }) }),
    tool(async (a) => (ran.push({ tool: "refund", args: a }), "refunded"), { name: "refund", description: "refund", schema: z.object({ amount: z.number(), card: z.string() }) }),
  ];
  return { guard, records, ran, tools };
}

const calls = [
  { name: "delete_file", args: { path: SECRET }, id: "d1" },
  { name: "pay", args: { card: CARD, note: "order 12" }, id: "p1" },
];

async function everyMode(agent: { stream: (input: unknown, config: unknown) => Promise<AsyncIterable<unknown>>; streamEvents: (input: unknown, config: unknown) => AsyncIterable<unknown> }, input: unknown, thread: string, shown: unknown[]): Promise<void> {
  for await (const c of await agent.stream(input, { streamMode: [...MODES], configurable: { thread_id: thread }, subgraphs: true })) shown.push(c, JSON.stringify(c));
}

test("LangGraph: every stream mode, the state and its history show a denied call's marker and a card redacted; the tools run on the model's arguments", async () => {
  const { guard, records, ran, tools } = setup();
  const model = fakeModel().respondWithTools(calls).respond(new AIMessage("done"));
  const agent = createAgent({ model, tools, middleware: [palisadeMiddleware(guard)], checkpointer: new MemorySaver() });
  const shown: unknown[] = [];
  await everyMode(agent as never, { messages: [new HumanMessage("tidy and pay")] }, "shown-1", shown);
  const config = { configurable: { thread_id: "shown-1" } };
  const state = await agent.graph.getState(config);
  shown.push(state);
  for await (const s of agent.graph.getStateHistory(config)) shown.push(s);
  assert.deepEqual(leaked(shown, RAW), [], "no raw argument of the denied call, no raw card, in any mode or state");
  const ai = (state.values as { messages: AIMessage[] }).messages.find((m) => m.getType() === "ai" && (m.tool_calls?.length ?? 0) > 0);
  assert.deepEqual(ai?.tool_calls?.map((c) => [c.name, c.args]), [["delete_file", { palisade: "denied" }], ["pay", { card: "[CARD]", note: "order 12" }]]);
  const replies = (state.values as { messages: { getType(): string; content: unknown }[] }).messages.filter((m) => m.getType() === "tool").map((m) => String(m.content));
  assert.match(replies.join("\n"), /blocked by policy: deleting files is not allowed/);
  assert.deepEqual(ran, [{ tool: "pay", args: calls[1]!.args }], "the allowed call ran with the model's card; the denied one never ran");
  await guard.flush();
  const decided = records.filter((r) => r.phase === "tool_call").map((r) => [r.tool, r.decision, r.session]);
  assert.deepEqual(decided, [["delete_file", "deny", "shown-1"], ["pay", "allow", "shown-1"]]);
});

test("LangGraph streamEvents: no event carries a denied call's arguments; the card is shown raw only by the allowed tool's own run", async () => {
  const { guard, tools } = setup();
  const model = fakeModel().respondWithTools(calls).respond(new AIMessage("done"));
  const agent = createAgent({ model, tools, middleware: [palisadeMiddleware(guard)] });
  const shown: unknown[] = [];
  for await (const e of agent.streamEvents({ messages: [new HumanMessage("tidy")] }, { version: "v2", configurable: { thread_id: "shown-ev" } })) shown.push(e);
  assert.deepEqual(leaked(shown, [SECRET]), [], "the denied call: nothing, in any event");
  // The allowed call's own tool run (on_tool_start/on_tool_end) traces the arguments the tool runs
  // with (spec/streams.md: left); every other event shows the card redacted.
  const own = (e: unknown) => ["on_tool_start", "on_tool_end"].includes((e as { event: string }).event) && (e as { name: string }).name === "pay";
  assert.deepEqual(leaked(shown.filter((e) => !own(e)), [CARD]), []);
});

test("LangGraph: a call held for a human shows the card redacted in the state and the interrupt; approved, it runs with the model's card", async () => {
  const { guard, ran, tools } = setup();
  const refund = { amount: 902, card: CARD };
  const model = fakeModel().respondWithTools([{ name: "refund", args: refund, id: "r1" }]).respond(new AIMessage("done"));
  // The application's own guarded model: the middleware shows its calls the same way.
  const agent = createAgent({ model: guardChatModel(guard, model) as never, tools, middleware: [palisadeMiddleware(guard)], checkpointer: new MemorySaver() });
  const shown: unknown[] = [];
  await everyMode(agent as never, { messages: [new HumanMessage("refund")] }, "shown-2", shown);
  const config = { configurable: { thread_id: "shown-2" } };
  const state = await agent.graph.getState(config);
  shown.push(state);
  assert.deepEqual(leaked(shown, [CARD]), []);
  const interrupt = state.tasks.flatMap((t) => t.interrupts)[0]?.value as { args: unknown };
  assert.deepEqual(interrupt.args, { amount: 902, card: "[CARD]" });
  assert.deepEqual(ran, []);
  const after: unknown[] = [];
  await everyMode(agent as never, new Command({ resume: { approved: true, by: "sue" } }), "shown-2", after);
  assert.deepEqual(leaked(after, [CARD]), []);
  assert.deepEqual(ran, [{ tool: "refund", args: refund }]);
});

test("LangGraph: a marker whose arguments this guard does not hold (another process, a made-up state) runs nothing; the model reads why", async () => {
  const { guard, ran, tools } = setup();
  const model = fakeModel().respondWithTools([{ name: "pay", args: { palisade: "denied" }, id: "zz" }]).respond(new AIMessage("done"));
  // The model's answer is the marker itself: nothing is held for it.
  const agent = createAgent({ model, tools, middleware: [palisadeMiddleware(guard)] });
  const out = await agent.invoke({ messages: [new HumanMessage("tidy")] }, { configurable: { thread_id: "shown-forged" } });
  assert.deepEqual(ran, []);
  const replies = (out.messages as { getType(): string; content: unknown }[]).filter((m) => m.getType() === "tool").map((m) => String(m.content));
  assert.match(replies.join("\n"), /withheld from the conversation/);
});
