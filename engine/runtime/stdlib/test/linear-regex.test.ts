import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compileLinearRegex, setPruneBudget, type LinearRegex } from "../linear-regex.ts";
import { compilePolicyRegex } from "../regex-guard.ts";
import { flagsArb, patternArb, textArb } from "./linear-regex-gen.ts";
import { v8Find, v8Test } from "./v8-oracle.ts";


test("the oracle passes over V8's matches inside a surrogate pair, and only those", () => {
  assert.equal(new RegExp("\\B", "u").test("a😀a"), true, "V8 still matches between the halves (if not, drop midPair)");
  assert.equal(v8Test("\\B", "u", "a😀a"), false);
  assert.equal(compileLinearRegex("\\B", "u").test("a😀a"), false);
  assert.equal(v8Test("\\B", "", "a😀a"), true, "without u the halves are two characters");
  assert.deepEqual(v8Find("a", "u", "a😀a"), [[0, 1], [3, 4]]);
});

function same(pattern: string, flags: string, text: string): void {
  const re = compileLinearRegex(pattern, flags);
  const where = `/${pattern}/${flags} on ${JSON.stringify(text)}`;
  assert.deepEqual(re.find(text), v8Find(pattern, flags, text), `find ${where}`);
  assert.equal(re.test(text), v8Test(pattern, flags, text), `test ${where}`);
}

test("property: test and find agree with V8 on random patterns, flags and texts", () => {
  let pairs = 0;
  fc.assert(
    fc.property(patternArb, flagsArb, fc.array(textArb, { minLength: 1, maxLength: 4 }), (pattern, flags, texts) => {
      try {
        new RegExp(pattern, flags);
      } catch {
        return; // not JavaScript (a quantified assertion under u, `{` after nothing, ...)
      }
      const re = compileLinearRegex(pattern, flags);
      for (const text of texts) {
        pairs++;
        const where = `/${pattern}/${flags} on ${JSON.stringify(text)}`;
        assert.deepEqual(re.find(text), v8Find(pattern, flags, text), `find ${where}`);
        assert.equal(re.test(text), v8Test(pattern, flags, text), `test ${where}`);
      }
    }),
    { numRuns: 4000 },
  );
  assert.ok(pairs >= 4000, `only ${pairs} valid pattern/text pairs`);
});

test("empty matches: skipped by find, one code point at a time under u", () => {
  same("x*", "", "axxb");
  same("(?:)", "u", "😀😀");
  same("(?:)|a", "u", "\ud83da");
  same("a??", "", "aaa");
  same("(?=a)|b", "", "abab");
  same("\\b", "", "ab cd");
  same(".", "u", "😀a");
});

test("^ and $ with and without m, at every kind of line break", () => {
  for (const flags of ["", "m", "ms"]) {
    for (const text of ["a\nb", "a\r\nb\u2028a", "\n\n", "ba\na"]) {
      for (const pattern of ["^a", "a$", "^$", "^.*$", "^\\w+$", "(?:^|b)a"]) same(pattern, flags, text);
    }
  }
});

test("\\b and \\w under i and u: ſ and the Kelvin sign are word characters only with both", () => {
  for (const flags of ["", "i", "u", "iu"]) {
    for (const text of ["ſ", "\u212a", "s ſ", "a\u212ab", "KELVIN"]) {
      for (const pattern of ["\\b", "\\B", "\\w+", "\\W", "[^\\W]", "\\bk", "s\\b"]) same(pattern, flags, text);
    }
  }
  assert.equal(compileLinearRegex("^\\w$", "iu").test("ſ"), true);
  assert.equal(compileLinearRegex("^\\w$", "i").test("ſ"), false);
});

test("case folding: toUpperCase without u, simple case folding with u", () => {
  for (const [pattern, text] of [["ß", "ẞ"], ["ſ", "S"], ["k", "\u212a"], ["ω", "Ω"], ["θ", "ϑϴ"], ["ΐ", "ΐ"], ["i", "İı"], ["𐐀", "𐐨"], ["[a-z]+", "ÀBC"], ["[^k]", "\u212a"]]) {
    for (const flags of ["i", "iu"]) same(pattern, flags, text);
  }
});

test("lazy quantifiers take the shortest match the rest allows", () => {
  same("a+?", "", "aaa");
  same("a*?b", "", "aaab");
  same("<.+?>", "", "<a><b>");
  same("a{2,4}?", "", "aaaaaaa");
  same("(?:ab)*?c|a", "", "ababc");
});

test("{0}, and repetitions of bodies that can match empty (the empty check)", () => {
  same("a{0}", "", "aaa");
  same("(?:a{0})+x", "", "ax");
  same("(?:a?)*b", "", "aab");
  same("(?:|a)*", "", "aaa");
  same("(?:a|)*?b", "", "aab");
  same("(?:a*)*b", "", "aaa");
  same("(?:a*?)+?c", "", "aac");
  same("(?:(?=a)|b)*a", "", "ba");
  same("(?:b|(?:a?){2})*c", "", "aabac");
  same("(?:(?:a|)(?:b|))*c", "", "abbac");
  same("(?:a??b??)*?x", "", "abx");
});

test("surrogate pairs: one character with u, two units without", () => {
  for (const flags of ["", "u", "i", "iu"]) {
    for (const pattern of ["😀", ".", "^.$", "[😀]", "[^a]", "\\ud83d", "\\ude00", "\\ud83d\\ude00", "\\u{1F600}", "😀+", "[\\ud83d\\ude00]"]) {
      for (const text of ["😀", "a😀b", "\ud83d", "\ude00\ud83d", "😀😀"]) {
        try {
          new RegExp(pattern, flags);
        } catch {
          continue;
        }
        same(pattern, flags, text);
      }
    }
  }
});

test("lookahead, nested and negated", () => {
  same("(?=.*x)a", "", "a ax");
  same("(?!.*x)a", "", "a ax a");
  same("a(?=(?!b)\\w)", "", "ab ac a");
  same("(?=(a+))a*b", "", "aaab");
  same("(?:(?=\\w)\\w)+", "", "ab cd");
});

test("named and capturing groups, classes with escapes, legacy syntax", () => {
  same("(?<year>\\d{4})-(\\d\\d)", "", "on 2024-05");
  same("[\\d-x]+", "", "1-x2");
  same("a{,2}", "", "a{,2}");
  same("\\cJ\\x41\\u0042\\0", "", "\nAB\0");
  same("\\012", "", "\n");
  same("[\\b]", "", "a\bb");
  same("\\p{Lu}\\P{Lu}", "u", "aBcD😀");
});

// Steps for texts of length n and 4n: a linear matcher takes about four times as many.
function ratio(re: LinearRegex, make: (n: number) => string, n: number, run: "test" | "find"): number {
  const steps = (k: number): number => {
    re.steps = 0;
    re[run](make(k));
    return re.steps;
  };
  return steps(4 * n) / steps(n);
}

const FAMILIES: readonly (readonly [pattern: string, flags: string, text: (n: number) => string])[] = [
  ["\\s*a\\s*b", "", (n) => " ".repeat(n)],
  ["[a-z]+@", "", (n) => "a".repeat(n)],
  [".*=.*;", "", (n) => "x=".repeat(n / 2)],
  [".*password.*", "i", (n) => "x".repeat(n)],
  ["(a|aa)*b", "", (n) => "a".repeat(n)],
  ["(?:a+)+b", "", (n) => "a".repeat(n)],
  ["(?:a*)*b", "", (n) => "a".repeat(n)],
  ["(?=.*x)a", "", (n) => "a".repeat(n)],
  ["(?!.*x)a.*y", "", (n) => "a".repeat(n)],
  ["\\w+\\s+\\w+:", "", (n) => "ab ".repeat(n / 3)],
  ["a.*b|a", "", (n) => "a".repeat(n)],
  ["(?:\\d+\\.)+\\d+x", "", (n) => "1.".repeat(n / 2)],
  ["\\b\\w+@\\w+\\.com\\b", "iu", (n) => "a".repeat(n)],
];

test("linearity: steps on 4n characters are at most 4.5 times the steps on n, for adversarial families", () => {
  for (const [pattern, flags, text] of FAMILIES) {
    const re = compileLinearRegex(pattern, flags);
    for (const run of ["test", "find"] as const) {
      const r = ratio(re, text, 3000, run);
      assert.ok(r <= 4.5, `/${pattern}/${flags} ${run}: steps grew ${r.toFixed(2)} times for 4 times the text`);
    }
  }
});

test("steps stay within a constant times n·m (text length times program size)", () => {
  for (const [pattern, flags, text] of FAMILIES) {
    const re = compileLinearRegex(pattern, flags);
    const s = text(20_000);
    re.steps = 0;
    re.find(s);
    re.test(s);
    const size = pattern.length + 2;
    assert.ok(re.steps <= 12 * s.length * size, `/${pattern}/${flags}: ${re.steps} steps on ${s.length} characters`);
  }
});

// The matcher runs these in linear time too, but the screen refuses them (they are exponential for a backtracking engine).
const REFUSED = new Set(["(a|aa)*b", "(?:a+)+b", "(?:a*)*b"]);

test("one 1 MB adversarial input per family runs through compilePolicyRegex", () => {
  for (const [pattern, flags, text] of FAMILIES) {
    if (REFUSED.has(pattern)) {
      assert.throws(() => compilePolicyRegex(pattern, flags), /backtrack/);
      continue;
    }
    const re = compilePolicyRegex(pattern, flags);
    assert.equal(re.engine, "linear", `/${pattern}/${flags}`);
    const s = text(1 << 20).slice(0, 1 << 20);
    // Every family is built to fail everywhere but `a.*b|a`, which matches each `a` alone.
    assert.equal(re.find(s).length, pattern === "a.*b|a" ? s.length : 0, `/${pattern}/${flags}`);
  }
});

test("find keeps its pruning record in blocks when the whole record is over budget: same matches, still linear", () => {
  const old = setPruneBudget(64);
  try {
    const long = fc.array(fc.constantFrom("a", "b", "x", "=", " ", "\n", "😀", "\ud83d"), { minLength: 60, maxLength: 400 }).map((cs) => cs.join(""));
    const pattern = fc.constantFrom("a.*b|a", "a(?:b|x)*=|x", ".*=.*b|=", "(?=.*b)a+|x", "\\s*a\\s*b|a", "(?:a|b)+?x|b", "a[^b]*b|a");
    fc.assert(
      fc.property(pattern, fc.constantFrom("", "u", "s", "m"), long, (p, flags, text) => {
        assert.deepEqual(compileLinearRegex(p, flags).find(text), v8Find(p, flags, text), `/${p}/${flags} on ${JSON.stringify(text)}`);
      }),
      { numRuns: 300 },
    );
    const re = compileLinearRegex("a.*b|a", "");
    const r = ratio(re, (n) => "a".repeat(n), 3000, "find");
    assert.ok(r <= 4.5, `steps grew ${r.toFixed(2)} times for 4 times the text`);
  } finally {
    setPruneBudget(old);
  }
});
