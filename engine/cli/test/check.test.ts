import { test } from "node:test";
import assert from "node:assert/strict";
import { run, runProcess, tempTree } from "./support.ts";

const good = `package acme.t

const LIMIT = 10

rule big on tool_call {
  when tool.name == "pay" and tool.args.amount > LIMIT
  then deny "too big"
}
`;

test("check exits 0 on the example policies", async () => {
  const r = await run(["check", "examples/policies"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /ok: 3 files checked, 0 errors/);
});

test("check reports an unknown field with location, caret and a fix, and exits 1", async () => {
  const dir = tempTree({ "p.policy": good.replace("tool.args.amount", "tool.arg.amount") });
  const r = await run(["check", "p.policy"], dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^p\.policy:6:36: error\[E201\]: unknown field .arg./m);
  assert.match(r.stderr, /\^+/);
  assert.match(r.stderr, /help: did you mean 'tool\.args'/);
});

test("check reports every syntax error of a file in one run", async () => {
  const dir = tempTree({
    "bad.policy": `package a\n\nrule one on tool_call {\n  when tool.name == \n  then deny "x"\n}\n\nrule two on tool_call {\n  when (tool.name == "a"\n  then deny "y"\n}\n\nconst = 3\n`,
  });
  const r = await run(["check", "bad.policy"], dir);
  assert.equal(r.code, 1);
  const codes = [...r.stderr.matchAll(/^bad\.policy:(\d+):\d+: error\[(E\d+)\]/gm)];
  assert.ok(codes.length >= 3, `expected 3 or more errors, got:\n${r.stderr}`);
  assert.deepEqual(new Set(codes.map((m) => m[2])), new Set(["E100"]));
});

test("check --error-format json prints one object per diagnostic", async () => {
  const dir = tempTree({ "p.policy": good.replace("LIMIT\n", "LIMT\n") });
  const r = await run(["check", "--error-format", "json", "p.policy"], dir);
  assert.equal(r.code, 1);
  const lines = r.stderr.trim().split("\n").map((l) => JSON.parse(l) as { code: string; line: number });
  assert.ok(lines.some((d) => d.code === "E200" && d.line === 6), r.stderr);
});

test("check resolves imports across files of a folder", async () => {
  const dir = tempTree({
    "pol/common.policy": `package acme.common\n\nconst MAX = 5\n`,
    "pol/main.policy": `package acme.main\n\nimport acme.common as c\n\nrule r on tool_call {\n  when tool.args.n > c.MAX\n  then deny\n}\n`,
  });
  const r = await run(["check", "pol"], dir);
  assert.equal(r.code, 0, r.stderr);
});

test("warnings do not fail check unless --deny-warnings", async () => {
  const dir = tempTree({ "p.policy": `package a\n\nconst UNUSED = 1\n\nrule r on output {\n  then warn "x"\n}\n` });
  const r1 = await run(["check", "p.policy"], dir);
  assert.equal(r1.code, 0, r1.stderr);
  assert.match(r1.stderr, /warning\[W001\]/);
  const r2 = await run(["check", "--deny-warnings", "p.policy"], dir);
  assert.equal(r2.code, 1);
});

test("argument errors exit 2 with a message and no stack trace", async () => {
  const missing = await run(["check", "no/such/path"]);
  assert.equal(missing.code, 2, "a PATH that cannot be read is an unusable argument (issue 16), reported as E604");
  assert.match(missing.stderr, /^no\/such\/path:1:1: error\[E604\]: cannot read 'no\/such\/path'/m);
  assert.doesNotMatch(missing.stderr, /\n\s+at /);
  const none = await run(["check"]);
  assert.equal(none.code, 2);
  const flag = await run(["check", "--bogus", "examples"]);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /unknown option '--bogus'/);
});

test("--help works on every command", async () => {
  for (const c of ["check", "fmt", "eval", "test", "import", "audit", "demo"]) {
    const r = await run([c, "--help"]);
    assert.equal(r.code, 0, c);
    assert.match(r.stdout, /usage: palisade/, c);
  }
});

test("the installed entry point runs check as a child process", () => {
  const dir = tempTree({ "p.policy": good.replace(`"too big"`, `"unterminated`) });
  const r = runProcess(["check", "p.policy"], dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /p\.policy:7:\d+: error\[E101\]/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  const ok = runProcess(["check", "examples/policies"]);
  assert.equal(ok.code, 0, ok.stderr);
});
