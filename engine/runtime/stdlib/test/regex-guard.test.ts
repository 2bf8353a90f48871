import { test } from "node:test";
import assert from "node:assert/strict";
import { cachedPolicyRegex, compilePolicyRegex, DEFAULT_MAX_REGEX_INPUT } from "../regex-guard.ts";
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
