// `pii.email`, scanned by hand around each `@`: a regex for `local@domain.tld` has to
// backtrack over the local part at every start when no domain follows (`aaaa...@`), which is
// quadratic. Here each `@` looks left at most 64 characters (the RFC 5321 limit of a local
// part) and right over the domain run that follows it; domain runs end at the next `@`, so
// no character is read twice on the right and the scan is linear.
//
// Letters, combining marks and decimal digits of every script belong to both parts (RFC 6531
// local parts, IDN domains; spec/streams.md "Non-ASCII addresses"): a non-ASCII letter is never
// a boundary inside an address, so no part of one is left visible. Lengths stay in UTF-16 code
// units, which bounds a match as before (the stream hold-back relies on it).
import { isAlnum, isDigit } from "./chars.ts";
import { detector, type Detector, type Match } from "./detector.ts";

const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;
const DOT = 46;
const HYPHEN = 45;

const WORD_CLASS = /^[\p{L}\p{M}\p{Nd}]$/u;
// What a reader takes for part of the word the local part is in: anything but a space, a control,
// a bracket or quote, a sentence's punctuation, or what NFKC makes one of RFC 5322's specials.
const NOT_GLUE = /^[\p{Z}\p{Cc}\p{Ps}\p{Pe}\p{Pi}\p{Pf}\p{Terminal_Punctuation}]$/u;
const SPECIALS = /[\s"(),:;<>@[\\\]]/;
const LETTER_CLASS = /^[\p{L}\p{M}]$/u;
const MARK_CLASS = /^\p{M}$/u;
const KNOWN = 1;
const WORD = 2;
const LETTER = 4;
const MARK = 8;
const GLUE = 16;
// The class of each BMP code point, filled as met: a property regex per character would make
// non-ASCII text several times slower to scan (bench: pii.email on 1 KB of Chinese prose).
const bmpClass = new Uint8Array(0x10000);

function classOf(cp: number): number {
  if (cp < 0x10000 && bmpClass[cp] !== 0) return bmpClass[cp]!;
  const ch = String.fromCodePoint(cp);
  const word = WORD_CLASS.test(ch);
  // U+2019 is the apostrophe word processors write (`O’Brien`), though Unicode files it as a quote.
  const glue = word || cp === 0x2019 || !(NOT_GLUE.test(ch) || SPECIALS.test(ch.normalize("NFKC")));
  const k = KNOWN | (word ? WORD : 0) | (glue ? GLUE : 0) | (LETTER_CLASS.test(ch) ? LETTER : 0) | (MARK_CLASS.test(ch) ? MARK : 0);
  if (cp < 0x10000) bmpClass[cp] = k;
  return k;
}

// RFC 5322 `atext` and the dot: every character of an unquoted local part (quoted ones are not
// looked for). A symbol ending the local part left what came before it visible (`o'` of
// `o'brien@example.com`).
const ATEXT = new Uint8Array(128);
for (const c of "!#$%&'*+-/=?^_`{|}~.") ATEXT[c.charCodeAt(0)] = 1;

function isLocalChar(c: number): boolean {
  return isAlnum(c) || ATEXT[c] === 1;
}

function isDomainChar(c: number): boolean {
  return isAlnum(c) || c === DOT || c === HYPHEN;
}

// Code units of the non-ASCII character of class `kind` starting at `i` (0 when there is none).
function wordAt(text: string, i: number, kind = WORD): number {
  const c = text.charCodeAt(i);
  if (c < 0x80 || (c >= 0xdc00 && c <= 0xdfff)) return 0;
  const cp = text.codePointAt(i)!;
  return classOf(cp) & kind ? (cp > 0xffff ? 2 : 1) : 0;
}

// Code units of the non-ASCII character a local part may hold (a letter, mark, digit or glued symbol) ending at `i` (0 when there is none).
function localBefore(text: string, i: number): number {
  const c = text.charCodeAt(i - 1);
  if (c >= 0xdc00 && c <= 0xdfff && i >= 2) {
    const h = text.charCodeAt(i - 2);
    return h >= 0xd800 && h <= 0xdbff ? wordAt(text, i - 2, GLUE) : 0;
  }
  return wordAt(text, i - 1, GLUE);
}

function isMarkAt(text: string, i: number): boolean {
  return text.charCodeAt(i) >= 0x300 && (classOf(text.codePointAt(i)!) & MARK) !== 0;
}

// Labels of 1-63 letters, digits and inner hyphens; at least two labels; a top-level label of
// two or more letters (or an `xn--` IDN label). Returns the end of the longest such domain that
// `text[start, end)` begins with, ending at `end` or at a dot within 253 units (-1 when there is
// none): labels after an address (`example.com.x`, or padding past 253 units) do not hide it.
function domainEnd(text: string, start: number, end: number): number {
  let best = -1;
  let labels = 0;
  let labelStart = start;
  for (let i = start; i <= end && i - start <= MAX_DOMAIN; i++) {
    if (i < end && text.charCodeAt(i) !== DOT) continue;
    const len = i - labelStart;
    if (len < 1 || len > 63) return best;
    if (text.charCodeAt(labelStart) === HYPHEN || text.charCodeAt(i - 1) === HYPHEN) return best;
    labels++;
    if (labels >= 2 && topLevel(text, labelStart, i)) best = i;
    labelStart = i + 1;
  }
  return best;
}

function topLevel(text: string, start: number, end: number): boolean {
  if (text.startsWith("xn--", start)) return end - start > 4;
  if (end - start < 2) return false;
  for (let k = start; k < end; k++) {
    const c = text.charCodeAt(k);
    if (isDigit(c) || c === HYPHEN) return false;
    if (c >= 0x80 && !(c >= 0xdc00 && c <= 0xdfff) && (classOf(text.codePointAt(k)!) & LETTER) === 0) return false;
  }
  return true;
}

function scanEmail(text: string, out: Match[] | null): boolean {
  const n = text.length;
  let any = false;
  let floor = 0;
  let at = text.indexOf("@");
  while (at >= 0) {
    let next = at + 1;
    // Local part: back from the `@` over the word it is glued to, never into the previous match.
    // Past 64 units (a script written without spaces running on into the sentence, symbols or
    // letters padded before an address) the last 64 are taken rather than no address at all:
    // nothing a local part can hold is left visible (fail closed).
    let s = at;
    const limit = Math.max(floor, at - MAX_LOCAL);
    while (s > limit) {
      if (isLocalChar(text.charCodeAt(s - 1))) s--;
      else {
        const w = localBefore(text, s);
        if (w === 0 || s - w < limit) break;
        s -= w;
      }
    }
    // A local part starts with neither a dot, a quote nor a mark with no letter under it.
    while (s < at && (text.charCodeAt(s) === DOT || text.charCodeAt(s) === 39 || text.charCodeAt(s) === 96 || (text.charCodeAt(s) >= 0x80 && isMarkAt(text, s)))) s++;
    // Domain: the run after the `@`, without a trailing sentence dot or hyphen.
    let e = at + 1;
    while (e < n) {
      if (isDomainChar(text.charCodeAt(e))) e++;
      else {
        const w = wordAt(text, e);
        if (w === 0) break;
        e += w;
      }
    }
    const runEnd = e;
    while (e > at + 1 && (text.charCodeAt(e - 1) === DOT || text.charCodeAt(e - 1) === HYPHEN)) e--;
    if (s < at) e = domainEnd(text, at + 1, e);
    if (s < at && e > 0) {
      any = true;
      if (out === null) return true;
      out.push([s, e]);
      floor = e;
      next = runEnd;
    }
    at = next < n ? text.indexOf("@", next) : -1;
  }
  return any;
}

/** `pii.email`. */
export const email: Detector = detector(
  "pii.email",
  "An email address, internationalised ones included: an unquoted local part of up to 64 characters (letters, marks and digits of any script, RFC 5322's symbols and the dot, other symbols glued to it), `@`, and a domain of two or more labels ending in an alphabetic top-level label.",
  scanEmail,
  MAX_LOCAL + 1 + MAX_DOMAIN,
);
