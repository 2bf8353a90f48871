// The decision time as an ISO-8601 instant. Formatting a Date costs more than the rest of a
// guarded call's bookkeeping, so the string is reused within the same millisecond.

/** A clock returning milliseconds since the epoch. */
export type Now = () => number;

/** Returns a function giving `[ms, iso]` for the current instant, formatting at most once per millisecond. */
export function isoClock(now: Now = Date.now): () => { readonly ms: number; readonly iso: string } {
  let last = { ms: Number.NaN, iso: "" };
  return () => {
    const ms = now();
    if (ms !== last.ms) last = { ms, iso: new Date(ms).toISOString() };
    return last;
  };
}
