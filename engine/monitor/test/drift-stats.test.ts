// Every case of ../shared/vectors/drift-stats.json, checked against the monitor's functions at
// the file's suggested tolerances; the count must equal the file's case_count.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  binCounts,
  chiSquareGoodnessOfFit,
  chiSquareHomogeneity,
  jensenShannon,
  ksTwoSample,
  psi,
  quantileEdges,
  twoProportionZ,
  wasserstein,
  wassersteinNormed,
} from "../index.ts";
import { CLOSED, PVAL, assertAllClose, assertClose, casesOf, drift } from "./drift-vectors.ts";

let ran = 0;
const families = new Set<string>();

function each<I, E>(family: string, check: (input: I, want: E) => void): void {
  families.add(family);
  for (const c of casesOf<I, E>(family)) {
    test(`${family}: ${c.id}`, () => {
      check(c.input, c.expected);
      ran++;
    });
  }
}

each<{ table: number[][]; correction: boolean; table_after_policy?: number[][] },
  { statistic: number; pvalue: number; dof: number; expected_freq: number[][]; min_expected_freq: number; yates_applied: boolean }>(
  "chi2_homogeneity",
  (i, e) => {
    const r = chiSquareHomogeneity(i.table[0], i.table[1], { correction: i.correction });
    assertClose(r.statistic, e.statistic, CLOSED, "statistic");
    assertClose(r.pValue, e.pvalue, PVAL, "pvalue");
    assert.equal(r.dof, e.dof);
    assertAllClose(r.expected, e.expected_freq, CLOSED, "expected");
    assertClose(r.minExpected, e.min_expected_freq, CLOSED, "min expected");
    assert.equal(r.yatesApplied, e.yates_applied);
    if (i.table_after_policy) assert.deepEqual(r.kept.map((k) => i.table[0][k]), i.table_after_policy[0]);
  },
);

each<{ reference_counts: number[]; current_counts: number[] }, { f_exp: number[]; statistic: number; pvalue: number; dof: number }>(
  "chi2_gof_evidently",
  (i, e) => {
    const r = chiSquareGoodnessOfFit(i.reference_counts, i.current_counts);
    assertAllClose(r.expected, e.f_exp, CLOSED, "f_exp");
    assertClose(r.statistic, e.statistic, CLOSED, "statistic");
    assertClose(r.pValue, e.pvalue, PVAL, "pvalue");
    assert.equal(r.dof, e.dof);
  },
);

each<{ a: number[]; b: number[]; alternative: string },
  { statistic: number; statistic_location: number; statistic_sign: number; pvalue_exact: number; pvalue_asymp: number; pvalue_auto: number; auto_method: string; en: number; exact_fell_back_to_asymp: boolean }>(
  "ks_2samp",
  (i, e) => {
    assert.equal(i.alternative, "two-sided");
    const auto = ksTwoSample(i.a, i.b);
    assertClose(auto.statistic, e.statistic, CLOSED, "statistic");
    assert.equal(auto.statisticLocation, e.statistic_location);
    assert.equal(auto.statisticSign, e.statistic_sign);
    assertClose(auto.pValue, e.pvalue_auto, PVAL, "auto p");
    assert.equal(auto.method, e.auto_method);
    assertClose(auto.effectiveN, e.en, CLOSED, "en");
    const exact = ksTwoSample(i.a, i.b, { method: "exact" });
    assertClose(exact.pValue, e.pvalue_exact, PVAL, "exact p");
    assert.equal(exact.exactFellBack, e.exact_fell_back_to_asymp);
    assertClose(ksTwoSample(i.a, i.b, { method: "asymp" }).pValue, e.pvalue_asymp, PVAL, "asymp p");
  },
);

each<{ p: number[]; q: number[] }, { distance_base2: number; distance_natural_log: number; divergence_base2: number }>(
  "jensenshannon",
  (i, e) => {
    const two = jensenShannon(i.p, i.q, { base: 2 });
    assertClose(two.distance, e.distance_base2, CLOSED, "base 2");
    assertClose(two.divergence, e.divergence_base2, CLOSED, "divergence base 2");
    assertClose(jensenShannon(i.p, i.q).distance, e.distance_natural_log, CLOSED, "natural log");
  },
);

each<{ expected_counts: number[]; actual_counts: number[]; epsilon: number; binning?: { inner_edges: number[]; reference_sample: number[]; current_sample: number[] } },
  { psi: number; bin_contributions: number[]; expected_proportions_after_epsilon: number[]; actual_proportions_after_epsilon: number[] }>(
  "psi",
  (i, e) => {
    const r = psi(i.expected_counts, i.actual_counts, { epsilon: i.epsilon });
    assertClose(r.psi, e.psi, CLOSED, "psi");
    assertAllClose(r.contributions, e.bin_contributions, CLOSED, "contributions");
    assertAllClose(r.expected, e.expected_proportions_after_epsilon, CLOSED, "expected proportions");
    assertAllClose(r.actual, e.actual_proportions_after_epsilon, CLOSED, "actual proportions");
    if (i.binning) {
      const b = i.binning;
      assertAllClose(quantileEdges(b.reference_sample, b.inner_edges.length + 1), b.inner_edges, CLOSED, "edges");
      assert.deepEqual(binCounts(b.reference_sample, b.inner_edges), i.expected_counts);
      assert.deepEqual(binCounts(b.current_sample, b.inner_edges), i.actual_counts);
    }
  },
);

each<{ u_values: number[]; v_values: number[]; u_weights?: number[]; v_weights?: number[] }, { distance: number; reference_std_ddof0?: number; evidently_normed?: number }>(
  "wasserstein",
  (i, e) => {
    assertClose(wasserstein(i.u_values, i.v_values, { uWeights: i.u_weights, vWeights: i.v_weights }), e.distance, CLOSED, "distance");
    if (e.evidently_normed !== undefined && e.reference_std_ddof0 !== undefined) {
      const n = wassersteinNormed(i.u_values, i.v_values);
      assertClose(n.referenceStd, e.reference_std_ddof0, CLOSED, "reference std");
      assertClose(n.normed, e.evidently_normed, CLOSED, "normed");
    }
  },
);

each<{ x1: number; n1: number; x2: number; n2: number }, { p1: number; p2: number; pooled_p: number; se_pooled: number; z: number | null; pvalue: number; z_unpooled?: number }>(
  "two_proportion_z",
  (i, e) => {
    const r = twoProportionZ(i.x1, i.n1, i.x2, i.n2);
    assertClose(r.p1, e.p1, CLOSED, "p1");
    assertClose(r.p2, e.p2, CLOSED, "p2");
    assertClose(r.pooled, e.pooled_p, CLOSED, "pooled");
    assertClose(r.standardError, e.se_pooled, CLOSED, "se");
    assertClose(r.statistic, e.z, CLOSED, "z");
    assertClose(r.pValue, e.pvalue, PVAL, "pvalue");
    if (e.z_unpooled !== undefined) assertClose(r.unpooledStatistic, e.z_unpooled, CLOSED, "unpooled z");
  },
);

test("every case of drift-stats.json ran (none skipped, no unknown family)", () => {
  assert.equal(drift.schema, "drift-stats-vectors/1");
  const unknown = drift.cases.filter((c) => !families.has(c.family)).map((c) => c.id);
  assert.deepEqual(unknown, []);
  assert.equal(drift.cases.length, drift.case_count);
  assert.equal(ran, drift.case_count);
});
