// Two-sample KS beyond the vectors: SciPy values for larger samples, auto switching, input
// errors, and properties of the statistic.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ksTwoSample, roundHalfEven } from "../stats/ks.ts";
import { StatsError } from "../stats/errors.ts";
import { assertClose } from "./drift-vectors.ts";

// Reproducible in NumPy bit for bit: ratios of small integers are correctly rounded everywhere.
const A = Array.from({ length: 12000 }, (_, i) => ((i * 7919) % 10007) / 10007);
const B = Array.from({ length: 11000 }, (_, j) => ((j * 104729) % 10009) / 10009 + 0.01);
const TOL = { rel: 1e-9, abs: 1e-15 };

test("matches scipy.stats.ks_2samp on larger samples (exact square, exact band, asymptotic)", () => {
  const big = ksTwoSample(A, B);
  assert.equal(big.method, "asymp");
  assertClose(big.statistic, 0.010424242424242447, { rel: 1e-12, abs: 0 }, "D");
  assertClose(big.pValue, 0.5573927357580692, TOL, "p (asymp, n = 12000 vs 11000)");
  assert.equal(big.statisticLocation, 0.796142700109923);
  const band = ksTwoSample(A.slice(0, 3000), B.slice(0, 2000));
  assert.equal(band.method, "exact");
  assertClose(band.pValue, 0.9925127422934554, TOL, "p (exact, 3000 vs 2000)");
  const square = ksTwoSample(A.slice(0, 2500), B.slice(0, 2500));
  assertClose(square.pValue, 0.990702299172658, TOL, "p (exact, 2500 vs 2500)");
  const shifted = ksTwoSample(A.slice(0, 300), B.slice(0, 200).map((x) => x + 0.1));
  assertClose(shifted.statistic, 0.12, { rel: 1e-12, abs: 0 }, "D shifted");
  assertClose(shifted.pValue, 0.05956426587666751, TOL, "p shifted");
  assert.equal(shifted.statisticSign, 1);
});

test("a sample larger than 10,000 switches auto to the asymptotic method; exact can be forced", () => {
  const small = A.slice(0, 10000);
  assert.equal(ksTwoSample(small, [0.5]).method, "exact");
  assert.equal(ksTwoSample(A, [0.5]).method, "asymp");
  assert.equal(ksTwoSample(A.slice(0, 10001), [0.5, 0.7], { method: "exact" }).method, "exact");
});

test("the asymptotic p-value rounds n1 n2 / (n1 + n2) half to even (2.5 -> 2, as NumPy)", () => {
  const r = ksTwoSample([1, 2, 3, 4, 6], [5, 7, 8, 9, 10], { method: "asymp" });
  assert.equal(r.effectiveN, 2.5);
  assertClose(r.pValue, 0.07999999999999996, TOL, "kstwo.sf(0.8, 2)");
});

test("numpy rounding: half to even", () => {
  assert.deepEqual([0.5, 1.5, 2.5, 3.5, -2.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, 4, -2, 2, 3]);
});

test("bad input is a typed error with a stable code", () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof StatsError);
      return e.code;
    }
    return "no error";
  };
  assert.equal(code(() => ksTwoSample([], [1])), "stats/empty-sample");
  assert.equal(code(() => ksTwoSample([1, Number.NaN], [1])), "stats/not-finite");
  assert.equal(code(() => ksTwoSample([1], [Infinity])), "stats/not-finite");
  assert.equal(code(() => ksTwoSample([1], [2], { method: "fast" as "auto" })), "stats/invalid-argument");
});

const sample = fc.array(fc.integer({ min: -20, max: 20 }).map((k) => k / 4), { minLength: 1, maxLength: 40 });

test("property: D is in [0, 1], symmetric, and p-values are probabilities", () => {
  fc.assert(
    fc.property(sample, sample, (a, b) => {
      const ab = ksTwoSample(a, b);
      const ba = ksTwoSample(b, a);
      assert.ok(ab.statistic >= 0 && ab.statistic <= 1);
      assert.equal(ab.statistic, ba.statistic);
      assert.equal(ab.pValue, ba.pValue);
      for (const method of ["exact", "asymp"] as const) {
        const p = ksTwoSample(a, b, { method }).pValue;
        assert.ok(p >= 0 && p <= 1, `${method} p = ${p}`);
      }
    }),
  );
});

test("property: a sample against itself has D = 0 and p = 1", () => {
  fc.assert(
    fc.property(sample, (a) => {
      const r = ksTwoSample(a, [...a].reverse());
      assert.equal(r.statistic, 0);
      assert.equal(r.pValue, 1);
    }),
  );
});

test("property: the D a drift run computes (binary searches or one merge walk) is ks_2samp's", async () => {
  const fc = (await import("fast-check")).default;
  const { ksStatisticSorted, ksTwoSample } = await import("../stats/ks.ts");
  const { sortedCopy } = await import("../stats/sort.ts");
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 60 }), fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 600 }), (a, b) => {
      const want = ksTwoSample(a, b).statistic;
      assert.ok(Math.abs(ksStatisticSorted(sortedCopy(a), sortedCopy(b)) - want) < 1e-12);
      assert.ok(Math.abs(ksStatisticSorted(sortedCopy(b), sortedCopy(a)) - want) < 1e-12);
    }),
  );
});
