// The drift-stats-vectors/1 format module, in process: all cases pass, and the ways a file can
// go wrong (a changed value, an unchecked field, a truncated file, an unknown family) fail.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readVectors } from "../../../test/support.ts";
import { driftStatsFormat } from "../formats/drift-stats.ts";
import { runVectorDocument } from "../run.ts";
import { VectorError } from "../errors.ts";

interface Doc { schema: string; case_count: number; cases: { id: string; family: string; expected: Record<string, unknown> }[] }
const fresh = () => readVectors<Doc>("drift-stats.json");

test("every case passes, one result per declared case", () => {
  const doc = fresh();
  const report = runVectorDocument("drift-stats.json", doc);
  assert.equal(report.format, "drift-stats-vectors/1");
  assert.deepEqual(report.results.filter((r) => !r.ok), []);
  assert.equal(report.passed, doc.case_count);
});

test("a value outside tolerance fails that case only", () => {
  const doc = fresh();
  const c = doc.cases.find((x) => x.family === "ks_2samp" && x.id === "ks_unequal_10_15");
  assert.ok(c);
  c.expected.pvalue_exact = (c.expected.pvalue_exact as number) * (1 + 1e-8);
  const bad = driftStatsFormat.run(doc).filter((r) => !r.ok);
  assert.equal(bad.length, 1);
  assert.equal(bad[0].id, "ks_unequal_10_15");
  assert.match(bad[0].message, /^pvalue_exact: got [\d.e-]+, want [\d.e-]+ \(rel 1\.00e-8\)$/);
});

test("an expected field the runner does not check fails rather than passing silently", () => {
  const doc = fresh();
  doc.cases[0].expected.cramers_v = 0.1;
  const bad = driftStatsFormat.run(doc).filter((r) => !r.ok);
  assert.equal(bad.length, 1);
  assert.match(bad[0].message, /cramers_v: expected value not checked/);
});

test("a truncated file and an unknown family fail", () => {
  const doc = fresh();
  doc.cases.pop();
  doc.cases[0].family = "anderson_darling";
  const bad = driftStatsFormat.run(doc).filter((r) => !r.ok);
  assert.deepEqual(bad.map((r) => r.id).sort(), [doc.cases[0].id, "case_count"].sort());
  assert.match(bad.find((r) => r.id === "case_count")?.message ?? "", /declares \d+ cases but holds \d+/);
});

test("a document of no known format is a VectorError with a stable code", () => {
  assert.throws(() => runVectorDocument("x.json", { schema: "other/1" }), (e) => e instanceof VectorError && e.code === "vectors/unknown-format");
});
