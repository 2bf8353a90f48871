import { test } from "node:test";
import assert from "node:assert/strict";
import { run, tempTree } from "./support.ts";

const policy = `package acme.t

const LIMIT = 100

rule big on tool_call {
  severity high
  when tool.name == "pay" and tool.args.amount > LIMIT
  then deny "over {LIMIT}"
}

rule clamp on tool_call {
  when tool.name == "pay" and tool.args.amount > 50
  then set tool.args.amount = 50
}

test "big payments are denied" {
  on tool_call { tool: { name: "pay", args: { amount: 500 } } }
  expect deny by big
}

test "medium payments are clamped" {
  on tool_call { tool: { name: "pay", args: { amount: 80 } } }
  expect allow
  expect payload.tool.args.amount == 50
}
`;

test("test runs every block and ends with 'N passed, N failed'", async () => {
  const dir = tempTree({ "t.policy": policy });
  const r = await run(["test", "t.policy"], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^2 passed, 0 failed$/m);
});

test("a failing test shows expected vs actual and the rule that decided, and exits 1", async () => {
  const dir = tempTree({ "t.policy": policy.replace("expect deny by big", "expect allow").replace("expect payload.tool.args.amount == 50", "expect payload.tool.args.amount == 60") });
  const r = await run(["test", "t.policy"], dir);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /FAIL\s+t\.policy:16: big payments are denied/);
  assert.match(r.stdout, /expected allow, got deny \(decided by acme\.t\.big\)/);
  assert.match(r.stdout, /expected payload tool\.args\.amount == "60", got "50"/);
  assert.match(r.stdout, /^0 passed, 2 failed$/m);
});

test("the example policies' tests pass", async () => {
  const r = await run(["test", "examples/policies"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^5 passed, 0 failed$/m);
});

test("policies that do not check fail the test run", async () => {
  const dir = tempTree({ "t.policy": "package p\nrule r on output { when output.txt == 1 then deny }\n" });
  const r = await run(["test", "t.policy"], dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /error\[E201\]/);
});
