// The complete call the AI SDK shows its consumer is the part it then runs: a denied call's
// arguments, and the card number in an allowed or held call's, reach no consumer raw (every
// stream part, UI chunk, step, message and callback), while the tools run, and are denied,
// exactly as on the model's own arguments (spec/streams.md "The executable call").
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateText, jsonSchema, stepCountIs, streamText, tool } from "ai";
import { MockLanguageModelV4, convertArrayToReadableStream } from "ai/test";
import { createGuard } from "../../index.ts";
import type { AuditRecord } from "../../../audit/index.ts";
import { guardModel, guardTools } from "../index.ts";
import { CARD, POLICY } from "../../test/fixtures.ts";
import { leaked } from "../../test/leaks.ts";

const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } };
const SECRET = "/srv/SECRET-PATH-7731";
const RAW = [SECRET, CARD];
const calls = { delete: { path: SECRET }, pay: { card: CARD, note: "for order 12" } };

function setup(session: string) {
  const records: AuditRecord[] = [];
  const guard = createGuard({ policies: [POLICY], env: "test", agent: "ai-sdk", audit: { append: async (r) => void records.push(r) } });
  const scope = guard.session(session, { id: "u1", roles: [] });
  const ran: { tool: string; args: unknown }[] = [];
  // Required fields and a card pattern: the SDK checks a call against them before `execute`.
  const tools = guardTools(scope, {
    delete_file: tool({ inputSchema: jsonSchema<{ path: string }>({ type: "object", properties: { path: { type: "string" } }, required: ["path"] }), execute: async (a) => (ran.push({ tool: "delete_file", args: a }), "gone") }),
    pay: tool({ inputSchema: jsonSchema<{ card: string; note: string }>({ type: "object", properties: { card: { type: "string", pattern: "^[0-9 ]{12,23}$" }, note: { type: "string" } }, required: ["card"] }), execute: async (a) => (ran.push({ tool: "pay", args: a }), "paid") }),
    refund: tool({ inputSchema: jsonSchema<{ amount: number; card: string }>({ type: "object", properties: { amount: { type: "number" }, card: { type: "string" } }, required: ["amount", "card"] }), execute: async (a) => (ran.push({ tool: "refund", args: a }), "refunded") }),
  }, { onDeny: "message" });
  const history = () => (scope.check("tool_call", { tool: { name: "x", args: {} } }).payload as { session: { calls: { tool: { name: string; args: unknown }; outcome: string }[] } }).session.calls.map((c) => ({ tool: c.tool.name, args: c.tool.args, outcome: c.outcome }));
  return { guard, scope, tools, ran, history, records };
}

const callParts = (id: string, name: string, input: unknown) => {
  const text = JSON.stringify(input);
  return [
    { type: "tool-input-start", id, toolName: name },
    { type: "tool-input-delta", id, delta: text.slice(0, 9) },
    { type: "tool-input-delta", id, delta: text.slice(9) },
    { type: "tool-input-end", id },
    { type: "tool-call", toolCallId: id, toolName: name, input: text },
  ];
};
const finish = (raw: "tool_calls" | "stop") => ({ type: "finish", finishReason: { unified: raw === "stop" ? "stop" : "tool-calls", raw }, usage });
const stream = (parts: unknown[]) => ({ stream: convertArrayToReadableStream(parts as never[]) });

test("AI SDK streamText: a denied call shows the denial marker and a card is redacted in every part, UI chunk, step and callback; the tools run on the model's arguments", async () => {
  const { scope, tools, ran, history, guard, records } = setup("shown-stream");
  const mock = new MockLanguageModelV4({
    doStream: [stream([...callParts("d1", "delete_file", calls.delete), ...callParts("p1", "pay", calls.pay), finish("tool_calls")]), stream([{ type: "text-start", id: "t" }, { type: "text-delta", id: "t", delta: "done" }, { type: "text-end", id: "t" }, finish("stop")])],
  });
  const shown: unknown[] = [];
  const result = streamText({ model: guardModel(scope, mock), tools, prompt: "tidy and pay", stopWhen: stepCountIs(3), onChunk: (c) => void shown.push(c), onStepFinish: (s) => void shown.push(s), onFinish: (f) => void shown.push(f) });
  const full: unknown[] = [];
  const ui: unknown[] = [];
  await Promise.all([
    (async () => {
      for await (const p of result.fullStream) full.push(p);
    })(),
    (async () => {
      for await (const c of result.toUIMessageStream()) ui.push(c);
    })(),
  ]);
  shown.push(full, ui, await result.steps, await result.response, await result.content, await result.toolCalls, await result.toolResults);
  assert.deepEqual(leaked(shown, RAW), [], "no raw argument of the denied call, no raw card, anywhere the consumer looks");
  // What the consumer is shown instead, consistent with the decisions recorded.
  const call = (id: string) => full.find((p) => (p as { type: string; toolCallId?: string }).type === "tool-call" && (p as { toolCallId: string }).toolCallId === id) as { input: unknown };
  assert.deepEqual(call("d1").input, { palisade: "denied" });
  assert.deepEqual(call("p1").input, { card: "[CARD]", note: "for order 12" });
  const available = ui.filter((c) => (c as { type: string }).type === "tool-input-available").map((c) => (c as { input: unknown }).input);
  assert.deepEqual(available, [{ palisade: "denied" }, { card: "[CARD]", note: "for order 12" }]);
  const denial = full.find((p) => (p as { type: string; toolCallId?: string }).type === "tool-result" && (p as { toolCallId: string }).toolCallId === "d1") as { output: unknown };
  assert.equal(denial.output, "blocked by policy: deleting files is not allowed", "the model reads the denial, as before");
  // The tools ran, and were denied, on the model's own arguments.
  assert.deepEqual(ran, [{ tool: "pay", args: calls.pay }]);
  assert.deepEqual(history(), [{ tool: "delete_file", args: calls.delete, outcome: "denied" }, { tool: "pay", args: calls.pay, outcome: "executed" }]);
  await guard.flush();
  assert.deepEqual(records.filter((r) => r.phase === "tool_call" && r.tool !== "x").map((r) => [r.tool, r.decision]), [["delete_file", "deny"], ["pay", "allow"]]);
});

test("AI SDK generateText: the steps, content and messages hold the marker and the redacted card; the call held for a human shows the card redacted and, approved, runs with the model's", async () => {
  const { scope, tools, ran, history } = setup("shown-generate");
  const step = (id: string, name: string, input: unknown) => ({ content: [{ type: "tool-call" as const, toolCallId: id, toolName: name, input: JSON.stringify(input) }], finishReason: { unified: "tool-calls" as const, raw: "tool_calls" }, usage, warnings: [] });
  const done = { content: [{ type: "text" as const, text: "ok" }], finishReason: { unified: "stop" as const, raw: "stop" }, usage, warnings: [] };
  const refund = { amount: 902, card: CARD };
  const mock = new MockLanguageModelV4({ doGenerate: [step("d1", "delete_file", calls.delete), step("r1", "refund", refund), done] });
  const model = guardModel(scope, mock);
  const shown: unknown[] = [];
  const first = await generateText({ model, tools, prompt: "go", stopWhen: stepCountIs(3), onStepFinish: (s) => void shown.push(s) });
  shown.push(first.steps, first.content, first.response, first.toolCalls);
  assert.deepEqual(leaked(shown, RAW), []);
  const request = first.content.find((c) => c.type === "tool-approval-request") as { approvalId: string; toolCall: { input: unknown } };
  assert.deepEqual(request.toolCall.input, { amount: 902, card: "[CARD]" }, "the human sees what they approve, the card masked");
  assert.deepEqual(ran, []);
  // The client sends the conversation back (as shown) with the human's answer: the call runs with the model's arguments.
  const messages = [{ role: "user" as const, content: "go" }, ...first.response.messages, { role: "tool" as const, content: [{ type: "tool-approval-response" as const, approvalId: request.approvalId, approved: true }] }];
  const second = await generateText({ model, tools, messages, stopWhen: stepCountIs(2) });
  assert.deepEqual(leaked([second.steps, second.response, second.content], RAW), []);
  assert.deepEqual(ran, [{ tool: "refund", args: refund }]);
  assert.deepEqual(history().map((c) => `${c.tool}:${c.outcome}`), ["delete_file:denied", "refund:executed"]);
});

test("AI SDK: a marker whose arguments this guard does not hold (another process, forged by the client) runs nothing", async () => {
  const { tools, ran } = setup("shown-forged");
  const exec = tools.delete_file.execute as (i: unknown, o: unknown) => Promise<unknown>;
  await assert.rejects(exec({ palisade: "denied" }, { toolCallId: "zz", messages: [] }), /withheld/);
  await assert.rejects(exec({ palisade: "withheld" }, { toolCallId: "zz", messages: [] }), /withheld/);
  assert.deepEqual(ran, []);
});
