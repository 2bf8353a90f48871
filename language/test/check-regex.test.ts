// Regex screening: compile errors, refused features, bad flags, and catastrophic backtracking,
// on the analysis alone (many patterns) and through the checker (spans inside the literal).
import { test } from "node:test";
import assert from "node:assert/strict";
import { screenRegex } from "../check/regex-safety.ts";
import { colIn, expectClean, expectOne, ruleWhen } from "./check-support.ts";

// Each of these takes exponential (or, for the last ones, cubic or worse) time on some input.
const DANGEROUS: readonly (readonly [string, string, string])[] = [
  ["(a+)+", "", "(a+)+"],
  ["(a*)*", "", "(a*)*"],
  ["(a|a)*", "", "(a|a)*"],
  ["(a|aa)+", "", "(a|aa)+"],
  ["(a|a?)+", "", "(a|a?)+"],
  ["(\\w+\\s?)+", "", "(\\w+\\s?)+"],
  ["^(\\w+\\.?)+@", "", "(\\w+\\.?)+"],
  ["^(\\d+)*$", "", "(\\d+)*"],
  ["(.*)*", "", "(.*)*"],
  ["([a-z]+)*@", "", "([a-z]+)*"],
  ["(x+x+)+y", "", "(x+x+)+"],
  ["(\\d|\\d\\d)+x", "", "(\\d|\\d\\d)+"],
  ["\\s*(\\s|\\t)*x", "", "(\\s|\\t)*"],
  ["^(([a-z])+.)+[A-Z]([a-z])+$", "", "(([a-z])+.)+"],
  ["(a|A)+$", "i", "(a|A)+"],
  ["(.*a){12}", "", "(.*a){12}"],
  ["(.*a){3}", "", "(.*a){3}"],
  [".*a.*a.*a", "", ".*a.*a.*"],
  ["^([a-zA-Z0-9])(([\\-.]|[_]+)?([a-zA-Z0-9]+))*(@)[a-z0-9]+$", "", "(([\\-.]|[_]+)?([a-zA-Z0-9]+))*"],
];

// Linear-time patterns, several of which look alarming at first sight.
const SAFE: readonly string[] = [
  "^[a-z]+@[a-z]+\\.com$",
  "(ab|cd)+",
  "(a|ab)*", // unambiguous: every b belongs to the a before it
  "^\\/etc\\/",
  "a+b+",
  ".*a.*", // quadratic at worst, like any unanchored search: accepted
  "^\\d{3}-\\d{2}-\\d{4}$",
  "(\\d{1,3}\\.){3}\\d{1,3}",
  "^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$",
  "^(\\d{4}-?)+$",
  "(a+b)+",
  "\\bfoo\\b",
  "^\\s*\\S+\\s*$",
  "[a-z0-9_-]{3,16}",
  "(?:https?|ftp)://[^\\s/$.?#].[^\\s]*",
  "^(\\w+)(,\\w+)*$",
  "a*b*c*",
  "(?=a)b+",
  "x(?:ab|cd|ef)*y",
  "^.*$",
  "(A|a)+$",
  "^-----BEGIN [A-Z ]+ PRIVATE KEY-----",
];

test("dangerous patterns are refused with E501, showing the offending part", () => {
  assert.ok(DANGEROUS.length >= 15);
  for (const [pattern, flags, part] of DANGEROUS) {
    const issues = screenRegex(pattern, flags);
    assert.equal(issues.length, 1, `${pattern}: ${JSON.stringify(issues)}`);
    assert.equal(issues[0].code, "E501", pattern);
    assert.equal(pattern.slice(issues[0].start, issues[0].end), part, pattern);
  }
});

test("safe patterns pass, including ones that look dangerous", () => {
  assert.ok(SAFE.length >= 15);
  for (const pattern of SAFE) assert.deepEqual(screenRegex(pattern, ""), [], pattern);
});

test("the analysis agrees with the engine on a sample: refused patterns really are slow, accepted ones are fast", () => {
  const time = (re: RegExp, s: string): number => {
    const t = performance.now();
    re.test(s);
    return performance.now() - t;
  };
  // 2^20 paths for the refused one; linear for the accepted one, even on a much longer input.
  const refused = time(/^(a|a)*$/, `${"a".repeat(20)}!`);
  const accepted = time(/^(a|ab)*$/, `${"a".repeat(2_000)}!`);
  assert.ok(screenRegex("^(a|a)*$", "").length === 1 && screenRegex("^(a|ab)*$", "").length === 0);
  assert.ok(refused > 10 * accepted, `refused ${refused}ms, accepted ${accepted}ms`);
});

test("E500 a regex that does not compile", () => {
  const cond = `tool.name matches /a(/`;
  const d = expectOne(ruleWhen(cond), "E500", 3, colIn(cond, "a("));
  assert.match(d.message, /^invalid regex: /);
  const s = `tool.name matches "a("`;
  expectOne(ruleWhen(s), "E500", 3, colIn(s, "a("));
  expectClean(ruleWhen(`tool.name matches /a\\(/`));
});

test("E501 through the checker points inside the literal", () => {
  const cond = `tool.args.path matches /^\\/etc\\/(a+)+$/`;
  const d = expectOne(ruleWhen(cond), "E501", 3, colIn(cond, "(a+)+"), "make each character match in only one way, e.g. write '(a+)+' as 'a+' and '(a|a)*' as 'a*'");
  assert.equal(d.span.end.col - d.span.start.col, "(a+)+".length);
  const s = `tool.name matches "(x|x)*y"`;
  expectOne(ruleWhen(s), "E501", 3, colIn(s, "(x|x)*"));
  expectOne(`package t\nrule r on output {\n  then redact /(\\d+)+-/ in output.text\n}\n`, "E501", 3, 16);
  expectClean(ruleWhen(`tool.args.path matches /^\\/etc\\/[a-z]+$/`));
});

test("E502 backreferences and lookbehind", () => {
  const c1 = `tool.name matches /(a)\\1/`;
  expectOne(ruleWhen(c1), "E502", 3, colIn(c1, "\\1"), "match the text again explicitly, or check equality in the rule instead");
  const c2 = `tool.name matches /(?<=a)b/`;
  expectOne(ruleWhen(c2), "E502", 3, colIn(c2, "(?<="), "match the preceding text as part of the pattern, or test it with a second condition");
  expectClean(ruleWhen(`tool.name matches /(?=a)\\w/`));
});

test("E503 unknown or repeated flags", () => {
  const c = `tool.name matches /a/ig`;
  expectOne(ruleWhen(c), "E503", 3, colIn(c, "g"), "regex flags are 'i' (ignore case), 'm' (multi-line), 's' (dot matches newlines) and 'u' (unicode)");
  const c2 = `tool.name matches /a/ii`;
  expectOne(ruleWhen(c2), "E503", 3, colIn(c2, "i", 1), "remove the second 'i'");
  expectClean(ruleWhen(`tool.name matches /a/imsu`));
});

test("regexes held in consts are screened where they are written", () => {
  expectOne(`package t\nconst BAD = /(a*)*/\nrule r on output { when output.text matches BAD then deny }\n`, "E501", 2, 14);
  expectClean(`package t\nconst CARD = /\\d{4}( ?\\d{4}){3}/\nrule r on output { then redact CARD in output.text }\n`);
});

test("screening never throws on arbitrary patterns and flags, and offsets stay inside the pattern", async () => {
  const fc = (await import("fast-check")).default;
  const piece = fc.constantFrom("a", "b", "\\", "(", ")", "(?:", "(?=", "(?<n>", "|", "*", "+", "?", "{2}", "{1,}", "{0,3}", "[", "]", "[^a-z]", "^", "$", ".", "\\d", "\\w", "\\s", "\\b", "\\1", "\\k<n>", "\\p{L}", "\\u{1F600}", "-", "😀");
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 16 }), fc.constantFrom("", "i", "u", "su", "g"), (parts, flags) => {
      const pattern = parts.join("");
      for (const issue of screenRegex(pattern, flags)) {
        const limit = issue.part === "pattern" ? pattern.length : flags.length;
        assert.ok(issue.start >= 0 && issue.start <= issue.end && issue.end <= limit, `${pattern} /${flags}: ${JSON.stringify(issue)}`);
      }
    }),
    { numRuns: 3000 },
  );
});
