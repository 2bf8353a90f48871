// Detectors see through disguised characters (issue 17, red team of session 5): each disguise
// here let `redact pii.credit_card in output.text` (and the other detectors) pass the data raw
// on the old code. The fold (fold.ts) is the detector wrapper's, so every detector gets it.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { DETECTOR_IMPLS } from "../detectors.ts";
import { fold, foldDigits, needsFold } from "../fold.ts";
import { loadPolicySet } from "../../index.ts";

const VALUES: Record<string, string> = {
  "pii.credit_card": "4111 1111 1111 1111",
  "pii.email": "john@example.com",
  "pii.phone": "+1 415 555 2671",
  "pii.ssn": "123-45-6789",
  "pii.iban": "GB82 WEST 1234 5698 7654 32",
};

const digitsFrom = (zero: number) => (v: string): string => v.replace(/[0-9]/g, (d) => String.fromCodePoint(zero + Number(d)));
const between = (sep: string) => (v: string): string => [...v].join(sep);

/** Each disguise the red team found, as a rewrite of the plain value. */
const DISGUISES: Record<string, (v: string) => string> = {
  "no-break spaces": (v) => v.replace(/ /g, "\u00a0"),
  "narrow no-break and figure spaces": (v) => v.replace(/ /g, (_, i: number) => (i % 2 === 0 ? "\u202f" : "\u2007")),
  "fullwidth forms": (v) => v.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).replace(/ /g, "\u3000"),
  "Arabic-Indic digits": digitsFrom(0x660),
  "Devanagari digits": digitsFrom(0x966),
  "mathematical bold digits (astral)": digitsFrom(0x1d7ce),
  "zero-width spaces between characters": between("\u200b"),
  "zero-width non-joiner": between("\u200c"),
  "zero-width joiner": between("\u200d"),
  "word joiner": between("\u2060"),
  "BOM": between("\ufeff"),
  "soft hyphens": between("\u00ad"),
  "combining marks on digits": (v) => v.replace(/[0-9]/g, "$&\u0301\u0323"),
  "everything at once": (v) => between("\u200b")(digitsFrom(0x660)(v.replace(/ /g, "\u00a0"))),
};

const PREFIX = "here it is: ";
const SUFFIX = " (thanks)";

for (const [name, plain] of Object.entries(VALUES)) {
  test(`${name}: every disguise is found over its whole original range, and test agrees with find`, () => {
    const d = DETECTOR_IMPLS[name]!;
    assert.deepEqual(d.find(PREFIX + plain + SUFFIX), [[PREFIX.length, PREFIX.length + plain.length]], "the plain value is found");
    for (const [what, disguise] of Object.entries(DISGUISES)) {
      const v = disguise(plain);
      if (v === plain) continue;
      const text = PREFIX + v + SUFFIX;
      assert.deepEqual(d.find(text), [[PREFIX.length, PREFIX.length + v.length]], `${what}: ${JSON.stringify(v)}`);
      assert.equal(d.test(text), true, what);
    }
  });
}

test("a zero-width joiner inside an e-mail and a fullwidth e-mail are found", () => {
  for (const v of ["jo\u200dhn@exa\u200dmple.com", "ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ"]) {
    assert.deepEqual(DETECTOR_IMPLS["pii.email"]!.find(`mail ${v}.`), [[5, 5 + v.length]], v);
  }
});

function sets(text: string) {
  return (["compiled", "reference"] as const).map((evaluator) => {
    const { policySet, diagnostics } = loadPolicySet([{ path: "f.policy", text }], { evaluator });
    assert.ok(policySet, diagnostics.map((x) => x.message).join("\n"));
    return policySet;
  });
}

const redactAll = sets(`package f\n${Object.keys(VALUES).map((n, i) => `rule r${i} on output { then redact ${n} in output.text with "[X]" }`).join("\n")}\n`);
const denyContains = sets(`package f\n${Object.keys(VALUES).map((n, i) => `rule c${i} on output { when output.text contains ${n} then deny "leak" }`).join("\n")}\n`);
const denyMatches = sets(`package f\n${Object.keys(VALUES).map((n, i) => `rule m${i} on output { when output.text matches ${n} then deny "leak" }`).join("\n")}\n`);

test("redact in a policy replaces the disguised text whole; contains and matches deny it; both evaluators agree", () => {
  for (const [name, plain] of Object.entries(VALUES)) {
    for (const [what, disguise] of Object.entries(DISGUISES)) {
      const text = PREFIX + disguise(plain) + SUFFIX;
      const input = { output: { text } };
      const [a, b] = redactAll.map((s) => s.decide("output", input));
      assert.deepStrictEqual(a, b, `${name} ${what}: evaluators agree`);
      assert.equal((a!.payload as { output: { text: string } }).output.text, `${PREFIX}[X]${SUFFIX}`, `${name} ${what}`);
      for (const set of [denyContains, denyMatches]) {
        const [c, r] = set.map((s) => s.decide("output", input));
        assert.deepStrictEqual(c, r, `${name} ${what}: evaluators agree`);
        assert.equal(c!.decision, "deny", `${name} ${what}`);
      }
    }
  }
});

// One character of a planted value, disguised: its script swapped, then invisible characters after it.
const INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\ufe0f", "\u{e0100}", "\u3164", "\u034f"];
const DIGIT_ZEROS = [0x30, 0x660, 0x6f0, 0x966, 0x9e6, 0xe50, 0xff10, 0x1d7ce, 0x1d7ec];
const SPACES = [" ", "\u00a0", "\u202f", "\u2007", "\u2009", "\u3000"];
// Digits written as one decorated character each (NFKC "(4)", "4.", "4,"), circled or negative circled.
const DIGIT_FORMS: readonly ((d: number) => string)[] = [
  ...DIGIT_ZEROS.map((zero) => (d: number) => String.fromCodePoint(zero + d)),
  (d) => (d === 0 ? "\u24ea" : String.fromCodePoint(0x2474 + d - 1)), // ⑴, ⓪ for 0
  (d) => String.fromCodePoint(d === 0 ? 0x1f100 : 0x2488 + d - 1), // ⒈, 🄀 for 0
  (d) => String.fromCodePoint(0x1f101 + d), // 🄂
  (d) => (d === 0 ? "\u24ea" : String.fromCodePoint(0x2460 + d - 1)), // ①
  (d) => (d === 0 ? "\u24ff" : String.fromCodePoint(0x2776 + d - 1)), // ❶, ⓿ for 0
];
const charDisguise = fc.record({ digit: fc.constantFrom(...DIGIT_FORMS), space: fc.constantFrom(...SPACES), width: fc.boolean(), after: fc.array(fc.constantFrom(...INVISIBLE), { maxLength: 12 }) });

function disguise(plain: string, per: { digit: (d: number) => string; space: string; width: boolean; after: string[] }[]): string {
  return [...plain].map((c, i) => {
    const p = per[i % per.length]!;
    let out = c;
    if (/[0-9]/.test(c)) out = p.digit(Number(c));
    else if (c === " ") out = p.space;
    else if (p.width) out = String.fromCharCode(c.charCodeAt(0) + 0xfee0);
    // Nothing after the last character: the planted range ends with the value.
    return i === plain.length - 1 ? out : out + p.after.join("");
  }).join("");
}

test("property: a planted value with swapped digit scripts, Unicode spaces and invisible characters is found over its whole range", () => {
  const filler = fc.stringMatching(/^[a-z ,.;]{0,20}$/);
  fc.assert(
    fc.property(fc.constantFrom(...Object.keys(VALUES)), filler, filler, fc.array(charDisguise, { minLength: 1, maxLength: 8 }), (name, before, after, per) => {
      const v = disguise(VALUES[name]!, per);
      const text = `${before} ${v} ${after}`;
      const at = before.length + 1;
      const found = DETECTOR_IMPLS[name]!.find(text);
      assert.ok(found.some(([s, e]) => s <= at && e >= at + v.length), `${name} ${JSON.stringify(text)} ${JSON.stringify(found)}`);
      assert.equal(DETECTOR_IMPLS[name]!.test(text), true);
    }),
    { numRuns: 300 },
  );
});

test("property: ASCII text takes today's path (no fold) and folds to itself; adding a non-ASCII character elsewhere changes no match", () => {
  const ascii = fc.array(fc.oneof(fc.constantFrom(...Object.values(VALUES)), fc.stringMatching(/^[ -~]{0,12}$/)), { maxLength: 6 }).map((xs) => xs.join(" "));
  fc.assert(
    fc.property(ascii, (t) => {
      assert.equal(needsFold(t), false);
      const f = fold(t);
      assert.equal(f.text, t);
      assert.deepEqual([...f.start], [...t].map((_, i) => i));
      assert.deepEqual([...f.end], [...t].map((_, i) => i + 1));
      for (const d of Object.values(DETECTOR_IMPLS)) assert.deepEqual(d.find(`${t} \u00e9`), d.find(t), d.name);
    }),
    { numRuns: 200 },
  );
});

test("a run of invisible characters of any length, of any ignorable kind, does not end a match", () => {
  const card = DETECTOR_IMPLS["pii.credit_card"]!;
  // Cf, variation selectors (BMP and supplement), tags, Hangul fillers, the combining grapheme joiner, Mongolian FVS.
  for (const inv of ["\u200b", "\ufe0f", "\u{e0100}", "\u{e0041}", "\u3164", "\uffa0", "\u115f", "\u034f", "\u180b", "\u2065", "\u200b\u0301"]) {
    for (const run of [1, 5, 64, 3000]) {
      const v = `4111${inv.repeat(run)} 1111 1111 1111`;
      assert.deepEqual(card.find(`card ${v}.`), [[5, 5 + v.length]], `${JSON.stringify(inv)} x${run}`);
    }
  }
  // The bound the old fold had (4 dropped in a row; a fifth ended the match).
  assert.equal(card.test(`4${"\u200b".repeat(5)}111111111111111`), true);
  // Marks after a digit, however many.
  assert.deepEqual(card.find(`4${"\u0301".repeat(50)}111111111111111`), [[0, 66]]);
  // Precomposed and decomposed letters are the same boundary: a mark is dropped only after a digit.
  assert.deepEqual(card.find("n\u03034111111111111111"), [[2, 18]]);
  assert.deepEqual(card.find("\u00f14111111111111111"), [[1, 17]]);
});

// Confusables (UTS #39): what NFKC leaves as written but a reader takes for the data.
test("confusable letters in a mixed-script word, Unicode dashes and dots, circled digits are found over the whole disguise", () => {
  const found: [string, string][] = [
    ["pii.email", "bоb@ехаmрlе.com"], // Cyrillic о, е, х, а, р in the local part and the domain
    ["pii.email", "јоhn@еxample.соm"], // Cyrillic ј, о, е, с in the TLD
    ["pii.email", "ехо@аре.со"], // every letter Cyrillic: `@` makes the word mixed
    ["pii.email", "jοhn@εxample.cοm".replace("ε", "Ε")], // Greek omicrons and capital epsilon
    ["pii.email", "jօhn@example.com"], // Armenian oh
    ["pii.email", "ali.yılmaz@ɡmail.com"], // dotless i, script g
    ["pii.email", "john@example。com"], // ideographic full stop, a dot to IDNA
    ["pii.email", "ехо@аре。со"], // lookalikes on both sides of an ideographic full stop
    ["pii.email", "ехо@аре。\u200bсо"],
    ["pii.email", "john\ufe6bexample.com"], // small commercial at (NFKC)
    ["pii.ssn", "123\u201345\u20136789"], // en dashes
    ["pii.ssn", "123\u221245\u22126789"], // minus signs
    ["pii.ssn", "123\u201045\u20116789"], // hyphen, non-breaking hyphen
    ["pii.credit_card", "4111\u20141111\u20141111\u20141111"], // em dashes
    ["pii.credit_card", "4111\u20121111\u20151111\u2e3a1111"], // figure dash, horizontal bar, two-em dash
    ["pii.credit_card", "4111\u25001111\u30fc1111\uff701111"], // box-drawing line, katakana prolonged sound marks
    ["pii.credit_card", "4111\u28001111\u28001111\u28001111"], // Braille blanks
    ["pii.credit_card", "❹①①① ➀➀➀➀ ➊➊➊➊ ⓵⓵⓵⓵"], // circled digits: dingbat, enclosed, double
    ["pii.credit_card", "⁴¹¹¹ ₁₁₁₁ 1111 1111"], // superscript and subscript digits
    ["pii.credit_card", "⑷⑴⑴⑴ ⑴⑴⑴⑴ ⑴⑴⑴⑴ ⑴⑴⑴⑴"], // parenthesised digits (NFKC "(4)")
    ["pii.credit_card", "⒋⒈⒈⒈-⒈⒈⒈⒈-⒈⒈⒈⒈-⒈⒈⒈⒈"], // digits with a full stop (NFKC "4.")
    ["pii.credit_card", "④⑴⒈🄂 １١१১ ๑𝟏❶➀ 1111"], // a different form for every digit
    ["pii.ssn", "⑴⑵⑶-⒋⒌-🄆🄇🄈🄉"],
    ["pii.phone", "+1 ⑷⑴⑸ 555 ⒉⒍⒎⒈"],
    ["pii.iban", "GB82 WEST ⑴⑵⑶⑷ 5698 7654 32"],
    ["pii.iban", "🄖🄑82 WEST 1234 5698 7654 32"], // parenthesised capitals (NFKC "(G)")
    ["pii.phone", "+1 415\u2013555\u20132671"],
    ["pii.phone", "+81 3ー1234ー5678"], // katakana prolonged sound marks
    ["pii.ip", "192。168。1。1"],
    ["pii.iban", "GВ82 WЕST 1234 5698 7654 32"], // Cyrillic В and Е
  ];
  for (const [name, v] of found) {
    const text = `see ${v} now`;
    assert.deepEqual(DETECTOR_IMPLS[name]!.find(text), [[4, 4 + v.length]], `${name}: ${JSON.stringify(v)}`);
  }
});

test("ordinary Russian, Greek, Armenian, Chinese and Japanese text is not taken for data: no detector fires on it", () => {
  const texts = [
    "Привет! Как дела? Встретимся в 10:30 у входа в метро, дом 5, кв. 12. Цена 1 200 руб., скидка 15%.",
    "ООО «Ромашка», ИНН указан в договоре от 12 мая 2024 года; тел. отдела — внутренний 204.",
    "Она сказала: «Это всё равно, что писать на воде» — и ушла. Он ответил — нет.",
    "Сайт пример.рф, страница 3—5; ответ @Иван.",
    "Καλημέρα! Το τρένο φεύγει στις 9:45 από την αποβάθρα 3. Κόστος 12 ευρώ.",
    "Բարև, ինչպես ես: Հանդիպենք ժամը 6-ին:",
    "Yarın saat 3'te buluşalım; ılık bir gün olacak.",
    "会议在下午三点。请带上文件。价格是一百元。",
    "東京駅で会いましょう。〜3時ごろ。よろしくお願いします。",
    "コーヒーは300円、ケーキは450円です。ケーキー、ラーメン。",
    // An `@` mention, then a sentence's full stop: with non-ASCII labels an address, were `。` folded to a dot here.
    "詳細は@山田さん。よろしくお願いします。",
    "联系我@小王。谢谢！",
    "联系我@小王\u200b。\u0301谢谢",
  ];
  // A real address in these scripts is an address (RFC 6531, IDN), redacted whole; it was left alone before.
  assert.deepEqual(DETECTOR_IMPLS["pii.email"]!.find("Почта: почта@пример.рф; сайт"), [[7, 22]]);
  for (const t of texts) {
    for (const d of Object.values(DETECTOR_IMPLS)) assert.deepEqual(d.find(t), [], `${d.name} fired on ${JSON.stringify(t)}`);
    // The words stay as written: a confusable letter is folded only in a word with an ASCII letter, a digit or `@`.
    if (!/[@A-Za-z]/.test(t)) assert.equal(fold(t).text.replace(/[^\p{L}]|\u30fc/gu, ""), t.normalize("NFKC").replace(/[^\p{L}]|\u30fc/gu, ""), t);
  }
});

// `O`/`o` for 0 and `l`/`I` for 1 (session 7): folded only in a run of digits and these letters
// that holds a digit, its groups glued to no word, so words and identifiers stay as written.
test("letters written for digits inside a digit run are found: O and o for 0, l and I for 1", () => {
  const found: [string, string][] = [
    ["pii.credit_card", "4111 11l1 1111 1111"],
    ["pii.credit_card", "4lll llll llll llll"],
    ["pii.credit_card", "4111-IIII-IIII-IIII"], // a group of letters only, in a chain that holds a digit
    ["pii.credit_card", "4111 1\u200b1l1 1111 1111"],
    ["pii.credit_card", "4111 ①l①l 1111 1111"],
    ["pii.credit_card", "5500 OOOO OOOO OOO4"],
    ["pii.phone", "555-Ol32"],
    ["pii.phone", "+1 (4l5) 555-Ol32"],
    ["pii.ssn", "l23-45-6789"],
    ["pii.iban", "DE89 37O4 OO44 O532 O13O OO"],
    ["pii.ip", "l92.l68.l.l"],
  ];
  for (const [name, v] of found) {
    const text = `see ${v}, now`;
    assert.deepEqual(DETECTOR_IMPLS[name]!.find(text), [[4, 4 + v.length]], `${name}: ${JSON.stringify(v)}`);
    assert.equal(DETECTOR_IMPLS[name]!.test(text), true, `${name}: ${JSON.stringify(v)}`);
  }
});

test("ordinary prose and code with O, o, l and I beside numbers fire no detector; words keep their letters", () => {
  const texts = [
    "I 100% agree: Oil rose 10% in 2024, and I lol'd at 3 of the l10n and i18n bugs.",
    "var l1 = I0 + O1; const lO = 0x1OOl; x11l(2, 3); IO 2024; H2O; COVID-19; v1.0.l",
    "Room 101, floor lI, Ol' 555 Motel; call me at 5 or l8r. Order IIII-2024 shipped, OOO 12.",
    "printf(\"%lo\", 1234567890l); long x = 2147483647L; l = [1, l, 2, I, 0, O];",
    "Il y a 3 ans; io sono nato nel 1990; Oslo 0150; lo 9 I 5 O 4 l 3 I 2 O 1 - liftoff",
  ];
  for (const t of texts) for (const d of Object.values(DETECTOR_IMPLS)) assert.deepEqual(d.find(t), [], `${d.name} fired on ${JSON.stringify(t)}`);
  // Glued to a word, a run stays as written.
  for (const w of ["l10n", "x11l", "Oil", "H2O", "IO-bound", "Ol'", "hello 2", "Lo9"]) assert.equal(foldDigits(`${w} 5`).text.startsWith(w), true, w);
  // The plain fold never reads them: a letter group joined to a number can make it another shape.
  assert.equal(fold("4\u200b111 1111 1111 1111 l").text, "4111 1111 1111 1111 l");
});
