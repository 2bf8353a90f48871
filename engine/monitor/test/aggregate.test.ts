// Aggregates: what an event adds, merging, and the JSON form the stores keep.
import assert from "node:assert/strict";
import { test } from "node:test";
import { addEvent, aggregateFromJson, aggregateToJson, emptyAggregate, mergeAggregates } from "../aggregate.ts";
import { seededRandom } from "../random.ts";

test("an event adds to every counter it names", () => {
  const a = emptyAggregate();
  const rand = seededRandom(1);
  addEvent(a, {
    time: 1, decision: "deny", tool: "refund", category: "answer", labels: { channel: "web" }, latencyMs: 12, tokens: { input: 10, output: 5 }, scores: { judge: 0.8 },
    rules: [{ rule: "a.deny", effect: "deny" }, { rule: "a.ask", effect: "require_approval" }, { rule: "a.warn", effect: "warn" }],
  }, { refusal: "answer", answer_length: 42 }, 16, rand);
  addEvent(a, { time: 2, decision: "allow" }, undefined, 16, rand);
  assert.equal(a.count, 2);
  assert.deepEqual([...a.tools], [["refund", 1]], "decisions without a tool are not tool use");
  assert.deepEqual([...a.decisions], [["deny", 1], ["allow", 1]]);
  assert.deepEqual([...a.ruleDenials], [["a.deny", 1]]);
  assert.deepEqual([...a.ruleApprovals], [["a.ask", 1]]);
  assert.deepEqual([...a.categories], [["answer", 1]]);
  assert.equal(a.labels.get("channel")?.get("web"), 1);
  assert.equal(a.evaluations.get("refusal")?.get("answer"), 1);
  assert.deepEqual(a.numeric.get("decision_latency")?.values, [12], "a decision's latency is the policy's, not the tool's");
  assert.equal(a.numeric.get("latency"), undefined);
  assert.deepEqual(a.numeric.get("tokens")?.values, [15]);
  assert.deepEqual(a.firsts.get("session"), 2, "without sessions, each decision is one");
  assert.deepEqual(a.firsts.get("deny:a.deny"), 1);
  assert.deepEqual(a.numeric.get("score:judge")?.values, [0.8]);
  assert.deepEqual(a.numeric.get("score:answer_length")?.values, [42]);
});

test("the tool mix counts tool calls only: a tool_result is the same use seen again (case 1)", () => {
  const a = emptyAggregate();
  const rand = seededRandom(4);
  for (const phase of ["input", "model_call", "tool_call", "tool_result", "output"]) addEvent(a, { time: 1, decision: "allow", phase, ...(phase.startsWith("tool") ? { tool: "send_email" } : {}) }, undefined, 8, rand);
  assert.deepEqual([...a.tools], [["send_email", 1]]);
  assert.equal(a.count, 5);
});

test("outcomes: wall time, errors, tokens and output size, per tool or model", () => {
  const a = emptyAggregate();
  const rand = seededRandom(5);
  addEvent(a, { kind: "outcome", time: 1, phase: "tool_call", tool: "lookup", durationMs: 120, outputSize: 900 }, undefined, 8, rand);
  addEvent(a, { kind: "outcome", time: 2, phase: "tool_call", tool: "lookup", durationMs: 5000, error: { source: "tool", type: "Timeout" } }, undefined, 8, rand);
  addEvent(a, { kind: "outcome", time: 3, phase: "model_call", model: "gpt-4.1", durationMs: 800, tokens: { input: 1000, output: 50 } }, undefined, 8, rand);
  assert.equal(a.count, 0, "outcomes are not decisions");
  assert.deepEqual([...a.outcomes], [["lookup", 2], ["model:gpt-4.1", 1]]);
  assert.deepEqual([...a.errors], [["lookup", 1]]);
  assert.deepEqual(a.numeric.get("latency")?.values, [120, 5000, 800]);
  assert.deepEqual(a.numeric.get("latency:lookup")?.values, [120, 5000]);
  assert.deepEqual(a.numeric.get("output_size")?.values, [900]);
  assert.deepEqual(a.numeric.get("input_tokens")?.values, [1000]);
  assert.deepEqual(a.numeric.get("output_tokens")?.values, [50]);
  assert.equal(a.firsts.get("error:lookup"), 1);
});

test("merging adds counts and keeps samples", () => {
  const rand = seededRandom(2);
  const a = emptyAggregate();
  const b = emptyAggregate();
  addEvent(a, { time: 1, decision: "allow", tool: "x", latencyMs: 1 }, undefined, 8, rand);
  addEvent(b, { time: 2, decision: "allow", tool: "x", latencyMs: 2 }, undefined, 8, rand);
  addEvent(b, { time: 3, decision: "deny", tool: "y" }, undefined, 8, rand);
  const m = mergeAggregates([a, b], 8, rand);
  assert.equal(m.count, 3);
  assert.equal(m.tools.get("x"), 2);
  assert.equal(m.numeric.get("decision_latency")?.count, 2);
  assert.deepEqual(m.numeric.get("decision_latency")?.values.sort(), [1, 2]);
  assert.equal(m.firsts.get("deny"), 1);
});

test("the JSON form round-trips, including keys such as __proto__ and empty samples", () => {
  const rand = seededRandom(3);
  const a = emptyAggregate();
  addEvent(a, { time: 1, decision: "allow", tool: "__proto__", labels: { constructor: "x" } }, { refusal: "refusal" }, 8, rand);
  a.numeric.set("score:empty", { count: 0, sum: 0, min: Infinity, max: -Infinity, values: [] });
  const text = JSON.stringify(aggregateToJson(a));
  const back = aggregateFromJson(JSON.parse(text));
  assert.ok(back);
  assert.equal(back.tools.get("__proto__"), 1);
  assert.equal(back.labels.get("constructor")?.get("x"), 1);
  assert.equal(back.numeric.get("score:empty")?.min, Infinity);
  assert.deepEqual(aggregateToJson(back), aggregateToJson(a));
});

test("damaged JSON is refused", () => {
  assert.equal(aggregateFromJson(null), undefined);
  assert.equal(aggregateFromJson({ count: 1 }), undefined);
  const ok = aggregateToJson(emptyAggregate());
  assert.equal(aggregateFromJson({ ...ok, tools: { x: -1 } }), undefined);
  assert.equal(aggregateFromJson({ ...ok, numeric: { latency: { count: 1, sum: 1, values: ["1"] } } }), undefined);
  assert.ok(aggregateFromJson(ok));
});
