// The runner's settings hold: a hanging test fails fast, named, instead of hanging the suite.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { nodeTestArgs, testTimeoutMs } from "./node-args.ts";
import { repoRoot } from "./support.ts";

// Files run in their own processes, so the timeout fails the file that holds the hanging test:
// the report names that file.
test("a hanging test fails, named by its file, under the runner's per-test timeout", () => {
  // NODE_TEST_CONTEXT would make the inner runner report to ours as a child instead of running.
  const { NODE_TEST_CONTEXT: _, ...outer } = process.env;
  const env = { ...outer, PALISADE_TEST_TIMEOUT_MS: "300" };
  const r = spawnSync(process.execPath, nodeTestArgs([join(repoRoot, "test", "fixtures", "hangs.ts")], [], env), { cwd: repoRoot, encoding: "utf8", env, timeout: 60_000 });
  assert.equal(r.error, undefined, "the runner itself hung");
  assert.notEqual(r.status, 0);
  assert.match(r.stdout, /not ok \d+ - .*test\/fixtures\/hangs\.ts/);
  assert.match(r.stdout, /test timed out after 300ms/);
});

test("the per-file timeout defaults to ten minutes and ignores nonsense", () => {
  assert.equal(testTimeoutMs({}), 600_000);
  assert.equal(testTimeoutMs({ PALISADE_TEST_TIMEOUT_MS: "abc" }), 600_000);
  assert.equal(testTimeoutMs({ PALISADE_TEST_TIMEOUT_MS: "-5" }), 600_000);
  assert.equal(testTimeoutMs({ PALISADE_TEST_TIMEOUT_MS: "5000" }), 5_000);
});
