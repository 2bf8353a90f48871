// `secret.private_key`: PEM private key blocks (`-----BEGIN RSA PRIVATE KEY-----` ... its END
// line; PKCS#8, EC, DSA, OpenSSH, encrypted, PGP), read by hand. A header with no matching
// END line (a key cut off by a token limit) still matches, through the base64 that follows
// it: a truncated key is still a leaked key.
//
// Linear on repeated or unterminated headers: headers are found left to right, and the next
// `-----END ` is looked up once and reused until the scan passes it, instead of searching to
// the end of the text for every header.
import { isAlnum } from "./chars.ts";
import { detector, type Detector, type Match } from "./detector.ts";

const BEGIN = "-----BEGIN ";
const END = "-----END ";
const DASHES = "-----";
const MAX_LABEL = 40;

function isLabelChar(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 32;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

// Base64 and the line breaks between its lines.
function isBodyChar(c: number): boolean {
  return isAlnum(c) || c === 43 || c === 47 || c === 61 || isSpace(c);
}

function scanPem(text: string, out: Match[] | null): boolean {
  const n = text.length;
  let any = false;
  let nextEnd = -1;
  let begin = text.indexOf(BEGIN);
  while (begin >= 0) {
    let next = begin + 1;
    // The label: capitals, digits and spaces up to `-----`, ending in PRIVATE KEY [BLOCK].
    const labelStart = begin + BEGIN.length;
    let i = labelStart;
    while (i < n && i - labelStart < MAX_LABEL && isLabelChar(text.charCodeAt(i))) i++;
    const label = text.slice(labelStart, i);
    if (text.startsWith(DASHES, i) && (label.endsWith("PRIVATE KEY") || label.endsWith("PRIVATE KEY BLOCK"))) {
      const headerEnd = i + DASHES.length;
      if (nextEnd !== n && nextEnd < headerEnd) {
        nextEnd = text.indexOf(END, headerEnd);
        if (nextEnd < 0) nextEnd = n;
      }
      let end: number;
      const footer = `${label}${DASHES}`;
      if (nextEnd < n && text.startsWith(footer, nextEnd + END.length)) {
        end = nextEnd + END.length + footer.length;
      } else {
        end = headerEnd;
        while (end < n && isBodyChar(text.charCodeAt(end))) end++;
        while (end > headerEnd && isSpace(text.charCodeAt(end - 1))) end--;
      }
      any = true;
      if (out === null) return true;
      out.push([begin, end]);
      next = end;
    }
    begin = text.indexOf(BEGIN, next);
  }
  return any;
}

/** `secret.private_key`. */
export const privateKey: Detector = {
  ...detector(
    "secret.private_key",
    "A PEM private key block, from `-----BEGIN ... PRIVATE KEY-----` through its END line, or through the base64 that follows the header when the END line is missing.",
    scanPem,
    // The base64 body has no bound.
    Infinity,
  ),
  open: openPem,
};

// A block is open from its BEGIN until the first END line after its header can be read whole:
// before that, text to come may still make it the block's end (the scan takes everything up to
// a matching END line, whatever lies between), so nothing from the BEGIN on is decided. A
// header cut off by the end of the text, or a BEGIN the text ends inside, is open too.
function openPem(text: string, from: number): number {
  const n = text.length;
  for (let i = Math.max(from, n - BEGIN.length + 1); i < n; i++) if (BEGIN.startsWith(text.slice(i))) return firstOpen(text, from, i);
  return firstOpen(text, from, n);
}

// The first open block starting in [from, limit), else `limit` when it is below the text's length, else -1.
function firstOpen(text: string, from: number, limit: number): number {
  const n = text.length;
  let begin = text.indexOf(BEGIN, from);
  while (begin >= 0 && begin < limit) {
    const labelStart = begin + BEGIN.length;
    let i = labelStart;
    while (i < n && i - labelStart < MAX_LABEL && isLabelChar(text.charCodeAt(i))) i++;
    if (i === n || (i + DASHES.length > n && DASHES.startsWith(text.slice(i)))) return begin;
    const label = text.slice(labelStart, i);
    let next = begin + 1;
    if (text.startsWith(DASHES, i) && (label.endsWith("PRIVATE KEY") || label.endsWith("PRIVATE KEY BLOCK"))) {
      const headerEnd = i + DASHES.length;
      const end = text.indexOf(END, headerEnd);
      const footer = `${label}${DASHES}`;
      if (end < 0 || end + END.length + footer.length > n) return begin;
      next = text.startsWith(footer, end + END.length) ? end + END.length + footer.length : end;
    }
    begin = text.indexOf(BEGIN, next);
  }
  return limit < n ? limit : -1;
}
