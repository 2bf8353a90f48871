// Payment data: card numbers (Luhn and issuer prefixes) and IBANs (mod-97 and per-country
// lengths). Validation is what separates these from the many digit runs in ordinary text:
// a random 16-digit run passes Luhn one time in ten, and a known issuer prefix with the
// network's length cuts that further.
import { isAlnum, isDigit } from "./chars.ts";
import { ibanMod97Valid, luhnValid } from "./checksums.ts";
import { detector, regexScan, type Detector, type Span } from "./detector.ts";

// Bare 13-19 digits, or the grouped layouts cards are printed in, with one separator used
// throughout (the backreference): 4-4-4-4 (13-19 digits as 4-4-4-1..4[-1..3]), Amex 4-6-5,
// Diners 4-6-4. Every quantifier is bounded, so an attempt costs a constant; the lookbehind
// rejects starts inside a longer digit run (or a decimal fraction) in one step.
const CARD = /(?<!\w)(?<!\d[.,])(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,4}(?:\1\d{1,3})?|\d{4}([ -])\d{6}\2\d{4,5})(?!\w)(?![.,]\d)/g;

const MAESTRO = new Set([5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763]);

/**
 * True when a card number with first six digits `p6` and `len` digits belongs to a known
 * network with that length (Visa, Mastercard, Amex, Discover, Diners, JCB, UnionPay,
 * Maestro, Mir, RuPay, Troy, Verve).
 */
export function knownCardNetwork(p6: number, len: number): boolean {
  const p1 = Math.floor(p6 / 100_000);
  const p2 = Math.floor(p6 / 10_000);
  const p3 = Math.floor(p6 / 1000);
  const p4 = Math.floor(p6 / 100);
  if (p1 === 4) return len === 13 || len === 16 || len === 19;
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return len === 16;
  if (p2 === 34 || p2 === 37) return len === 15;
  const long = len >= 16 && len <= 19;
  if ((p3 >= 300 && p3 <= 305) || p4 === 3095 || p2 === 36 || p2 === 38 || p2 === 39) return len >= 14 && len <= 19;
  if (p4 >= 3528 && p4 <= 3589) return long;
  if (p4 === 6011 || (p3 >= 644 && p3 <= 649) || p2 === 65 || p2 === 62 || p2 === 81) return long;
  if (MAESTRO.has(p4)) return len >= 13 && len <= 19;
  if (p4 >= 2200 && p4 <= 2204) return long;
  if (p2 === 60 || p2 === 82 || p3 === 508 || p4 === 9792) return len === 16;
  if (p6 >= 506099 && p6 <= 506198) return len === 16 || len === 18 || len === 19;
  return false;
}

function validCard(text: string, m: RegExpExecArray, span: Span): boolean {
  let len = 0;
  let p6 = 0;
  for (let i = span.start; i < span.end; i++) {
    const c = text.charCodeAt(i);
    if (!isDigit(c)) continue;
    if (len < 6) p6 = p6 * 10 + (c - 48);
    len++;
  }
  return knownCardNetwork(p6, len) && luhnValid(text, span.start, span.end);
}

/** `pii.credit_card`. */
export const creditCard: Detector = detector(
  "pii.credit_card",
  "A payment card number of 13 to 19 digits, bare or grouped by one kind of separator, with a known issuer prefix and a valid Luhn check digit.",
  regexScan(CARD, validCard),
  // 19 digits in five groups, and the two characters the lookaheads read (the regex's
  // backreference keeps `regexExtent` from reading it).
  19 + 4 + 2,
  true,
);

/** IBAN lengths per country (SWIFT IBAN registry); a country not listed has no IBAN. */
export const IBAN_LENGTHS: ReadonlyMap<string, number> = new Map(
  Object.entries({
    AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
    CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
    FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22,
    IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20,
    LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28, NL: 18,
    NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31,
    SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29,
    VA: 22, VG: 24, XK: 20, YE: 30,
  }),
);

// Only the country code and check digits: the rest is read by hand, because the country
// fixes the length and the layout is either compact or groups of four separated by spaces.
const IBAN_HEAD = /(?<!\w)[A-Z]{2}\d{2}/g;

function isIbanChar(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 90);
}

function validIban(text: string, m: RegExpExecArray, span: Span): boolean {
  const length = IBAN_LENGTHS.get(m[0].slice(0, 2));
  if (length === undefined) return false;
  const check = (text.charCodeAt(span.start + 2) - 48) * 10 + (text.charCodeAt(span.start + 3) - 48);
  if (check < 2 || check > 98) return false;
  let i = span.end;
  let need = length - 4;
  const n = text.length;
  if (i < n && text.charCodeAt(i) === 32) {
    // Grouped: " XXXX XXXX ... X", every group four characters but the last.
    while (need > 0) {
      if (text.charCodeAt(i) !== 32) return false;
      i++;
      const group = need < 4 ? need : 4;
      for (let k = 0; k < group; k++, i++) if (i >= n || !isIbanChar(text.charCodeAt(i))) return false;
      need -= group;
    }
  } else {
    for (; need > 0; need--, i++) if (i >= n || !isIbanChar(text.charCodeAt(i))) return false;
  }
  if (i < n && (isAlnum(text.charCodeAt(i)) || text.charCodeAt(i) === 95)) return false;
  if (!ibanMod97Valid(text, span.start, i)) return false;
  span.end = i;
  return true;
}

/** `pii.iban`. */
export const iban: Detector = detector(
  "pii.iban",
  "An International Bank Account Number, compact or in groups of four, with the length its country requires and valid mod-97 check digits.",
  regexScan(IBAN_HEAD, validIban),
  // The longest country's length in groups of four, and the character after it.
  Math.max(...IBAN_LENGTHS.values()) + Math.ceil(Math.max(...IBAN_LENGTHS.values()) / 4) - 1 + 1,
  true,
);
