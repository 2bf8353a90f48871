// The mutation-testing configuration cannot rot silently: every file a part mutates or tests
// exists, each listed equivalent mutant still matches its source text, floors are percentages,
// and scoring takes the listed equivalents out and nothing else.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { PARTS, partsTouchedBy, scoreOf, type MutantOutcome } from "../parts.ts";

const root = resolve(import.meta.dirname, "..", "..", "..");

test("every part names files that exist, tests that exist, a floor in [0, 100], and equivalents that still match their source", () => {
  assert.ok(Object.keys(PARTS).length >= 5);
  for (const [name, p] of Object.entries(PARTS)) {
    assert.ok(p.mutate.length > 0 && p.tests.length > 0, name);
    for (const f of [...p.mutate, ...p.tests]) assert.ok(existsSync(resolve(root, f)), `${name}: ${f} is missing`);
    for (const f of p.tests) assert.match(f, /\/test\/[^/]+\.test\.ts$/, `${name}: ${f} is not a test file`);
    assert.ok(p.floor >= 0 && p.floor <= 100, `${name}: floor ${p.floor}`);
    for (const e of p.equivalent ?? []) {
      assert.ok(p.mutate.includes(e.file), `${name}: equivalent mutant in ${e.file}, which the part does not mutate`);
      assert.ok(readFileSync(resolve(root, e.file), "utf8").includes(e.original), `${name}: ${e.file} no longer holds ${JSON.stringify(e.original)}: drop or update the entry`);
      assert.ok(e.reason.length > 20, `${name}: say why ${JSON.stringify(e.original)} -> ${JSON.stringify(e.replacement)} is equivalent`);
    }
  }
});

test("the parts a change touches: a mutated file or a test of the part, and every part when the configuration changes", () => {
  assert.deepEqual(partsTouchedBy(["engine/service/rate-limit.ts"]), ["service"]);
  assert.deepEqual(partsTouchedBy(["engine/environments/test/alert-states.test.ts"]), ["environments"]);
  assert.deepEqual(partsTouchedBy(["README.md", "engine/monitor/psi.ts"]), []);
  assert.deepEqual(partsTouchedBy(["scripts/mutation/parts.ts"]), Object.keys(PARTS));
  // The conformance corpus is left to npm test (spec/testing.md: too slow to rerun per mutant).
  assert.deepEqual(partsTouchedBy(["spec/test/conformance.test.ts"]), []);
  assert.deepEqual(partsTouchedBy(["engine/compile/test/compile.test.ts"]), ["compile"]);
});

test("the score counts killed and timed-out over all but equivalents and errors; survivors are listed with their place", () => {
  const file = "engine/service/rate-limit.ts";
  const lines = readFileSync(resolve(root, file), "utf8").split("\n");
  const line = lines.findIndex((l) => l.trim().length > 10);
  const col = lines[line].search(/\S/);
  // Places as Stryker reports them: lines and columns from 1.
  const at = { start: { line: line + 1, column: col + 1 }, end: { line: line + 1, column: col + 6 } };
  const original = lines[line].slice(col, col + 5);
  const m = (status: string, replacement = "x"): MutantOutcome => ({ fileName: file, mutatorName: "M", replacement, status, location: at });
  const mutants = [m("Killed"), m("Killed"), m("Timeout"), m("Survived"), m("NoCoverage", "y"), m("CompileError"), m("Survived", "eq")];
  const s = scoreOf(mutants, 50, [{ file, mutator: "M", original, replacement: "eq", reason: "a replacement the program cannot tell apart, for the test" }]);
  assert.deepEqual({ ...s, survivors: s.survivors.length }, { score: 60, floor: 50, mutants: 7, killed: 2, timeout: 1, survived: 1, no_coverage: 1, equivalent: 1, errors: 1, survivors: 2 });
  assert.match(s.survivors[0], new RegExp(`^${file}:${line + 1} M: `));
  assert.match(s.survivors[1], /\(no coverage\)/);
  assert.equal(scoreOf([], 80, []).score, 100);
});
