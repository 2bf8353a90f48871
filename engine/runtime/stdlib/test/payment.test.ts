import { test } from "node:test";
import assert from "node:assert/strict";
import { creditCard, iban, knownCardNetwork } from "../payment.ts";
import { assertFinds, assertNone, luhnComplete } from "./support.ts";

test("credit_card: finds Luhn-valid numbers of known networks, bare and grouped", () => {
  const valid = [
    "4111111111111111", // Visa
    "4012888888881881",
    "4222222222222", // Visa, 13 digits
    "5555555555554444", // Mastercard
    "2223003122003222", // Mastercard 2-series
    "378282246310005", // Amex
    "6011111111111117", // Discover
    "30569309025904", // Diners, 14 digits
    "3530111333300000", // JCB
    "6200000000000005", // UnionPay
    "4111 1111 1111 1111",
    "5555-5555-5555-4444",
    "3782 822463 10005", // Amex layout
    "3056 930902 5904", // Diners layout
  ];
  for (const card of valid) {
    assertFinds(creditCard, card);
    assertFinds(creditCard, `card: ${card}, exp 12/29`, card);
  }
  assertFinds(creditCard, "two cards 4111111111111111 and 5555555555554444.", ["4111111111111111", "5555555555554444"]);
  assertFinds(creditCard, "(4111-1111-1111-1111)", "4111-1111-1111-1111");
});

test("credit_card: rejects Luhn failures, unknown prefixes, mixed separators and longer runs", () => {
  const invalid = [
    "4111111111111112", // Luhn fails
    "5555555555554445",
    "378282246310006",
    luhnComplete("123456789012345"), // Luhn-valid, no network starts with 1
    luhnComplete("999999999999999"),
    "4111 1111-1111 1111", // mixed separators
    "4111  1111 1111 1111", // double space
    "41111 1111 1111 111", // wrong grouping
    "x4111111111111111", // glued to a word
    "4111111111111111x",
    "94111111111111111111", // inside a longer digit run
    "order 20241125000012345678",
    "pi is 3.4111111111111111", // a decimal fraction
    "4111111111111111.5",
    "+1 415 555 0132",
    "2026-11-25T10:00:00Z",
  ];
  for (const text of invalid) assertNone(creditCard, text);
});

test("credit_card: network table agrees with the lengths networks issue", () => {
  assert.equal(knownCardNetwork(411111, 16), true);
  assert.equal(knownCardNetwork(411111, 15), false);
  assert.equal(knownCardNetwork(371449, 15), true);
  assert.equal(knownCardNetwork(371449, 16), false);
  assert.equal(knownCardNetwork(222100, 16), true);
  assert.equal(knownCardNetwork(272099, 16), true);
  assert.equal(knownCardNetwork(272100, 16), false);
  assert.equal(knownCardNetwork(123456, 16), false);
});

const VALID_IBANS = [
  "DE89370400440532013000",
  "GB82WEST12345698765432",
  "FR1420041010050500013M02606",
  "NL91ABNA0417164300",
  "ES9121000418450200051332",
  "IT60X0542811101000000123456",
  "BE68539007547034",
  "CH9300762011623852957",
  "PL61109010140000071219812874",
  "NO9386011117947",
  "AT611904300234573201",
  "SE4550000000058398257466",
];

function grouped(compact: string): string {
  return compact.replace(/(.{4})(?=.)/g, "$1 ");
}

test("iban: finds mod-97-valid IBANs of many countries, compact and grouped", () => {
  for (const compact of VALID_IBANS) {
    assertFinds(iban, compact);
    assertFinds(iban, grouped(compact));
    assertFinds(iban, `Pay to IBAN ${grouped(compact)}, thanks`, grouped(compact));
  }
  assertFinds(iban, `${VALID_IBANS[0]} ${VALID_IBANS[1]}`, [VALID_IBANS[0], VALID_IBANS[1]]);
});

test("iban: rejects bad check digits, wrong lengths, unknown countries and glued text", () => {
  const invalid = [
    "DE89370400440532013001", // one digit changed
    "GB82WEST12345698765433",
    "FR1420041010050500013M02607",
    "NL91ABNA0417164301",
    "DE8937040044053201300", // one short for Germany
    "DE893704004405320130000", // one long
    "XX89370400440532013000", // no such country
    "DE00370400440532013000", // check digits 00 are never issued
    "DE89 3704 0044 0532 0130 0", // grouped, one short
    "DE89 37040 044 0532 0130 00", // irregular grouping
    "xDE89370400440532013000",
    "DE89370400440532013000x",
    "de89370400440532013000", // lower-case country code
  ];
  for (const text of invalid) assertNone(iban, text);
});
