import { test } from "node:test";
import assert from "node:assert/strict";
import { foldRuns } from "../runs.ts";

test("each number is the median of its runs, with its [min, max] at the same place; labels come from the first run", () => {
  const { figures, spread } = foldRuns([
    { ns: 130, ratios: { x: 1.9 }, evaluator: "compiled", count: 10 },
    { ns: 260, ratios: { x: 2.1 }, evaluator: "compiled", count: 10 },
    { ns: 120, ratios: { x: 1.333333333 }, evaluator: "compiled", count: 10 },
  ]);
  assert.deepEqual(figures, { ns: 130, ratios: { x: 1.9 }, evaluator: "compiled", count: 10 });
  assert.deepEqual(spread, { ns: [120, 260], ratios: { x: [1.333333333, 2.1] }, count: [10, 10] });
});

test("an even number of runs takes the mean of the middle two; one run has no spread to speak of", () => {
  assert.deepEqual(foldRuns([{ a: 1 }, { a: 4 }]).figures, { a: 2.5 });
  assert.deepEqual(foldRuns([{ a: 7 }]), { figures: { a: 7 }, spread: { a: [7, 7] } });
  assert.throws(() => foldRuns([]), /no runs/);
});
