// The folded view detectors scan, so that data written with disguised characters is still found
// (issue 17, red team: a card grouped by no-break spaces, fullwidth or Arabic-Indic digits,
// zero-width joiners inside an e-mail). Every detector's format is ASCII: the fold maps what a
// reader sees as the same text onto it, one original code point at a time, and keeps for each
// folded code unit the original range it came from, so that a match is reported (and redacted)
// over the original characters, disguise included.
//
// Per code point: an ignorable character (format characters (Cf: zero-width space and joiners,
// word joiner, BOM, soft hyphen) and the other default-ignorables: variation selectors, tags,
// Hangul fillers, the combining grapheme joiner) is dropped, however many come in a row; a
// combining mark is dropped after an ASCII digit (elsewhere it is kept, so that `n` + U+0303
// stays the boundary a precomposed `ñ` is); a Unicode space becomes a space; anything else is
// replaced by its NFKC form, whose non-ASCII decimal digits become ASCII digits. What NFKC leaves
// but a reader takes for a detector's punctuation or digit is folded too (spec/language.md,
// "Disguised characters"): every Unicode dash, the minus sign, box-drawing horizontals and the
// katakana prolonged sound mark become `-`, the Braille blank a space, the ideographic
// full stop (which IDNA takes as a domain's dot) becomes `.`, circled digits without a
// compatibility form become digits, and a parenthesised or period number (`⑴`, `⒈`) its digits; Cyrillic, Greek and Armenian letters that look like Latin
// ones (UTS #39 confusables), and a few non-ASCII Latin ones (dotless i, script g), become those
// ASCII letters only inside a word that also holds an ASCII letter, digit or `@` (a mixed-script
// word, UTS #39's sign of a spoof): ordinary Russian or Greek text stays as written, so no
// detector fires on it.
//
// Since a run of dropped characters has no bound, one folded code unit may stand for any number
// of original ones: a stream's hold-back is counted in the characters the fold keeps
// (`keptBack`), at most FOLD_SPREAD original code units per folded one.
// Linear: each code point is folded once, in constant work (a digit's value walks back at most
// the 10-digit block, a cache spares the normalizer, a word is read for its script once).

/** Most original UTF-16 code units one folded code unit can stand for, dropped characters aside: a surrogate pair. */
export const FOLD_SPREAD = 2;

const NON_ASCII = /[^\x00-\x7f]/;
const IGNORABLE = /^[\p{Cf}\p{Default_Ignorable_Code_Point}]$/u;
const MARK = /^\p{M}$/u;
const SPACE = /^\p{Zs}$/u;
const DIGIT = /^\p{Nd}$/u;

/** A text as detectors scan it, and where each of its code units came from in the original. */
export interface Folded {
  readonly text: string;
  /** Original start of the character folded unit `k` came from. */
  readonly start: Int32Array;
  /** Original end of that character, stretched over the characters dropped right after it. */
  readonly end: Int32Array;
}

// Node counts UTF-8 bytes with SIMD, five times faster than the regex (bench/stdlib.ts
// fold.ascii_check_1kb_ns): a text is ASCII exactly when it has one byte per code unit. The
// regex serves where there is no Buffer (a browser).
const utf8Length = typeof Buffer === "undefined" ? undefined : Buffer.byteLength;

// The detectors of one decision check the same string in turn: the last one found ASCII is
// remembered (comparing the same string to itself costs nothing).
let lastAscii = "";

/** True when `text` has a non-ASCII code unit (only then can folding change it). */
export function needsFold(text: string): boolean {
  if (text === lastAscii) return false;
  // (A String object, which a test hands in to count reads, takes the regex: Buffer refuses it.)
  const needs = utf8Length === undefined || typeof text !== "string" ? NON_ASCII.test(text) : utf8Length(text, "utf8") !== text.length;
  if (!needs) lastAscii = text;
  return needs;
}

// `O` `o` for 0 and `l` `I` for 1, beside a digit or a group separator (`4111 11l1`, `555-Ol32`):
// where a text has none, no digit run can hold one, and ASCII text keeps its fast path.
// (A run of them glued to another letter is a word's, as in a token `zI1N`: no digit run.)
const LOOKALIKE_NEAR_DIGIT = /\d(?:(?=[ ().+\/-]{0,2}[OolI]+(?![A-HJ-NP-Za-km-np-z_@]))|(?<=(?<![A-HJ-NP-Za-km-np-z_@])[OolI]+[ ().+\/-]{0,2}\d))/;
let lastLookalikes = "";
let lastLookalikesFound = false;

/** True when `text` may hold a letter written for a digit inside a digit run (then only the fold sees the number). */
export function digitLookalikes(text: string): boolean {
  if (text !== lastLookalikes) {
    lastLookalikesFound = LOOKALIKE_NEAR_DIGIT.test(text);
    lastLookalikes = text;
  }
  return lastLookalikesFound;
}

const CACHE_LIMIT = 4_096;
const cache = new Map<number, string>();

function isDigitCp(cp: number): boolean {
  return DIGIT.test(String.fromCodePoint(cp));
}

// Decimal digits are encoded in runs of ten, zero first, and adjacent runs start anew at zero:
// the value is the distance to the run's start modulo ten.
function digitValue(cp: number): number {
  let first = cp;
  while (cp - first < 60 && isDigitCp(first - 1)) first--;
  return (cp - first) % 10;
}

// What NFKC leaves as written but a reader takes for a detector's character.
const DASH = /^[\p{Pd}\u2212\u2796\u02d7\u2043\u2500\u2501\u30fc]$/u;
// The Braille blank, which shows as a space.
const BLANK = 0x2800;
const DOTS = new Set([0x3002, 0xfe12]);
// Circled digits with no compatibility form, by the value of each block's first.
const CIRCLED: readonly (readonly [first: number, last: number, value: number])[] = [
  [0x2776, 0x277f, 1],
  [0x2780, 0x2789, 1],
  [0x278a, 0x2793, 1],
  [0x24f5, 0x24fe, 1],
  [0x24eb, 0x24f4, 11],
  [0x24ff, 0x24ff, 0],
  [0x1f10b, 0x1f10c, 0],
];

// A number or letter NFKC writes with its decoration (`⑴` "(1)", `⒈` "1.", `🄂` "1,", `⒜` "(a)",
// `🄐` "(A)"): a reader takes the character for its digits or letter, so the decoration goes.
const ENCLOSED = /^\(([0-9]{1,2}|[A-Za-z])\)$|^([0-9]{1,2})[.,]$/;

// Letters of other scripts that look like a Latin letter (UTS #39 confusables, prototypes in
// ASCII), folded only inside a mixed-script word (`foldNew`).
const CONFUSABLE: ReadonlyMap<number, string> = new Map(
  [
    // Cyrillic
    "аa еe оo рp сc уy хx ѕs іi јj ԁd һh ԛq ԝw ӏl",
    "АA ВB ЕE КK МM НH ОO РP СC ТT УY ХX ЅS ІI ЈJ ԚQ ԜW Ӏl ҮY",
    // Greek
    "οo αa νv ρp ιi κk υu χx ϲc ϳj ΑA ΒB ΕE ΖZ ΗH ΙI ΚK ΜM ΝN ΟO ΡP ΤT ΥY ΧX ϹC",
    // Armenian
    "օo սu հh ոn ցg զq",
    // Latin letters NFKC keeps (dotless i and j, Latin alpha, script g, iota)
    "ıi ȷj ɑa ɡg ɩi",
  ]
    .join(" ")
    .split(" ")
    .map((pair) => [pair.codePointAt(0)!, pair.slice(1)] as const),
);

// The fold of one code point that is neither an ignorable character nor a mark.
function foldCodePoint(cp: number): string {
  const hit = cache.get(cp);
  if (hit !== undefined) return hit;
  const ch = String.fromCodePoint(cp);
  let out: string;
  const nfkc = ch.normalize("NFKC");
  const enclosed = ENCLOSED.exec(nfkc);
  if (SPACE.test(ch) || cp === BLANK) out = " ";
  else if (enclosed !== null) out = enclosed[1] ?? enclosed[2]!;
  else {
    out = "";
    for (const c of nfkc) {
      const p = c.codePointAt(0)!;
      if (p < 0x80) out += c;
      else if (SPACE.test(c)) out += " ";
      else if (DIGIT.test(c)) out += String.fromCharCode(48 + digitValue(p));
      else if (DASH.test(c)) out += "-";
      else if (DOTS.has(p)) out += ".";
      else if (!IGNORABLE.test(c)) out += circled(p) ?? c;
    }
  }
  if (cache.size < CACHE_LIMIT) cache.set(cp, out);
  return out;
}

function circled(cp: number): string | undefined {
  for (const [first, last, value] of CIRCLED) if (cp >= first && cp <= last) return String(value + cp - first);
  return undefined;
}

/** Whether the fold may drop code point `cp` (or, for a mark, drops it after a digit): a stream does not count it in its hold-back. */
export function foldsAway(cp: number): boolean {
  if (cp < 0x80) return false;
  const ch = String.fromCodePoint(cp);
  return IGNORABLE.test(ch) || MARK.test(ch) || foldCodePoint(cp) === "";
}

/**
 * The position `p <= from` such that `text[p, from)` holds at least `count` code units the fold
 * keeps (0 when the text before `from` holds fewer), never between the halves of a surrogate pair.
 */
export function keptBack(text: string, from: number, count: number): number {
  let i = from;
  for (let kept = 0; kept < count && i > 0; ) {
    const c = text.charCodeAt(--i);
    if (c < 0x80) kept++;
    else {
      if (c >= 0xdc00 && c <= 0xdfff && i > 0 && isHigh(text.charCodeAt(i - 1))) i--;
      if (!foldsAway(text.codePointAt(i)!)) kept += c >= 0xdc00 && c <= 0xdfff ? 2 : 1;
    }
  }
  return i;
}

/** The code units of `text` the fold keeps (as `keptBack` counts them). */
export function keptUnits(text: string): number {
  if (!needsFold(text)) return text.length;
  let kept = 0;
  for (const ch of text) if (ch.charCodeAt(0) < 0x80 || !foldsAway(ch.codePointAt(0)!)) kept += ch.length;
  return kept;
}

function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isSpaceAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 0x80) return c === 32 || (c >= 9 && c <= 13);
  return c === 0x85 || c === 0x2028 || c === 0x2029 || SPACE.test(text[i]!);
}

// Whether the character at `i` makes its word mixed-script: it folds to an ASCII letter or digit, or `@`.
function latinAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 0x80) return c === 64 || isAsciiAlnum(c);
  if (c >= 0xdc00 && c <= 0xdfff) return false;
  const cp = text.codePointAt(i)!;
  if (CONFUSABLE.has(cp)) return false;
  const f = IGNORABLE.test(String.fromCodePoint(cp)) || MARK.test(String.fromCodePoint(cp)) ? "" : foldCodePoint(cp);
  for (let k = 0; k < f.length; k++) if (f.charCodeAt(k) === 64 || isAsciiAlnum(f.charCodeAt(k))) return true;
  return false;
}

// The first position at or after `i` that is neither ignorable nor a mark (`text.length` when none).
function nextKept(text: string, i: number): number {
  while (i < text.length && text.charCodeAt(i) >= 0x80) {
    const ch = String.fromCodePoint(text.codePointAt(i)!);
    if (!IGNORABLE.test(ch) && !MARK.test(ch)) break;
    i += ch.length;
  }
  return i;
}

function isAsciiAlnum(c: number): boolean {
  const l = c | 0x20;
  return (c >= 48 && c <= 57) || (l >= 97 && l <= 122);
}

// Digit runs, for the letters written for digits in them: a group is a run of digits (any
// script, any decoration the fold reads as digits) and the letters `O` `o` `l` `I`, invisible
// characters inside it skipped; groups joined by one or two separators (` ` `-` `.` `/` `(` `)`
// `+`, or what folds to them) form a chain. The letters of a chain fold to digits when the chain
// holds a digit and none of its groups is glued to a word (`l10n`, `x11l`, `Oil` stay as written):
// an ordinary word is never a run of these four letters beside a number.
const C_OTHER = 0;
const C_DIGIT = 1;
const C_LOOK = 2;
const C_SEP = 3;
const C_SKIP = 4;
const C_WORD = 5;

function isLookalike(c: number): boolean {
  return c === 79 || c === 111 || c === 108 || c === 73;
}

function chainClass(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 0x80) {
    if (c >= 48 && c <= 57) return C_DIGIT;
    if (isLookalike(c)) return C_LOOK;
    if (c === 32 || c === 45 || c === 46 || c === 47 || c === 40 || c === 41 || c === 43) return C_SEP;
    return isAsciiAlnum(c) || c === 95 || c === 64 ? C_WORD : C_OTHER;
  }
  if (c >= 0xdc00 && c <= 0xdfff) return C_SKIP;
  const cp = text.codePointAt(i)!;
  const ch = String.fromCodePoint(cp);
  if (IGNORABLE.test(ch) || MARK.test(ch)) return C_SKIP;
  const f = foldCodePoint(cp);
  if (f === " " || f === "-" || f === ".") return C_SEP;
  if (f.length > 0 && /^[0-9]+$/.test(f)) return C_DIGIT;
  return /^\p{L}/u.test(f) ? C_WORD : C_OTHER;
}

// The group around `i` (a lookalike): its bounds, whether it holds a digit, and whether it is glued to a word.
function groupAt(text: string, i: number): { start: number; end: number; digit: boolean; glued: boolean } {
  let digit = false;
  let a = i;
  for (; a > 0; a--) {
    const k = chainClass(text, a - 1);
    if (k === C_DIGIT) digit = true;
    else if (k !== C_LOOK && k !== C_SKIP) break;
  }
  let b = i;
  for (; b < text.length; b++) {
    const k = chainClass(text, b);
    if (k === C_DIGIT) digit = true;
    else if (k !== C_LOOK && k !== C_SKIP) break;
  }
  const glued = (a > 0 && chainClass(text, a - 1) === C_WORD) || (b < text.length && chainClass(text, b) === C_WORD);
  return { start: a, end: b, digit, glued };
}

// The next group of the chain past `from` in direction `dir` (one or two separators away), or undefined.
function neighbour(text: string, from: number, dir: 1 | -1): ReturnType<typeof groupAt> | undefined {
  let j = dir === 1 ? from : from - 1;
  for (let seps = 0; j >= 0 && j < text.length; j += dir) {
    const k = chainClass(text, j);
    if (k === C_SEP && ++seps <= 2) continue;
    if (k === C_DIGIT || k === C_LOOK) return seps > 0 ? groupAt(text, j) : undefined;
    if (k !== C_SKIP) return undefined;
  }
  return undefined;
}

/** Whether the letters of the group at `i` are digits: the group's chain holds a digit and no group of it is glued to a word. Returns the chain's end too. */
function lookalikeChain(text: string, i: number): { end: number; fold: boolean } {
  const g = groupAt(text, i);
  if (g.glued) return { end: g.end, fold: false };
  let digit = g.digit;
  let end = g.end;
  for (let n = neighbour(text, g.end, 1); n !== undefined && !n.glued; n = neighbour(text, n.end, 1)) {
    digit ||= n.digit;
    end = n.end;
  }
  for (let n = neighbour(text, g.start, -1); !digit && n !== undefined && !n.glued; n = neighbour(text, n.start, -1)) digit ||= n.digit;
  return { end, fold: digit };
}

// Several detectors scan the same text in turn (a policy redacting cards, e-mails and phones):
// the last fold is kept for the next.
let lastText = "";
let lastFold: Folded = { text: "", start: new Int32Array(0), end: new Int32Array(0) };

/** The folded view of `text` (call only when `needsFold(text)`). */
export function fold(text: string): Folded {
  if (text === lastText) return lastFold;
  lastFold = foldNew(text, false);
  lastText = text;
  return lastFold;
}

let lastDigitText = "";
let lastDigitFold: Folded = lastFold;

/**
 * The folded view with the letters written for digits in digit runs read as digits (call only
 * when `digitLookalikes` holds of the text, or of its fold). A view of its own, scanned beside
 * the plain fold: a letter group it joins to a number can make that number another shape
 * (`4111 1111 1111 1111 l`), so it only adds matches.
 */
export function foldDigits(text: string): Folded {
  if (text === lastDigitText) return lastDigitFold;
  lastDigitFold = needsFold(text) ? foldNew(text, true) : foldAsciiDigits(text);
  lastDigitText = text;
  return lastDigitFold;
}

// A run of digits and lookalike letters, holding a letter, glued to no word.
const LOOKALIKE_GROUP = /(?<![A-Za-z0-9_@])[0-9OolI]*[OolI][0-9OolI]*(?![A-Za-z0-9_@])/g;

// ASCII text folds one unit to one unit: only its digit runs' letters change, found by a regex
// rather than a walk over every character (a text with a token like `zI1N` passes the gate).
function foldAsciiDigits(text: string): Folded {
  let out = "";
  let last = 0;
  let chainEnd = -1;
  let folds = false;
  LOOKALIKE_GROUP.lastIndex = 0;
  for (let m = LOOKALIKE_GROUP.exec(text); m !== null; m = LOOKALIKE_GROUP.exec(text)) {
    if (m.index >= chainEnd) ({ end: chainEnd, fold: folds } = lookalikeChain(text, m.index));
    if (!folds) continue;
    out += text.slice(last, m.index) + m[0].replace(/[Oo]/g, "0").replace(/[lI]/g, "1");
    last = m.index + m[0].length;
  }
  out += text.slice(last);
  const start = new Int32Array(text.length);
  const end = new Int32Array(text.length);
  for (let i = 0; i < text.length; i++) {
    start[i] = i;
    end[i] = i + 1;
  }
  return { text: out, start, end };
}

function foldNew(text: string, lookalikes: boolean): Folded {
  let out = "";
  // A folded unit per original unit at most, but NFKC may expand: grow when needed.
  let start = new Int32Array(text.length + 16);
  let end = new Int32Array(text.length + 16);
  let n = 0;
  let lastKept = 0;
  // The word (a run without spaces) the last confusable letter was in, and whether it is mixed.
  let wordEnd = -1;
  let mixed = false;
  const push = (s: string, from: number, to: number): void => {
    if (n + s.length > start.length) {
      const size = 2 * (n + s.length);
      const ns = new Int32Array(size);
      ns.set(start);
      start = ns;
      const ne = new Int32Array(size);
      ne.set(end);
      end = ne;
    }
    for (let k = 0; k < s.length; k++) {
      start[n] = from;
      end[n] = to;
      n++;
    }
    out += s;
    lastKept = s.charCodeAt(s.length - 1);
  };
  // Drops the character at [i, i + len), stretching the kept character before it over the
  // dropped one, so that a redaction ending there takes the disguise with it.
  const drop = (i: number, len: number): void => {
    if (n > 0 && end[n - 1] === i) end[n - 1] = i + len;
  };
  // Each word is read once, at its first confusable letter: both ways to its spaces.
  const mixedWordAt = (i: number): boolean => {
    if (i >= wordEnd) {
      mixed = false;
      let a = i;
      while (a > 0 && !isSpaceAt(text, a - 1)) if (latinAt(text, --a)) mixed = true;
      let b = i + 1;
      for (; b < text.length && !isSpaceAt(text, b); b++) if (latinAt(text, b)) mixed = true;
      wordEnd = b;
    }
    return mixed;
  };
  // Whether the character at `j` folds to an ASCII letter or digit here (a lookalike in a mixed word does).
  const asciiAfter = (j: number): boolean => j < text.length && (latinAt(text, j) || (CONFUSABLE.has(text.codePointAt(j)!) && mixedWordAt(j)));
  // The chain the last lookalike letter was in, and whether its letters are digits.
  let chainEnd = -1;
  let chainFolds = false;
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      if (lookalikes && isLookalike(c)) {
        if (i >= chainEnd) ({ end: chainEnd, fold: chainFolds } = lookalikeChain(text, i));
        push(chainFolds ? (c === 79 || c === 111 ? "0" : "1") : text[i]!, i, i + 1);
      } else push(text[i]!, i, i + 1);
      i++;
      continue;
    }
    const cp = text.codePointAt(i)!;
    const len = cp > 0xffff ? 2 : 1;
    const ch = text.slice(i, i + len);
    const mark = MARK.test(ch);
    if (IGNORABLE.test(ch) || (mark && n > 0 && lastKept >= 48 && lastKept <= 57 && end[n - 1] === i)) drop(i, len);
    else if (mark) push(ch, i, i + len);
    else {
      const latin = CONFUSABLE.get(cp);
      let f = latin !== undefined && mixedWordAt(i) ? latin : foldCodePoint(cp);
      // A full stop of CJK text is the label dot only beside an ASCII label (`example。com`):
      // between two words of a sentence it stays a boundary, or an `@` mention before it
      // (`詳細は@山田さん。よろしく`) would read as an internationalised address.
      if (f === "." && c !== 0x2e && !(n > 0 && end[n - 1] === i && isAsciiAlnum(lastKept)) && !asciiAfter(nextKept(text, i + len))) f = ch;
      if (f.length > 0) push(f, i, i + len);
      else drop(i, len);
    }
    i += len;
  }
  return { text: out, start: start.subarray(0, n), end: end.subarray(0, n) };
}
