// Random regexes and texts for the linear matcher's differential tests: the syntax policies
// may use, over a small alphabet with case pairs, non-ASCII case classes and surrogates.
import fc from "fast-check";

const ATOMS = [
  "a", "b", "A", "B", " ", "-", "é", "É", "ſ", "k", "\u212a", "😀", "_", "1",
  "\\d", "\\w", "\\s", "\\D", "\\W", "\\S", "\\b", "\\B", ".", "^", "$", "\\n",
  "[ab]", "[^a]", "[a-c]", "[\\w-]", "[^\\s]", "[A-Z]", "[^\\W]", "[😀b]", "[\\b]", "[]", "[^]",
  "\\u00e9", "\\x41", "\\ud83d", "\\ude00", "\\u{1F600}", "\\cJ", "\\0", "\\.", "\\-", "\\p{Lu}", "\\P{L}",
];
const QUANTIFIERS = ["", "", "", "*", "+", "?", "{0}", "{2}", "{1,3}", "{0,}", "*?", "+?", "??", "{0,2}?", "{2,}"];
const GROUPS = ["(", "(?:", "(?=", "(?!"];

/** A random pattern of the syntax the language accepts (some of them are not valid JavaScript; the caller skips those). */
export const patternArb: fc.Arbitrary<string> = fc.letrec<{ alt: string; seq: string; piece: string }>((tie) => ({
  alt: fc.array(tie("seq"), { minLength: 1, maxLength: 3 }).map((xs) => xs.join("|")),
  seq: fc.array(tie("piece"), { minLength: 0, maxLength: 4 }).map((xs) => xs.join("")),
  piece: fc.tuple(
    fc.oneof({ depthSize: "small", withCrossShrink: true }, { arbitrary: fc.constantFrom(...ATOMS), weight: 4 }, { arbitrary: fc.tuple(fc.constantFrom(...GROUPS), tie("alt")).map(([g, a]) => `${g}${a})`), weight: 1 }),
    fc.constantFrom(...QUANTIFIERS),
  ).map(([a, q]) => a + q),
})).alt;

export const flagsArb: fc.Arbitrary<string> = fc.subarray(["i", "m", "s", "u"]).map((fs) => fs.join(""));

const TEXT_CHARS = ["a", "b", "A", "B", " ", "-", "\n", "é", "É", "ſ", "s", "S", "K", "k", "\u212a", "😀", "\ud83d", "\ude00", "_", "1", "\r"];

export const textArb: fc.Arbitrary<string> = fc.array(fc.constantFrom(...TEXT_CHARS), { maxLength: 14 }).map((cs) => cs.join(""));
