// A helper for the suites: the stable code a call fails with.
import assert from "node:assert/strict";
import { StatsError } from "../stats/errors.ts";

/** Runs `f` and returns the StatsError code it throws, failing the test on any other outcome. */
export function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof StatsError, `expected a StatsError, got ${String(e)}`);
    assert.match(e.message, /^[a-z'0-9]/, "messages start lowercase");
    return e.code;
  }
  assert.fail("expected a StatsError, but the call returned");
}
