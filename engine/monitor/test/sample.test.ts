// Bounded samples: reservoirs keep exact counts and sums with at most `cap` values, and merging
// keeps each part's share proportional to its count, so a merged window is still a fair sample.
import assert from "node:assert/strict";
import { test } from "node:test";
import { seededRandom } from "../random.ts";
import { addValue, emptySample, mergeSamples } from "../sample.ts";

test("a reservoir keeps exact count, sum, min and max and at most cap values", () => {
  const rand = seededRandom(1);
  const s = emptySample();
  for (let i = 1; i <= 1000; i++) addValue(s, i, 50, rand);
  assert.equal(s.count, 1000);
  assert.equal(s.sum, 500_500);
  assert.equal(s.min, 1);
  assert.equal(s.max, 1000);
  assert.equal(s.values.length, 50);
  // A uniform sample of 1..1000 has a mean near 500, not near the first 50 values.
  const mean = s.values.reduce((a, b) => a + b, 0) / 50;
  assert.ok(mean > 350 && mean < 650, `mean ${mean}`);
});

test("small parts merge whole", () => {
  const rand = seededRandom(2);
  const a = emptySample();
  const b = emptySample();
  for (const x of [1, 2, 3]) addValue(a, x, 10, rand);
  for (const x of [4, 5]) addValue(b, x, 10, rand);
  const m = mergeSamples([a, b], 10, rand);
  assert.deepEqual(m.values.sort(), [1, 2, 3, 4, 5]);
  assert.equal(m.count, 5);
});

test("merging weighs parts by count, not by how many values each kept", () => {
  const rand = seededRandom(3);
  // A busy part (9,000 zeros, 100 kept) and a quiet one (1,000 ones, all 100 kept).
  const busy = emptySample();
  const quiet = emptySample();
  for (let i = 0; i < 9000; i++) addValue(busy, 0, 100, rand);
  for (let i = 0; i < 1000; i++) addValue(quiet, 1, 1000, rand);
  const m = mergeSamples([busy, quiet], 10_000, rand);
  const share = m.values.filter((v) => v === 1).length / m.values.length;
  assert.ok(Math.abs(share - 0.1) < 0.03, `ones are ${share} of the merged sample, want about 0.1`);
  assert.equal(m.count, 10_000);
});

test("the merged sample respects the cap (up to one value per part)", () => {
  const rand = seededRandom(4);
  const parts = Array.from({ length: 5 }, () => {
    const s = emptySample();
    for (let i = 0; i < 400; i++) addValue(s, i, 400, rand);
    return s;
  });
  const m = mergeSamples(parts, 500, rand);
  assert.ok(m.values.length <= 505 && m.values.length >= 495, `${m.values.length}`);
});
