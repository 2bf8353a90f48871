// ISO-8601 / RFC 3339 instants and durations, without `Date`: `Date.parse` accepts formats
// that differ between engines (and local-time forms that depend on the machine's zone), and a
// decision must depend on its input alone. Instants are read by hand into epoch
// milliseconds; calendar arithmetic uses Howard Hinnant's days-from-civil algorithms, which
// are exact over the proleptic Gregorian calendar.
//
// Accepted instants: `YYYY-MM-DD` `T` (or `t`, or one space) `HH:MM[:SS[.fraction]]` then `Z`
// (or `z`), `±HH:MM`, `±HHMM` or `±HH`. The offset is required: a local time is not an
// instant. Dates must exist (no Feb 30; Feb 29 only in leap years); seconds run 00-59 (a
// leap second `60` is refused rather than silently moved); fractions beyond milliseconds are
// truncated.
import { PolicyRuntimeError } from "./errors.ts";

const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** True for Gregorian leap years. */
export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Days in month `m` (1-12) of year `y`. */
export function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeapYear(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

// Reads `n` ASCII digits at `i` as a number, or -1 when one of them is not a digit.
function digits(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = i; k < i + n; k++) {
    const c = s.charCodeAt(k) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * The epoch milliseconds of an ISO-8601 instant with an offset, or null when `s` is not one
 * (wrong shape, impossible date or time, missing offset). Never throws.
 */
export function parseInstant(s: string): number | null {
  const n = s.length;
  if (n < 17 || n > 64) return null;
  const year = digits(s, 0, 4);
  if (year < 0 || s.charCodeAt(4) !== 45) return null;
  const month = digits(s, 5, 2);
  if (month < 1 || month > 12 || s.charCodeAt(7) !== 45) return null;
  const day = digits(s, 8, 2);
  if (day < 1 || day > daysInMonth(year, month)) return null;
  const sep = s.charCodeAt(10);
  if (sep !== 84 && sep !== 116 && sep !== 32) return null;
  const hour = digits(s, 11, 2);
  if (hour < 0 || hour > 23 || s.charCodeAt(13) !== 58) return null;
  const minute = digits(s, 14, 2);
  if (minute < 0 || minute > 59) return null;
  let i = 16;
  let second = 0;
  let ms = 0;
  if (s.charCodeAt(i) === 58) {
    second = digits(s, i + 1, 2);
    if (second < 0 || second > 59) return null;
    i += 3;
    if (s.charCodeAt(i) === 46 || s.charCodeAt(i) === 44) {
      i++;
      const from = i;
      let scale = 100;
      for (let c = s.charCodeAt(i) - 48; c >= 0 && c <= 9; c = s.charCodeAt(++i) - 48) {
        ms += c * scale;
        scale /= 10;
      }
      if (i === from) return null;
      ms = Math.floor(ms);
    }
  }
  let offset = 0;
  const z = s.charCodeAt(i);
  if (z === 90 || z === 122) {
    i++;
  } else if (z === 43 || z === 45) {
    const oh = digits(s, i + 1, 2);
    if (oh < 0 || oh > 23) return null;
    i += 3;
    let om = 0;
    if (i < n) {
      if (s.charCodeAt(i) === 58) i++;
      om = digits(s, i, 2);
      if (om < 0 || om > 59) return null;
      i += 2;
    }
    offset = (z === 45 ? -1 : 1) * (oh * 60 + om) * 60_000;
  } else {
    return null;
  }
  if (i !== n) return null;
  return daysFromCivil(year, month, day) * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000 + ms - offset;
}

function pad(v: number, width: number): string {
  return String(v).padStart(width, "0");
}

/** The earliest and latest instants `formatInstant` can write (years 0000 to 9999). */
export const MIN_INSTANT_MS = daysFromCivil(0, 1, 1) * MS_PER_DAY;
/** See `MIN_INSTANT_MS`. */
export const MAX_INSTANT_MS = daysFromCivil(10000, 1, 1) * MS_PER_DAY - 1;

/**
 * The canonical RFC 3339 text of an instant in UTC: `2026-11-25T10:00:00Z`, with `.sss` only
 * when the milliseconds are not zero. Throws a PolicyRuntimeError outside years 0000-9999
 * (where RFC 3339 has no spelling), e.g. after adding a huge duration.
 */
export function formatInstant(epochMs: number): string {
  if (!Number.isFinite(epochMs) || epochMs < MIN_INSTANT_MS || epochMs > MAX_INSTANT_MS) {
    throw new PolicyRuntimeError(`instant out of range: ${epochMs} ms from the epoch is outside the years 0000-9999`, "runtime/invalid-argument");
  }
  const t = Math.floor(epochMs);
  const days = Math.floor(t / MS_PER_DAY);
  let rest = t - days * MS_PER_DAY;
  // civil-from-days (Hinnant).
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const hh = Math.floor(rest / 3_600_000);
  rest -= hh * 3_600_000;
  const mi = Math.floor(rest / 60_000);
  rest -= mi * 60_000;
  const ss = Math.floor(rest / 1000);
  const ms = rest - ss * 1000;
  const frac = ms === 0 ? "" : `.${pad(ms, 3)}`;
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}T${pad(hh, 2)}:${pad(mi, 2)}:${pad(ss, 2)}${frac}Z`;
}

/** The hour of day (0-23) in UTC of epoch milliseconds. */
export function hourOfDay(epochMs: number): number {
  const inDay = epochMs - Math.floor(epochMs / MS_PER_DAY) * MS_PER_DAY;
  return Math.floor(inDay / 3_600_000);
}

const WEEKDAYS = ["thursday", "friday", "saturday", "sunday", "monday", "tuesday", "wednesday"] as const;

/** The day of the week in UTC of epoch milliseconds, lower case (`"monday"`). */
export function weekday(epochMs: number): string {
  const days = Math.floor(epochMs / MS_PER_DAY);
  // 1970-01-01 was a Thursday.
  return WEEKDAYS[((days % 7) + 7) % 7];
}

/**
 * The milliseconds a duration string spells, or null when it spells none: one or more
 * `<number><unit>` parts with units `ms s m h d` (`"90s"`, `"1.5h"`, `"1h30m"`, the form
 * durations print in), optionally preceded by `-`. Never throws.
 */
export function parseDuration(s: string): number | null {
  const n = s.length;
  if (n === 0 || n > 64) return null;
  let i = 0;
  let sign = 1;
  if (s.charCodeAt(0) === 45) {
    sign = -1;
    i = 1;
  }
  if (i === n) return null;
  let total = 0;
  while (i < n) {
    const from = i;
    let sawDot = false;
    let digitsSeen = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 48 && c <= 57) digitsSeen++;
      else if (c === 46 && !sawDot) sawDot = true;
      else break;
    }
    if (digitsSeen === 0 || s.charCodeAt(i - 1) === 46 || s.charCodeAt(from) === 46) return null;
    const value = Number(s.slice(from, i));
    let unit: number;
    const c = s.charCodeAt(i);
    if (c === 109 && s.charCodeAt(i + 1) === 115) {
      unit = 1;
      i += 2;
    } else if (c === 109) {
      unit = 60_000;
      i++;
    } else if (c === 115) {
      unit = 1000;
      i++;
    } else if (c === 104) {
      unit = 3_600_000;
      i++;
    } else if (c === 100) {
      unit = MS_PER_DAY;
      i++;
    } else {
      return null;
    }
    total += value * unit;
  }
  return sign * total;
}

/** `a - b` for two instants: the milliseconds between them (negative when `a` is earlier). Throws when either is not an instant. */
export function instantMinus(a: string, b: string): number {
  return requireInstant(a, "-") - requireInstant(b, "-");
}

/** An instant moved by `ms` milliseconds (`instant + duration`, or `-` with a negated duration), in canonical UTC. */
export function instantPlus(instant: string, ms: number): string {
  return formatInstant(requireInstant(instant, "+") + ms);
}

/**
 * Orders two instant strings by the moment they denote (not by their text, which differs
 * between offsets): negative, zero or positive. Throws a PolicyRuntimeError when either is
 * not an instant.
 */
export function compareInstants(a: string, b: string): number {
  return requireInstant(a, "compare") - requireInstant(b, "compare");
}

/** `parseInstant`, but a PolicyRuntimeError naming `op` when `s` is not an instant. */
export function requireInstant(s: string, op: string): number {
  const t = parseInstant(s);
  if (t === null) {
    throw new PolicyRuntimeError(`${op}: ${JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}...` : s)} is not an ISO-8601 instant with an offset (e.g. "2026-11-25T10:00:00Z")`, "runtime/invalid-argument");
  }
  return t;
}
