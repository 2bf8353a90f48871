// A RunState the application serialises to a client and takes back: the client can edit it
// (arguments, approvals, the context naming the session). Only an approval of a call this guard
// paused, in this session, with the arguments the human was asked about, lets the call run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Agent, RunState, Runner, Usage, setTracingDisabled, tool } from "@openai/agents";
import type { Model, ModelResponse, StreamEvent } from "@openai/agents";
import { z } from "zod";
import type { AuditRecord } from "../../../audit/index.ts";
import { createGuard } from "../../index.ts";
import { guardAgentTool } from "../agents.ts";
import { POLICY } from "../../test/fixtures.ts";

setTracingDisabled(true);

async function approvedState(session: string) {
  const records: AuditRecord[] = [];
  const guard = createGuard({ policies: [POLICY], env: "test", agent: "openai-agent", audit: { append: async (r) => void records.push(r) } });
  const refunded: number[] = [];
  const refund = guardAgentTool(guard, tool({ name: "refund", description: "refund", parameters: z.object({ amount: z.number() }), execute: async ({ amount }) => (refunded.push(amount), `refunded ${amount}`) }));
  const turns = [[{ type: "function_call", callId: "c1", name: "refund", arguments: '{"amount":900}', status: "completed" }]];
  const model: Model = {
    async getResponse(): Promise<ModelResponse> {
      return { usage: new Usage(), output: (turns.shift() ?? [{ type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: "ok" }] }]) as ModelResponse["output"], responseId: "r" };
    },
    async *getStreamedResponse(): AsyncIterable<StreamEvent> {},
  };
  const agent = new Agent({ name: "ops", instructions: "help", model, tools: [refund] });
  const first = await new Runner().run(agent, "refund it", { context: { palisade: { session, principal: { id: "u1", roles: [] } } } });
  assert.equal(first.interruptions.length, 1);
  // The client's human approves 900; the state goes to the client and comes back as text.
  const state = await RunState.fromString(agent, first.state.toString());
  for (const item of state.getInterruptions()) state.approve(item);
  return { guard, agent, records, refunded, text: state.toString() };
}

test("Agents SDK RunState: arguments edited in the returned state are not the approved call", async () => {
  const s = await approvedState("rs-edit");
  const edited = s.text.replaceAll('{\\"amount\\":900}', '{\\"amount\\":90000}').replaceAll("9e2", "9e4");
  assert.notEqual(edited, s.text);
  await new Runner().run(s.agent, await RunState.fromString(s.agent, edited)).catch(() => undefined);
  assert.deepEqual(s.refunded.filter((a) => a !== 900), [], "90,000 was never shown to a human");
});

test("Agents SDK RunState: a state moved to another session (its context edited) approves nothing there", async () => {
  const s = await approvedState("rs-a");
  const moved = s.text.replaceAll('"session":"rs-a"', '"session":"rs-b"');
  assert.notEqual(moved, s.text);
  await new Runner().run(s.agent, await RunState.fromString(s.agent, moved)).catch(() => undefined);
  assert.deepEqual(s.refunded, [], "rs-b's guard never paused this call");
  await s.guard.flush();
  const inB = s.records.filter((r) => r.session === "rs-b" && r.phase === "tool_call");
  assert.deepEqual(inB.map((r) => r.outcome), ["approval_refused"]);
});

test("Agents SDK RunState: an approved state resumed twice runs the call once", async () => {
  const s = await approvedState("rs-twice");
  await new Runner().run(s.agent, await RunState.fromString(s.agent, s.text));
  await new Runner().run(s.agent, await RunState.fromString(s.agent, s.text)).catch(() => undefined);
  assert.deepEqual(s.refunded, [900]);
});

test("Agents SDK RunState: paused calls are bounded per session (history.maxApprovals); an approval of one forgotten for room runs nothing, recorded as refused", async () => {
  const records: AuditRecord[] = [];
  const policy = { path: "big.policy", text: 'package big\n\nrule big on tool_call {\n  when tool.name == "refund" and tool.args.amount > 500\n  then require_approval "needs approval"\n}\n' };
  const guard = createGuard({ policies: [policy], env: "test", agent: "openai-agent", history: { maxApprovals: 1 }, audit: { append: async (r) => void records.push(r) } });
  const refunded: number[] = [];
  const refund = guardAgentTool(guard, tool({ name: "refund", description: "refund", parameters: z.object({ amount: z.number() }), execute: async ({ amount }) => (refunded.push(amount), `refunded ${amount}`) }));
  const call = (callId: string, amount: number) => ({ type: "function_call", callId, name: "refund", arguments: JSON.stringify({ amount }), status: "completed" });
  const turns = [[call("c1", 900), call("c2", 800)]];
  const model: Model = {
    async getResponse(): Promise<ModelResponse> {
      return { usage: new Usage(), output: (turns.shift() ?? [{ type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: "ok" }] }]) as ModelResponse["output"], responseId: "r" };
    },
    async *getStreamedResponse(): AsyncIterable<StreamEvent> {},
  };
  const agent = new Agent({ name: "ops", instructions: "help", model, tools: [refund] });
  const first = await new Runner().run(agent, "refund both", { context: { palisade: { session: "rs-bound", principal: { id: "u1", roles: [] } } } });
  assert.equal(first.interruptions.length, 2);
  const state = await RunState.fromString(agent, first.state.toString());
  for (const item of state.getInterruptions()) state.approve(item);
  await new Runner().run(agent, state).catch(() => undefined);
  assert.deepEqual(refunded, [800], "c1 was forgotten for room: its approval approves nothing");
  await guard.flush();
  const c1 = records.filter((r) => r.phase === "tool_call" && r.outcome === "approval_refused");
  assert.equal(c1.length, 1);
});
