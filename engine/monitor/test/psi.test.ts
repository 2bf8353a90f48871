// PSI and its binning: the epsilon rule, quantile edges, bin membership, errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { binCounts, psi, quantileEdges } from "../stats/psi.ts";
import { codeOf } from "./errors.ts";

test("empty bins take epsilon on either side, without renormalising", () => {
  const r = psi([500, 300, 150, 50], [260, 180, 60, 0]);
  assert.equal(r.actual[3], 1e-4);
  assert.ok(Math.abs(r.actual.reduce((s, x) => s + x, 0) - 1.0001) < 1e-12);
  assert.equal(psi([1, 0], [1, 0], { epsilon: 0.01 }).psi, 0);
});

test("bins are [e_{i-1}, e_i): a value on an edge belongs to the bin above", () => {
  assert.deepEqual(binCounts([0, 1, 1.5, 2, 3], [1, 2]), [1, 2, 2]);
  assert.deepEqual(quantileEdges([1, 2, 3, 4, 5], 4), [2, 3, 4]);
  assert.deepEqual(quantileEdges([0, 10], 4), [2.5, 5, 7.5]);
});

test("property: PSI is >= 0 and 0 when proportions agree", () => {
  const counts = fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 2, maxLength: 10 }).filter((c) => c.some((x) => x > 0));
  fc.assert(
    fc.property(counts, fc.integer({ min: 1, max: 5 }), (c, k) => {
      assert.equal(psi(c, c.map((x) => x * k)).psi, 0);
      assert.ok(psi(c, [...c].reverse()).psi >= 0);
    }),
  );
});

test("bad inputs are typed errors", () => {
  assert.equal(codeOf(() => psi([1, 2], [1, 2, 3])), "stats/length-mismatch");
  assert.equal(codeOf(() => psi([0, 0], [1, 2])), "stats/zero-total");
  assert.equal(codeOf(() => psi([1, 2], [1, 2], { epsilon: 0 })), "stats/invalid-argument");
  assert.equal(codeOf(() => quantileEdges([1, 2], 1)), "stats/invalid-argument");
  assert.equal(codeOf(() => binCounts([1], [2, 1])), "stats/invalid-argument");
  assert.equal(codeOf(() => binCounts([Number.NaN], [1])), "stats/not-finite");
});
