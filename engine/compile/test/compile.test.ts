// The compiled evaluator against the reference interpreter: a differential property over
// generated policies and inputs (at least 10,000 pairs), every example policy with random
// inputs, and the cases where compiling could most plausibly go wrong (folding, inlined defs,
// ordered quantifiers, patterns in the wrong place, errors, transforms, rule order).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import type { Phase } from "../../../language/ast.ts";
import { loadPolicySet } from "../../runtime/policy-set.ts";
import { inputArb, policyArb } from "./policy-arbitrary.ts";
import { assertSameDecision, decideCompiled, pair, program } from "./support.ts";

const PHASES: readonly Phase[] = ["tool_call", "tool_result", "output"];
const INPUTS_PER_POLICY = 20;
// Under mutation testing (scripts/mutate.ts sets PALISADE_MUTATION) every surviving mutant reruns
// this file; a tenth of the runs keeps a part's run within the hour (spec/testing.md says so).
const MUTATION = process.env.PALISADE_MUTATION === "1";
const POLICIES = MUTATION ? 50 : 500;

test(`differential: compiled and reference decisions are identical on ${POLICIES * INPUTS_PER_POLICY} generated (policy, input) pairs`, () => {
  let pairs = 0;
  fc.assert(
    fc.property(policyArb, fc.array(fc.tuple(fc.constantFrom(...PHASES), inputArb), { minLength: INPUTS_PER_POLICY, maxLength: INPUTS_PER_POLICY }), (source, inputs) => {
      const e = pair(program(source));
      for (const [phase, input] of inputs) {
        assertSameDecision(e, phase, input, () => source);
        pairs++;
      }
    }),
    { numRuns: POLICIES },
  );
  assert.ok(pairs >= POLICIES * INPUTS_PER_POLICY, `only ${pairs} pairs ran`);
});

const root = join(import.meta.dirname, "..", "..", "..");
const exampleDir = join(root, "examples", "policies");

test("every example policy decides random inputs identically with both evaluators", () => {
  const sources = Object.fromEntries(readdirSync(exampleDir).filter((f) => f.endsWith(".policy")).map((f) => [f, readFileSync(join(exampleDir, f), "utf8")]));
  assert.ok(Object.keys(sources).length > 0);
  const e = pair(program(sources));
  const inputs = readdirSync(join(root, "examples", "inputs")).map((f) => JSON.parse(readFileSync(join(root, "examples", "inputs", f), "utf8")) as unknown);
  for (const input of inputs) for (const phase of PHASES) assertSameDecision(e, phase, input, () => "examples");
  fc.assert(
    fc.property(fc.constantFrom(...PHASES), inputArb, (phase, input) => assertSameDecision(e, phase, input, () => "examples")),
    { numRuns: MUTATION ? 200 : 2000 },
  );
});

/** Asserts agreement on hand-picked inputs. */
function agree(source: string, inputs: readonly unknown[], phase: Phase = "tool_call"): void {
  const e = pair(program(source));
  for (const input of inputs) assertSameDecision(e, phase, input, () => source);
}

test("consts fold, defs inline per call site, and both read the same values", () => {
  const source = `package t
const LIMIT = 100 * 5
const NAMES = ["refund", "transfer"]
def over(x, k) = x > k
def pick(a) = over(a.amount, LIMIT) or over(a.n, LIMIT / 10)
rule r on tool_call {
  when tool.name in NAMES and pick(tool.args) and pick({amount: tool.args.n, n: 0})
  then deny "over {LIMIT}: {tool.args.amount}"
}`;
  agree(source, [
    { tool: { name: "refund", args: { amount: 900, n: 600 } } },
    { tool: { name: "refund", args: { amount: 9, n: 60 } } },
    { tool: { name: "transfer", args: { amount: "9", n: 1 } } },
    { tool: { name: "other", args: { amount: 900, n: 900 } } },
  ]);
  const e = pair(program(source));
  const d = decideCompiled(e, "tool_call", { tool: { name: "refund", args: { amount: 900, n: 600 } } });
  assert.ok("decision" in d && d.decision.decision === "deny" && d.decision.reasons[0].message === "over 500: 900");
});

test("ordered quantifiers pick strictly increasing positions, in the reference's search order", () => {
  const calls = (...names: string[]) => ({ tool: { name: "x" }, session: { calls: names.map((n, i) => ({ tool: { name: n, args: { i } }, time: "2026-01-01T00:00:00Z" })) } });
  const source = `package t
rule two on tool_call { when any a then b in session.calls: a.tool.name == "r" and b.tool.name == "s" then deny "two" }
rule three on tool_call { when any a then b then c in session.calls: a.tool.name == b.tool.name and c.tool.args.i > a.tool.args.i + 1 then warn "three" }
rule bad on tool_call { when any a then b in session.calls: a.tool.args.i > "x" then warn "never" }`;
  agree(source, [calls(), calls("s", "r"), calls("r", "s"), calls("r", "r", "s"), calls("q", "q", "z", "z"), calls("q", "z", "q", "w")]);
});

test("patterns in value positions, bad regex strings and missing values error the same way", () => {
  agree(
    `package t
rule a on tool_call { when tool.args.list contains pii.email then deny }
rule b on tool_call { when tool.args.s matches tool.args.p then deny "m" }
rule c on tool_call { when tool.args.s contains tool.args.p then warn "c {tool.args.p}" }
rule d on tool_call { when tool.args.list contains /a+/ then deny }
rule e on tool_call { when tool.args.s like tool.args.p then warn "like" }`,
    [
      { tool: { name: "x", args: { list: ["a"], s: "aaa", p: "a+" } } },
      { tool: { name: "x", args: { list: "aab", s: "aaa", p: "(" } } },
      { tool: { name: "x", args: { list: null, s: 3, p: 4 } } },
      { tool: { name: "x", args: { s: "a*b", p: "a\\*b" } } },
      { tool: { name: "x", args: { s: null, p: null } } },
    ],
  );
});

test("transforms apply in rule order after index merging; a failing transform errors its rule", () => {
  const source = `package t
rule r0 on tool_call { then redact pii.email in tool.args.body with "[E]" }
rule r1 on tool_call { when tool.name == "send" then set tool.args.body = tool.args.body + " (checked)" }
rule r2 on tool_call { then set tool.args.list[1] = 0 }
rule r3 on tool_call { when tool.name == "send" then { warn "sent", redact /\\d+/ in tool.args.body } }
rule r4 on tool_call { when tool.name in ["send", "other"] then allow }`;
  agree(source, [
    { tool: { name: "send", args: { body: "mail ann@acme.com 42", list: [1, 2] } } },
    { tool: { name: "send", args: { body: 7, list: [1] } } },
    { tool: { name: "other", args: { body: "x@y.io", list: "no" } } },
    { tool: { name: "send", args: {} } },
  ]);
  const e = pair(program(source));
  const d = decideCompiled(e, "tool_call", { tool: { name: "send", args: { body: "mail ann@acme.com 42", list: [1, 2] } } });
  assert.ok("decision" in d);
  assert.deepEqual(d.decision.reasons.map((r) => r.rule), ["t.r0", "t.r1", "t.r2", "t.r3", "t.r4"]);
  // `set` reads the input, not the payload so far: r1 overwrites r0's redaction, r3 redacts r1's result.
  assert.deepEqual(d.decision.payload, { tool: { name: "send", args: { body: "mail ann@acme.com [REDACTED] (checked)", list: [1, 0] } } });
});

test("default deny, on_error allow and errored rules combine the same way", () => {
  agree(
    `package t
default deny
on_error allow
rule r on tool_call { when tool.args.n > 1 then allow }
rule s on tool_call { when tool.name == "a" and tool.args.m then require_approval "ok?" from "lead" }`,
    [{ tool: { name: "a", args: { n: 2, m: true } } }, { tool: { name: "a", args: { n: "2", m: 1 } } }, { tool: { name: "b", args: {} } }, {}],
  );
});

test("policy sets decide with the compiled evaluator by default and agree with { evaluator: 'reference' }", () => {
  const text = `package t
rule r on tool_call { when tool.name == "refund" and tool.args.amount > 10 then deny "too much" }`;
  const compiled = loadPolicySet([{ path: "t.policy", text }]).policySet;
  const reference = loadPolicySet([{ path: "t.policy", text }], { evaluator: "reference" }).policySet;
  assert.ok(compiled && reference);
  assert.equal(compiled.evaluator, "compiled");
  assert.equal(reference.evaluator, "reference");
  for (const input of [{ tool: { name: "refund", args: { amount: 11 } } }, { tool: { name: "refund", args: { amount: "11" } } }, { tool: { name: "x" } }]) {
    assert.deepStrictEqual(compiled.decide("tool_call", input), reference.decide("tool_call", input));
  }
  assert.equal(compiled.decide("tool_call", { tool: { name: "refund", args: { amount: 11 } } }).decision, "deny");
});

test("a failing const errs only the rules that read it; a pattern const matches", () => {
  agree(
    `package t
const BAD = 1 / 0
const R = /^a+$/
const R2 = R
const E = pii.email
rule reads_bad on tool_call { when tool.name == "x" and tool.args.n > BAD then deny "bad" }
rule pattern on tool_call { when tool.args.s matches R2 or tool.args.s contains E then warn "pattern" }
rule pattern_value on tool_call { when tool.args.list contains R then deny "never" }
rule fine on tool_call { when tool.args.n == 1 then allow }`,
    [
      { tool: { name: "x", args: { n: 1, s: "aaa", list: [1] } } },
      { tool: { name: "y", args: { n: 1, s: "mail ann@acme.com", list: "s" } } },
      { tool: { name: "y", args: { n: 2, s: 3, list: null } } },
    ],
  );
});

test("a pattern that fails errs its rule with the pattern's error code; a null pattern const redacts nothing", () => {
  const source = `package t
const BAD = "("
const NOTHING = null
rule bad on tool_call { when tool.args.k == 1 then redact BAD in tool.args.body }
rule bad_dynamic on tool_call { when tool.args.k == 2 then redact BAD in tool.args.list[tool.args.i] }
rule bad_match on tool_call { when tool.args.k == 3 and tool.args.body matches BAD then deny }
rule nothing on tool_call { when tool.args.k == 4 then redact NOTHING in tool.args.body with "[X]" }`;
  const inputs = [1, 2, 3, 4].map((k) => ({ tool: { name: "x", args: { k, i: 0, body: "(x)", list: ["(y)"] } } }));
  agree(source, inputs);
  const e = pair(program(source));
  const bad = decideCompiled(e, "tool_call", inputs[0]);
  assert.ok("decision" in bad && bad.decision.errors[0].code === "runtime/invalid-regex");
  const nothing = decideCompiled(e, "tool_call", inputs[3]);
  assert.ok("decision" in nothing && nothing.decision.decision === "allow");
  assert.deepEqual(nothing.decision.payload, inputs[3]);
});
