// "Did you mean ...?" for unknown names, fields, rules and detectors. A candidate is offered
// only when it is close enough that the typo is the likely explanation: an edit distance of
// at most a third of the name's length (at least 1), so that `amout` finds `amount` but `x`
// does not find `y`.

/** The Damerau-Levenshtein (optimal string alignment) distance: a swapped pair counts as one edit. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const m = a.length;
  const n = b.length;
  if (m === 0) return n;
  if (n === 0) return m;
  let prev2: number[] = new Array(n + 1).fill(0);
  let prev: number[] = Array.from({ length: n + 1 }, (_, j) => j);
  let cur: number[] = new Array(n + 1).fill(0);
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2] + 1);
      cur[j] = v;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n];
}

/**
 * The candidate closest to `name`, or undefined when none is close enough. Case differences
 * cost nothing extra beyond one edit, so `max_refund` finds `MAX_REFUND`. Ties go to the
 * candidate listed first, which keeps suggestions deterministic.
 */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c === name) continue;
    const d = c.toLowerCase() === name.toLowerCase() ? 1 : editDistance(name, c);
    if (d <= limit && d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** A help line `did you mean 'x'?` when a close candidate exists (`prefix` is prepended to it, e.g. `tool.`). */
export function didYouMean(name: string, candidates: Iterable<string>, prefix = ""): string | undefined {
  const c = closest(name, candidates);
  return c === undefined ? undefined : `did you mean '${prefix}${c}'?`;
}
