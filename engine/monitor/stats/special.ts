// Special functions behind the p-values: log-gamma, the regularized incomplete gamma
// functions, erfc, the normal and chi-square tails. Written for relative accuracy in the far
// upper tail (p ~ 1e-200), which is why tails are computed directly and never as 1 - cdf.

const EPS = 2.220446049250313e-16;
const HALF_LOG_2PI = 0.9189385332046728; // log(sqrt(2*pi))
const LOG_SQRT_PI = 0.5723649429247001; // log(sqrt(pi)) = logGamma(1/2)
const BIG = 4503599627370496; // 2^52: rescale the continued fraction before it overflows
const BIG_INV = 2.220446049250313e-16;
const MAX_ITER = 100_000;

// Stirling series coefficients B_2j / (2j (2j-1)) for j = 1..8, highest order first.
const STIRLING = [
  -3617 / 122400, 1 / 156, -691 / 360360, 1 / 1188, -1 / 1680, 1 / 1260, -1 / 360, 1 / 12,
];

/**
 * log Γ(x) for x > 0. Stirling's series for x >= 10, and the recurrence Γ(x) = Γ(x+k) / (x..x+k-1)
 * below, which keeps the absolute error near 1e-15: callers only ever exponentiate sums
 * containing it, so absolute (not relative) accuracy is what matters.
 */
export function logGamma(x: number): number {
  if (!(x > 0)) return Number.NaN;
  if (x === 1 || x === 2) return 0;
  if (x === 0.5) return LOG_SQRT_PI;
  let shift = 1;
  let z = x;
  while (z < 10) {
    shift *= z;
    z += 1;
  }
  const rz = 1 / z;
  const rz2 = rz * rz;
  let series = 0;
  for (const c of STIRLING) series = series * rz2 + c;
  const stirling = (z - 0.5) * Math.log(z) - z + HALF_LOG_2PI + series * rz;
  return shift === 1 ? stirling : stirling - Math.log(shift);
}

/** x^a e^-x / Γ(a), the common factor of both incomplete gamma expansions, computed in logs. */
function gammaPrefactor(a: number, x: number): number {
  const lg = a === 0.5 ? LOG_SQRT_PI : logGamma(a);
  return Math.exp(a * Math.log(x) - x - lg);
}

/** Power series for P(a, x); converges fast when x < a + 1. */
function gammaPSeries(a: number, x: number): number {
  let r = a;
  let c = 1;
  let sum = 1;
  for (let i = 0; i < MAX_ITER; i++) {
    r += 1;
    c *= x / r;
    sum += c;
    if (c <= sum * EPS) break;
  }
  return (sum * gammaPrefactor(a, x)) / a;
}

/** Continued fraction for Q(a, x) (Cephes' igamc form); converges fast when x > a. */
function gammaQFraction(a: number, x: number): number {
  let y = 1 - a;
  let z = x + y + 1;
  let c = 0;
  let pkm2 = 1;
  let qkm2 = x;
  let pkm1 = x + 1;
  let qkm1 = z * x;
  let ans = pkm1 / qkm1;
  for (let i = 0; i < MAX_ITER; i++) {
    c += 1;
    y += 1;
    z += 2;
    const yc = y * c;
    const pk = pkm1 * z - pkm2 * yc;
    const qk = qkm1 * z - qkm2 * yc;
    let t = 1;
    if (qk !== 0) {
      const r = pk / qk;
      t = Math.abs((ans - r) / r);
      ans = r;
    }
    pkm2 = pkm1;
    pkm1 = pk;
    qkm2 = qkm1;
    qkm1 = qk;
    if (Math.abs(pk) > BIG) {
      pkm2 *= BIG_INV;
      pkm1 *= BIG_INV;
      qkm2 *= BIG_INV;
      qkm1 *= BIG_INV;
    }
    if (t <= EPS) break;
  }
  return ans * gammaPrefactor(a, x);
}

/** The regularized lower incomplete gamma function P(a, x) = γ(a, x) / Γ(a), for a > 0, x >= 0. */
export function regularizedGammaP(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return Number.NaN;
  if (x === 0) return 0;
  if (x === Infinity) return 1;
  if (x > 1 && x > a) return 1 - gammaQFraction(a, x);
  return gammaPSeries(a, x);
}

/** The regularized upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a), for a > 0, x >= 0. */
export function regularizedGammaQ(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return Number.NaN;
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  if (x < 1 || x < a) return 1 - gammaPSeries(a, x);
  return gammaQFraction(a, x);
}

/** The complementary error function erfc(x) = Q(1/2, x²) for x >= 0, accurate deep in the tail. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0) return 2 - erfc(-x);
  return regularizedGammaQ(0.5, x * x);
}

/** Standard normal upper tail Pr(Z > z), computed from erfc so that it keeps relative accuracy for large z. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z * Math.SQRT1_2);
}

/** Standard normal CDF Pr(Z <= z). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z * Math.SQRT1_2);
}

/** Chi-square upper tail Pr(X > x) with `dof` degrees of freedom (SciPy's `chi2.sf`, Cephes' `chdtrc`). */
export function chiSquareSf(x: number, dof: number): number {
  if (!(dof > 0) || Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 1;
  return regularizedGammaQ(dof / 2, x / 2);
}
