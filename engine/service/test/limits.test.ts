// The rate limiter's promise, on a clock the test moves: a key never gets more than `burst`
// requests at once, however long it stayed idle, nor more than `burst + perSecond × t` over any
// span of t seconds; and a refused request takes nothing. (Issue 27: with the burst cap removed,
// every service test still passed, because none waited for a bucket to refill past it.)
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { RateLimiter } from "../rate-limit.ts";

function clocked(perSecond: number, burst: number): { limiter: RateLimiter; advance: (ms: number) => void } {
  let now = 1_000;
  return { limiter: new RateLimiter({ perSecond, burst }, () => now), advance: (ms) => void (now += ms) };
}

function takeAll(l: RateLimiter, key: string, most = 10_000): number {
  let n = 0;
  while (n < most && l.take(key)) n++;
  return n;
}

test("a fresh key bursts exactly `burst` requests, then is refused", () => {
  const { limiter } = clocked(2, 5);
  assert.equal(takeAll(limiter, "k"), 5);
  assert.equal(limiter.take("k"), false);
});

test("a key idle for an hour still bursts no more than `burst`", () => {
  const { limiter, advance } = clocked(10, 5);
  assert.equal(takeAll(limiter, "k"), 5);
  advance(3_600_000);
  assert.equal(takeAll(limiter, "k"), 5, "an idle bucket refills up to its burst, never past it");
  // A key that was never empty is capped the same way.
  assert.equal(takeAll(limiter, "fresh"), 5);
  advance(3_600_000);
  assert.equal(takeAll(limiter, "fresh"), 5);
});

test("tokens come back at `perSecond`: one per 1/perSecond seconds", () => {
  const { limiter, advance } = clocked(4, 2);
  assert.equal(takeAll(limiter, "k"), 2);
  advance(249);
  assert.equal(limiter.take("k"), false, "not yet a whole token");
  advance(1);
  assert.equal(limiter.take("k"), true);
  assert.equal(limiter.take("k"), false);
  advance(500);
  assert.equal(takeAll(limiter, "k"), 2);
});

test("a request costing more than the bucket holds is refused and takes nothing", () => {
  const { limiter } = clocked(1, 10);
  assert.equal(limiter.take("k", 11), false);
  assert.equal(limiter.take("k", 10), true, "the refused request left every token");
  assert.equal(limiter.take("k", 1), false);
});

test("each key has its own bucket", () => {
  const { limiter } = clocked(1, 3);
  assert.equal(takeAll(limiter, "a"), 3);
  assert.equal(takeAll(limiter, "b"), 3);
  assert.equal(limiter.take("a"), false);
});

test("property: over any span of t seconds a key gets at most burst + perSecond × t, and an idle bucket refills to burst", () => {
  let runs = 0;
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 50 }),
      fc.integer({ min: 1, max: 20 }),
      fc.array(fc.record({ wait: fc.integer({ min: 0, max: 3_000 }), cost: fc.integer({ min: 1, max: 25 }) }), { minLength: 1, maxLength: 60 }),
      (perSecond, burst, steps) => {
        runs++;
        const { limiter, advance } = clocked(perSecond, burst);
        const granted: { at: number; cost: number }[] = [];
        let at = 0;
        for (const s of steps) {
          advance(s.wait);
          at += s.wait;
          if (limiter.take("k", s.cost)) granted.push({ at, cost: s.cost });
        }
        for (let i = 0; i < granted.length; i++) {
          let sum = 0;
          for (let j = i; j < granted.length; j++) {
            sum += granted[j].cost;
            const span = (granted[j].at - granted[i].at) / 1000;
            assert.ok(sum <= burst + perSecond * span + 1e-9, `${sum} tokens in ${span} s with burst ${burst} at ${perSecond}/s`);
          }
        }
        // Idle long enough to refill from empty: exactly `burst` single requests pass.
        advance(Math.ceil((burst / perSecond) * 1000) + 1);
        assert.equal(takeAll(limiter, "k"), burst);
      },
    ),
    { numRuns: 300 },
  );
  assert.equal(runs, 300);
});

test("has() tells without taking, and agrees with take()", () => {
  const { limiter, advance } = clocked(2, 3);
  assert.equal(limiter.has("fresh", 3), true);
  assert.equal(limiter.has("fresh", 4), false);
  assert.equal(takeAll(limiter, "fresh"), 3, "has() took nothing");
  assert.equal(limiter.has("fresh"), false);
  advance(499);
  assert.equal(limiter.has("fresh"), false);
  advance(1);
  assert.equal(limiter.has("fresh"), true);
  advance(3_600_000);
  assert.equal(limiter.has("fresh", 3), true);
  assert.equal(limiter.has("fresh", 4), false, "refilled to burst, never past it");
});

test("past `max` buckets the oldest key is forgotten (a full bucket again), the others kept", () => {
  const limiter = new RateLimiter({ perSecond: 1, burst: 2 }, () => 0, 2);
  assert.equal(takeAll(limiter, "a"), 2);
  assert.equal(takeAll(limiter, "b"), 2);
  assert.equal(takeAll(limiter, "c"), 2, "a third key");
  assert.equal(limiter.take("b"), false, "b is still remembered as empty");
  assert.equal(takeAll(limiter, "a"), 2, "a, the oldest, was forgotten");
});
