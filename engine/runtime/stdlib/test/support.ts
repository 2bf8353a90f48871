// Assertions the detector suites share: what a detector finds, as the matched substrings.
import assert from "node:assert/strict";
import type { Detector } from "../detector.ts";

/** The substrings `detector` finds in `text`, in order. */
export function found(detector: Detector, text: string): string[] {
  return detector.find(text).map(([s, e]) => text.slice(s, e));
}

/** Asserts that `detector` finds exactly `expected` in `text` (default: the whole text), and that `test` agrees. */
export function assertFinds(detector: Detector, text: string, expected: string | readonly string[] = text): void {
  const want = typeof expected === "string" ? [expected] : [...expected];
  assert.deepEqual(found(detector, text), want, `${detector.name} on ${JSON.stringify(text)}`);
  assert.equal(detector.test(text), want.length > 0, `${detector.name}.test on ${JSON.stringify(text)}`);
}

/** Asserts that `detector` finds nothing in `text`. */
export function assertNone(detector: Detector, text: string): void {
  assertFinds(detector, text, []);
}

/** The Luhn check digit that completes `partial` (digits only). */
export function luhnComplete(partial: string): string {
  for (let d = 0; d <= 9; d++) {
    const s = partial + d;
    let sum = 0;
    for (let i = 0; i < s.length; i++) {
      let v = Number(s[s.length - 1 - i]);
      if (i % 2 === 1) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
      sum += v;
    }
    if (sum % 10 === 0) return s;
  }
  throw new Error("unreachable");
}
