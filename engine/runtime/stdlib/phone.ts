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

// The groups of the current run, in fixed buffers reused across calls (scans never
// interleave). A longer run is processed in windows: once the buffers are full, every start
// that cannot reach the newest group is tried, and the rest slide to the front.
const WINDOW = 64;
const gStart = new Int32Array(WINDOW); // first character, `+` or `(` included
const gEnd = new Int32Array(WINDOW); // after the last character, `)` included
const gDigit = new Int32Array(WINDOW); // first digit
const gLen = new Int32Array(WINDOW); // number of digits
const gFlags = new Uint8Array(WINDOW); // PLUS_FLAG | PAREN_FLAG
const gSep = new Int32Array(WINDOW); // separator before this group: a char code, 0 for none or the run's start
const PLUS_FLAG = 1;
const PAREN_FLAG = 2;

function slide(from: number, count: number): void {
  gStart.copyWithin(0, from, count);
  gEnd.copyWithin(0, from, count);
  gDigit.copyWithin(0, from, count);
  gLen.copyWithin(0, from, count);
  gFlags.copyWithin(0, from, count);
  gSep.copyWithin(0, from, count);
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
  return gSep[a] !== sep && !(b + 1 < count && gSep[b + 1] === sep);
}

function isPhone(text: string, a: number, b: number, count: number): boolean {
  if (gFlags[a] & PLUS_FLAG) return international(text, a, b);
  return (northAmerican(text, a, b) || trunkNational(text, a, b)) && isolated(a, b, count);
}

// Tries the stretches starting at groups `from` to `to - 1` (of `count` read so far), longest
// first, and records each phone number found. `lastEnds` says whether group `count - 1` may
// end a number (it ends the run, before a non-word character). Returns the first start not
// yet tried, or -1 when `out` is null and a number was found.
function scanGroups(text: string, from: number, to: number, count: number, lastEnds: boolean, out: Match[] | null): number {
  let a = from;
  while (a < to) {
    let found = -1;
    // A `+` only ever starts a number: no stretch reaches past the next one.
    let lastEnd = a;
    const furthest = Math.min(count - 1, a + MAX_GROUPS - 1);
    while (lastEnd < furthest && !(gFlags[lastEnd + 1] & PLUS_FLAG)) lastEnd++;
    for (let b = lastEnd; b >= a; b--) {
      if (b === count - 1 && !lastEnds) continue;
      if (isPhone(text, a, b, count)) {
        found = b;
        break;
      }
    }
    if (found < 0) {
      a++;
      continue;
    }
    if (out === null) return -1;
    out.push([gStart[a], gEnd[found]]);
    a = found + 1;
  }
  return a;
}

// Where a group can start: a digit, or `+` / `(` right before one. The regex only skips the
// text between candidates (natively, far faster than a loop over characters); the groups are
// read by hand from there.
const GROUP_START = /[+(]?\d/g;

function scanPhone(text: string, out: Match[] | null): boolean {
  const n = text.length;
  const before = out === null ? 0 : out.length;
  GROUP_START.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = GROUP_START.exec(text)) !== null) {
    const i = m.index;
    let end = readGroup(text, i, 0);
    if (end < 0) {
      GROUP_START.lastIndex = i + 1;
      continue;
    }
    gSep[0] = 0;
    let count = 1;
    // The run's first group starts no number when it is glued to a word (`x415-555-0132`).
    let next = i === 0 || !isWord(text.charCodeAt(i - 1)) ? 0 : 1;
    for (;;) {
      if (count === WINDOW) {
        next = scanGroups(text, next, count - MAX_GROUPS, count, false, out);
        if (next < 0) break;
        slide(next, count);
        count -= next;
        next = 0;
      }
      const s = text.charCodeAt(end);
      let after = -1;
      let sep = 0;
      if ((s === SPACE || s === HYPHEN || s === DOT) && end + 1 < n) {
        after = readGroup(text, end + 1, count);
        sep = s;
      } else if (s === LPAREN || (isDigit(s) && text.charCodeAt(end - 1) === RPAREN)) {
        after = readGroup(text, end, count);
      }
      if (after < 0) break;
      gSep[count] = sep;
      count++;
      end = after;
    }
    if (next >= 0) next = scanGroups(text, next, count, count, end >= n || !isWord(text.charCodeAt(end)), out);
    if (next < 0) {
      GROUP_START.lastIndex = 0;
      return true;
    }
    GROUP_START.lastIndex = end;
  }
  GROUP_START.lastIndex = 0;
  return out !== null && out.length > before;
}

/** `pii.phone`. */
export const phone: Detector = detector(
  "pii.phone",
  "A phone number: E.164 (`+` and 8 to 15 digits, grouped or not), a North American number (`(415) 555-0132`, `415-555-0132`, `555-0132`), or a national number with a leading trunk 0 in three or more groups.",
  scanPhone,
  // E.164's 15 digits at most, a separator between each two of the groups, `+`, `(` and `)`,
  // and the character after, which may end the run.
  15 + (MAX_GROUPS - 1) + 3 + 1,
  true,
);
