// The checker's regex tree (regex-syntax.ts) is a projection of the shared parser's
// (language/check/regex-parse.ts). The expected trees of TREES were computed with the checker's
// own parser as it was before the two parsers were joined (an oracle test in commit d5b7a5b
// compared them on random patterns and on every regex of the conformance cases and example
// policies); MISREAD holds the patterns that parser read differently from JavaScript.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseRegex, type ParsedRegex, type RegexNode } from "../check/regex-syntax.ts";

const hex = (n: number): string => (n === 0x10ffff ? "max" : n.toString(16));

// `[ranges]@start-end` for a character, `(min,max@start-end body)` for a repetition, `(| ...)` for alternatives.
function show(n: RegexNode): string {
  switch (n.k) {
    case "empty":
      return "ε";
    case "char":
      return `[${n.set.map(([a, b]) => (a === b ? hex(a) : `${hex(a)}-${hex(b)}`)).join(" ")}]@${n.start}-${n.end}`;
    case "seq":
      return `(${n.items.map(show).join(" ")})`;
    case "alt":
      return `(| ${n.alts.map(show).join(" ")})`;
    case "repeat":
      return `(${n.min},${n.max === Infinity ? "∞" : n.max}@${n.start}-${n.end} ${show(n.body)})`;
  }
}

const render = (p: ParsedRegex): string => [show(p.node), ...p.unsupported.map((u) => `${u.what}@${u.start}-${u.end}`)].join(" ");

const TREES: readonly (readonly [string, string, string])[] = [
  ["a.b", "", "([61]@0-1 [0-9 b-c e-2027 202a-max]@1-2 [62]@2-3)"],
  ["a.b", "s", "([61]@0-1 [0-max]@1-2 [62]@2-3)"],
  ["^ab$", "m", "(ε [61]@1-2 [62]@2-3 ε)"],
  [String.raw`\d\D\w\W\s\S`, "", "([30-39]@0-2 [0-2f 3a-max]@2-4 [30-39 41-5a 5f 61-7a]@4-6 [0-2f 3a-40 5b-5e 60 7b-max]@6-8 [9-d 20 a0 1680 2000-200a 2028-2029 202f 205f 3000 feff]@8-10 [0-8 e-1f 21-9f a1-167f 1681-1fff 200b-2027 202a-202e 2030-205e 2060-2fff 3001-fefe ff00-max]@10-12)"],
  [String.raw`\bx\B`, "", "(ε [78]@2-3 ε)"],
  [String.raw`\n\r\t\f\v\0`, "", "([a]@0-2 [d]@2-4 [9]@4-6 [c]@6-8 [b]@8-10 [0]@10-12)"],
  [String.raw`\x41\u0062\u{1F600}`, "u", "([41]@0-4 [62]@4-10 [1f600]@10-19)"],
  [String.raw`\xg\u00`, "", "([78]@0-2 [67]@2-3 [75]@3-5 [30]@5-6 [30]@6-7)"],
  [String.raw`\u{62}`, "", "(62,62@0-6 [75]@0-2)"],
  [String.raw`\cJ\c`, "", "([a]@0-3 [5c]@3-4 [63]@4-5)"],
  ["[a-f0-9_]", "", "[30-39 5f 61-66]@0-9"],
  ["[^a-f]", "", "[0-60 67-max]@0-6"],
  ["[]x[^]", "", "([]@0-2 [78]@2-3 [0-max]@3-6)"],
  [String.raw`[\d-z]`, "", "[2d 30-39 7a]@0-6"],
  [String.raw`[a-\d]`, "", "[2d 30-39 61]@0-6"],
  ["[-a-]", "", "[2d 61]@0-5"],
  [String.raw`[\b\]\-]`, "", "[8 2d 5d]@0-8"],
  [String.raw`[A-Z\u00e0-\u00ff]`, "i", "[41-5a 61-7a c0-de e0-ff]@0-18"],
  [String.raw`a[b-d]\x41é`, "i", "([41 61]@0-1 [42-44 62-64]@1-6 [41 61]@6-10 [c9 e9]@10-11)"],
  [String.raw`\p{L}\P{Lu}[\p{N}]`, "u", "([0-max]@0-5 [0-max]@5-11 [0-max]@11-18)"],
  [String.raw`\p{L}`, "", "([70]@0-2 [7b]@2-3 [4c]@3-4 [7d]@4-5)"],
  ["😀.", "u", "([1f600]@0-2 [0-9 b-c e-2027 202a-max]@2-3)"],
  ["😀", "", "([d83d]@0-1 [de00]@1-2)"],
  [String.raw`(a)(?:b)(?<n>c)\k<n>`, "", "([61]@1-2 [62]@6-7 [63]@13-14 [0-max]@15-20) backreference@15-20"],
  [String.raw`\k<n>`, "", "([6b]@0-2 [3c]@2-3 [6e]@3-4 [3e]@4-5)"],
  [String.raw`(a)\1\12`, "", "([61]@1-2 [0-max]@3-5 [0-max]@5-8) backreference@3-5 backreference@5-8"],
  ["(?=a)b(?!c)", "", "(ε [62]@5-6 ε)"],
  [String.raw`(?<=a)b(?<!c\1)`, "", "(ε [62]@6-7 ε) lookbehind@0-4 lookbehind@7-11 backreference@12-14"],
  ["a*b+c?d{2}e{2,}f{2,3}", "", "((0,∞@0-2 [61]@0-1) (1,∞@2-4 [62]@2-3) (0,1@4-6 [63]@4-5) (2,2@6-10 [64]@6-7) (2,∞@10-15 [65]@10-11) (2,3@15-21 [66]@15-16))"],
  ["a*?b+?c??d{2,3}?", "", "((0,∞@0-3 [61]@0-1) (1,∞@3-6 [62]@3-4) (0,1@6-9 [63]@6-7) (2,3@9-16 [64]@9-10))"],
  ["a{x}b{,2}{", "", "([61]@0-1 [7b]@1-2 [78]@2-3 [7d]@3-4 [62]@4-5 [7b]@5-6 [2c]@6-7 [32]@7-8 [7d]@8-9 [7b]@9-10)"],
  ["(ab|cd|)+e", "", "((1,∞@0-9 (| ([61]@1-2 [62]@2-3) ([63]@4-5 [64]@5-6) ())) [65]@9-10)"],
  ["a||b", "", "(| [61]@0-1 () [62]@3-4)"],
  ["", "", "()"],
  ["(?:)*", "", "(0,∞@0-5 ())"],
  ["(?=a)*b", "", "((0,∞@0-6 ε) [62]@6-7)"],
  ["x(?:(a+)+)+", "", "([78]@0-1 (1,∞@1-11 (1,∞@4-9 (1,∞@5-7 [61]@5-6))))"],
];

const MISREAD: readonly (readonly [string, string, string])[] = [
  // old: `0`, `1`, `2`; JavaScript reads a legacy octal escape: ([30]@0-2 [31]@2-3 [32]@3-4)
  [String.raw`\012`, "", "[a]@0-4"],
  // old: the ASCII word set; under `iu` `ſ` and `K` (Kelvin) count as word characters: ([30-39 41-5a 5f 61-7a]@0-2 [0-2f 3a-40 5b-5e 60 7b-max]@2-4)
  [String.raw`\w\W`, "iu", "([30-39 41-5a 5f 61-7a 17f 212a]@0-2 [0-2f 3a-40 5b-5e 60 7b-17e 180-2129 212b-max]@2-4)"],
  // old: a range from `-` to `0`; after a class escape the dash is literal and the range cannot start there: [2d-39 41-5a 5f 61-7a]@0-7
  [String.raw`[\w--0]`, "", "[2d 30-39 41-5a 5f 61-7a]@0-7"],
  // old: two lone surrogates; under `u` the escapes join into one code point: ([d83d]@0-6 [de00]@6-12)
  [String.raw`\ud83d\ude00`, "u", "[1f600]@0-12"],
  // old: `1 8 \ c`, dropping `\B`; in a class `\B` is `B`, `\c1` is U+0011, `\1` octal, `\8` the digit: [31 38 5c 63]@0-11
  [String.raw`[\B\c1\1\8]`, "", "[1 11 38 42]@0-11"],
];

test("the analysis tree of each pattern is the one the checker's parser built before the parsers were joined", () => {
  for (const [pattern, flags, expected] of TREES) assert.equal(render(parseRegex(pattern, flags)), expected, `/${pattern}/${flags}`);
});

test("patterns the old checker parser misread are read as JavaScript reads them", () => {
  for (const [pattern, flags, expected] of MISREAD) assert.equal(render(parseRegex(pattern, flags)), expected, `/${pattern}/${flags}`);
});
