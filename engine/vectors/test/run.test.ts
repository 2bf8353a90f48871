// The runner over the whole shared vectors folder: every file of a known format passes, and the
// drift statistics file is among them. Files of formats not yet registered are listed, not run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { vectorsDir } from "../../../test/support.ts";
import { findFormat, runVectorFile } from "../index.ts";

test("every vector file of a known format in ../shared/vectors passes", () => {
  const files = readdirSync(vectorsDir).filter((f) => f.endsWith(".json")).sort();
  const ran: string[] = [];
  for (const name of files) {
    const path = join(vectorsDir, name);
    if (!findFormat(JSON.parse(readFileSync(path, "utf8")))) continue;
    const report = runVectorFile(path);
    assert.deepEqual(report.results.filter((r) => !r.ok), [], `${name}: ${report.failed} failed`);
    assert.ok(report.passed > 0, `${name}: no cases`);
    ran.push(name);
  }
  assert.ok(ran.includes("drift-stats.json"), `ran: ${ran.join(", ")}`);
});
