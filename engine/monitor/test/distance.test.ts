// Jensen–Shannon and Wasserstein distances: properties, SciPy values and input errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { jensenShannon, wasserstein } from "../stats/distance.ts";
import { codeOf } from "./errors.ts";

const weights = (n: number) => fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: n, maxLength: n }).filter((w) => w.some((x) => x > 0));
const pair = fc.integer({ min: 1, max: 12 }).chain((n) => fc.tuple(weights(n), weights(n)));

test("property: JS distance is symmetric, 0 on identical inputs, and at most 1 in base 2", () => {
  fc.assert(
    fc.property(pair, ([p, q]) => {
      const pq = jensenShannon(p, q, { base: 2 }).distance;
      const qp = jensenShannon(q, p, { base: 2 }).distance;
      assert.ok(Math.abs(pq - qp) <= 1e-15, `${pq} vs ${qp}`);
      assert.ok(pq >= 0 && pq <= 1 + 1e-15);
      assert.equal(jensenShannon(p, p).distance, 0);
      assert.equal(jensenShannon(p, p.map((x) => x * 3)).distance, 0);
    }),
  );
});

test("property: Wasserstein is symmetric, 0 on the same multiset, and a shift moves it by the shift", () => {
  const sample = fc.array(fc.integer({ min: -100, max: 100 }), { minLength: 1, maxLength: 30 });
  fc.assert(
    fc.property(sample, sample, (u, v) => {
      assert.ok(Math.abs(wasserstein(u, v) - wasserstein(v, u)) <= 1e-12 * Math.max(1, wasserstein(u, v)));
      assert.equal(wasserstein(u, [...u].reverse()), 0);
      assert.ok(Math.abs(wasserstein(u, u.map((x) => x + 7)) - 7) <= 1e-12);
    }),
  );
});

test("Wasserstein matches SciPy on a larger sample", () => {
  const a = Array.from({ length: 500 }, (_, i) => ((i * 7919) % 10007) / 10007);
  const b = Array.from({ length: 300 }, (_, j) => ((j * 104729) % 10009) / 10009 + 0.01);
  const got = wasserstein(a, b);
  assert.ok(Math.abs(got - 0.006513636111963445) <= 1e-12 * 0.0065, String(got));
});

test("bad inputs are typed errors", () => {
  assert.equal(codeOf(() => jensenShannon([1, 2], [1])), "stats/length-mismatch");
  assert.equal(codeOf(() => jensenShannon([0, 0], [1, 1])), "stats/zero-total");
  assert.equal(codeOf(() => jensenShannon([1, -2], [1, 1])), "stats/negative-value");
  assert.equal(codeOf(() => jensenShannon([1, 2], [1, 1], { base: 1 })), "stats/invalid-argument");
  assert.equal(codeOf(() => wasserstein([], [1])), "stats/empty-sample");
  assert.equal(codeOf(() => wasserstein([1], [2], { uWeights: [-1] })), "stats/negative-value");
  assert.equal(codeOf(() => wasserstein([1], [2], { vWeights: [0] })), "stats/zero-total");
  assert.equal(codeOf(() => wasserstein([1, 2], [2], { uWeights: [1] })), "stats/length-mismatch");
});
