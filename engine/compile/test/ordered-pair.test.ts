// `any a then b in xs: P(a) and Q(b)` is decided in one pass over xs (the greedy match of an
// ordered pair) instead of trying every pair. It must still agree with the reference
// interpreter, errors included, on separable bodies and on the bodies it must not split.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { assertSameDecision, decideCompiled, pair, program } from "./support.ts";

const BODIES = [
  // separable: the first conjuncts read only a, the rest only b
  `a.tool.name == "get" and b.tool.name == "write"`,
  `tool.name == "run" and a.tool.name == "get" and b.tool.name == "write" and b.tool.args.n > 1`,
  `a.tool.args.n > 2 and a.tool.name != "x" and b.tool.args.n < 5`,
  // the first half can fail where the second cannot: a later a that raises must still raise
  `a.tool.args.n > 2 and b.tool.name == "write"`,
  // not separable: b first, a and b together, a after b
  `b.tool.name == "write" and a.tool.name == "get"`,
  `a.tool.name == "get" and b.tool.name == "write" and a.tool.args.n < b.tool.args.n`,
  `a.tool.name == "get" or b.tool.name == "write"`,
];

const call = fc.record({
  tool: fc.record({
    name: fc.constantFrom("get", "write", "x", "run"),
    // a string or a list where a number is compared makes the rule errored: errors must agree too
    args: fc.record({ n: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constant("7"), fc.constant(null), fc.constant([1])) }),
  }),
});

test("the one-pass ordered pair decides as the reference on every body, errors included", () => {
  let runs = 0;
  const errored = { yes: 0, no: 0 };
  for (const body of BODIES) {
    const source = `package t\nrule r on tool_call { when any a then b in session.calls: ${body} then deny "pair" }\n`;
    const e = pair(program(source));
    fc.assert(
      fc.property(fc.constantFrom("run", "get"), fc.array(call, { maxLength: 12 }), (name, calls) => {
        // Plain objects, as JSON gives: fast-check builds records without a prototype.
        const input = JSON.parse(JSON.stringify({ tool: { name, args: {} }, session: { id: "s", calls } })) as unknown;
        assertSameDecision(e, "tool_call", input, () => `${body} on ${JSON.stringify(calls)}`);
        runs++;
        const d = decideCompiled(e, "tool_call", input);
        if ("decision" in d) (d.decision.errors.length > 0 ? errored.yes++ : errored.no++);
      }),
      { numRuns: 400 },
    );
  }
  assert.equal(runs, BODIES.length * 400);
  assert.ok(errored.yes > 200 && errored.no > 200, `both errored and clean decisions must be compared: ${JSON.stringify(errored)}`);
});

test("a long session with no pair is searched in linear time, found by its answer on 20,000 calls", () => {
  const source = `package t\nrule r on tool_call { when any a then b in session.calls: a.tool.name == "get" and b.tool.name == "write" then deny "pair" }\n`;
  const e = pair(program(source));
  const calls = Array.from({ length: 20_000 }, (_, i) => ({ tool: { name: i < 10_000 ? "write" : "get", args: {} } }));
  // Quadratic search would be 2e8 body evaluations; linear is 4e4: both answer allow, only one in a blink.
  const d = decideCompiled(e, "tool_call", { tool: { name: "run", args: {} }, session: { id: "s", calls } });
  assert.ok("decision" in d && d.decision.decision === "allow");
  calls.push({ tool: { name: "write", args: {} } });
  const d2 = decideCompiled(e, "tool_call", { tool: { name: "run", args: {} }, session: { id: "s", calls } });
  assert.ok("decision" in d2 && d2.decision.decision === "deny");
});
