// Durations and instants as config files and flags write them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDuration, parseDuration, parseInstant } from "../duration.ts";

test("durations", () => {
  assert.equal(parseDuration("1h"), 3_600_000);
  assert.equal(parseDuration("30m"), 1_800_000);
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("7d"), 604_800_000);
  assert.equal(parseDuration("250ms"), 250);
  for (const bad of ["", "1", "h", "1x", "-1h", "1h ", "0m"]) assert.equal(parseDuration(bad), undefined, bad);
  assert.equal(formatDuration(5_400_000), "1h30m");
});

test("instants", () => {
  assert.equal(parseInstant("2026-01-05T08:00:00Z"), Date.UTC(2026, 0, 5, 8));
  assert.equal(parseInstant("2026-01-05"), Date.UTC(2026, 0, 5));
  assert.equal(parseInstant("1767600000000"), 1767600000000);
  for (const bad of ["yesterday", "2026-13-45T99:00Z", "12"]) assert.equal(parseInstant(bad), undefined, bad);
});
