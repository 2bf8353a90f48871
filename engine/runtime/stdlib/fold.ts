// The folded view detectors scan, so that data written with disguised characters is still found
// (issue 17, red team: a card grouped by no-break spaces, fullwidth or Arabic-Indic digits,
// zero-width joiners inside an e-mail). Every detector's format is ASCII: the fold maps what a
// reader sees as the same text onto it, one original code point at a time, and keeps for each
// folded code unit the original range it came from, so that a match is reported (and redacted)
// over the original characters, disguise included.
//
// Per code point: a format character (Cf: zero-width space and joiners, word joiner, BOM, soft
// hyphen) is dropped; a combining mark is dropped after an ASCII digit (elsewhere it is kept, so
// that `n` + U+0303 stays the boundary a precomposed `ñ` is); a Unicode space becomes a space;
// anything else is replaced by its NFKC form, whose non-ASCII decimal digits become ASCII
// digits. At most MAX_DROPPED code units are dropped after one kept character: the rest of such
// a run is kept as is, a boundary, so that one folded character stands for at most
// FOLD_SPREAD original code units and a stream's hold-back stays bounded (spec/language.md).
// Linear: each code point is folded once, in constant work (a digit's value walks back at most
// the 10-digit block, a cache spares the normalizer).

/** Most format characters or marks dropped in a row after one kept character. */
export const MAX_DROPPED = 4;

/** Most original UTF-16 code units one folded code unit can stand for: a surrogate pair, then the drops. */
export const FOLD_SPREAD = 2 + MAX_DROPPED;

const NON_ASCII = /[^\x00-\x7f]/;
const FORMAT = /^\p{Cf}$/u;
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

// The fold of one code point that is neither a format character nor a mark.
function foldCodePoint(cp: number): string {
  const hit = cache.get(cp);
  if (hit !== undefined) return hit;
  const ch = String.fromCodePoint(cp);
  let out: string;
  if (SPACE.test(ch)) out = " ";
  else {
    out = "";
    for (const c of ch.normalize("NFKC")) {
      const p = c.codePointAt(0)!;
      if (p < 0x80) out += c;
      else if (SPACE.test(c)) out += " ";
      else if (DIGIT.test(c)) out += String.fromCharCode(48 + digitValue(p));
      else if (!FORMAT.test(c)) out += c;
    }
  }
  if (cache.size < CACHE_LIMIT) cache.set(cp, out);
  return out;
}

// Several detectors scan the same text in turn (a policy redacting cards, e-mails and phones):
// the last fold is kept for the next.
let lastText = "";
let lastFold: Folded = { text: "", start: new Int32Array(0), end: new Int32Array(0) };

/** The folded view of `text` (call only when `needsFold(text)`). */
export function fold(text: string): Folded {
  if (text === lastText) return lastFold;
  lastFold = foldNew(text);
  lastText = text;
  return lastFold;
}

function foldNew(text: string): Folded {
  let out = "";
  // A folded unit per original unit at most, but NFKC may expand: grow when needed.
  let start = new Int32Array(text.length + 16);
  let end = new Int32Array(text.length + 16);
  let n = 0;
  let dropped = 0;
  let lastKept = 0;
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
    dropped = 0;
  };
  // Drops the character at [i, i + len) when the run allows it, stretching the kept character
  // before it over the dropped one, so that a redaction ending there takes the disguise with it.
  const drop = (i: number, len: number): boolean => {
    if (dropped + len > MAX_DROPPED) return false;
    if (n > 0 && end[n - 1] === i) end[n - 1] = i + len;
    dropped += len;
    return true;
  };
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      push(text[i]!, i, i + 1);
      i++;
      continue;
    }
    const cp = text.codePointAt(i)!;
    const len = cp > 0xffff ? 2 : 1;
    const ch = text.slice(i, i + len);
    const mark = MARK.test(ch);
    if (FORMAT.test(ch) || (mark && n > 0 && lastKept >= 48 && lastKept <= 57 && end[n - 1] === i)) {
      if (!drop(i, len)) push(ch, i, i + len);
    } else if (mark) push(ch, i, i + len);
    else {
      const f = foldCodePoint(cp);
      if (f.length > 0) push(f, i, i + len);
      else if (!drop(i, len)) push(ch, i, i + len);
    }
    i += len;
  }
  return { text: out, start: start.subarray(0, n), end: end.subarray(0, n) };
}
