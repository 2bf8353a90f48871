// Chi-square tests beyond the vectors: the dropping policy, degenerate tables, infinities, errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { chiSquareGoodnessOfFit, chiSquareHomogeneity } from "../stats/chi-square.ts";
import { twoProportionZ } from "../stats/proportions.ts";
import { codeOf } from "./errors.ts";

test("categories empty on both sides are dropped; one category left is a degenerate test", () => {
  const r = chiSquareHomogeneity([5, 0, 3], [4, 0, 6], { correction: false });
  assert.deepEqual(r.kept, [0, 2]);
  assert.equal(r.dof, 1);
  const one = chiSquareHomogeneity([7, 0], [3, 0]);
  assert.deepEqual([one.statistic, one.pValue, one.dof], [0, 1, 0]);
});

test("Yates applies only with dof = 1 and only when asked", () => {
  assert.equal(chiSquareHomogeneity([30, 70], [45, 55]).yatesApplied, true);
  assert.equal(chiSquareHomogeneity([30, 70], [45, 55], { correction: false }).yatesApplied, false);
  assert.equal(chiSquareHomogeneity([30, 70, 5], [45, 55, 9]).yatesApplied, false);
});

test("goodness of fit: a category new in the current window gives an infinite statistic and p = 0", () => {
  const r = chiSquareGoodnessOfFit([10, 20, 0], [10, 20, 5]);
  assert.equal(r.statistic, Infinity);
  assert.equal(r.pValue, 0);
});

test("bad tables are typed errors", () => {
  assert.equal(codeOf(() => chiSquareHomogeneity([], [])), "stats/empty-sample");
  assert.equal(codeOf(() => chiSquareHomogeneity([1, -1], [1, 2])), "stats/negative-value");
  assert.equal(codeOf(() => chiSquareHomogeneity([1, 2], [1, 2, 3])), "stats/length-mismatch");
  assert.equal(codeOf(() => chiSquareHomogeneity([0, 0], [1, 2])), "stats/zero-total");
  assert.equal(codeOf(() => chiSquareHomogeneity([1, Number.NaN], [1, 2])), "stats/not-finite");
  assert.equal(codeOf(() => chiSquareGoodnessOfFit([1, 2], [0, 0])), "stats/zero-total");
});

test("property: the uncorrected 2×2 test is the pooled z-test squared", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 500 }), fc.nat(), fc.nat(), (n1, n2, a, b) => {
      const x1 = a % (n1 + 1);
      const x2 = b % (n2 + 1);
      const z = twoProportionZ(x1, n1, x2, n2);
      fc.pre(z.statistic !== null);
      const chi = chiSquareHomogeneity([x1, n1 - x1], [x2, n2 - x2], { correction: false });
      const zz = (z.statistic as number) ** 2;
      assert.ok(Math.abs(chi.statistic - zz) <= 1e-9 * Math.max(1, zz), `${chi.statistic} vs ${zz}`);
      assert.ok(Math.abs(chi.pValue - z.pValue) <= 1e-9 * Math.max(z.pValue, 1e-300) + 1e-15);
    }),
  );
});
