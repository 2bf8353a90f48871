// The personal identifiers found by a regex and a check: US Social Security numbers, and the
// context-dependent passport numbers and dates of birth, which are only looked for right
// after the words that introduce them (a bare date or a 9-character code is too common in
// ordinary text to be flagged by itself). Every quantifier is bounded, so each attempt costs
// a constant and the scans are linear.
import { daysInMonth } from "./time.ts";
import { isDigit } from "./chars.ts";
import { detector, regexExtent, regexScan, type Detector, type Span } from "./detector.ts";

// `AAA-GG-SSSS` or `AAA GG SSSS` (one separator throughout). Bare nine-digit runs are not
// flagged: too many order numbers and ids look the same. Not inside a longer dashed run.
const SSN = /(?<!\w)(?<!\d-)(\d{3})([- ])(\d{2})\2(\d{4})(?!\w)(?!-\d)/g;

function validSsn(_text: string, m: RegExpExecArray): boolean {
  const area = m[1];
  // Never issued: area 000, 666 and 900-999, group 00, serial 0000.
  return area !== "000" && area !== "666" && area[0] !== "9" && m[3] !== "00" && m[4] !== "0000";
}

/** `pii.ssn`. */
export const ssn: Detector = detector(
  "pii.ssn",
  "A US Social Security number `AAA-GG-SSSS` (or with spaces), excluding the never-issued ranges: area 000, 666 and 900-999, group 00, serial 0000.",
  regexScan(SSN, validSsn),
  // `AAA-GG-SSSS` and the two characters the lookaheads read (a backreference keeps `regexExtent` from reading it).
  11 + 2,
  true,
);

// The value is the last capture group and ends the match: the validators narrow the match
// to it so that `redact` keeps the words that introduced it.
function narrowToLastGroup(m: RegExpExecArray, span: Span): void {
  span.start = span.end - m[m.length - 1].length;
}

const PASSPORT =
  /(?<!\w)(?:[Pp]assport|PASSPORT)(?:[ \t]{0,3}(?:[Nn]o\.?|NO\.?|[Nn]umber|NUMBER|[Nn]um\.?|[Nn]r\.?|#|ID|[Ii]d))?[ \t]{0,3}(?:[:#=][ \t]{0,3}|is[ \t]{1,3})?([A-Z0-9]{6,9})(?!\w)/g;

function validPassport(_text: string, m: RegExpExecArray, span: Span): boolean {
  const value = m[1];
  let digits = 0;
  for (let i = 0; i < value.length; i++) if (isDigit(value.charCodeAt(i))) digits++;
  if (digits === 0) return false;
  narrowToLastGroup(m, span);
  return true;
}

/** `pii.passport`. */
export const passport: Detector = detector(
  "pii.passport",
  "A passport number (6 to 9 capital letters and digits, at least one digit) right after the word passport and an optional `no.`, `number` or `:`.",
  regexScan(PASSPORT, validPassport),
  // The words that introduce the number count: a stream that showed them could not find it after.
  regexExtent(PASSPORT),
);

const MONTH_NAMES = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const MONTH_NAME = "[A-Z][a-z]{2,8}\\.?";
const ORDINAL = "(?:st|nd|rd|th)?";
const DOB = new RegExp(
  "(?<!\\w)(?:DOB|D\\.O\\.B\\.?|[Dd]ate of [Bb]irth|DATE OF BIRTH|[Bb]irth ?[Dd]ate|BIRTH ?DATE|[Bb]irthday|[Bb]orn(?: on)?)" +
    "[ \\t]{0,3}(?:[:=][ \\t]{0,3}|is[ \\t]{1,3})?" +
    `(\\d{4}[-/.]\\d{1,2}[-/.]\\d{1,2}|\\d{1,2}[-/.]\\d{1,2}[-/.](?:\\d{4}|\\d{2})|\\d{1,2}${ORDINAL} ${MONTH_NAME},? \\d{4}|${MONTH_NAME} \\d{1,2}${ORDINAL},? \\d{4})` +
    "(?!\\w)",
  "g",
);

function monthNumber(name: string): number {
  const key = name.slice(0, 3).toLowerCase();
  const m = MONTHS.indexOf(key) + 1;
  if (m === 0) return 0;
  // A full name must be spelled out right (`Mayday` is no month); three letters and an optional dot are an abbreviation.
  const bare = name.endsWith(".") ? name.slice(0, -1) : name;
  if (bare.length > 3 && !MONTH_NAMES[m - 1].startsWith(bare.toLowerCase())) return 0;
  return m;
}

function validDate(y: number, m: number, d: number): boolean {
  return m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
}

const DATE_SEPARATORS = /[-/. ,]+/;

function startsWithDigit(s: string): boolean {
  return isDigit(s.charCodeAt(0));
}

/** True when a date as written in a DOB context exists (day-month or month-day order, either accepted). */
export function plausibleBirthDate(value: string): boolean {
  const parts = value.split(DATE_SEPARATORS);
  if (parts.length !== 3) return false;
  const [a, b, c] = parts;
  if (a.length === 4) return validDate(Number(a), Number(b), Number(c));
  if (startsWithDigit(a) && startsWithDigit(b)) {
    const [d1, d2] = [Number(a), Number(b)];
    // A two-digit year is 19yy or 20yy: either may make 29/02 exist.
    const years = c.length === 2 ? [1900 + Number(c), 2000 + Number(c)] : [Number(c)];
    return years.some((y) => validDate(y, d2, d1) || validDate(y, d1, d2));
  }
  // `12th March 1984` or `March 12th, 1984`.
  const [day, month] = startsWithDigit(a) ? [a, b] : [b, a];
  return validDate(Number(c), monthNumber(month), parseInt(day, 10));
}

function validDob(_text: string, m: RegExpExecArray, span: Span): boolean {
  if (!plausibleBirthDate(m[1])) return false;
  narrowToLastGroup(m, span);
  return true;
}

/** `pii.date_of_birth`. */
export const dateOfBirth: Detector = detector(
  "pii.date_of_birth",
  "A calendar date that exists (ISO, day/month/year, month/day/year or with a month name) right after `DOB`, `date of birth`, `birth date`, `birthday` or `born on`.",
  regexScan(DOB, validDob),
  regexExtent(DOB),
);
