import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compareInstants, daysFromCivil, formatInstant, hourOfDay, instantMinus, instantPlus, isLeapYear, parseDuration, parseInstant, requireInstant, weekday } from "../time.ts";
import { PolicyRuntimeError } from "../errors.ts";

const H = 3_600_000;
const D = 24 * H;

test("parseInstant reads RFC 3339 and the common ISO-8601 variants", () => {
  const base = Date.UTC(2026, 10, 25, 10, 0, 0);
  assert.equal(parseInstant("2026-11-25T10:00:00Z"), base);
  assert.equal(parseInstant("2026-11-25t10:00:00z"), base);
  assert.equal(parseInstant("2026-11-25 10:00:00Z"), base);
  assert.equal(parseInstant("2026-11-25T10:00Z"), base);
  assert.equal(parseInstant("2026-11-25T11:00:00+01:00"), base);
  assert.equal(parseInstant("2026-11-25T11:00:00+0100"), base);
  assert.equal(parseInstant("2026-11-25T11:00:00+01"), base);
  assert.equal(parseInstant("2026-11-25T04:30:00-05:30"), base);
  assert.equal(parseInstant("2026-11-25T10:00:00-00:00"), base);
  assert.equal(parseInstant("2026-11-25T10:00:00.5Z"), base + 500);
  assert.equal(parseInstant("2026-11-25T10:00:00.123Z"), base + 123);
  assert.equal(parseInstant("2026-11-25T10:00:00.123456789Z"), base + 123, "fractions beyond milliseconds are truncated");
  assert.equal(parseInstant("2026-11-25T10:00:00,25Z"), base + 250);
  assert.equal(parseInstant("1970-01-01T00:00:00Z"), 0);
  assert.equal(parseInstant("1969-12-31T23:59:59.999Z"), -1);
  assert.equal(parseInstant("0000-01-01T00:00:00Z"), -62_167_219_200_000);
  assert.equal(parseInstant("9999-12-31T23:59:59.999Z"), 253_402_300_799_999);
});

test("parseInstant refuses impossible dates and times and local times", () => {
  for (const s of [
    "2026-02-30T00:00:00Z",
    "2023-02-29T00:00:00Z", // not a leap year
    "1900-02-29T00:00:00Z", // century, not a leap year
    "2100-02-29T00:00:00Z",
    "2026-04-31T00:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-00-10T00:00:00Z",
    "2026-11-00T00:00:00Z",
    "2026-11-25T24:00:00Z",
    "2026-11-25T10:60:00Z",
    "2026-11-25T10:00:60Z", // leap seconds are refused
    "2026-11-25T10:00:00", // a local time is not an instant
    "2026-11-25",
    "2026-11-25T10:00:00+24:00",
    "2026-11-25T10:00:00+01:60",
    "2026-11-25T10:00:00.Z",
    "2026-11-25T10:00:00Zjunk",
    "2026-11-25T10:00:00+01:00:00",
    "26-11-25T10:00:00Z",
    "2026-1-25T10:00:00Z",
    "２０２６-11-25T10:00:00Z",
    "",
    "yesterday",
  ]) {
    assert.equal(parseInstant(s), null, s);
  }
  assert.equal(parseInstant("2000-02-29T00:00:00Z"), Date.UTC(2000, 1, 29));
  assert.equal(parseInstant("2024-02-29T23:59:59Z"), Date.UTC(2024, 1, 29, 23, 59, 59));
});

test("leap years and days from civil", () => {
  assert.deepEqual([1900, 2000, 2023, 2024, 2100, 2400].map(isLeapYear), [false, true, false, true, false, true]);
  assert.equal(daysFromCivil(1970, 1, 1), 0);
  assert.equal(daysFromCivil(2000, 3, 1) - daysFromCivil(2000, 2, 28), 2);
  assert.equal(daysFromCivil(1900, 3, 1) - daysFromCivil(1900, 2, 28), 1);
});

test("instant arithmetic: differences across offsets and leap days, instant plus duration", () => {
  const diff = instantMinus;
  assert.equal(diff("2026-03-01T00:00:00+01:00", "2026-02-28T23:00:00Z"), 0);
  assert.equal(diff("2024-03-01T00:00:00Z", "2024-02-28T00:00:00Z"), 2 * D);
  assert.equal(diff("2023-03-01T00:00:00Z", "2023-02-28T00:00:00Z"), 1 * D);
  assert.equal(diff("2026-11-25T10:00:00Z", "2026-11-25T10:00:00+05:30"), 5.5 * H);
  assert.equal(diff("2027-01-01T00:00:00Z", "2026-01-01T00:00:00Z"), 365 * D);
  assert.equal(diff("2025-01-01T00:00:00Z", "2024-01-01T00:00:00Z"), 366 * D);
  assert.equal(instantPlus("2024-02-28T12:00:00Z", D), "2024-02-29T12:00:00Z");
  assert.equal(instantPlus("2023-02-28T12:00:00Z", D), "2023-03-01T12:00:00Z");
  assert.equal(instantPlus("2026-12-31T23:30:00-01:00", 15 * 60_000), "2027-01-01T00:45:00Z");
  assert.equal(instantPlus("2026-01-01T00:00:00Z", -1), "2025-12-31T23:59:59.999Z");
  assert.equal(instantPlus("2024-02-29T00:00:00Z", 365 * D), "2025-02-28T00:00:00Z");
  assert.throws(() => instantPlus("9999-12-31T00:00:00Z", 2 * D), (e: unknown) => e instanceof PolicyRuntimeError);
  assert.throws(() => instantMinus("not a time", "2026-01-01T00:00:00Z"), (e: unknown) => e instanceof PolicyRuntimeError && e.code === "runtime/invalid-argument" && e.message.includes('"not a time"'));
});

test("comparing instants compares moments, not text", () => {
  assert.ok(compareInstants("2026-11-25T10:00:00+01:00", "2026-11-25T09:30:00Z") < 0, "09:00Z is before 09:30Z though the text sorts after");
  assert.equal(compareInstants("2026-11-25T10:00:00+01:00", "2026-11-25T09:00:00Z"), 0);
  assert.ok(compareInstants("2024-02-29T00:00:00Z", "2024-02-28T23:59:59.999Z") > 0);
  assert.throws(() => compareInstants("2026-02-30T00:00:00Z", "2026-01-01T00:00:00Z"), PolicyRuntimeError);
});

test("formatInstant writes canonical UTC and refuses what RFC 3339 cannot spell", () => {
  assert.equal(formatInstant(0), "1970-01-01T00:00:00Z");
  assert.equal(formatInstant(-1), "1969-12-31T23:59:59.999Z");
  assert.equal(formatInstant(Date.UTC(2026, 10, 25, 10, 0, 0, 7)), "2026-11-25T10:00:00.007Z");
  assert.equal(formatInstant(1.9), "1970-01-01T00:00:00.001Z");
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 1e20, -1e20, Date.UTC(10000, 0, 1)]) {
    assert.throws(() => formatInstant(bad), (e: unknown) => e instanceof PolicyRuntimeError && e.code === "runtime/invalid-argument", String(bad));
  }
});

test("property: parse and format agree with Date on every valid instant and round-trip", () => {
  fc.assert(
    fc.property(fc.date({ min: new Date("0001-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59.999Z"), noInvalidDate: true }), fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }), (date, offsetMin) => {
      const ms = date.getTime();
      const iso = date.toISOString();
      assert.equal(formatInstant(ms), iso.endsWith(".000Z") ? iso.replace(".000Z", "Z") : iso);
      assert.equal(parseInstant(iso), ms);
      assert.equal(parseInstant(formatInstant(ms)), ms);
      // The same moment written with an offset.
      const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, 23);
      const sign = offsetMin < 0 ? "-" : "+";
      const abs = Math.abs(offsetMin);
      const withOffset = `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
      if (!local.startsWith("-") && !local.startsWith("+")) assert.equal(parseInstant(withOffset), ms, withOffset);
    }),
    { numRuns: 2000 },
  );
});

test("hourOfDay and weekday in UTC, before and after the epoch", () => {
  const t = (s: string): number => requireInstant(s, "t");
  assert.equal(hourOfDay(t("2026-11-25T23:30:00+01:00")), 22);
  assert.equal(hourOfDay(t("1969-12-31T23:00:00Z")), 23);
  assert.equal(weekday(t("1969-12-31T23:00:00Z")), "wednesday");
  assert.equal(weekday(t("2024-02-29T12:00:00Z")), "thursday");
  assert.equal(weekday(t("2026-11-29T12:00:00Z")), "sunday");
  assert.equal(weekday(t("2000-01-01T00:00:00Z")), "saturday");
});

test("parseDuration reads the forms durations print in, and nothing else", () => {
  assert.equal(parseDuration("90s"), 90_000);
  assert.equal(parseDuration("1.5h"), 1.5 * H);
  assert.equal(parseDuration("1h30m"), 1.5 * H);
  assert.equal(parseDuration("7d"), 7 * D);
  assert.equal(parseDuration("250ms"), 250);
  assert.equal(parseDuration("1m30s250ms"), 90_250);
  assert.equal(parseDuration("-2d"), -2 * D);
  assert.equal(parseDuration("0s"), 0);
  for (const s of ["", "-", "5", "1.", ".5s", "1x", "1 h", "h", "1h-30m", "1.2.3s", "1e3s", "PT15M"]) assert.equal(parseDuration(s), null, s);
});
