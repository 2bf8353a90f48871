import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { lineAnchored, startsWithDotStar } from "../regex-lines.ts";
import { compilePolicyRegex } from "../regex-guard.ts";
import type { Match } from "../detector.ts";
import { PolicyRuntimeError } from "../errors.ts";

// The plain global search, as V8 runs it: the semantics the line-anchored runner must keep.
function naiveFind(pattern: string, flags: string, text: string): Match[] {
  const re = new RegExp(pattern, `${flags}g`);
  const found: Match[] = [];
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (m[0].length > 0) found.push([m.index, m.index + m[0].length]);
    else re.lastIndex = m.index + (flags.includes("u") && text.charCodeAt(m.index) >= 0xd800 && text.charCodeAt(m.index) <= 0xdbff ? 2 : 1);
  }
  return found;
}

test("startsWithDotStar: a leading .* governing the whole pattern", () => {
  for (const p of [".*password.*", ".*?x", ".+a", ".+?a", ".*", ".*(a|b)", ".*[|]", ".*\\|x", ".*(?:a|(b|c))d"]) assert.equal(startsWithDotStar(p), true, p);
  for (const p of ["password", "a.*", "(.*)x", ".*a|b", ".x", "\\.*a", "[.]*a", ".*(a)|b", ".?a"]) assert.equal(startsWithDotStar(p), false, p);
});

test("property: line-anchored runs find exactly what the plain global search finds", () => {
  const prefix = fc.constantFrom(".*", ".*?", ".+", ".+?");
  const piece = fc.constantFrom("a", "b", "=", "\\n", "$", "^", "\\b", "\\B", "(?=a)", "(?!b)", "a*", "b+", "[ab]", "(a|b)", ".", ".*", "\\s", "x?", "(?:ab)+", "|b");
  const flags = fc.constantFrom("", "m", "s", "i", "ms", "u", "mu");
  const text = fc.array(fc.constantFrom("a", "b", "A", "=", "\n", "\r", "\r\n", " ", "x", "\u2028", "😀"), { maxLength: 30 }).map((cs) => cs.join(""));
  fc.assert(
    fc.property(prefix, fc.array(piece, { maxLength: 4 }), flags, text, (pre, pieces, f, s) => {
      const pattern = pre + pieces.join("");
      const want = naiveFind(pattern, f, s);
      if (startsWithDotStar(pattern)) {
        const runner = lineAnchored(pattern, f);
        assert.deepEqual(runner.find(s), want, `/${pattern}/${f} on ${JSON.stringify(s)}`);
        assert.equal(runner.test(s), new RegExp(pattern, f).test(s), `test /${pattern}/${f} on ${JSON.stringify(s)}`);
      }
      // Through the guard, which picks the runner: the same answers whenever it accepts the pattern.
      let guarded;
      try {
        guarded = compilePolicyRegex(pattern, f);
      } catch (e) {
        if (e instanceof PolicyRuntimeError) return;
        throw e;
      }
      assert.deepEqual(guarded.find(s), want, `guarded /${pattern}/${f} on ${JSON.stringify(s)}`);
      assert.equal(guarded.test(s), want.length > 0 || new RegExp(pattern, f).test(s), `guarded test /${pattern}/${f}`);
    }),
    { numRuns: 3000 },
  );
});

test("a leading .* no longer makes a long line quadratic", () => {
  const line = "x".repeat(200_000);
  for (const [pattern, flags] of [[".*password.*", ""], [".*=.*", ""], [".*secret", "i"], [".+token.+", "s"]] as const) {
    const re = compilePolicyRegex(pattern, flags);
    const t0 = performance.now();
    assert.equal(re.test(line), false);
    assert.deepEqual(re.find(line), []);
    const ms = performance.now() - t0;
    assert.ok(ms < 500, `/${pattern}/${flags} took ${ms.toFixed(0)} ms on 200 KB (the plain search takes minutes)`);
  }
  const re = compilePolicyRegex(".*password.*", "");
  const text = "line one\nmy password is hunter2\nline three\npassword again";
  assert.deepEqual(re.find(text).map(([s, e]) => text.slice(s, e)), ["my password is hunter2", "password again"]);
});
