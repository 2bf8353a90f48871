// Benjamini–Hochberg against scipy.stats.false_discovery_control, and its defining properties.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { benjaminiHochberg } from "../stats/multiple-testing.ts";
import { codeOf } from "./errors.ts";

test("matches scipy.stats.false_discovery_control(method='bh')", () => {
  const r = benjaminiHochberg([0.01, 0.04, 0.03, 0.005, 0.5, 0.2, 0.04]);
  const want = [0.035, 0.055999999999999994, 0.055999999999999994, 0.035, 0.5, 0.23333333333333336, 0.055999999999999994];
  r.adjusted.forEach((q, i) => assert.ok(Math.abs(q - want[i]) <= 1e-15, `[${i}] ${q} vs ${want[i]}`));
  assert.deepEqual(r.rejected, [true, false, false, true, false, false, false]);
});

test("property: adjusted p-values are >= raw, <= 1, and monotone in the raw order", () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 50 }), (ps) => {
      const { adjusted } = benjaminiHochberg(ps);
      ps.forEach((p, i) => assert.ok(adjusted[i] >= p && adjusted[i] <= 1));
      const order = ps.map((_, i) => i).sort((i, j) => ps[i] - ps[j]);
      for (let k = 1; k < order.length; k++) assert.ok(adjusted[order[k]] >= adjusted[order[k - 1]]);
    }),
  );
});

test("bad inputs are typed errors", () => {
  assert.equal(codeOf(() => benjaminiHochberg([])), "stats/empty-sample");
  assert.equal(codeOf(() => benjaminiHochberg([0.5, 1.5])), "stats/invalid-argument");
  assert.equal(codeOf(() => benjaminiHochberg([0.5], 0)), "stats/invalid-argument");
});
