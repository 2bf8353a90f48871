import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { repoRoot } from "../../../test/support.ts";

test("npm start's demo checks, tests and decides the examples", () => {
  const r = spawnSync(process.execPath, ["--disable-warning=ExperimentalWarning", "engine/cli/main.ts", "demo"], { cwd: repoRoot, encoding: "utf8" });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /1\. check: 3 files/);
  assert.match(r.stdout, /2\. test: 5 passed, 0 failed/);
  assert.match(r.stdout, /-> REQUIRE_APPROVAL/);
  assert.match(r.stdout, /-> DENY\n\s+deny by acme\.clinic\.no_exfiltration: patient data may not leave the clinic/);
  assert.match(r.stdout, /the user sees: "The card \[CARD\] was charged; mail billing@acme\.com for details\."/);
});
