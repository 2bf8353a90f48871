// fast-check arbitraries of JSON Logic rules over a small operator set and of the data they
// read, shared by the importer's differential test and the engine's.
import fc from "fast-check";

/** Data objects with the keys the rules read. */
export const dataArb: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(
  fc.constantFrom("a", "b", "xs", "n"),
  fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom("", "0", "1", "a", "ab"), fc.boolean(), fc.constant(null), fc.array(fc.oneof(fc.integer({ min: -2, max: 2 }), fc.constantFrom("a", "")), { maxLength: 3 }), fc.constant({ b: 1 })),
  { maxKeys: 4 },
).map((d) => JSON.parse(JSON.stringify(d)) as Record<string, unknown>);
/** JSON Logic rules, including forms the importer refuses (filter as a value, map-free reduce). */
export const ruleArb: fc.Arbitrary<unknown> = fc.letrec<{ r: unknown }>((tie) => ({
  r: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom("", "0", "1", "a"), fc.boolean(), fc.constant(null)),
    // No numeric segments: `xs.0` reads a list position, which differs from JSON Logic on objects
    // and strings (spec/jsonlogic-import.md); the vectors cover them on lists.
    fc.constantFrom("a", "b", "xs", "n", "a.b", "").map((p) => ({ var: p })),
    fc.tuple(fc.constantFrom("a", "b", "a.b"), fc.integer({ min: 0, max: 2 })).map(([p, d]) => ({ var: [p, d] })),
    fc.tuple(fc.constantFrom("==", "!=", "===", "!==", "<", "<=", ">", ">=", "in", "-", "/", "%", "substr"), tie("r"), tie("r")).map(([op, a, b]) => ({ [op]: [a, b] })),
    fc.tuple(fc.constantFrom("and", "or", "+", "*", "cat", "min", "max", "merge", "if"), fc.array(tie("r"), { minLength: 1, maxLength: 4 })).map(([op, xs]) => ({ [op]: xs })),
    fc.tuple(fc.constantFrom("<", "<="), fc.array(tie("r"), { minLength: 2, maxLength: 3 })).map(([op, xs]) => ({ [op]: xs })),
    fc.tuple(fc.constantFrom("!", "!!", "-", "+"), tie("r")).map(([op, a]) => ({ [op]: a })),
    fc.tuple(fc.constantFrom("some", "all", "none", "filter"), tie("r"), tie("r")).map(([op, xs, c]) => ({ [op]: [xs, c] })),
    fc.tuple(tie("r"), tie("r")).map(([xs, c]) => ({ reduce: [{ filter: [xs, c] }, { "+": [{ var: "accumulator" }, 1] }, 0] })),
    fc.array(fc.constantFrom("a", "b", "a.b"), { maxLength: 3 }).map((ks) => ({ missing: ks })),
    fc.tuple(fc.integer({ min: 0, max: 2 }), fc.array(fc.constantFrom("a", "b", "n"), { maxLength: 3 })).map(([n, ks]) => ({ missing_some: [n, ks] })),
  ),
})).r;
