// Summation in NumPy's order. `np.sum` adds float64 arrays pairwise (blocks of 8, split in
// halves above 128), so summing the same terms in the same order keeps our results within a
// few ulps of SciPy's rather than drifting with n as a left-to-right loop would.

const BLOCK = 128;

/** Sums `xs[from .. from+n)` in NumPy's pairwise order. */
function pairwise(xs: ArrayLike<number>, from: number, n: number): number {
  if (n < 8) {
    let s = 0;
    for (let i = 0; i < n; i++) s += xs[from + i];
    return s;
  }
  if (n <= BLOCK) {
    let r0 = xs[from], r1 = xs[from + 1], r2 = xs[from + 2], r3 = xs[from + 3];
    let r4 = xs[from + 4], r5 = xs[from + 5], r6 = xs[from + 6], r7 = xs[from + 7];
    let i = 8;
    const end = n - (n % 8);
    for (; i < end; i += 8) {
      const k = from + i;
      r0 += xs[k]; r1 += xs[k + 1]; r2 += xs[k + 2]; r3 += xs[k + 3];
      r4 += xs[k + 4]; r5 += xs[k + 5]; r6 += xs[k + 6]; r7 += xs[k + 7];
    }
    let s = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < n; i++) s += xs[from + i];
    return s;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return pairwise(xs, from, half) + pairwise(xs, from + half, n - half);
}

/** The sum of `xs` as `numpy.sum` computes it for a contiguous float64 array. */
export function npSum(xs: ArrayLike<number>): number {
  return pairwise(xs, 0, xs.length);
}
