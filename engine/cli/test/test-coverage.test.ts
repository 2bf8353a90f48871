// `palisade test --coverage`: the rules no test reaches (fires), one line each, and a summary.
import { test } from "node:test";
import assert from "node:assert/strict";
import { run, tempTree } from "./support.ts";

const policy = `package acme.c

rule big on tool_call {
  when tool.name == "pay" and tool.args.amount > 100
  then deny "too much"
}

rule audit on tool_call {
  when tool.name == "pay"
  then warn "payment"
}

rule never on tool_call {
  when tool.name == "delete_everything"
  then deny "no"
}

rule masked on output {
  then redact pii.email in output.text with "[EMAIL]"
}

test "big payments are denied" {
  on tool_call { tool: { name: "pay", args: { amount: 500 } } }
  expect deny by big
}
`;

const other = `package acme.d

rule quiet on input {
  when input.text == "never said"
  then warn "odd"
}
`;

test("--coverage lists each rule no test fires as file:line, then 'coverage: N of M rules reached'", async () => {
  const dir = tempTree({ "c.policy": policy, "d.policy": other });
  const r = await run(["test", "--coverage", "c.policy", "d.policy"], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assert.deepEqual(lines, [
    "c.policy:13: rule acme.c.never not reached by any test",
    "c.policy:18: rule acme.c.masked not reached by any test",
    "d.policy:3: rule acme.d.quiet not reached by any test",
    "coverage: 2 of 5 rules reached",
    "1 passed, 0 failed",
  ]);
});

test("a rule is reached only when it fires: a rule evaluated but whose condition is false is not", async () => {
  const dir = tempTree({ "c.policy": policy.replace("amount: 500", "amount: 5").replace("expect deny by big", "expect allow") });
  const r = await run(["test", "--coverage", "c.policy"], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^c\.policy:3: rule acme\.c\.big not reached by any test$/m);
  assert.doesNotMatch(r.stdout, /acme\.c\.audit not reached/);
  assert.match(r.stdout, /^coverage: 1 of 4 rules reached$/m);
});

test("coverage does not change the exit status, and is off without the flag", async () => {
  const dir = tempTree({ "c.policy": policy.replace("expect deny by big", "expect allow") });
  const failing = await run(["test", "--coverage", "c.policy"], dir);
  assert.equal(failing.code, 1);
  assert.match(failing.stdout, /^coverage: 2 of 4 rules reached$/m);
  assert.match(failing.stdout, /0 passed, 1 failed\n$/);
  const full = tempTree({ "c.policy": policy });
  const plain = await run(["test", "c.policy"], full);
  assert.equal(plain.code, 0);
  assert.doesNotMatch(plain.stdout, /coverage|not reached/);
  const covered = await run(["test", "--coverage", "examples/policies"]);
  assert.equal(covered.code, 0, covered.stdout + covered.stderr);
  assert.match(covered.stdout, /^coverage: \d+ of \d+ rules reached$/m);
});
