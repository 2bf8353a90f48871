// The radix sort used for large samples agrees with the engine's numeric sort.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { sortedCopy } from "../stats/sort.ts";

const finite = fc.double({ noNaN: true, noDefaultInfinity: false });

test("property: sortedCopy equals Float64Array sort, small and radix-sized, including ±0 and infinities", () => {
  fc.assert(
    fc.property(fc.array(finite, { maxLength: 50 }), fc.integer({ min: 0, max: 6000 }), (xs, pad) => {
      // Pad past the radix threshold with repeats, so both paths see the generated values.
      const input = Array.from({ length: xs.length + pad }, (_, i) => (i < xs.length ? xs[i] : xs.length ? xs[i % xs.length] * -1.5 : i - 3000));
      const got = sortedCopy(input);
      const want = Float64Array.from(input).sort();
      assert.equal(got.length, want.length);
      for (let i = 0; i < want.length; i++) assert.ok(Object.is(got[i], want[i]), `[${i}] ${got[i]} vs ${want[i]}`);
    }),
    { numRuns: 60 },
  );
});

test("the input is not modified", () => {
  const xs = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 5003);
  const copy = [...xs];
  sortedCopy(xs);
  assert.deepEqual(xs, copy);
});
