import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { BACKTRACK_BUDGET, backtrackingIsLinear, cachedPolicyRegex, compilePolicyRegex, DEFAULT_MAX_REGEX_INPUT, type PolicyRegex } from "../regex-guard.ts";
import { parsePattern } from "../regex-parse.ts";
import { flagsArb, patternArb, textArb } from "./linear-regex-gen.ts";
import { v8Find, v8Test } from "./v8-oracle.ts";
import { PolicyRuntimeError, type PolicyRuntimeErrorCode } from "../errors.ts";

const fails = (code: PolicyRuntimeErrorCode) => (e: unknown) => e instanceof PolicyRuntimeError && e.code === code;

test("compilePolicyRegex: screened patterns test and find like JavaScript regexes", () => {
  const re = compilePolicyRegex("^\\/etc\\/", "");
  assert.equal(re.test("/etc/passwd"), true);
  assert.equal(re.test("/home/etc/"), false);
  const words = compilePolicyRegex("secret|token", "i");
  assert.deepEqual(words.find("a SECRET and a Token"), [[2, 8], [15, 20]]);
  assert.equal(words.test("nothing"), false);
  assert.equal(words.source, "secret|token");
  assert.equal(words.flags, "i");
  // The same regex twice gives the same answers: no lastIndex leaks between calls.
  assert.deepEqual(words.find("token token"), [[0, 5], [6, 11]]);
  assert.deepEqual(words.find("token token"), [[0, 5], [6, 11]]);
  assert.equal(words.test("token"), true);
  assert.equal(words.test("token"), true);
});

test("compilePolicyRegex: empty matches are skipped without looping, by code point under u", () => {
  assert.deepEqual(compilePolicyRegex("x*", "").find("axxb"), [[1, 3]]);
  assert.deepEqual(compilePolicyRegex("(?:)", "u").find("😀😀"), []);
  assert.deepEqual(compilePolicyRegex(".", "u").find("😀a"), [[0, 2], [2, 3]]);
});

test("compilePolicyRegex refuses what the checker refuses, as a runtime error", () => {
  for (const [pattern, flags] of [
    ["(a+)+$", ""],
    ["(\\w|\\d)*x", ""],
    ["(a)\\1", ""],
    ["(?<=a)b", ""],
    ["(?<!a)b", ""],
    ["[", ""],
    ["a", "g"],
    ["a", "y"],
    ["a", "ii"],
  ]) {
    assert.throws(() => compilePolicyRegex(pattern, flags), fails("runtime/invalid-regex"), `/${pattern}/${flags}`);
  }
});

test("inputs over the cap are refused, not scanned; the cap is inclusive", () => {
  const re = compilePolicyRegex("b", "", { maxInput: 10 });
  assert.equal(re.test("aaaaaaaaab"), true);
  assert.deepEqual(re.find("aaaaaaaaab"), [[9, 10]]);
  assert.throws(() => re.test("aaaaaaaaaab"), fails("runtime/input-too-large"));
  assert.throws(() => re.find("aaaaaaaaaab"), fails("runtime/input-too-large"));
  assert.equal(DEFAULT_MAX_REGEX_INPUT, 1024 * 1024);
  const dflt = compilePolicyRegex("z", "");
  assert.equal(dflt.test("a".repeat(DEFAULT_MAX_REGEX_INPUT)), false);
  assert.throws(() => dflt.test("a".repeat(DEFAULT_MAX_REGEX_INPUT + 1)), fails("runtime/input-too-large"));
});

test("cachedPolicyRegex compiles once per pattern and flags", () => {
  const a = cachedPolicyRegex("abc", "i");
  assert.equal(cachedPolicyRegex("abc", "i"), a);
  assert.notEqual(cachedPolicyRegex("abc", ""), a);
  assert.throws(() => cachedPolicyRegex("(a+)+$"), fails("runtime/invalid-regex"));
  for (let i = 0; i < 300; i++) cachedPolicyRegex(`x${i}`);
  assert.equal(cachedPolicyRegex("abc", "i").test("ABC"), true);
});

test("cachedPolicyRegex clears its cache when it holds 256 patterns, and only then", () => {
  let n = 0;
  const fresh = (): PolicyRegex => cachedPolicyRegex(`cache-${n++}`);
  const probe = "cache-probe";
  let kept = cachedPolicyRegex(probe);
  // Other tests filled the cache to an unknown size: add patterns until the probe is compiled anew.
  for (let added = 0; cachedPolicyRegex(probe) === kept; added++) {
    assert.ok(added < 256, "the cache is bounded");
    fresh();
  }
  // Cleared by the pattern just added, then the probe compiled again: two patterns held.
  kept = cachedPolicyRegex(probe);
  for (let i = 0; i < 254; i++) fresh();
  assert.equal(cachedPolicyRegex(probe), kept, "256 patterns are held");
  fresh();
  assert.notEqual(cachedPolicyRegex(probe), kept, "the 257th clears the cache");
});

test("a pattern nested too deeply for the parsers is refused, not a stack overflow", () => {
  const deep = `${"(?:".repeat(100_000)}a${")".repeat(100_000)}`;
  assert.throws(() => compilePolicyRegex(deep), (e) => fails("runtime/invalid-regex")(e) && /^regex "\(\?:.*\.\.\." is not allowed: it is nested too deeply$/.test((e as Error).message));
  assert.throws(() => cachedPolicyRegex(deep), fails("runtime/invalid-regex"));
  // A pattern the screen refuses says so once (the refusal is not wrapped again).
  assert.throws(() => compilePolicyRegex("(a+)+$"), (e) => fails("runtime/invalid-regex")(e) && (e as Error).message.split("is not allowed").length === 2);
});

test("the budget's boundary: a pattern whose attempt costs exactly BACKTRACK_BUDGET runs on V8, one step more on the linear matcher", () => {
  // a{n}: one path of n characters, so n + 1 steps.
  assert.equal(compilePolicyRegex(`a{${BACKTRACK_BUDGET - 1}}`).engine, "backtracking");
  assert.equal(compilePolicyRegex(`a{${BACKTRACK_BUDGET}}`).engine, "linear");
});

test("the engine: V8 when one attempt's work is bounded by the pattern, the linear matcher otherwise", () => {
  const engine = (p: string, f = ""): string => compilePolicyRegex(p, f).engine;
  for (const p of ["^\\/etc\\/", "secret|token", "\\d{3}-\\d{2}-\\d{4}", "\\bpassw(?:or)?d\\b", "[a-z]{1,20}", "(?!x)a"]) assert.equal(engine(p), "backtracking", p);
  for (const p of ["[a-z]+@", ".*password.*", "\\s*a\\s*b", "^\\/etc\\/.*", ".{0,100}x", "(?:a|b){1,20}c", "(?=.*x)a", "x*"]) assert.equal(engine(p), "linear", p);
  assert.equal(backtrackingIsLinear(parsePattern("[a-z]{1,20}", "").root), true);
  assert.equal(backtrackingIsLinear(parsePattern("(?:[a-z]{1,20}){3}", "").root), false, "8000 paths of up to 60 characters");
  assert.ok(BACKTRACK_BUDGET <= 4096);
});

test("both engines give JavaScript's answers, empty matches after a lone lead surrogate included", () => {
  for (const p of ["a|(?:)", "a?", "a*"]) {
    const re = compilePolicyRegex(p, "u");
    assert.deepEqual(re.find("\ud83da😀a"), [[1, 2], [4, 5]], `${re.engine}: a lone surrogate is one character, not the first half of a pair`);
  }
  // About half the generated patterns are refused (not JavaScript, or not screenable): those runs
  // check only the refusal's code, so the property counts the runs that compared with V8.
  let compared = 0;
  let refused = 0;
  fc.assert(
    fc.property(patternArb, flagsArb, textArb, (pattern, flags, text) => {
      let re;
      try {
        re = compilePolicyRegex(pattern, flags);
      } catch (e) {
        assert.ok(fails("runtime/invalid-regex")(e), `/${pattern}/${flags} threw ${String(e)}`);
        refused++;
        return;
      }
      compared++;
      const want = v8Find(pattern, flags, text);
      assert.deepEqual(re.find(text), want, `${re.engine} /${pattern}/${flags} on ${JSON.stringify(text)}`);
      assert.equal(re.test(text), v8Test(pattern, flags, text), `${re.engine} /${pattern}/${flags}`);
    }),
    { numRuns: 800 },
  );
  // ~44% of patterns compile since the language refuses more of them (345, 363, 356 of 800 in
  // three runs): 280 is five standard deviations under that; 350 failed one run in three.
  assert.ok(compared >= 280, `only ${compared} of 800 runs compared with V8 (${refused} refused)`);
  assert.ok(refused > 0, "no refused pattern: the generator lost its reach");
});

test("counted repetitions the linear matcher would unroll past its limit are refused", () => {
  assert.throws(() => compilePolicyRegex("(?:a{300}b*){300}", ""), fails("runtime/invalid-regex"));
  assert.equal(compilePolicyRegex("a{300}b*", "").test(`${"a".repeat(300)}b`), true);
});

test("inputs over the limit are refused by both engines, saying the pattern, the length and the limit", () => {
  const back = compilePolicyRegex("ab?", "", { maxInput: 5 });
  const linear = compilePolicyRegex("a+b", "", { maxInput: 5 });
  assert.deepEqual([back.engine, linear.engine], ["backtracking", "linear"]);
  for (const re of [back, linear]) {
    assert.equal(re.test("xxxab"), true, "at the limit");
    assert.deepEqual(re.find("xxxab"), [[3, 5]]);
    for (const f of [() => re.test("xxxxab"), () => re.find("xxxxab")]) {
      assert.throws(f, (e: unknown) => fails("runtime/input-too-large")(e) && (e as Error).message === `regex ${JSON.stringify(re.source)} refused an input of 6 characters: the limit is 5`);
    }
  }
});

test("a refused pattern is quoted in the message, cut at 60 characters", () => {
  const long = `(a)\\1${"b".repeat(70)}`;
  assert.throws(() => compilePolicyRegex(long), (e: unknown) => fails("runtime/invalid-regex")(e) && (e as Error).message.startsWith(`regex ${JSON.stringify(`${long.slice(0, 60)}...`)} is not allowed: `));
  const short = "(a)\\1";
  assert.throws(() => compilePolicyRegex(short), (e: unknown) => fails("runtime/invalid-regex")(e) && (e as Error).message.startsWith(`regex ${JSON.stringify(short)} is not allowed: `) && !(e as Error).message.includes("..."));
  const sixty = `(a)\\1${"b".repeat(55)}`;
  assert.equal(sixty.length, 60);
  assert.throws(() => compilePolicyRegex(sixty), (e: unknown) => (e as Error).message.startsWith(`regex ${JSON.stringify(sixty)} is not allowed: `));
});

test("after an empty match find steps one code unit, or one code point under u", () => {
  // Without u, a lone low surrogate is a character of its own and can match.
  assert.deepEqual(compilePolicyRegex("[\\uDE00]?").find("\uD83D\uDE00"), [[1, 2]]);
  // Under u, U+FFFF is one code unit: the step after an empty match there is one.
  assert.deepEqual(compilePolicyRegex("a?", "u").find("\uFFFFa"), [[1, 2]]);
  assert.deepEqual(compilePolicyRegex("a?", "u").find("\u{1F600}a"), [[2, 3]]);
});

test("a pattern too large for the linear matcher once its counted repetitions are unrolled is refused as such", () => {
  assert.throws(() => compilePolicyRegex("a{100000}b*"), (e: unknown) => fails("runtime/invalid-regex")(e) && (e as Error).message === 'regex "a{100000}b*" is not allowed: its counted repetitions are too large');
});

test("a pattern with several problems is refused naming each, separated by '; '", () => {
  assert.throws(() => compilePolicyRegex("(a)\\1(?<=b)"), (e: unknown) => fails("runtime/invalid-regex")(e) && /^regex "\(a\)\\\\1\(\?<=b\)" is not allowed: [^;]+; [^;]+$/.test((e as Error).message));
});
