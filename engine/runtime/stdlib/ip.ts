// `pii.ip`: IPv4 in dotted decimal and IPv6 in every RFC 4291 text form (full, `::`
// compressed, embedded IPv4), without false positives on clock times (`12:30:45` has too
// few groups and no `::`), MAC addresses (six groups), version numbers (`1.2.3.4.5`) or
// C++ scopes (`std::cout`: the run is glued to letters).
//
// IPv4 is a regex whose octet alternatives spell 0-255 without leading zeros; IPv6 is read
// by hand around each `:` over the run of hex digits, colons and dots it sits in. Runs are
// disjoint and each is parsed once, so both scans are linear. Where both find something (an
// IPv6 address ending in an IPv4 one) the longer, earlier match wins.
import { isDigit, isHex, isWord } from "./chars.ts";
import { detector, mergeScans, regexScan, type Detector, type Match } from "./detector.ts";

const OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4 = new RegExp(`(?<![\\w.])${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}(?!\\w)(?!\\.\\d)`, "g");

const COLON = 58;
const DOT = 46;

function isRunChar(c: number): boolean {
  return c === COLON || c === DOT || isHex(c);
}

// True when `s[start, end)` is an IPv4 address (the embedded tail of an IPv6 one).
function isIpv4(s: string, start: number, end: number): boolean {
  let octets = 0;
  let i = start;
  while (octets < 4) {
    const from = i;
    let v = 0;
    while (i < end && isDigit(s.charCodeAt(i)) && i - from < 3) v = v * 10 + (s.charCodeAt(i++) - 48);
    const len = i - from;
    if (len === 0 || v > 255 || (len > 1 && s.charCodeAt(from) === 48)) return false;
    octets++;
    if (octets < 4) {
      if (i >= end || s.charCodeAt(i) !== DOT) return false;
      i++;
    }
  }
  return i === end;
}

/** True when `s[start, end)` is an IPv6 address in any RFC 4291 text form (no zone id). */
export function isIpv6(s: string, start: number, end: number): boolean {
  if (end - start < 2 || end - start > 45) return false;
  let groups = 0;
  let compressed = false;
  let i = start;
  if (s.charCodeAt(i) === COLON) {
    if (s.charCodeAt(i + 1) !== COLON) return false;
    compressed = true;
    i += 2;
    if (i === end) return false; // a bare `::` is far more often punctuation than an address
  }
  while (i < end) {
    const from = i;
    while (i < end && isHex(s.charCodeAt(i)) && i - from < 5) i++;
    const len = i - from;
    if (i < end && s.charCodeAt(i) === DOT) {
      // An embedded IPv4 address ends the address and counts as two groups.
      if (!isIpv4(s, from, end)) return false;
      groups += 2;
      i = end;
      break;
    }
    if (len === 0 || len > 4) return false;
    groups++;
    if (i === end) break;
    if (s.charCodeAt(i) !== COLON) return false;
    i++;
    if (i < end && s.charCodeAt(i) === COLON) {
      if (compressed) return false;
      compressed = true;
      i++;
    } else if (i === end) {
      return false;
    }
  }
  if (compressed) return groups >= 1 && groups <= 7;
  return groups === 8;
}

function scanIpv6(text: string, out: Match[] | null): boolean {
  const n = text.length;
  let any = false;
  let colon = text.indexOf(":");
  while (colon >= 0) {
    let s = colon;
    while (s > 0 && isRunChar(text.charCodeAt(s - 1))) s--;
    let e = colon + 1;
    while (e < n && isRunChar(text.charCodeAt(e))) e++;
    // Sentence punctuation around an address: a trailing `.`, a leading or trailing single `:`.
    let a = s;
    let b = e;
    while (b > a && text.charCodeAt(b - 1) === DOT) b--;
    if (text.charCodeAt(a) === COLON && text.charCodeAt(a + 1) !== COLON) a++;
    if (b - a > 1 && text.charCodeAt(b - 1) === COLON && text.charCodeAt(b - 2) !== COLON) b--;
    const glued = (a > 0 && isWord(text.charCodeAt(a - 1))) || (b < n && isWord(text.charCodeAt(b)));
    if (!glued && isIpv6(text, a, b)) {
      any = true;
      if (out === null) return true;
      out.push([a, b]);
    }
    colon = e < n ? text.indexOf(":", e) : -1;
  }
  return any;
}

/** `pii.ip`. */
export const ip: Detector = detector(
  "pii.ip",
  "An IPv4 address in dotted decimal (octets 0-255, no leading zeros) or an IPv6 address in full, compressed or IPv4-embedded form.",
  mergeScans(scanIpv6, regexScan(IPV4, () => true)),
  // The longest IPv6 text (six groups and an embedded IPv4 address) and the character after it.
  "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255".length + 1,
  true,
);
