import { test } from "node:test";
import assert from "node:assert/strict";
import canonicalize from "canonicalize";
import fc from "fast-check";
import { canonicalJson } from "../canonical.ts";

test("canonical text matches the canonicalize package (RFC 8785) on arbitrary JSON", () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      assert.equal(canonicalJson(v), canonicalize(v));
    }),
    { numRuns: 500 },
  );
});

test("RFC 8785 number and key-order cases", () => {
  const v = { "\u20ac": 1, "\r": 2, "1": 3, b: [1e21, 1e-7, -0, 0.1 + 0.2, 333333333.3333333], a: "\u2028" };
  assert.equal(canonicalJson(v), canonicalize(v));
});
