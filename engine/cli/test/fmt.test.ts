import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { run, tempTree } from "./support.ts";

const messy = `package   acme.t
// keep me
rule r   on tool_call { when tool.name=="x"   then deny "no" }
`;

test("fmt rewrites files in place, keeps comments, and is idempotent", async () => {
  const dir = tempTree({ "a.policy": messy });
  const r = await run(["fmt", "a.policy"], dir);
  assert.equal(r.code, 0, r.stderr);
  const once = readFileSync(join(dir, "a.policy"), "utf8");
  assert.notEqual(once, messy);
  assert.match(once, /\/\/ keep me/);
  assert.match(once, /^package acme\.t$/m);
  const again = await run(["fmt", "--check", "a.policy"], dir);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.equal(readFileSync(join(dir, "a.policy"), "utf8"), once);
});

test("fmt --check lists the files that would change, writes nothing and exits 1", async () => {
  const dir = tempTree({ "pol/a.policy": messy, "pol/b.policy": "package b\n" });
  const r = await run(["fmt", "--check", "pol"], dir);
  assert.equal(r.code, 1);
  assert.equal(r.stdout.trim(), join("pol", "a.policy"));
  assert.equal(readFileSync(join(dir, "pol/a.policy"), "utf8"), messy);
});

test("fmt refuses a file with syntax errors and reports them", async () => {
  const dir = tempTree({ "bad.policy": "package a\nrule r on output { then deny \"x }\n" });
  const r = await run(["fmt", "bad.policy"], dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad\.policy:2:\d+: error\[E101\]/);
  assert.equal(readFileSync(join(dir, "bad.policy"), "utf8"), "package a\nrule r on output { then deny \"x }\n");
});

test("the example policies are already formatted", async () => {
  const r = await run(["fmt", "--check", "examples/policies"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
});
