import { test } from "node:test";
import assert from "node:assert/strict";
import { dateOfBirth, passport, plausibleBirthDate, ssn } from "../pii.ts";
import { assertFinds, assertNone } from "./support.ts";

test("ssn: finds numbers in issued ranges", () => {
  for (const n of ["123-45-6789", "001-01-0001", "665-12-3456", "667-12-3456", "899-99-9999", "219-09-9999", "078-05-1120", "123 45 6789"]) {
    assertFinds(ssn, n);
    assertFinds(ssn, `SSN: ${n}.`, n);
  }
});

test("ssn: rejects never-issued ranges and look-alikes", () => {
  for (const text of [
    "000-12-3456", // area 000
    "666-12-3456", // area 666
    "900-12-3456", // 9xx
    "987-65-4321",
    "123-00-4567", // group 00
    "123-45-0000", // serial 0000
    "123-45 6789", // mixed separators
    "123456789", // bare: too many ids look the same
    "1123-45-6789",
    "123-45-67890",
    "555-123-45-6789",
    "123-45-6789-1",
    "x123-45-6789",
    "2026-11-25",
  ]) {
    assertNone(ssn, text);
  }
});

test("passport: finds numbers after the word passport, and only the number", () => {
  assertFinds(passport, "passport no. X1234567", "X1234567");
  assertFinds(passport, "Passport number: 123456789", "123456789");
  assertFinds(passport, "PASSPORT# C03005988", "C03005988");
  assertFinds(passport, "passport: AB1234567", "AB1234567");
  assertFinds(passport, "my passport is K4455667", "K4455667");
  assertFinds(passport, "Passport No 1234567", "1234567");
  assertFinds(passport, "passport nr. 98765432", "98765432");
  assertFinds(passport, "passport ID: P1234", []);
  assertFinds(passport, "passport ID: P123456", "P123456");
});

test("passport: no number without the context word, or without a digit", () => {
  for (const text of [
    "X1234567",
    "ticket no. X1234567",
    "passport office",
    "passport: EXPIRED",
    "passport no. X12345678901",
    "passport: x1234567",
    "passports are 123456789 in number",
    "mypassport X1234567",
  ]) {
    assertNone(passport, text);
  }
});

test("date_of_birth: finds existing dates after DOB words, and only the date", () => {
  assertFinds(dateOfBirth, "DOB: 1984-02-29", "1984-02-29");
  assertFinds(dateOfBirth, "Date of birth: 12/31/1990", "12/31/1990");
  assertFinds(dateOfBirth, "date of birth 31.12.1990", "31.12.1990");
  assertFinds(dateOfBirth, "born on March 3rd, 1971", "March 3rd, 1971");
  assertFinds(dateOfBirth, "Birthday: 3 Mar 1971", "3 Mar 1971");
  assertFinds(dateOfBirth, "D.O.B. 01-02-03", "01-02-03");
  assertFinds(dateOfBirth, "birth date is 2000-01-01", "2000-01-01");
  assertFinds(dateOfBirth, "DOB=29/02/00", "29/02/00");
});

test("date_of_birth: no match for dates that do not exist or lack context", () => {
  for (const text of [
    "DOB: 1985-02-29", // not a leap year
    "DOB: 1984-13-01",
    "DOB: 31/31/1990",
    "date of birth: 30 February 1990",
    "born on Mayday 3, 1971",
    "1984-02-29",
    "meeting on 2026-11-25",
    "DOB: unknown",
  ]) {
    assertNone(dateOfBirth, text);
  }
  assert.equal(plausibleBirthDate("2000-02-29"), true);
  assert.equal(plausibleBirthDate("1900-02-29"), false);
});
