// Character classes the hand-written scanners test one UTF-16 code unit at a time. Only
// ASCII counts: the formats detected (card numbers, addresses, tokens) are ASCII, and
// treating other letters as boundaries keeps `ñ4111...` from hiding a card number.

/** An ASCII digit. */
export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** An ASCII letter or digit. */
export function isAlnum(c: number): boolean {
  if (c >= 48 && c <= 57) return true;
  const l = c | 0x20;
  return l >= 97 && l <= 122;
}

/** A character of a word as regex `\w` sees it: ASCII letter, digit or `_`. */
export function isWord(c: number): boolean {
  return c === 95 || isAlnum(c);
}

/** An ASCII hexadecimal digit. */
export function isHex(c: number): boolean {
  if (c >= 48 && c <= 57) return true;
  const l = c | 0x20;
  return l >= 97 && l <= 102;
}
