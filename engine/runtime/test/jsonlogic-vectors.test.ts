// JSON Logic through the engine: every vector case is imported (`root: "meta"`), compiled into
// a policy set and decided with the case's data under `meta`. The VALUE is observed through
// the payload: `meta` is context and cannot be rewritten, so a rule on `tool_call` does
// `set tool.args.result = <imported value>`; a second rule observes the imported CONDITION
// (`as: "condition"`) with a `warn`. `meta` is an object by the input schema, so `meta[1]` does not
// check: the 3 cases whose data is a list put it under `meta.data` (`root: "meta.data"`).
// json-logic-js is the oracle of a differential property.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import jsonLogic from "json-logic-js";
import type { RulesLogic } from "json-logic-js";
import { readVectors } from "../../../test/support.ts";
import { importJsonLogic } from "../../../language/jsonlogic-import.ts";
import { truthy } from "../../../language/jsonlogic-semantics.ts";
import { loadPolicySet } from "../index.ts";
import type { Decision } from "../index.ts";
import { dataArb, ruleArb } from "../../../language/test/jsonlogic-arbitrary.ts";

type Case = [rule: unknown, data: unknown, expected: unknown];

function cases(name: string): Case[] {
  return readVectors<unknown[]>(name).filter((c): c is Case => Array.isArray(c));
}

/** JSON values compare structurally; NaN equals NaN, and (JSON having no NaN) the engine's null stands for it. */
function sameValue(got: unknown, want: unknown): boolean {
  if (typeof want === "number" && Number.isNaN(want)) return got === null || (typeof got === "number" && Number.isNaN(got));
  if (typeof got === "number" && typeof want === "number") return got === want;
  if (Array.isArray(got) && Array.isArray(want)) return got.length === want.length && got.every((x, i) => sameValue(x, want[i]));
  if (isObject(got) && isObject(want)) {
    const gk = Object.keys(got).sort();
    const wk = Object.keys(want).sort();
    return gk.length === wk.length && gk.every((k, i) => k === wk[i] && sameValue(got[k], want[k]));
  }
  return got === want;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

type Outcome =
  | { readonly kind: "refused"; readonly operator: string | undefined; readonly message: string }
  | { readonly kind: "unchecked"; readonly messages: readonly string[] }
  | { readonly kind: "decided"; readonly value: unknown; readonly truthy: boolean; readonly errored: boolean; readonly decision: Decision };

/** Imports `rule` as a value and as a condition, builds a policy set, and decides `data` under `meta`. */
function throughEngine(rule: unknown, data: unknown, allowUnchecked = false): Outcome {
  const root = Array.isArray(data) ? "meta.data" : "meta";
  const value = importJsonLogic(rule, { root });
  if (value.expr === null || value.text === null) {
    assert.ok(value.problems.length > 0);
    return { kind: "refused", operator: value.problems[0].operator, message: value.problems[0].message };
  }
  const cond = importJsonLogic(rule, { root, as: "condition" });
  assert.ok(cond.text !== null, `imports as a value but not as a condition: ${JSON.stringify(rule)}`);
  const text = [
    "package jl",
    "",
    "rule value on tool_call {",
    `  then set tool.args.result = ${value.text.replace(/\n/g, "\n    ")}`,
    "}",
    "",
    "rule truth on tool_call {",
    `  when ${cond.text.replace(/\n/g, "\n    ")}`,
    '  then warn "truthy"',
    "}",
    "",
  ].join("\n");
  const { policySet, diagnostics } = loadPolicySet([{ path: "jl.policy", text }]);
  if (policySet === null && allowUnchecked) return { kind: "unchecked", messages: diagnostics.map((d) => d.message) };
  assert.ok(policySet !== null, `${JSON.stringify(rule)} does not load:\n${text}\n${diagnostics.map((d) => d.message).join("\n")}`);
  const decision = policySet.decide("tool_call", { tool: { name: "jl", args: {} }, meta: Array.isArray(data) ? { data } : data });
  const payload = decision.payload as { tool: { args: { result?: unknown } } };
  return {
    kind: "decided",
    value: payload.tool.args.result,
    truthy: decision.warnings.some((w) => w.rule === "jl.truth"),
    errored: decision.errors.length > 0,
    decision,
  };
}

function applied(rule: unknown, data: unknown): { value: unknown } | { threw: string } {
  try {
    return { value: jsonLogic.apply(rule as RulesLogic, data) };
  } catch (err) {
    return { threw: String(err) };
  }
}

describe("jsonlogic through the engine: the shared vectors", () => {
  it("every case of jsonlogic-tests.json decides to the expected value (and its truth as a condition), or is one of the 12 documented refusals", () => {
    const all = cases("jsonlogic-tests.json");
    assert.equal(all.length, 277);
    let decided = 0;
    const refused: string[] = [];
    for (const [rule, data, expected] of all) {
      const got = throughEngine(rule, data);
      const key = JSON.stringify(rule);
      assert.ok(got.kind !== "unchecked");
      if (got.kind === "refused") {
        const op = Object.keys(rule as object)[0];
        assert.ok(["filter", "map", "reduce"].includes(op), `unexpected refusal: ${key}: ${got.message}`);
        assert.equal(got.operator, op);
        assert.match(got.message, new RegExp(`'${op}'`));
        refused.push(key);
        continue;
      }
      assert.equal(got.errored, false, `${key}: errored: ${JSON.stringify(got.decision.errors)}`);
      assert.equal(got.decision.decision, "allow");
      assert.ok(sameValue(got.value, expected), `${key} on ${JSON.stringify(data)}: engine ${JSON.stringify(got.value)}, want ${JSON.stringify(expected)}`);
      assert.equal(got.truthy, truthy(expected), `${key} as a condition on ${JSON.stringify(data)}`);
      decided++;
    }
    assert.equal(refused.length, 12, refused.join("\n"));
    assert.equal(new Set(refused).size, 10);
    assert.equal(decided, 265);
  });

  it("every rule of jsonlogic-rule_like.json decides as json-logic-js applies it", () => {
    const rules = cases("jsonlogic-rule_like.json").map((c) => c[0]);
    assert.ok(rules.length > 30);
    for (const rule of rules) {
      for (const data of [{}, { a: 2, goods: 100, services: "5" }]) {
        const got = throughEngine(rule, data);
        assert.ok(got.kind === "decided", JSON.stringify(rule));
        const want = applied(rule, data);
        assert.ok("value" in want, JSON.stringify(rule));
        assert.equal(got.errored, false, JSON.stringify(rule));
        assert.ok(sameValue(got.value, want.value), `${JSON.stringify(rule)} on ${JSON.stringify(data)}: engine ${JSON.stringify(got.value)}, json-logic-js ${JSON.stringify(want.value)}`);
        assert.equal(got.truthy, truthy(want.value), JSON.stringify(rule));
      }
    }
  });
});

// Random rules over a small operator set (language/test/jsonlogic-arbitrary.ts), on random data.
describe("jsonlogic through the engine: differential against json-logic-js", () => {
  it("a comparison with the whole data checks and decides as json-logic-js does", () => {
    for (const rule of [{ "===": [0, { var: "" }] }, { "!==": [{ var: "" }, "a"] }, { "==": [null, { var: "" }] }]) {
      const got = throughEngine(rule, { a: 1 });
      assert.equal(got.kind, "decided", JSON.stringify(rule));
      if (got.kind === "decided") assert.equal(got.value, jsonLogic.apply(rule as RulesLogic, { a: 1 }), JSON.stringify(rule));
    }
  });

  it("the compiled engine gives json-logic-js's value and truthiness on random rules and data", () => {
    let decided = 0;
    fc.assert(
      fc.property(ruleArb, dataArb, (rule, data) => {
        const got = throughEngine(rule, data, true);
        if (got.kind === "refused") {
          assert.match(got.message, /'(filter|map|reduce)'/, got.message);
          return;
        }
        // Every rule the importer translates must check (a comparison with the whole data once gave `0 == meta`, which does not).
        assert.notEqual(got.kind, "unchecked", got.kind === "unchecked" ? `${JSON.stringify(rule)}: ${got.messages.join("; ")}` : "");
        if (got.kind === "unchecked") return;
        const want = applied(rule, data);
        if ("threw" in want) return;
        decided++;
        const show = `${JSON.stringify(rule)} on ${JSON.stringify(data)}: engine ${JSON.stringify(got.value)}, json-logic-js ${JSON.stringify(want.value)}`;
        assert.equal(got.errored, false, `${show}: errored ${JSON.stringify(got.decision.errors)}`);
        assert.ok(sameValue(got.value, want.value), show);
        assert.equal(got.truthy, truthy(want.value), `${show}: as a condition`);
      }),
      { numRuns: 1500 },
    );
    assert.ok(decided >= 1000, `${decided} decided`);
  });
});
