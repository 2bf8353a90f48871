// Kolmogorov–Smirnov distributions: the limiting Kolmogorov distribution, the exact one-sided
// Smirnov distribution, and the exact two-sided one-sample distribution of D_n that SciPy calls
// `kstwo`. `kstwoSf` follows Simard & L'Ecuyer (2011) the way SciPy's `_kolmogn` does, choosing
// the same algorithm in the same region, because two of them (Pelz–Good, and the Miller
// approximation 2 * smirnov) are approximations whose error is larger than our tolerance: to
// agree with SciPy to 1e-9 we must approximate where it approximates.

const E128 = 2 ** 128;
const EM128 = 2 ** -128;
const MIN_LOG = -708.3964185322641; // log of the smallest normal double
const PI2 = Math.PI * Math.PI;
const SQRT_2PI = Math.sqrt(2 * Math.PI);
const EPS = 2.220446049250313e-16;

/**
 * The limiting Kolmogorov distribution's upper tail Pr(K > x), K = sup |B(t)| of a Brownian bridge
 * (SciPy's `kolmogorov` / `kstwobign.sf`). Two theta-function series, switching at x = 0.82.
 */
export function kolmogorovSf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x <= 0.040611972203751713) return 1;
  if (x <= 0.82) {
    // P(K <= x) = sqrt(2 pi)/x * sum_k exp(-(2k-1)^2 pi^2 / (8 x^2)); three terms reach full precision here.
    const w = SQRT_2PI / x;
    const logu8 = -PI2 / (x * x);
    const u = Math.exp(logu8 / 8);
    if (u === 0) return 1 - Math.exp(logu8 / 8 + Math.log(w));
    const u8 = Math.exp(logu8);
    let p = 1 + u8 ** 3;
    p = 1 + u8 * u8 * p;
    p = 1 + u8 * p;
    return clip01(1 - w * u * p);
  }
  // P(K > x) = 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 x^2), nested to avoid cancellation; four terms suffice.
  const v = Math.exp(-2 * x * x);
  const v3 = v ** 3;
  let p = 1 - v3 * v3 * v;
  p = 1 - v3 * v * v * p;
  p = 1 - v3 * p;
  return clip01(2 * v * p);
}

/**
 * The exact one-sided Smirnov upper tail Pr(D_n^+ >= x) (SciPy's `smirnov(n, x)`), from the
 * Birnbaum–Tingey sum. Terms are formed in logarithms: for large n, C(n, v) overflows and
 * (1 - x)^n underflows, but their product is ordinary.
 */
export function smirnovSf(n: number, x: number): number {
  if (!(n >= 1) || !Number.isInteger(n) || !(x >= 0 && x <= 1)) return Number.NaN;
  if (n === 1) return 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;
  const nx = n * x;
  const nxFloor = Math.floor(nx);
  if (nxFloor === 0 || (nxFloor === 1 && nx === 1)) return 1 - x * (1 + x) ** (n - 1);
  if (-2 * n * x * x < MIN_LOG) return 0;
  if (nxFloor >= n - 1) return (1 - x) ** n;
  if (n > 1_000_000) {
    // SciPy's cut-over: the sum would take too long; it uses p ~ exp(-(6nx+1)^2 / 18n).
    const logp = -((6 * n * x + 1) ** 2) / 18 / n;
    return logp < -Math.LN2 ? Math.exp(logp) : 1 + Math.expm1(logp);
  }
  // Terms v = 0 .. floor(n(1-x)), excluding v = n - nx when nx is an integer (its term is 0).
  // For large n the largest terms sit near v ~ n/2 with log C(n, v) in the tens of thousands,
  // so the running log C and each term's exponent are carried as double-doubles: rounding a
  // plain running sum that large costs ~1e-12 per step and ~1e-9 over the sum.
  const last = n - nxFloor - 1;
  let cHi = 0;
  let cLo = 0;
  let sum = 0;
  for (let v = 0; v <= last; v++) {
    const up = v / n + x; // x + v/n
    const down = (n - v) / n - x; // 1 - x - v/n
    twoProd(v - 1, Math.log(up));
    let hi = PROD_HI;
    let lo = PROD_LO;
    twoProd(n - v, Math.log(down));
    twoSum(hi, PROD_HI);
    hi = SUM_HI;
    lo += SUM_LO + PROD_LO;
    twoSum(hi, cHi);
    hi = SUM_HI;
    lo += SUM_LO + cLo;
    const term = Math.exp(hi) * (1 + lo);
    sum += term;
    if (term !== 0 && 4 * (last + 1 - v) * term < EPS * sum && v !== last) break;
    twoSum(cHi, Math.log((n - v) / (v + 1)));
    cHi = SUM_HI;
    cLo += SUM_LO;
  }
  return clip01(x * sum);
}

/**
 * Upper tail of the exact two-sided one-sample Kolmogorov–Smirnov statistic, Pr(D_n >= x)
 * (SciPy's `kstwo.sf(x, n)`), following Simard & L'Ecuyer's choice of method by region.
 */
export function kstwoSf(n: number, x: number): number {
  if (!(n >= 1) || !Number.isInteger(n) || Number.isNaN(x)) return Number.NaN;
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    // Ruben–Gambino: for 1/2n <= x <= 1/n, Pr(D_n < x) = n!/n^n (2t-1)^n.
    if (t <= 0.5) return 1;
    let cdf: number;
    if (n <= 140) {
      cdf = 1;
      const f = 2 * t - 1;
      for (let i = 1; i <= n; i++) cdf *= i * (1 / n) * f;
    } else {
      cdf = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    }
    return clip01(1 - cdf);
  }
  if (t >= n - 1) return clip01(2 * (1 - x) ** n);
  if (x >= 0.5) return clip01(2 * smirnovSf(n, x));
  const nxx = t * x;
  if (n <= 140) {
    if (nxx <= 0.754693) return clip01(1 - durbinCdf(n, x));
    if (nxx <= 4) return clip01(1 - pomeranzCdf(n, x));
    return clip01(2 * smirnovSf(n, x));
  }
  if (nxx >= 370) return 0;
  if (nxx >= 2.2) return clip01(2 * smirnovSf(n, x));
  if (nxx >= 18) return 0;
  const cdf = n <= 100_000 && n * x ** 1.5 <= 1.4 ? durbinCdf(n, x) : pelzGoodCdf(n, x);
  return clip01(1 - cdf);
}

// Error-free transformations (Knuth's two-sum, Dekker's two-product), results left in module
// variables rather than allocated pairs because they run once per term of long sums.
let SUM_HI = 0;
let SUM_LO = 0;
let PROD_HI = 0;
let PROD_LO = 0;
const SPLITTER = 134217729; // 2^27 + 1

function twoSum(a: number, b: number): void {
  const s = a + b;
  const bb = s - a;
  SUM_HI = s;
  SUM_LO = (a - (s - bb)) + (b - bb);
}

function twoProd(a: number, b: number): void {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  PROD_HI = p;
  PROD_LO = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

function clip01(p: number): number {
  return p < 0 ? 0 : p > 1 ? 1 : p;
}

/** log(n! / n^n) by Stirling's series with n log n removed up front (SciPy's `_log_nfactorial_div_n_pow_n`). */
function logFactorialOverPower(n: number): number {
  const coeffs = [
    -2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3, 8.4175084175084175084e-4,
    -5.952380952380952381e-4, 7.9365079365079365079e-4, -2.7777777777777777778e-3, 8.3333333333333333333e-2,
  ];
  const rn = 1 / n;
  let poly = 0;
  for (const c of coeffs) poly = poly * (rn / n) + c;
  return Math.log(n) / 2 - n + Math.log(2 * Math.PI) / 2 + rn * poly;
}

/** Product of two m×m row-major matrices. */
function matmul(a: Float64Array, b: Float64Array, m: number): Float64Array<ArrayBuffer> {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k];
      if (aik === 0) continue;
      const row = k * m;
      const o = i * m;
      for (let j = 0; j < m; j++) out[o + j] += aik * b[row + j];
    }
  }
  return out;
}

/**
 * Pr(D_n <= d) by Durbin's matrix method as Marsaglia, Tsang & Wang (2003) evaluate it: the
 * k-th diagonal entry of H^n times n!/n^n, with a separately tracked power-of-two exponent.
 */
function durbinCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] = (1 - h ** j) * fac;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * fac;
  let H = new Float64Array(m * m);
  for (let i = 1; i < m; i++) {
    for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - i + 1];
  }
  for (let r = 0; r < m; r++) H[r * m] = v[r];
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c];

  let P = new Float64Array(m * m);
  for (let i = 0; i < m; i++) P[i * m + i] = 1;
  let nn = n;
  let expnt = 0;
  let hExpnt = 0;
  while (nn > 0) {
    if (nn % 2) {
      P = matmul(P, H, m);
      expnt += hExpnt;
    }
    H = matmul(H, H, m);
    hExpnt *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)]) > E128) {
      for (let i = 0; i < H.length; i++) H[i] /= E128;
      hExpnt += 128;
    }
    nn = Math.floor(nn / 2);
  }
  let p = P[(k - 1) * m + (k - 1)];
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= E128;
      expnt -= 128;
    }
  }
  if (expnt !== 0) p *= 2 ** expnt;
  return clip01(p);
}

/** The interval of non-zero entries of row i in Pomeranz's recursion. */
function pomeranzBounds(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const half = Math.floor((i + 1) / 2);
    if ((i + 1) % 2 === 0) {
      if (half === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = half - 1 - ll - roundf - 1;
        j2 = half + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = half - 1 - ll - 1;
      j2 = half + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** Pr(D_n <= x) by Pomeranz's (1974) recursion: rows are convolutions with Poisson-like weights. */
function pomeranzCdf(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gpower = new Float64Array(npwrs);
  const twogpower = new Float64Array(npwrs);
  const onem2gpower = new Float64Array(npwrs);
  gpower[0] = twogpower[0] = onem2gpower[0] = 1;
  const gn = g / n;
  const g2n = (2 * g) / n;
  const g12n = (1 - 2 * g) / n;
  for (let m = 1; m < npwrs; m++) {
    gpower[m] = (gpower[m - 1] * gn) / m;
    twogpower[m] = (twogpower[m - 1] * g2n) / m;
    onem2gpower[m] = (onem2gpower[m - 1] * g12n) / m;
  }
  let V0 = new Float64Array(npwrs);
  let V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let expnt = 0;
  let [j1, j2] = pomeranzBounds(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0);
    [j1, j2] = pomeranzBounds(i, n, ll, ceilf, roundf);
    const pwrs = i === 1 || i === 2 * n + 1 ? gpower : i % 2 ? twogpower : onem2gpower;
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      // Full convolution of V0[k1-V0s ..][0..ln2) with pwrs[0..ln2), keeping entries j1-k1 .. j2-k1.
      const base = k1 - V0s;
      const start = j1 - k1;
      const len = j2 - j1 + 1;
      let max = 0;
      for (let c = 0; c < len; c++) {
        const idx = start + c;
        let s = 0;
        for (let a = Math.max(0, idx - ln2 + 1); a <= Math.min(idx, ln2 - 1); a++) s += V0[base + a] * pwrs[idx - a];
        V1[c] = s;
        if (s > max) max = s;
      }
      if (max > 0 && max < EM128) {
        for (let c = 0; c < V1.length; c++) V1[c] *= E128;
        expnt -= 128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let ans = V1[n - V1s];
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > E128) {
      ans *= EM128;
      expnt += 128;
    }
    ans *= m;
  }
  if (expnt !== 0) ans *= 2 ** expnt;
  return clip01(ans);
}

/**
 * The Pelz–Good (1976) approximation to Pr(D_n <= x): the Li-Chien/Korolyuk expansion
 * K0 + K1/sqrt(n) + K2/n + K3/n^1.5, rewritten through Jacobi theta identities for small z.
 */
function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z3 = z2 * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const qlog = -PI2 / 8 / z2;
  if (qlog < -708) return 0;
  let q = Math.exp(qlog);
  const pi4 = PI2 * PI2;
  const pi6 = pi4 * PI2;
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (pi4 * (1 - 2 * z2)) / 16;
  const k3d = (pi6 * (5 - 30 * z2)) / 64;
  const k3c = (pi4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qp = q ** (8 * k);
    K[0] = K[0] * qp + 1;
    K[1] = K[1] * qp + (k1a + k1b * m2);
    K[2] = K[2] * qp + (k2a + k2b * m2 + k2c * m4);
    K[3] = K[3] * qp + (k3a + k3b * m2 + k3c * m4 + k3d * m6);
  }
  const div = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = (K[i] * q * SQRT_2PI) / div[i];
  q = Math.exp(-PI2 / 2 / z2);
  const sqrt3z = Math.sqrt(3) * z;
  let k2extra = 0;
  let k3extra = 0;
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k;
    const qk = q ** k2;
    const kpi = Math.PI * k;
    k2extra += k2 * qk;
    k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qk;
  }
  K[2] += (k2extra * PI2 * SQRT_2PI) / (-36 * z3);
  K[3] += (k3extra * PI2 * SQRT_2PI) / (216 * z6);
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += K[i] / n ** (i / 2);
  return sum;
}
