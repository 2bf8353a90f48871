import { test } from "node:test";
import { phone } from "../phone.ts";
import { assertFinds, assertNone } from "./support.ts";

test("phone: finds E.164, North American and trunk-prefixed national numbers", () => {
  for (const number of [
    "+1 415-555-0132",
    "+14155550132",
    "+44 20 7946 0958",
    "+44 (0)20 7946 0958",
    "+33 1 23 45 67 89",
    "+49 30 12345678",
    "+1 (415) 555-0132",
    "(415) 555-0132",
    "(415)555-0132",
    "415-555-0132",
    "415.555.0132",
    "415 555 0132",
    "1-800-555-0199",
    "555-0132",
    "020 7946 0958",
    "06 12 34 56 78",
    "0412 345 678",
  ]) {
    assertFinds(phone, number);
    assertFinds(phone, `Call me at ${number}, thanks.`, number);
  }
  assertFinds(phone, "415-555-0132 or 212 555 0100", ["415-555-0132", "212 555 0100"]);
  assertFinds(phone, "ref 12 415-555-0132", "415-555-0132");
});

test("phone: does not take every digit run for a phone number", () => {
  for (const text of [
    "4155550132", // bare run: an id as likely as a phone
    "order 20241125",
    "2026-11-25",
    "12:30:45",
    "192.168.100.200",
    "123-45-6789", // an SSN layout
    "4111 1111 1111 1111",
    "DE89 3704 0044 0532 0130 00",
    "115-555-0132", // area codes start with 2-9
    "415-155-0132", // so do exchanges
    "415-555.0132", // mixed separators
    "+0 415 555 0132", // no country code starts with 0
    "+1234567", // too short for E.164
    "+1234567890123456", // too long
    "x415-555-0132",
    "415-555-0132x",
    "2024-555-0132",
    "version 1.2.3",
    "3.14159 2.71828",
  ]) {
    assertNone(phone, text);
  }
});
