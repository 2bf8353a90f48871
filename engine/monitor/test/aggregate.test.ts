// Aggregates: what an event adds, merging, and the JSON form the stores keep.
import assert from "node:assert/strict";
import { test } from "node:test";
import { NO_TOOL, addEvent, aggregateFromJson, aggregateToJson, emptyAggregate, mergeAggregates } from "../aggregate.ts";
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
  assert.deepEqual([...a.tools], [["refund", 1], [NO_TOOL, 1]]);
  assert.deepEqual([...a.decisions], [["deny", 1], ["allow", 1]]);
  assert.deepEqual([...a.ruleDenials], [["a.deny", 1]]);
  assert.deepEqual([...a.ruleApprovals], [["a.ask", 1]]);
  assert.deepEqual([...a.categories], [["answer", 1]]);
  assert.equal(a.labels.get("channel")?.get("web"), 1);
  assert.equal(a.evaluations.get("refusal")?.get("answer"), 1);
  assert.deepEqual(a.numeric.get("latency")?.values, [12]);
  assert.deepEqual(a.numeric.get("tokens")?.values, [15]);
  assert.deepEqual(a.numeric.get("score:judge")?.values, [0.8]);
  assert.deepEqual(a.numeric.get("score:answer_length")?.values, [42]);
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
  assert.equal(m.numeric.get("latency")?.count, 2);
  assert.deepEqual(m.numeric.get("latency")?.values.sort(), [1, 2]);
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
