import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { run, runProcess, tempTree } from "./support.ts";

test("eval prints the decision JSON for an input file", async () => {
  const r = await run(["eval", "examples/policies", "--phase", "tool_call", "--input", "examples/inputs/refund-900.json"]);
  assert.equal(r.code, 0, r.stderr);
  const d = JSON.parse(r.stdout) as { decision: string; reasons: { rule: string; effect: string; message: string }[]; policy: { digest: string } };
  assert.equal(d.decision, "require_approval");
  assert.deepEqual(d.reasons.map((x) => [x.rule, x.effect]), [["acme.payments.large_refund", "require_approval"]]);
  assert.equal(d.reasons[0].message, "Refund of 900 exceeds 500");
  assert.match(d.policy.digest, /^sha256:[0-9a-f]{64}$/);
});

test("eval reads the input from stdin with --input -", async () => {
  const input = readFileSync("examples/inputs/answer-with-card.json", "utf8");
  const r = await run(["eval", "examples/policies", "--phase", "output", "--input", "-", "--compact"], undefined, input);
  assert.equal(r.code, 0, r.stderr);
  const d = JSON.parse(r.stdout) as { decision: string; payload: { output: { text: string } } };
  assert.equal(d.decision, "allow");
  assert.match(d.payload.output.text, /The card \[CARD\] was charged/);
});

test("eval: unusable arguments, inputs and policies exit 2 without a stack trace", async () => {
  const cases: [string[], RegExp, string?][] = [
    [["eval", "examples/policies", "--input", "examples/inputs/refund-900.json"], /--phase is required/],
    [["eval", "examples/policies", "--phase", "tool_cal", "--input", "x.json"], /unknown phase 'tool_cal'/],
    [["eval", "examples/policies", "--phase", "tool_call"], /--input is required/],
    [["eval", "examples/policies", "--phase", "tool_call", "--input", "-"], /not valid JSON/, "{oops"],
    [["eval", "examples/policies", "--phase", "tool_call", "--input", "-"], /must be a JSON object, got a list/, "[1, 2]"],
  ];
  for (const [argv, re, stdin] of cases) {
    const r = await run(argv, undefined, stdin ?? "");
    assert.equal(r.code, 2, `${argv.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
  const dir = tempTree({ "p.policy": "package p\nrule r on output { when nope then deny }\n" });
  const r = await run(["eval", "p.policy", "--phase", "output", "--input", "-"], dir, "{}");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /error\[E200\]/);
});

test("eval as a child process, input on stdin", () => {
  const r = runProcess(["eval", "examples/policies", "--phase", "tool_call", "--input", "-"], undefined, readFileSync("examples/inputs/email-after-record.json", "utf8"));
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { decision: string }).decision, "deny");
});
