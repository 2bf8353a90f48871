import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compileGlob, like } from "../glob.ts";

// A deliberately naive reference: the definition of a glob match, by recursion over code
// points (exponential in the worst case, fine on the small inputs below).
function reference(pattern: string, text: string): boolean {
  const p: (string | "*" | "?")[] = [];
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === "\\" && i + 1 < chars.length && "*?\\".includes(chars[i + 1])) p.push(`lit:${chars[++i]}`);
    else if (c === "*" || c === "?") p.push(c);
    else p.push(`lit:${c}`);
  }
  const t = Array.from(text);
  const go = (i: number, j: number): boolean => {
    if (i === p.length) return j === t.length;
    if (p[i] === "*") return go(i + 1, j) || (j < t.length && go(i, j + 1));
    if (j === t.length) return false;
    if (p[i] === "?") return go(i + 1, j + 1);
    return p[i] === `lit:${t[j]}` && go(i + 1, j + 1);
  };
  return go(0, 0);
}

test("like: stars, question marks and escapes", () => {
  const cases: [string, string, boolean][] = [
    ["db_*", "db_users", true],
    ["db_*", "db_", true],
    ["db_*", "xdb_users", false],
    ["*.pdf", "report.pdf", true],
    ["*.pdf", "report.pdf.exe", false],
    ["*secret*", "top_secret_file", true],
    ["*", "", true],
    ["", "", true],
    ["", "a", false],
    ["?", "", false],
    ["?", "a", true],
    ["?", "😀", true],
    ["??", "😀", false],
    ["a?c", "abc", true],
    ["a?c", "ac", false],
    ["a**b", "ab", true],
    ["a*b*c", "aXbYc", true],
    ["a*b*c", "aXcYb", false],
    ["*a*a*b", "aaaab", true],
    ["*a*a*b", "aab", true],
    ["*a*a*b", "ab", false],
    ["a\\*b", "a*b", true],
    ["a\\*b", "axb", false],
    ["a\\?", "a?", true],
    ["a\\?", "ab", false],
    ["a\\\\b", "a\\b", true],
    ["a\\b", "a\\b", true],
    ["a\\", "a\\", true],
    ["DB_*", "db_users", false],
    ["tool.*", "tool.read", true],
    ["[abc]", "[abc]", true],
    ["a.c", "abc", false],
  ];
  for (const [p, s, want] of cases) {
    assert.equal(compileGlob(p).test(s), want, `${JSON.stringify(s)} like ${JSON.stringify(p)}`);
    assert.equal(like(s, p), want, `like(${JSON.stringify(s)}, ${JSON.stringify(p)})`);
    assert.equal(reference(p, s), want, `reference agrees on ${JSON.stringify(s)} like ${JSON.stringify(p)}`);
  }
});

test("property: the compiled matcher agrees with the naive definition", () => {
  const patternChar = fc.constantFrom("a", "b", "*", "?", "\\", "😀");
  const textChar = fc.constantFrom("a", "b", "*", "?", "\\", "😀");
  fc.assert(
    fc.property(fc.array(patternChar, { maxLength: 8 }), fc.array(textChar, { maxLength: 10 }), (p, t) => {
      const pattern = p.join("");
      const text = t.join("");
      assert.equal(compileGlob(pattern).test(text), reference(pattern, text), `${JSON.stringify(text)} like ${JSON.stringify(pattern)}`);
    }),
    { numRuns: 5000 },
  );
});

test("like keeps working past its cache bound", () => {
  for (let i = 0; i < 600; i++) assert.equal(like(`x${i}y`, `x${i}*`), true);
  assert.equal(like("x5y", "x6*"), false);
});
