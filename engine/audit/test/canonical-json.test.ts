import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import canonicalize from "canonicalize";
import { canonicalJson } from "../canonical-json.ts";

test("canonicalJson agrees with the canonicalize package (RFC 8785) on any JSON value", () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      assert.equal(canonicalJson(v), canonicalize(v));
    }),
    { numRuns: 3000 },
  );
});

test("keys sort by UTF-16 code units and numbers print as ECMAScript does (RFC 8785 §3.2)", () => {
  assert.equal(canonicalJson({ b: 1, a: [1e21, 1e-7, -0, 0.1], "\u00e9": true, "\ud83d\ude00": null, Z: "x" }), '{"Z":"x","a":[1e+21,1e-7,0,0.1],"b":1,"é":true,"😀":null}');
  assert.equal(canonicalJson({ x: undefined, y: 1 }), '{"y":1}');
});

test("values that are not plain JSON are refused with their path", () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const cases: [unknown, RegExp][] = [
    [{ a: NaN }, /value\.a is NaN/],
    [{ d: new Date(0) }, /value\.d is a Date/],
    [[1, , 3], /value\[1\] is undefined/],
    [{ f: () => 1 }, /value\.f is a function/],
    [cyclic, /value\.self refers back to itself/],
    [{ s: "\ud800" }, /lone surrogate/],
  ];
  for (const [v, re] of cases) assert.throws(() => canonicalJson(v), re);
});

test("the fast path and the careful writer agree where the fast one gives up, and the input is left as it was", () => {
  let deep: unknown = { z: 1, a: 2 };
  for (let i = 0; i < 100; i++) deep = [{ b: deep, a: i }];
  assert.equal(canonicalJson(deep), canonicalize(deep), "nesting past the fast path's bound");
  const odd = JSON.parse('{"b":1,"__proto__":{"y":1,"x":2},"10":0,"9":1}') as Record<string, unknown>;
  const before = JSON.stringify(odd);
  assert.equal(canonicalJson(odd), '{"10":0,"9":1,"__proto__":{"x":2,"y":1},"b":1}');
  assert.equal(JSON.stringify(odd), before, "unsorted objects are copied, never reordered in place");
});
