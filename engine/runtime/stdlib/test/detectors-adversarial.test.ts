// A hang guard, not a benchmark: every detector and `like` glob on 100 KB strings built to
// trigger backtracking (long digit runs, `aaaa...@`, `a.a.a...`, repeated `-----BEGIN`,
// token prefixes repeated without end, `*` patterns against long runs) must return within a
// generous bound. A super-linear scanner takes seconds to minutes on these, every time; a
// linear one can still miss the bound once, on its first (unoptimised) call or when other
// suites load the machine, so a call over the bound is retried twice and the fastest of the
// three counts. The bound also grows with a plain pass over the same string on a slow
// machine: the test separates linear from quadratic, not fast from busy.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DETECTOR_IMPLS } from "../detectors.ts";
import { compileGlob } from "../glob.ts";
import { compilePolicyRegex } from "../regex-guard.ts";
import { PolicyRuntimeError } from "../errors.ts";

const SIZE = 100_000;
const BOUND_MS = 200;

function fill(unit: string, prefix = "", suffix = ""): string {
  return prefix + unit.repeat(Math.ceil((SIZE - prefix.length - suffix.length) / unit.length)) + suffix;
}

const PATHOLOGICAL: Record<string, string> = {
  "digits": fill("1"),
  "card prefix runs": fill("4111"),
  "spaced digits": fill("1 "),
  "dashed digits": fill("1-"),
  "grouped digits": fill("4111 "),
  "dotted digits": fill("1."),
  "phone-like groups": fill("(415) 555-"),
  "plus signs": fill("+1 "),
  "open parens": fill("("),
  "local part then @": fill("a", "", "@"),
  "a@ repeated": fill("a@"),
  "a. repeated": fill("a."),
  "domain after @": fill("a.", "x@"),
  "dotted words then @": fill("a.", "", "@"),
  "@ runs": fill("@"),
  "colons": fill(":"),
  "hex and colons": fill("1:"),
  "double colons": fill("a::"),
  "hex run then colon": fill("a", "", ":"),
  "ipv4-like": fill("1.1.1."),
  "begin markers": fill("-----BEGIN "),
  "private key headers": fill("-----BEGIN RSA PRIVATE KEY-----"),
  "header then base64": fill("A", "-----BEGIN RSA PRIVATE KEY-----\n"),
  "end markers": fill("-----END "),
  "dashes": fill("-"),
  "jwt prefixes": fill("eyJ"),
  "jwt segments": fill("eyJa."),
  "jwt headers": fill("eyJhbGciOiJIUzI1NiJ9."),
  "base64url run": fill("eyJhbGciOiJIUzI1NiJ9", "", "."),
  "aws prefixes": fill("AKIA"),
  "aws secret names": fill("aws_secret_access_key="),
  "github prefixes": fill("ghp_"),
  "github pat": fill("a", "github_pat_aaaaaaaaaaaaaaaaaaaaaa_", "_"),
  "slack prefixes": fill("xoxb-1234567-"),
  "openai prefixes": fill("sk-"),
  "stripe prefixes": fill("sk_live_"),
  "google prefixes": fill("AIza"),
  "assignment names": fill("api_key="),
  "secret words": fill("secret"),
  "iban heads": fill("DE89"),
  "grouped iban heads": fill("DE89 "),
  "passport words": fill("passport no. "),
  "dob words": fill("DOB: 1"),
  "letters": fill("a"),
  "mixed": fill("a1@b.c:d-4111 eyJ.:: +1 (415) DE89 -----BEGIN "),
  // Disguised characters, which detectors scan folded (fold.ts).
  "zero-width digits": fill("1\u200b"),
  "no-break grouped digits": fill("4111\u00a0"),
  "fullwidth digits": fill("\uff11"),
  "Arabic-Indic digits": fill("\u0661\u0662"),
  "astral digits": fill("\u{1d7cf}"),
  "marks on digits": fill("1\u0301\u0323"),
  "invisible runs": fill("1\u200b\u200c\u200d\u2060\ufeff"),
  "zero-width local part then @": fill("a\u200d", "", "@"),
  "fullwidth e-mail heads": fill("\uff41\uff20"),
  "ligatures and fractions": fill("\ufb01\u00bd"),
};

// 50 times a loop that reads every character: still far below what a quadratic scan of
// 100 KB costs (some 10^10 steps), yet above what load on a shared machine adds.
function boundFor(s: string): number {
  let best = Number.POSITIVE_INFINITY;
  for (let k = 0; k < 3; k++) {
    best = Math.min(
      best,
      time(() => {
        let h = 0;
        for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
        return h;
      }),
    );
  }
  return Math.max(BOUND_MS, 50 * best);
}

function time(f: () => unknown): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

// The fastest of up to three runs, stopping as soon as one is within `bound`.
function fastest(f: () => unknown, bound: number): number {
  let best = time(f);
  for (let k = 0; k < 2 && best >= bound; k++) best = Math.min(best, time(f));
  return best;
}

test("every detector finishes on every 100 KB pathological string within the bound", () => {
  for (const [label, s] of Object.entries(PATHOLOGICAL)) {
    assert.ok(s.length >= SIZE - 64, label);
    const bound = boundFor(s);
    for (const d of Object.values(DETECTOR_IMPLS)) {
      // Compiling and optimising the scanner is a one-time cost, not a function of the input.
      d.find(s.slice(0, 1000));
      const findMs = fastest(() => d.find(s), bound);
      assert.ok(findMs < bound, `${d.name}.find on ${label} took ${findMs.toFixed(1)} ms (bound ${bound.toFixed(0)} ms)`);
      const testMs = fastest(() => d.test(s), bound);
      assert.ok(testMs < bound, `${d.name}.test on ${label} took ${testMs.toFixed(1)} ms (bound ${bound.toFixed(0)} ms)`);
    }
  }
});

test("like globs finish on 100 KB strings within the bound, whatever the stars", () => {
  const run = "a".repeat(SIZE);
  const patterns = [
    "*a*a*a*a*a*a*a*a*b",
    "a*a*a*a*a*a*a*a*a*b",
    "*?*?*?*?*?*?*?*?b",
    `*${"a".repeat(100)}b`,
    `${"*a".repeat(50)}*b`,
    "*b*",
    "a*",
    "?".repeat(SIZE + 1),
  ];
  for (const p of patterns) {
    const g = compileGlob(p);
    const bound = boundFor(run);
    const ms = fastest(() => g.test(run), bound);
    assert.equal(g.test(run), p === "a*", p.slice(0, 30));
    assert.ok(ms < bound, `like ${JSON.stringify(p.slice(0, 30))} took ${ms.toFixed(1)} ms (bound ${bound.toFixed(0)} ms)`);
  }
  const mixed = "ab".repeat(SIZE / 2);
  const g = compileGlob("*aa*");
  const bound = boundFor(mixed);
  assert.ok(fastest(() => g.test(mixed), bound) < bound);
});

test("a user regex refuses inputs over its cap instead of scanning them", () => {
  const re = compilePolicyRegex("a.*=.*b", "", { maxInput: 1000 });
  const huge = "x".repeat(2 * SIZE);
  const ms = time(() => assert.throws(() => re.test(huge), (e: unknown) => e instanceof PolicyRuntimeError && e.code === "runtime/input-too-large"));
  assert.ok(ms < BOUND_MS);
});
