// `pii.email`, scanned by hand around each `@`: a regex for `local@domain.tld` has to
// backtrack over the local part at every start when no domain follows (`aaaa...@`), which is
// quadratic. Here each `@` looks left at most 64 characters (the RFC 5321 limit of a local
// part) and right over the domain run that follows it; domain runs end at the next `@`, so
// no character is read twice on the right and the scan is linear.
import { isAlnum, isDigit } from "./chars.ts";
import { detector, type Detector, type Match } from "./detector.ts";

const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;
const DOT = 46;
const HYPHEN = 45;

// The unquoted local-part characters people actually use; quoted local parts are not looked for.
function isLocalChar(c: number): boolean {
  return isAlnum(c) || c === DOT || c === 95 || c === 37 || c === 43 || c === HYPHEN;
}

function isDomainChar(c: number): boolean {
  return isAlnum(c) || c === DOT || c === HYPHEN;
}

// Labels of 1-63 letters, digits and inner hyphens; at least two labels; a top-level label of
// two or more letters (or an `xn--` IDN label).
function validDomain(text: string, start: number, end: number): boolean {
  if (end - start > MAX_DOMAIN) return false;
  let labels = 0;
  let labelStart = start;
  for (let i = start; i <= end; i++) {
    if (i < end && text.charCodeAt(i) !== DOT) continue;
    const len = i - labelStart;
    if (len < 1 || len > 63) return false;
    if (text.charCodeAt(labelStart) === HYPHEN || text.charCodeAt(i - 1) === HYPHEN) return false;
    labels++;
    if (i === end) {
      if (labels < 2) return false;
      if (text.startsWith("xn--", labelStart)) return len > 4;
      if (len < 2) return false;
      for (let k = labelStart; k < i; k++) if (isDigit(text.charCodeAt(k)) || text.charCodeAt(k) === HYPHEN) return false;
    }
    labelStart = i + 1;
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
    // Local part: back from the `@`, never into the previous match.
    let s = at;
    const limit = Math.max(floor, at - MAX_LOCAL - 1);
    while (s > limit && isLocalChar(text.charCodeAt(s - 1))) s--;
    const tooLong = s === at - MAX_LOCAL - 1;
    while (s < at && text.charCodeAt(s) === DOT) s++;
    // Domain: the run after the `@`, without a trailing sentence dot or hyphen.
    let e = at + 1;
    while (e < n && isDomainChar(text.charCodeAt(e))) e++;
    const runEnd = e;
    while (e > at + 1 && (text.charCodeAt(e - 1) === DOT || text.charCodeAt(e - 1) === HYPHEN)) e--;
    if (!tooLong && s < at && validLocal(text, s, at) && validDomain(text, at + 1, e)) {
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

function validLocal(text: string, start: number, end: number): boolean {
  if (text.charCodeAt(end - 1) === DOT) return false;
  for (let i = start + 1; i < end; i++) if (text.charCodeAt(i) === DOT && text.charCodeAt(i - 1) === DOT) return false;
  return true;
}

/** `pii.email`. */
export const email: Detector = detector(
  "pii.email",
  "An email address: an unquoted local part of up to 64 characters, `@`, and a domain of two or more labels ending in an alphabetic top-level label.",
  scanEmail,
);
