// Built-in evaluators and their use by the monitor: sampled, off the decision path, async
// judges awaited, a failing judge costs one score only.
import assert from "node:assert/strict";
import { test } from "node:test";
import { answerLengthEvaluator, customEvaluator, piiLeakEvaluator, refusalEvaluator } from "../evaluators.ts";
import { Monitor } from "../monitor.ts";

const ev = { time: 0, decision: "allow" as const };

test("refusal detection", () => {
  const r = refusalEvaluator();
  for (const t of ["I'm sorry, but I can't help with that.", "I cannot assist with this request.", "I am unable to share that.", "I won't provide instructions for that.", "I must decline."]) assert.equal(r.evaluate(t, ev), "refusal", t);
  for (const t of ["Here is your refund status.", "Sorry for the wait! Your order shipped.", "I can help with that: the total is $12."]) assert.equal(r.evaluate(t, ev), "answer", t);
  assert.equal(refusalEvaluator({ patterns: [/nope/] }).evaluate("nope", ev), "refusal");
});

test("PII leakage uses the standard library's detectors", () => {
  const p = piiLeakEvaluator();
  assert.equal(p.evaluate("write to jane.doe@example.com", ev), "leak");
  assert.equal(p.evaluate("card 4111 1111 1111 1111", ev), "leak");
  assert.equal(p.evaluate("your order shipped today", ev), "clean");
  assert.equal(piiLeakEvaluator({ detectors: ["pii.ssn"] }).evaluate("write to jane.doe@example.com", ev), "clean");
  assert.throws(() => piiLeakEvaluator({ detectors: ["pii.nope"] }), /unknown detector 'pii.nope'/);
});

test("answer length in characters or words", () => {
  assert.equal(answerLengthEvaluator().evaluate("four words right here", ev), 21);
  assert.equal(answerLengthEvaluator({ unit: "words" }).evaluate(" four words  right here ", ev), 4);
});

test("the monitor runs evaluators at flush time, on their sample, awaiting async judges", async () => {
  let judged = 0;
  const judge = customEvaluator("judge", async (out) => {
    judged++;
    await new Promise((ok) => setTimeout(ok, 1));
    return out.length > 10 ? 0.9 : 0.1;
  }, { sampleRate: 0.25 });
  const failing = customEvaluator("broken", () => {
    throw new Error("judge down");
  });
  const errors: unknown[] = [];
  const m = new Monitor({ evaluators: [refusalEvaluator(), judge, failing], flushIntervalMs: 0, seed: 1, onError: (e) => errors.push(e) });
  for (let i = 0; i < 400; i++) m.record({ time: 0, decision: "allow", output: i % 4 === 0 ? "I cannot help with that." : "Here is the answer you wanted." });
  assert.equal(judged, 0, "nothing runs on the decision path");
  const r = await m.flush();
  assert.equal(r.evaluated, 400);
  assert.ok(judged > 60 && judged < 140, `judged ${judged} of 400 at rate 0.25`);
  assert.equal(errors.length, 400, "each failure reported, none fatal");
  const [b] = await m.store.buckets({ from: 0, to: 1 });
  assert.deepEqual([...(b.aggregate.evaluations.get("refusal") ?? [])].sort(), [["answer", 300], ["refusal", 100]]);
  assert.equal(b.aggregate.numeric.get("score:judge")?.count, judged);
  assert.equal(b.aggregate.evaluations.get("broken"), undefined);
  await m.close();
});
