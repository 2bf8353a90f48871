// The pooled two-proportion z-test: tails, the undefined case and errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { twoProportionZ } from "../stats/proportions.ts";
import { codeOf } from "./errors.ts";

test("the far tail keeps relative accuracy (no 1 - cdf underflow)", () => {
  const r = twoProportionZ(10, 1000, 500, 1000);
  assert.ok(r.pValue > 0 && Math.abs(r.pValue - 1.9058881113087703e-139) <= 1e-9 * 1.9e-139);
});

test("a zero standard error reports z = null and p = 1", () => {
  assert.deepEqual([twoProportionZ(0, 5, 0, 9).statistic, twoProportionZ(0, 5, 0, 9).pValue], [null, 1]);
  assert.deepEqual([twoProportionZ(5, 5, 9, 9).statistic, twoProportionZ(5, 5, 9, 9).pValue], [null, 1]);
});

test("bad counts are typed errors", () => {
  assert.equal(codeOf(() => twoProportionZ(1, 0, 1, 2)), "stats/empty-sample");
  assert.equal(codeOf(() => twoProportionZ(3, 2, 1, 2)), "stats/invalid-argument");
  assert.equal(codeOf(() => twoProportionZ(1.5, 2, 1, 2)), "stats/invalid-argument");
  assert.equal(codeOf(() => twoProportionZ(-1, 2, 1, 2)), "stats/invalid-argument");
  assert.equal(codeOf(() => twoProportionZ(1, Number.NaN, 1, 2)), "stats/not-finite");
});
