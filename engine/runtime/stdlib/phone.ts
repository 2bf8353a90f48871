// `pii.phone`, scanned by hand: digit groups joined by single separators (` `, `-`, `.`) or
// parentheses form a run, and a phone number is a stretch of consecutive groups in one of the
// layouts below. A bare digit run is not a phone number unless it is written in E.164 (`+`):
// order ids, amounts and timestamps are bare digit runs too.
//
// Layouts:
// - international: `+CC` then groups (`+1 415-555-0132`, `+44 (0)20 7946 0958`,
//   `+14155550132`), 8 to 15 digits, the country code not starting with 0;
// - North American: `(415) 555-0132`, `415-555-0132`, `415.555.0132`, `415 555 0132`,
//   `1-415-555-0132`, and the seven-digit `555-0132`; area code and exchange start with 2-9,
//   one separator throughout;
// - trunk-prefixed national: a leading 0 and three or more groups of 2 to 5 digits with one
//   separator throughout, 9 to 12 digits (`020 7946 0958`, `06 12 34 56 78`).
//
// Each group is read once; at each group at most seven stretches of at most seven groups
// are tried, so the scan is linear.
import { isDigit, isWord } from "./chars.ts";
import { detector, type Detector, type Match } from "./detector.ts";

const PLUS = 43;
const LPAREN = 40;
const RPAREN = 41;
const SPACE = 32;
const HYPHEN = 45;
const DOT = 46;
const MAX_GROUPS = 7;

// The groups of the current run, reused across calls (scans never interleave).
let cap = 64;
let gStart = new Int32Array(cap); // first character, `+` or `(` included
let gEnd = new Int32Array(cap); // after the last character, `)` included
let gDigit = new Int32Array(cap); // first digit
let gLen = new Int32Array(cap); // number of digits
let gFlags = new Uint8Array(cap); // PLUS_FLAG | PAREN_FLAG
let gSep = new Int32Array(cap); // separator before this group: a char code, or 0 for none
const PLUS_FLAG = 1;
const PAREN_FLAG = 2;

function grow(): void {
  cap *= 2;
  const copy = <T extends Int32Array | Uint8Array>(a: T, b: T): T => (b.set(a), b);
  gStart = copy(gStart, new Int32Array(cap));
  gEnd = copy(gEnd, new Int32Array(cap));
  gDigit = copy(gDigit, new Int32Array(cap));
  gLen = copy(gLen, new Int32Array(cap));
  gFlags = copy(gFlags, new Uint8Array(cap));
  gSep = copy(gSep, new Int32Array(cap));
}

// Reads one group at `i` into slot `g`: `[+][(]digits[)]`. Returns its end, or -1.
function readGroup(text: string, i: number, g: number): number {
  const n = text.length;
  const start = i;
  let flags = 0;
  if (text.charCodeAt(i) === PLUS) {
    flags |= PLUS_FLAG;
    i++;
  }
  if (text.charCodeAt(i) === LPAREN) {
    flags |= PAREN_FLAG;
    i++;
  }
  const d = i;
  while (i < n && isDigit(text.charCodeAt(i))) i++;
  if (i === d) return -1;
  if (flags & PAREN_FLAG) {
    if (text.charCodeAt(i) !== RPAREN) return -1;
    i++;
  }
  if (g >= cap) grow();
  gStart[g] = start;
  gEnd[g] = i;
  gDigit[g] = d;
  gLen[g] = i - d - (flags & PAREN_FLAG ? 1 : 0);
  gFlags[g] = flags;
  return i;
}

function digitAt(text: string, g: number): number {
  return text.charCodeAt(gDigit[g]) - 48;
}

// One separator for the whole stretch `a..b` (groups after `a`), ignoring the empty joins
// that parentheses allow; returns false when two differ.
function oneSeparator(a: number, b: number): boolean {
  let sep = 0;
  for (let g = a + 1; g <= b; g++) {
    const s = gSep[g];
    if (s === 0) continue;
    if (sep === 0) sep = s;
    else if (s !== sep) return false;
  }
  return true;
}

function international(text: string, a: number, b: number): boolean {
  let digits = 0;
  for (let g = a; g <= b; g++) {
    digits += gLen[g];
    if (g > a && gFlags[g] & PLUS_FLAG) return false;
    if (gFlags[g] & PAREN_FLAG && g !== a + 1) return false;
  }
  if (digits < 8 || digits > 15 || digitAt(text, a) === 0) return false;
  if (a === b) return gFlags[a] === PLUS_FLAG;
  return gLen[a] <= 3 && !(gFlags[a] & PAREN_FLAG) && gLen[b] >= 2;
}

function northAmerican(text: string, a: number, b: number): boolean {
  const count = b - a + 1;
  for (let g = a; g <= b; g++) if (gFlags[g] & PLUS_FLAG) return false;
  if (count === 2) {
    // Seven digits, `555-0132`: a dash only, the commonest way local numbers are written.
    return gLen[a] === 3 && gLen[b] === 4 && gSep[b] === HYPHEN && gFlags[a] === 0 && gFlags[b] === 0 && digitAt(text, a) >= 2;
  }
  let area = a;
  if (count === 4) {
    if (gLen[a] !== 1 || digitAt(text, a) !== 1 || gFlags[a] !== 0) return false;
    area = a + 1;
  } else if (count !== 3) {
    return false;
  }
  const exchange = area + 1;
  const line = area + 2;
  if (gLen[area] !== 3 || gLen[exchange] !== 3 || gLen[line] !== 4) return false;
  if (digitAt(text, area) < 2 || digitAt(text, exchange) < 2) return false;
  if (gFlags[exchange] !== 0 || gFlags[line] !== 0) return false;
  if (gFlags[area] & PAREN_FLAG) return gSep[exchange] === 0 || gSep[exchange] === SPACE;
  return gSep[exchange] === gSep[line] && gSep[exchange] !== 0;
}

function trunkNational(text: string, a: number, b: number): boolean {
  const count = b - a + 1;
  if (count < 3 || digitAt(text, a) !== 0 || !oneSeparator(a, b)) return false;
  let digits = 0;
  for (let g = a; g <= b; g++) {
    if (gLen[g] < 2 || gLen[g] > 5) return false;
    if (gFlags[g] & PLUS_FLAG || (gFlags[g] & PAREN_FLAG && g !== a)) return false;
    if (g > a && gSep[g] === 0 && !(gFlags[a] & PAREN_FLAG && g === a + 1)) return false;
    digits += gLen[g];
  }
  return digits >= 9 && digits <= 12;
}

// A national number must not be part of a longer chain of groups joined the same way: in
// `DE89 3704 0044 0532 0130 00` or `4111 1111 1111 1111` no stretch is a phone number.
function isolated(a: number, b: number, count: number): boolean {
  const sep = gSep[b];
  return !(a > 0 && gSep[a] === sep) && !(b + 1 < count && gSep[b + 1] === sep);
}

function isPhone(text: string, a: number, b: number, count: number): boolean {
  if (gFlags[a] & PLUS_FLAG) return international(text, a, b);
  return (northAmerican(text, a, b) || trunkNational(text, a, b)) && isolated(a, b, count);
}

// Finds phone numbers among the `count` groups of one run; `openStart`/`openEnd` say whether
// the run's first group may start one and its last group may end one (word boundaries).
function scanRun(text: string, count: number, openStart: boolean, openEnd: boolean, out: Match[] | null): boolean {
  let any = false;
  let a = openStart ? 0 : 1;
  while (a < count) {
    let found = -1;
    const lastEnd = Math.min(count - 1, a + MAX_GROUPS - 1);
    for (let b = lastEnd; b >= a; b--) {
      if (b === count - 1 && !openEnd) continue;
      if (isPhone(text, a, b, count)) {
        found = b;
        break;
      }
    }
    if (found < 0) {
      a++;
      continue;
    }
    any = true;
    if (out === null) return true;
    out.push([gStart[a], gEnd[found]]);
    a = found + 1;
  }
  return any;
}

function scanPhone(text: string, out: Match[] | null): boolean {
  const n = text.length;
  let any = false;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (!isDigit(c) && c !== PLUS && c !== LPAREN) {
      i++;
      continue;
    }
    let end = readGroup(text, i, 0);
    if (end < 0) {
      i++;
      continue;
    }
    const openStart = i === 0 || !isWord(text.charCodeAt(i - 1));
    gSep[0] = 0;
    let count = 1;
    for (;;) {
      const s = text.charCodeAt(end);
      let next = -1;
      let sep = 0;
      if ((s === SPACE || s === HYPHEN || s === DOT) && end + 1 < n) {
        next = readGroup(text, end + 1, count);
        sep = s;
      } else if (s === LPAREN || (isDigit(s) && text.charCodeAt(end - 1) === RPAREN)) {
        next = readGroup(text, end, count);
      }
      if (next < 0) break;
      gSep[count] = sep;
      count++;
      end = next;
    }
    const openEnd = end >= n || !isWord(text.charCodeAt(end));
    if (scanRun(text, count, openStart, openEnd, out)) {
      any = true;
      if (out === null) return true;
    }
    i = end;
  }
  return any;
}

/** `pii.phone`. */
export const phone: Detector = detector(
  "pii.phone",
  "A phone number: E.164 (`+` and 8 to 15 digits, grouped or not), a North American number (`(415) 555-0132`, `415-555-0132`, `555-0132`), or a national number with a leading trunk 0 in three or more groups.",
  scanPhone,
);
