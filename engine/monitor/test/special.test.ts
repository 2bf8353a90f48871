// Special functions against values from SciPy 1.17 (scipy.special / scipy.stats) and closed forms.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { chiSquareSf, erfc, logGamma, normalCdf, normalSf, regularizedGammaP, regularizedGammaQ } from "../stats/special.ts";
import { assertClose } from "./drift-vectors.ts";

const REL = { rel: 1e-12, abs: 0 };

test("logGamma matches log((n-1)!) and Γ(1/2) = sqrt(pi)", () => {
  let f = 1;
  for (let n = 1; n <= 30; n++) {
    assertClose(logGamma(n), Math.log(f), { rel: 1e-13, abs: 1e-14 }, `logGamma(${n})`);
    f *= n;
  }
  assertClose(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), REL, "logGamma(1/2)");
  assertClose(logGamma(1000.3), 5907.292644785879, REL, "logGamma(1000.3)");
  assert.ok(Number.isNaN(logGamma(0)) && Number.isNaN(logGamma(-1)));
});

test("incomplete gamma: P + Q = 1 and SciPy's gammainc/gammaincc", () => {
  assertClose(regularizedGammaQ(3.5, 2), 0.779777408475716, REL, "Q(3.5, 2)");
  assertClose(regularizedGammaP(3.5, 2), 0.22022259152428406, REL, "P(3.5, 2)");
  fc.assert(
    fc.property(fc.double({ min: 0.05, max: 200, noNaN: true }), fc.double({ min: 0, max: 400, noNaN: true }), (a, x) => {
      const s = regularizedGammaP(a, x) + regularizedGammaQ(a, x);
      return Math.abs(s - 1) < 1e-12;
    }),
  );
});

test("chi-square tail: closed form for 2 dof, far tail, SciPy values", () => {
  for (const x of [0.1, 1, 10, 100, 1000]) assertClose(chiSquareSf(x, 2), Math.exp(-x / 2), REL, `chi2.sf(${x}, 2)`);
  assertClose(chiSquareSf(941.5686274509804, 1), 9.026604757544632e-207, { rel: 1e-12, abs: 0 }, "far tail");
  assertClose(chiSquareSf(3000, 2500), 1.394560659466454e-11, { rel: 1e-11, abs: 0 }, "large dof, tail");
  assertClose(chiSquareSf(2400, 2500), 0.9227857729771832, { rel: 1e-12, abs: 0 }, "large dof, body");
  assert.equal(chiSquareSf(0, 3), 1);
  assert.ok(Number.isNaN(chiSquareSf(1, 0)));
});

test("erfc and the normal distribution, including the far tail", () => {
  assert.equal(erfc(0), 1);
  assertClose(erfc(3), 2.2090496998585445e-05, REL, "erfc(3)");
  assertClose(normalCdf(-1.5), 0.06680720126885807, REL, "norm.cdf(-1.5)");
  assertClose(normalSf(25.13812350440672), 9.529440556543852e-140, { rel: 1e-12, abs: 0 }, "norm.sf(25.1)");
  fc.assert(fc.property(fc.double({ min: -30, max: 30, noNaN: true }), (z) => Math.abs(normalCdf(z) + normalSf(z) - 1) < 1e-15 && normalSf(z) === normalCdf(-z)));
});
