// Check digits the detectors validate candidates with. Each works on a range of the scanned
// text and skips separators in place, so that validating a match allocates nothing.

const ZERO = 48;
const NINE = 57;

/**
 * The Luhn check over the digits of `text[start, end)`, ignoring every non-digit (the
 * separators of a grouped card number). False when there are no digits.
 */
export function luhnValid(text: string, start: number, end: number): boolean {
  let sum = 0;
  let double = false;
  let digits = 0;
  for (let i = end - 1; i >= start; i--) {
    const c = text.charCodeAt(i);
    if (c < ZERO || c > NINE) continue;
    let d = c - ZERO;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
    digits++;
  }
  return digits > 0 && sum % 10 === 0;
}

/**
 * ISO 13616 / ISO 7064 mod-97-10 over an IBAN in `text[start, end)`, spaces ignored: the first
 * four characters move to the end, letters count as 10..35, and the remainder must be 1.
 * Letters of either case are accepted; any other character fails the check.
 */
export function ibanMod97Valid(text: string, start: number, end: number): boolean {
  let rem = 0;
  let seen = 0;
  // Two passes over the range instead of building the rearranged string: the BBAN, then the
  // country code and check digits (the first four non-space characters).
  let headEnd = start;
  for (let i = start; i < end && seen < 4; i++) {
    if (text.charCodeAt(i) !== 32) seen++;
    headEnd = i + 1;
  }
  if (seen < 4) return false;
  for (let pass = 0; pass < 2; pass++) {
    const from = pass === 0 ? headEnd : start;
    const to = pass === 0 ? end : headEnd;
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i);
      if (c === 32) continue;
      if (c >= ZERO && c <= NINE) {
        rem = (rem * 10 + (c - ZERO)) % 97;
        continue;
      }
      const l = c | 0x20;
      if (l < 97 || l > 122) return false;
      rem = (rem * 100 + (l - 97 + 10)) % 97;
    }
  }
  return rem === 1;
}

// Base64 and base64url share one table: `+` and `-` are 62, `/` and `_` are 63.
const B64 = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".charCodeAt(i)] = i;
B64[45] = 62;
B64[95] = 63;

/**
 * Decodes unpadded base64url (or base64) in `text[start, end)` to a string of Latin-1 code
 * units (one per byte), or null when a character is outside the alphabet or the length is
 * impossible (a remainder of one character). Enough to read a JWT header's ASCII JSON.
 */
export function decodeBase64Url(text: string, start: number, end: number): string | null {
  let len = end - start;
  while (len > 0 && text.charCodeAt(start + len - 1) === 61) len--;
  if (len % 4 === 1) return null;
  let out = "";
  let acc = 0;
  let bits = 0;
  for (let i = start; i < start + len; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? B64[c] : -1;
    if (v < 0) return null;
    acc = ((acc << 6) | v) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += String.fromCharCode((acc >> bits) & 0xff);
    }
  }
  return out;
}

/** Shannon entropy of `text[start, end)` in bits per character, over char codes. */
export function shannonEntropy(text: string, start: number, end: number): number {
  const n = end - start;
  if (n <= 0) return 0;
  const counts = new Map<number, number>();
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let h = 0;
  for (const k of counts.values()) {
    const p = k / n;
    h -= p * Math.log2(p);
  }
  return h;
}
