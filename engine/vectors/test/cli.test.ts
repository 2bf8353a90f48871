// `npm run vectors` as a process: exit 0 on the real file, 1 on a doctored copy, 2 on an
// unknown format, with the `N passed, N failed` line per file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { repoRoot, vectorsDir } from "../../../test/support.ts";

const script = resolve(repoRoot, "scripts", "vectors.ts");
const real = resolve(vectorsDir, "drift-stats.json");

function run(...files: string[]) {
  return spawnSync(process.execPath, ["--disable-warning=ExperimentalWarning", script, ...files], { cwd: repoRoot, encoding: "utf8" });
}

test("the real drift-stats.json passes: exit 0, every case counted", () => {
  const doc = JSON.parse(readFileSync(real, "utf8")) as { case_count: number };
  const r = run(real);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(r.stdout, `drift-stats.json: ${doc.case_count} passed, 0 failed\n`);
});

test("a doctored copy fails with exit 1 and names the case and field", () => {
  const dir = mkdtempSync(join(tmpdir(), "palisade-vectors-"));
  try {
    const doc = JSON.parse(readFileSync(real, "utf8")) as { cases: { id: string; expected: Record<string, unknown> }[] };
    const victim = doc.cases.find((c) => c.id === "chi2_2x2_escalated_yates");
    assert.ok(victim);
    victim.expected.pvalue = (victim.expected.pvalue as number) * (1 + 1e-6);
    const file = join(dir, "drift-stats.json");
    writeFileSync(file, JSON.stringify(doc));
    const r = run(file);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^drift-stats\.json: \d+ passed, 1 failed$/m);
    assert.match(r.stdout, /FAIL chi2_2x2_escalated_yates: pvalue: got /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an unknown format is a clear error with exit 2, and other files still run", () => {
  const dir = mkdtempSync(join(tmpdir(), "palisade-vectors-"));
  try {
    const file = join(dir, "mystery.json");
    writeFileSync(file, JSON.stringify({ schema: "mystery-vectors/9", cases: [] }));
    const r = run(file, real);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /is not a known vector format \(schema "mystery-vectors\/9"\)/);
    assert.match(r.stdout, /drift-stats\.json: \d+ passed, 0 failed/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("no file, a missing file or invalid JSON exit 2 without a stack trace", () => {
  assert.equal(run().status, 2);
  const missing = run("/nonexistent/vectors.json");
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read '\/nonexistent\/vectors\.json' \(ENOENT\)/);
  const dir = mkdtempSync(join(tmpdir(), "palisade-vectors-"));
  try {
    const file = join(dir, "broken.json");
    writeFileSync(file, "{ not json");
    const r = run(file);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /is not valid JSON/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
