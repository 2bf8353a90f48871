// `drift-stats-vectors/1`: SciPy/Evidently reference values for the drift statistics of
// engine/monitor. Every field of a case's `expected` is either checked or listed below as
// informational, so a new field in a future file fails loudly instead of going unchecked.
import {
  binCounts,
  chiSquareGoodnessOfFit,
  chiSquareHomogeneity,
  jensenShannon,
  kolmogorovSf,
  ksTwoSample,
  psi,
  quantileEdges,
  roundHalfEven,
  twoProportionZ,
  wasserstein,
  wassersteinNormed,
} from "../../monitor/index.ts";
import type { CaseResult, VectorFormat } from "../types.ts";
import { CLOSED_FORM, Checker, EXACT, P_VALUE } from "../tolerance.ts";

type Obj = Record<string, unknown>;

/** Fields a case may carry that describe rather than specify (formulas, notes, or values of methods we do not offer). */
const INFORMATIONAL: Record<string, readonly string[]> = {
  ks_2samp: ["asymp_formula", "pvalue_numerical_recipes"],
  two_proportion_z: ["pvalue_naive_1_minus_cdf", "convention"],
};

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Reads a field, failing the case (by throwing) when it is missing or of the wrong kind. */
function field<T>(o: Obj, key: string, kind: "number" | "numbers" | "table" | "boolean" | "string"): T {
  const v = o[key];
  const ok =
    kind === "number" ? typeof v === "number"
    : kind === "numbers" ? Array.isArray(v) && v.every((x) => typeof x === "number")
    : kind === "table" ? Array.isArray(v) && v.every((r) => Array.isArray(r) && r.every((x) => typeof x === "number"))
    : typeof v === kind;
  if (!ok) throw new Error(`input field '${key}' is missing or not ${kind === "numbers" ? "a number array" : `a ${kind}`}`);
  return v as T;
}

type Runner = (input: Obj, want: Obj, c: Checker, seen: Set<string>) => void;

/** Checks `want[key]` when present and marks it as checked. */
function expect(c: Checker, seen: Set<string>, want: Obj, key: string, got: unknown, tol = CLOSED_FORM): void {
  if (!(key in want)) return;
  seen.add(key);
  c.check(key, got, want[key], tol);
}

const chi2Homogeneity: Runner = (input, want, c, seen) => {
  const table = field<number[][]>(input, "table", "table");
  if (table.length !== 2) throw new Error(`'table' has ${table.length} rows; this format's tables are 2×K`);
  const r = chiSquareHomogeneity(table[0], table[1], { correction: field<boolean>(input, "correction", "boolean") });
  if (Array.isArray(input.table_after_policy)) {
    c.check("table_after_policy", [r.kept.map((i) => table[0][i]), r.kept.map((i) => table[1][i])], input.table_after_policy, EXACT);
  }
  expect(c, seen, want, "statistic", r.statistic);
  expect(c, seen, want, "pvalue", r.pValue, P_VALUE);
  expect(c, seen, want, "dof", r.dof, EXACT);
  expect(c, seen, want, "expected_freq", r.expected);
  expect(c, seen, want, "min_expected_freq", r.minExpected);
  expect(c, seen, want, "yates_applied", r.yatesApplied, EXACT);
};

const chi2Gof: Runner = (input, want, c, seen) => {
  const r = chiSquareGoodnessOfFit(field(input, "reference_counts", "numbers"), field(input, "current_counts", "numbers"));
  expect(c, seen, want, "f_exp", r.expected);
  expect(c, seen, want, "statistic", r.statistic);
  expect(c, seen, want, "pvalue", r.pValue, P_VALUE);
  expect(c, seen, want, "dof", r.dof, EXACT);
};

const ks: Runner = (input, want, c, seen) => {
  const a = field<number[]>(input, "a", "numbers");
  const b = field<number[]>(input, "b", "numbers");
  const alternative = input.alternative ?? "two-sided";
  if (alternative !== "two-sided") throw new Error(`alternative '${String(alternative)}' is not supported (two-sided only)`);
  const auto = ksTwoSample(a, b);
  const exact = ksTwoSample(a, b, { method: "exact" });
  const asymp = ksTwoSample(a, b, { method: "asymp" });
  expect(c, seen, want, "statistic", auto.statistic);
  expect(c, seen, want, "statistic_location", auto.statisticLocation, EXACT);
  expect(c, seen, want, "statistic_sign", auto.statisticSign, EXACT);
  expect(c, seen, want, "pvalue_exact", exact.pValue, P_VALUE);
  expect(c, seen, want, "exact_fell_back_to_asymp", exact.exactFellBack, EXACT);
  expect(c, seen, want, "pvalue_asymp", asymp.pValue, P_VALUE);
  expect(c, seen, want, "pvalue_auto", auto.pValue, P_VALUE);
  expect(c, seen, want, "auto_method", auto.method, EXACT);
  expect(c, seen, want, "en", auto.effectiveN);
  // The exact path snaps D to the lattice, h / lcm(n1, n2).
  const n1 = a.length;
  const n2 = b.length;
  let g = n1;
  for (let r = n2; r; ) [g, r] = [r, g % r];
  const lcm = (n1 / g) * n2;
  expect(c, seen, want, "statistic_exact_path", roundHalfEven(auto.statistic * lcm) / lcm);
  expect(c, seen, want, "pvalue_kolmogorov_limit", kolmogorovSf(Math.sqrt(auto.effectiveN) * auto.statistic), P_VALUE);
};

const js: Runner = (input, want, c, seen) => {
  const p = field<number[]>(input, "p", "numbers");
  const q = field<number[]>(input, "q", "numbers");
  const two = jensenShannon(p, q, { base: 2 });
  expect(c, seen, want, "distance_base2", two.distance);
  expect(c, seen, want, "divergence_base2", two.divergence);
  expect(c, seen, want, "distance_natural_log", jensenShannon(p, q).distance);
};

const psiCase: Runner = (input, want, c, seen) => {
  const expected = field<number[]>(input, "expected_counts", "numbers");
  const actual = field<number[]>(input, "actual_counts", "numbers");
  const epsilon = field<number>(input, "epsilon", "number");
  if (isObj(input.binning)) {
    const b = input.binning;
    const edges = field<number[]>(b, "inner_edges", "numbers");
    const reference = field<number[]>(b, "reference_sample", "numbers");
    const current = field<number[]>(b, "current_sample", "numbers");
    c.check("binning.inner_edges", quantileEdges(reference, edges.length + 1), edges);
    c.check("binning.reference_counts", binCounts(reference, edges), expected, EXACT);
    c.check("binning.current_counts", binCounts(current, edges), actual, EXACT);
  }
  const r = psi(expected, actual, { epsilon });
  const raw = (xs: number[]) => {
    const t = xs.reduce((s, x) => s + x, 0);
    return xs.map((x) => x / t);
  };
  expect(c, seen, want, "expected_proportions", raw(expected));
  expect(c, seen, want, "actual_proportions", raw(actual));
  expect(c, seen, want, "expected_proportions_after_epsilon", r.expected);
  expect(c, seen, want, "actual_proportions_after_epsilon", r.actual);
  expect(c, seen, want, "bin_contributions", r.contributions);
  expect(c, seen, want, "psi", r.psi);
  expect(c, seen, want, "psi_evidently_fill_rule", r.psi);
};

const wassersteinCase: Runner = (input, want, c, seen) => {
  const u = field<number[]>(input, "u_values", "numbers");
  const v = field<number[]>(input, "v_values", "numbers");
  const uWeights = input.u_weights === undefined ? undefined : field<number[]>(input, "u_weights", "numbers");
  const vWeights = input.v_weights === undefined ? undefined : field<number[]>(input, "v_weights", "numbers");
  expect(c, seen, want, "distance", wasserstein(u, v, { uWeights, vWeights }));
  if ("reference_std_ddof0" in want || "evidently_normed" in want) {
    const n = wassersteinNormed(u, v);
    expect(c, seen, want, "reference_std_ddof0", n.referenceStd);
    expect(c, seen, want, "evidently_normed", n.normed);
  }
};

const zTest: Runner = (input, want, c, seen) => {
  if (input.alternative !== undefined && input.alternative !== "two-sided") throw new Error("only the two-sided z-test is supported");
  if (input.pooled === false) throw new Error("only the pooled z-test is supported");
  const x1 = field<number>(input, "x1", "number");
  const n1 = field<number>(input, "n1", "number");
  const x2 = field<number>(input, "x2", "number");
  const n2 = field<number>(input, "n2", "number");
  const r = twoProportionZ(x1, n1, x2, n2);
  expect(c, seen, want, "p1", r.p1);
  expect(c, seen, want, "p2", r.p2);
  expect(c, seen, want, "pooled_p", r.pooled);
  expect(c, seen, want, "se_pooled", r.standardError);
  expect(c, seen, want, "z", r.statistic);
  expect(c, seen, want, "pvalue", r.pValue, P_VALUE);
  expect(c, seen, want, "z_unpooled", r.unpooledStatistic);
  expect(c, seen, want, "undefined", r.statistic === null, EXACT);
  // The pooled z-test and the uncorrected 2×2 chi-square test are the same test (z² = chi²).
  if ("pvalue_equals_chi2_2x2_no_yates" in want) {
    const chi = chiSquareHomogeneity([x1, n1 - x1], [x2, n2 - x2], { correction: false });
    expect(c, seen, want, "pvalue_equals_chi2_2x2_no_yates", chi.pValue, P_VALUE);
  }
};

const FAMILIES: Record<string, Runner> = {
  chi2_homogeneity: chi2Homogeneity,
  chi2_gof_evidently: chi2Gof,
  ks_2samp: ks,
  jensenshannon: js,
  psi: psiCase,
  wasserstein: wassersteinCase,
  two_proportion_z: zTest,
};

function runCase(raw: unknown, index: number): CaseResult {
  const id = isObj(raw) && typeof raw.id === "string" ? raw.id : `cases[${index}]`;
  try {
    if (!isObj(raw) || !isObj(raw.input) || !isObj(raw.expected) || typeof raw.family !== "string") {
      return { id, ok: false, message: "malformed case: needs 'family', 'input' and 'expected'" };
    }
    const runner = Object.hasOwn(FAMILIES, raw.family) ? FAMILIES[raw.family] : undefined;
    if (!runner) return { id, ok: false, message: `unknown family '${raw.family}'` };
    const c = new Checker();
    const seen = new Set<string>(INFORMATIONAL[raw.family] ?? []);
    runner(raw.input, raw.expected, c, seen);
    for (const key of Object.keys(raw.expected)) if (!seen.has(key)) c.fail(`${key}: expected value not checked by this runner`);
    return c.failures.length === 0 ? { id, ok: true, message: "ok" } : { id, ok: false, message: c.failures.join("; ") };
  } catch (err) {
    const code = isObj(err) && typeof err.code === "string" ? `${err.code}: ` : "";
    return { id, ok: false, message: `${code}${err instanceof Error ? err.message : String(err)}` };
  }
}

/** The drift statistics vectors (`drift-stats-vectors/1`). */
export const driftStatsFormat: VectorFormat = {
  name: "drift-stats-vectors/1",
  description: "drift statistics against SciPy 1.10 / Evidently reference values",
  matches: (doc) => isObj(doc) && doc.schema === "drift-stats-vectors/1",
  run(doc) {
    const d = doc as Obj;
    const cases = Array.isArray(d.cases) ? d.cases : [];
    const results = cases.map(runCase);
    // A truncated file must not pass as a smaller one.
    if (d.case_count !== cases.length) {
      results.push({ id: "case_count", ok: false, message: `file declares ${String(d.case_count)} cases but holds ${cases.length}` });
    }
    return results;
  },
};
