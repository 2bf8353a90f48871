// Generated path readers read exactly what chained `getField` reads, on any value: lists,
// durations, inherited names such as `constructor`, keys that are not identifiers.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { elementScan, pathReader } from "../compile-path.ts";
import { Duration, getField, type Value } from "../values.ts";

const key = fc.constantFrom("a", "b", "tool", "name", "constructor", "toString", "__proto__", "x-y", "0", "", "ms", "length", "hasOwnProperty");
const leaf: fc.Arbitrary<Value> = fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 3 }), fc.boolean(), fc.integer().map((ms) => new Duration(ms)));
const value: fc.Arbitrary<Value> = fc.letrec<{ v: Value }>((tie) => ({
  v: fc.oneof(
    { maxDepth: 4 },
    leaf,
    fc.array(tie("v"), { maxLength: 3 }),
    fc.dictionary(key, tie("v"), { maxKeys: 4 }).map((o) => JSON.parse(JSON.stringify(o)) as Value),
  ),
})).v;

function chained(v: Value, keys: readonly string[]): Value {
  for (const k of keys) v = getField(v, k);
  return v;
}

test("a generated reader agrees with chained getField", () => {
  fc.assert(
    fc.property(value, fc.array(key, { minLength: 1, maxLength: 4 }), (v, keys) => {
      assert.deepStrictEqual(pathReader(keys)(v), chained(v, keys));
    }),
    { numRuns: 3000 },
  );
});

test("inherited names, list positions and duration fields read as null", () => {
  assert.equal(pathReader(["constructor"])({}), null);
  assert.equal(pathReader(["toString"])({ a: 1 }), null);
  assert.equal(pathReader(["length"])([1, 2] as Value), null);
  assert.equal(pathReader(["ms"])(new Duration(5)), null);
  assert.equal(pathReader(["x-y", "0"])({ "x-y": { "0": 3 } }), 3);
  assert.equal(pathReader(["a"])(JSON.parse('{"__proto__": 1, "a": 2}') as Value), 2);
  assert.equal(pathReader(["__proto__"])(JSON.parse('{"__proto__": 1}') as Value), 1);
});

test("an element scan gives what a loop over chained getField gives, for count, any and all", () => {
  const want = fc.oneof(fc.integer({ min: -2, max: 2 }), fc.constantFrom("a", "", "tool"), fc.boolean());
  fc.assert(
    fc.property(fc.array(value, { maxLength: 6 }), fc.array(key, { maxLength: 3 }), want, fc.boolean(), (xs, keys, k, negate) => {
      const hit = (x: Value): boolean => (chained(x, keys) === k) !== negate;
      assert.equal(elementScan("count", keys, negate)(xs, k), xs.filter(hit).length);
      assert.equal(elementScan("any", keys, negate)(xs, k), xs.some(hit));
      assert.equal(elementScan("all", keys, negate)(xs, k), xs.every(hit));
    }),
    { numRuns: 2000 },
  );
});

test("objects that are not plain take the own-field check: class instances and null-prototype objects", () => {
  class Thing {
    get tool(): string {
      return "inherited getter";
    }
  }
  assert.equal(pathReader(["tool"])(new Thing() as unknown as Value), null);
  const bare = Object.assign(Object.create(null) as Record<string, Value>, { tool: "own" });
  assert.equal(pathReader(["tool"])(bare as Value), "own");
  assert.equal(elementScan("count", ["tool"], false)([new Thing() as unknown as Value, bare as Value], "own"), 1);
});
