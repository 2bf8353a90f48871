// The whole project type-checks under strict TypeScript (erasable syntax only).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { repoRoot } from "./support.ts";

test("tsc --noEmit passes on the whole project", { timeout: 300_000 }, () => {
  const r = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "--noEmit", "-p", "."], { cwd: repoRoot, encoding: "utf8" });
  assert.equal(r.status, 0, `tsc reported:\n${r.stdout}${r.stderr}`);
});
