// Per-key rate limits as token buckets: a key may burst up to `burst` requests and sustains
// `perSecond`. Refill is computed lazily from the clock on each take, so idle keys cost nothing.

/** A rate limit: sustained requests per second and the burst allowed above it. */
export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets by key id or client address. */
export class RateLimiter {
  readonly #limit: RateLimit;
  readonly #buckets = new Map<string, Bucket>();
  readonly #now: () => number;
  readonly #max: number;

  /** Keeps at most `max` buckets: past that the oldest is forgotten (a full bucket again). */
  constructor(limit: RateLimit, now: () => number = () => performance.now(), max = 100_000) {
    this.#limit = limit;
    this.#now = now;
    this.#max = max;
  }

  /** Whether the key's bucket holds at least `n` tokens; takes nothing. */
  has(key: string, n = 1): boolean {
    const b = this.#buckets.get(key);
    if (b === undefined) return this.#limit.burst >= n;
    return Math.min(this.#limit.burst, b.tokens + ((this.#now() - b.at) / 1000) * this.#limit.perSecond) >= n;
  }

  /** Takes `n` tokens from the key's bucket; false (and nothing taken) when it has too few. */
  take(key: string, n = 1): boolean {
    const now = this.#now();
    let b = this.#buckets.get(key);
    if (b === undefined) {
      b = { tokens: this.#limit.burst, at: now };
      if (this.#buckets.size >= this.#max) this.#buckets.delete(this.#buckets.keys().next().value as string);
      this.#buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.#limit.burst, b.tokens + ((now - b.at) / 1000) * this.#limit.perSecond);
      b.at = now;
    }
    if (b.tokens < n) return false;
    b.tokens -= n;
    return true;
  }
}
