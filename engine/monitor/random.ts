// A small seeded PRNG (mulberry32): reservoir sampling and evaluator sampling must be
// reproducible, so that a drift test on simulated traffic gives the same verdict every run.

/** A function returning uniform numbers in [0, 1). */
export type Random = () => number;

/** mulberry32 seeded with `seed` (any 32-bit integer). */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
