import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import jsonLogic from "json-logic-js";
import type { RulesLogic } from "json-logic-js";
import { readVectors } from "../../test/support.ts";
import { stripSpans } from "../ast-util.ts";
import type { Expr } from "../ast.ts";
import { JSONLOGIC_BUILTINS } from "../builtins-jsonlogic.ts";
import { importJsonLogic, type ImportOptions } from "../jsonlogic-import.ts";
import { JSONLOGIC_SEMANTICS, truthy } from "../jsonlogic-semantics.ts";
import { parse } from "../parse.ts";
import { evaluate, RuntimeError, sameResult } from "./jsonlogic-eval.ts";
import { dataArb, ruleArb } from "./jsonlogic-arbitrary.ts";

type Case = [rule: unknown, data: unknown, expected: unknown];
const apply = (rule: unknown, data: unknown): unknown => jsonLogic.apply(rule as RulesLogic, data);

/**
 * The vector cases Palisade cannot express, by rule, with the reason. Everything else must import.
 * (They build new lists or fold values; the tests check each is refused naming its operator.)
 */
const INEXPRESSIBLE: ReadonlyMap<string, string> = new Map([
  [`{"filter":[{"var":"integers"},true]}`, "filter builds a new list"],
  [`{"filter":[{"var":"integers"},false]}`, "filter builds a new list"],
  [`{"filter":[{"var":"integers"},{">=":[{"var":""},2]}]}`, "filter builds a new list"],
  [`{"filter":[{"var":"integers"},{"%":[{"var":""},2]}]}`, "filter builds a new list"],
  [`{"map":[{"var":"integers"},{"*":[{"var":""},2]}]}`, "map builds a new list"],
  [`{"map":[{"var":"desserts"},{"var":"qty"}]}`, "map builds a new list"],
  [`{"reduce":[{"var":"integers"},{"+":[{"var":"current"},{"var":"accumulator"}]},0]}`, "reduce folds (a sum), not a count"],
  [`{"reduce":[{"var":"integers"},{"*":[{"var":"current"},{"var":"accumulator"}]},1]}`, "reduce folds (a product)"],
  [`{"reduce":[{"var":"integers"},{"*":[{"var":"current"},{"var":"accumulator"}]},0]}`, "reduce folds (a product)"],
  [`{"reduce":[{"var":"desserts"},{"+":[{"var":"accumulator"},{"var":"current.qty"}]},0]}`, "reduce folds (a sum of a field)"],
]);
const OPERATOR_OF = (key: string) => Object.keys(JSON.parse(key) as object)[0];

function cases(name: string): Case[] {
  return readVectors<unknown[]>(name).filter((c): c is Case => Array.isArray(c));
}

/** Parses an expression's text as a const's value. */
function parseExpr(text: string): Expr {
  const r = parse(`package t\nconst X = ${text}\n`, "x.policy");
  assert.deepEqual(r.diagnostics, [], `the imported text does not parse:\n${text}`);
  const d = r.file?.decls[0];
  assert.ok(d && d.kind === "Const");
  return d.value;
}

/** Evaluates, mapping a runtime error to a marker (an errored rule). */
function run(expr: Expr, env: ReadonlyMap<string, unknown>): unknown {
  try {
    return evaluate(expr, env);
  } catch (err) {
    if (err instanceof RuntimeError) return { errored: err.message };
    throw err;
  }
}

function applied(rule: unknown, data: unknown): unknown {
  try {
    return apply(rule, data);
  } catch (err) {
    return { threw: String(err) };
  }
}

/** Imports with `options`, checks the text round-trips, and returns the imported value on `data` (or null if refused). */
function importAndRun(rule: unknown, data: unknown, options: ImportOptions): { value: unknown } | null {
  const r = importJsonLogic(rule, options);
  if (r.expr === null || r.text === null) {
    assert.ok(r.problems.length > 0);
    return null;
  }
  assert.deepEqual(stripSpans(parseExpr(r.text)), stripSpans(r.expr), `text and tree differ for ${JSON.stringify(rule)}: ${r.text}`);
  const env = options.root === undefined ? new Map(typeof data === "object" && data !== null && !Array.isArray(data) ? Object.entries(data) : []) : new Map([[options.root, data]]);
  return { value: run(r.expr, env) };
}

describe("jsonlogic import: the shared vectors", () => {
  const all = cases("jsonlogic-tests.json");

  it("imports every case JSON Logic can express, and each evaluates as json-logic-js and the vector say", () => {
    let imported = 0;
    const refused: string[] = [];
    for (const [rule, data, expected] of all) {
      const got = importAndRun(rule, data, { root: "meta" });
      const key = JSON.stringify(rule);
      if (got === null) {
        const reason = INEXPRESSIBLE.get(key);
        assert.ok(reason !== undefined, `refused but not listed as inexpressible: ${key}: ${importJsonLogic(rule, { root: "meta" }).problems[0]?.message}`);
        const p = importJsonLogic(rule, { root: "meta" }).problems[0];
        assert.equal(p.operator, OPERATOR_OF(key));
        assert.match(p.message, new RegExp(`'${OPERATOR_OF(key)}'`));
        refused.push(key);
        continue;
      }
      assert.ok(!INEXPRESSIBLE.has(key), `listed as inexpressible but imports: ${key}`);
      assert.ok(sameResult(got.value, expected), `${key} on ${JSON.stringify(data)}: got ${JSON.stringify(got.value)}, want ${JSON.stringify(expected)}`);
      assert.ok(sameResult(got.value, applied(rule, data)));
      imported++;
    }
    assert.equal(new Set(refused).size, INEXPRESSIBLE.size);
    assert.equal(imported + refused.length, all.length);
    assert.equal(imported, 265);
  });

  it("as a condition, every imported case is true exactly when JSON Logic's result is truthy", () => {
    for (const [rule, data, expected] of all) {
      const got = importAndRun(rule, data, { root: "meta", as: "condition" });
      if (got === null) continue;
      assert.equal(got.value, truthy(expected), JSON.stringify(rule));
    }
  });

  it("without a root, paths are read as input paths; what needs the whole data is refused with a hint", () => {
    let imported = 0;
    for (const [rule, data, expected] of all) {
      const got = importAndRun(rule, data, {});
      if (got === null) {
        const p = importJsonLogic(rule, {}).problems[0];
        assert.ok(INEXPRESSIBLE.has(JSON.stringify(rule)) || /--root/.test(p.message), p.message);
        continue;
      }
      assert.ok(sameResult(got.value, expected), JSON.stringify(rule));
      imported++;
    }
    assert.ok(imported > 250, `${imported}`);
    assert.equal(importJsonLogic({ var: "tool.args.amount" }).text, "tool.args.amount");
    assert.equal(importJsonLogic({ var: "a.b.0" }, { root: "meta" }).text, "meta.a.b[0]");
  });

  it("imports the rules of rule_like.json, which evaluate as json-logic-js does", () => {
    const rules = cases("jsonlogic-rule_like.json").map((c) => c[0]);
    assert.ok(rules.length > 30);
    for (const rule of rules) {
      for (const data of [{}, { a: 2, goods: 100, services: "5" }]) {
        const got = importAndRun(rule, data, { root: "meta" });
        assert.ok(got !== null, JSON.stringify(rule));
        assert.ok(sameResult(got.value, applied(rule, data)), JSON.stringify(rule));
      }
    }
  });
});

describe("jsonlogic import: idiomatic where the meaning is provably the same", () => {
  const text = (rule: unknown, options: ImportOptions = { root: "meta" }) => importJsonLogic(rule, options).text;

  it("uses the language's operators for typed operands, and builtins where JSON Logic coerces", () => {
    assert.equal(text({ "<": [1, 2, 3] }), "1 < 2 and 2 < 3");
    assert.equal(text({ "<": [{ var: "temp" }, 110] }), "jsonlogic.lt(meta.temp, 110)");
    assert.equal(text({ "==": [{ var: "x" }, 1] }), "jsonlogic.eq(meta.x, 1)");
    assert.equal(text({ "===": [{ var: "x" }, "a"] }), 'meta.x == "a"');
    assert.equal(text({ "==": [{ var: "x" }, null] }), "meta.x == null");
    // The whole data is the root, whose type the checker knows: never a native comparison with a literal.
    assert.equal(text({ "===": [0, { var: "" }] }), "jsonlogic.strict_eq(0, meta)");
    assert.equal(text({ "==": [null, { var: "" }] }), "jsonlogic.eq(null, meta)");
    assert.equal(text({ in: [{ var: "filling" }, ["apple", "cherry"]] }), 'meta.filling in ["apple", "cherry"]');
    assert.equal(text({ in: ["Spring", "Springfield"] }), 'jsonlogic.in("Spring", "Springfield")');
    assert.equal(text({ "+": [1, { "*": [2, 3] }] }), "1 + 2 * 3");
    assert.equal(text({ "*": [{ "+": [1, 2] }, 3] }), "(1 + 2) * 3");
  });

  it("keeps booleans native in conditions and short-circuits as JSON Logic does", () => {
    assert.equal(text({ and: [{ "<": [1, 2] }, { "!": { var: "x" } }] }, { root: "meta", as: "condition" }), "1 < 2 and not jsonlogic.truthy(meta.x)");
    assert.equal(text({ and: [{ var: "a" }, { var: "b" }] }), "jsonlogic.and(meta.a, meta.b)");
    assert.equal(text({ and: [{ var: "a" }, { var: "b" }] }, { root: "meta", as: "condition" }), "jsonlogic.truthy(meta.a) and jsonlogic.truthy(meta.b)");
    assert.equal(text({ if: [{ var: "a" }, true, false] }, { as: "condition", root: "m" }), "jsonlogic.truthy(m.a) or false");
    assert.equal(text({ if: [{ var: "a" }, { var: "c" }, { var: "b" }] }, { as: "condition", root: "m" }), "jsonlogic.truthy(m.a) and jsonlogic.truthy(m.c)\n  or not jsonlogic.truthy(m.a) and jsonlogic.truthy(m.b)");
    assert.equal(text({ if: [{ var: "a" }, true, { var: "b" }] }, { as: "condition", root: "m" }), "jsonlogic.truthy(m.a) or jsonlogic.truthy(m.b)");
  });

  it("maps some/all/none and counting onto quantifiers", () => {
    assert.equal(text({ some: [{ var: "items" }, { ">=": [{ var: "qty" }, 1] }] }), "any item in jsonlogic.list(meta.items): jsonlogic.ge(item.qty, 1)");
    assert.equal(text({ none: [[1, 2], { "==": [{ var: "" }, 1] }] }), "not any item in [1, 2]: jsonlogic.eq(item, 1)");
    assert.equal(text({ all: [{ var: "xs" }, { var: "ok" }] }), "jsonlogic.nonempty(meta.xs) and all item in jsonlogic.list(meta.xs): jsonlogic.truthy(item.ok)");
    assert.equal(
      text({ reduce: [{ filter: [{ var: "calls" }, { "===": [{ var: "tool" }, "search"] }] }, { "+": [{ var: "accumulator" }, 1] }, 0] }),
      'count item in jsonlogic.list(meta.calls) where item.tool == "search"',
    );
    assert.equal(text({ ">": [{ reduce: [{ var: "calls" }, { "+": [1, { var: "accumulator" }] }, 2] }, 3] }), "(count item in jsonlogic.list(meta.calls)) + 2 > 3");
  });

  it("refuses what it cannot express, naming the operator", () => {
    for (const [rule, op] of [
      [{ map: [[1], { var: "" }] }, "map"],
      [{ method: ["abc", "toUpperCase"] }, "method"],
      [{ frobnicate: [1] }, "frobnicate"],
      [{ and: [] }, "and"],
      [{ "*": [] }, "*"],
      [{ reduce: [[1], { "+": [{ var: "current" }, { var: "accumulator" }] }, 0] }, "reduce"],
    ] as const) {
      const r = importJsonLogic(rule, { root: "meta" });
      assert.equal(r.expr, null);
      assert.equal(r.problems[0].operator, op);
      assert.match(r.problems[0].message, new RegExp(`'${op.replace("*", "\\*")}'`));
    }
    assert.match(importJsonLogic({ var: "" }).problems[0].message, /--root/);
    assert.match(importJsonLogic({ var: "x" }, { root: "not a path" }).problems[0].message, /root/);
  });

  it("declares every jsonlogic.* builtin it uses, each with a reference implementation", () => {
    const declared = new Set(JSONLOGIC_BUILTINS.map((b) => b.name));
    assert.deepEqual([...declared].sort(), Object.keys(JSONLOGIC_SEMANTICS).map((n) => `jsonlogic.${n}`).sort());
    for (const b of JSONLOGIC_BUILTINS) assert.ok(b.doc.length > 10 && b.example !== undefined, b.name);
  });
});

// Random rules over a small operator set (jsonlogic-arbitrary.ts), on random data, against json-logic-js.
describe("jsonlogic import: differential against json-logic-js", () => {
  it("an imported rule gives json-logic-js's value on random data, and its truth as a condition", () => {
    let imported = 0;
    fc.assert(
      fc.property(ruleArb, dataArb, (rule, data) => {
        const want = applied(rule, data);
        const got = importAndRun(rule, data, { root: "meta" });
        if (got === null) {
          const p = importJsonLogic(rule, { root: "meta" }).problems[0];
          assert.match(p.message, /'(filter|map|reduce)'/, p.message);
          return;
        }
        imported++;
        assert.ok(sameResult(got.value, want), `${JSON.stringify(rule)} on ${JSON.stringify(data)}: got ${JSON.stringify(got.value)}, json-logic-js ${JSON.stringify(want)}\n${importJsonLogic(rule, { root: "meta" }).text}`);
        const cond = importAndRun(rule, data, { root: "meta", as: "condition" });
        assert.ok(cond !== null);
        if (typeof want === "object" && want !== null && "threw" in want) return;
        assert.equal(cond.value, truthy(want), `${JSON.stringify(rule)} as a condition on ${JSON.stringify(data)}`);
      }),
      { numRuns: 3000 },
    );
    assert.ok(imported > 1500, `${imported}`);
  });
});
