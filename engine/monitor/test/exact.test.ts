// Fisher's exact test, the exact binomial test and the Poisson rate test against SciPy's
// vectors (engine/monitor/test/vectors/monitor-stats.json), plus the properties that hold
// whatever the numbers.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { binomialPmf, binomialTest, fisherExact, hypergeometricPmf, poissonRateTest } from "../stats/exact.ts";
import { StatsError } from "../stats/errors.ts";
import { PVAL, assertClose } from "./drift-vectors.ts";
import { num, vectors } from "./monitor-vectors.ts";

test(`Fisher's exact test matches scipy.stats.fisher_exact ${vectors.environment.scipy} (${vectors.fisher_exact.length} tables)`, () => {
  for (const c of vectors.fisher_exact) {
    const [[a, b], [cc, d]] = c.table;
    const r = fisherExact(a, b, cc, d);
    const label = `fisher ${JSON.stringify(c.table)}`;
    assertClose(r.pValue, num(c.p), PVAL, label);
    const want = num(c.odds_ratio);
    if (want === null) assert.equal(r.oddsRatio, null, label);
    else assert.equal(r.oddsRatio, want, label);
  }
});

test("the issue's rare event: 0 of 86,487 against 1 of 925 is p = 0.0106, not 4e-22", () => {
  assert.ok(Math.abs(fisherExact(0, 86_487, 1, 924).pValue - 0.010582071111517872) < 1e-12);
});

test(`the exact binomial test matches scipy.stats.binomtest (${vectors.binomtest.length} cases)`, () => {
  for (const c of vectors.binomtest) assertClose(binomialTest(c.k, c.n, c.p).pValue, num(c.pvalue), PVAL, `binomtest(${c.k}, ${c.n}, ${c.p})`);
});

test("pmfs match scipy's binom.pmf and hypergeom.pmf", () => {
  for (const c of vectors.pmf) {
    const got = c.dist === "binom" ? binomialPmf(c.x, c.n, c.p) : hypergeometricPmf(c.x, c.total, c.marked, c.draws);
    assertClose(got, c.pmf, { rel: 1e-12, abs: 1e-300 }, `${c.dist} ${JSON.stringify(c)}`);
  }
});

test("the Poisson rate test is the binomial test of one count given the total", () => {
  const r = poissonRateTest(1, 925, 0, 86_487);
  assert.equal(r.pValue, binomialTest(1, 1, 925 / (925 + 86_487)).pValue);
  assert.equal(poissonRateTest(0, 10, 0, 10).pValue, 1);
  assert.equal(poissonRateTest(3, 100, 0, 100).rateRatio, null);
});

test("properties: p in [0, 1]; Fisher is symmetric in rows and in columns", () => {
  fc.assert(
    fc.property(fc.nat(40), fc.nat(40), fc.nat(40), fc.nat(40), (a, b, c, d) => {
      const p = fisherExact(a, b, c, d).pValue;
      assert.ok(p > 0 && p <= 1, `p ${p}`);
      assertClose(fisherExact(c, d, a, b).pValue, p, { rel: 1e-9, abs: 1e-15 }, "rows swapped");
      assertClose(fisherExact(b, a, d, c).pValue, p, { rel: 1e-9, abs: 1e-15 }, "columns swapped");
    }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 300 }), fc.double({ min: 0.001, max: 0.999, noNaN: true }), fc.nat(300), (n, p, k0) => {
      const k = k0 % (n + 1);
      const r = binomialTest(k, n, p).pValue;
      assert.ok(r >= 0 && r <= 1, `p ${r}`);
    }),
  );
});

test("bad counts are typed errors", () => {
  assert.throws(() => fisherExact(-1, 0, 0, 0), StatsError);
  assert.throws(() => fisherExact(1.5, 0, 0, 0), StatsError);
  assert.throws(() => binomialTest(3, 2, 0.5), StatsError);
  assert.throws(() => binomialTest(1, 2, 1.5), StatsError);
  assert.throws(() => poissonRateTest(1, 0, 1, 1), StatsError);
});
