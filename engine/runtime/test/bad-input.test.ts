// Bad input to `PolicySet.decide`: inputs nested 10,000 levels deep and inputs of 10 MB give a
// decision (or a rule error in it) within a bounded time, never a stack overflow, with both
// evaluators.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadPolicySet } from "../index.ts";
import type { PolicySet } from "../index.ts";

const source = `package bad

rule same on tool_call {
  when tool.name == "cmp" and tool.args.x == tool.args.y
  then deny "equal"
}

rule member on tool_call {
  when tool.name == "member" and tool.args.x in tool.args.ys
  then warn "member"
}

rule shows on tool_call {
  when tool.name == "show"
  then warn "x is {tool.args.x}"
}

rule secret on tool_call {
  when to_string(tool.args.text) contains "password"
  then warn "password"
}

rule mask on tool_call {
  then redact pii.email in tool.args.text with "[EMAIL]"
}
`;

function deepObject(n: number, leaf: unknown = 1): unknown {
  let v = leaf;
  for (let i = 0; i < n; i++) v = { a: v };
  return v;
}

function deepList(n: number, leaf: unknown = 1): unknown {
  let v = leaf;
  for (let i = 0; i < n; i++) v = [v];
  return v;
}

function sets(): PolicySet[] {
  return (["compiled", "reference"] as const).map((evaluator) => {
    const { policySet, diagnostics } = loadPolicySet([{ path: "bad.policy", text: source }], { evaluator });
    assert.ok(policySet, diagnostics.map((d) => d.message).join("\n"));
    return policySet;
  });
}

/** Decides and returns the decision with the time it took; a throw fails the test. */
function timed(set: PolicySet, input: unknown) {
  const t0 = performance.now();
  const d = set.decide("tool_call", input);
  return { d, ms: performance.now() - t0 };
}

describe("bad input: deeply nested", () => {
  for (const set of sets()) {
    it(`${set.evaluator}: equality over 10,000 levels compares without overflowing the stack`, () => {
      for (const deep of [deepObject, deepList]) {
        const same = timed(set, { tool: { name: "cmp", args: { x: deep(10_000), y: deep(10_000) } } });
        assert.equal(same.d.decision, "deny");
        assert.deepEqual(same.d.errors, []);
        assert.ok(same.ms < 2000, `${same.ms} ms`);
        const differ = timed(set, { tool: { name: "cmp", args: { x: deep(10_000), y: deep(10_000, 2) } } });
        assert.equal(differ.d.decision, "allow");
        assert.deepEqual(differ.d.errors, []);
      }
      const mixed = timed(set, { tool: { name: "cmp", args: { x: deepObject(10_000), y: deepList(10_000) } } });
      assert.equal(mixed.d.decision, "allow");
    });

    it(`${set.evaluator}: membership of a 10,000-level value, and 10,000-level context, decide`, () => {
      const m = timed(set, { tool: { name: "member", args: { x: deepList(10_000), ys: [1, deepList(10_000)] } } });
      assert.deepEqual(m.d.warnings.map((w) => w.rule), ["bad.member"]);
      const ctx = timed(set, { tool: { name: "other", args: {} }, meta: deepObject(10_000), principal: { attrs: deepList(10_000) } });
      assert.equal(ctx.d.decision, "allow");
      assert.ok(ctx.ms < 2000);
    });

    it(`${set.evaluator}: interpolating a 10,000-level value into a message gives a decision (the value shown, or the rule errored)`, () => {
      const r = timed(set, { tool: { name: "show", args: { x: deepObject(10_000) } } });
      assert.ok(r.d.warnings.some((w) => w.rule === "bad.shows") || r.d.errors.some((e) => e.rule === "bad.shows"), JSON.stringify({ warnings: r.d.warnings, errors: r.d.errors }));
      const err = r.d.errors.find((e) => e.rule === "bad.shows");
      if (err) assert.match(err.message, /nested too deeply/);
      assert.ok(r.ms < 2000);
    });
  }
});

describe("bad input: huge", () => {
  for (const set of sets()) {
    it(`${set.evaluator}: a 10 MB text is searched and redacted in linear time`, () => {
      const text = "write to a@example.com ".repeat(460_000);
      assert.ok(text.length >= 10_000_000);
      const r = timed(set, { tool: { name: "t", args: { text } } });
      assert.equal(r.d.decision, "allow");
      const out = (r.d.payload as { tool: { args: { text: string } } }).tool.args.text;
      assert.ok(!out.includes("@example.com"));
      assert.ok(out.startsWith("write to [EMAIL] "));
      assert.ok(r.ms < 5000, `${r.ms} ms`);
      const pw = timed(set, { tool: { name: "t", args: { text: `${"x".repeat(10_000_000)}password` } } });
      assert.deepEqual(pw.d.warnings.map((w) => w.rule), ["bad.secret"]);
      assert.ok(pw.ms < 5000, `${pw.ms} ms`);
    });

    it(`${set.evaluator}: a million-element list (10 MB as JSON) compares in bounded time`, () => {
      const xs = Array.from({ length: 1_000_000 }, (_, i) => `v${i}`);
      const r = timed(set, { tool: { name: "cmp", args: { x: xs, y: [...xs] } } });
      assert.equal(r.d.decision, "deny");
      assert.ok(r.ms < 5000, `${r.ms} ms`);
    });
  }
});
