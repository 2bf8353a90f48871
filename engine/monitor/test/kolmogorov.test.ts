// The Kolmogorov distributions in every region of Simard & L'Ecuyer's method choice, against
// SciPy 1.17's kstwo.sf, smirnov and kolmogorov (the drift vectors only reach some regions).
import { test } from "node:test";
import assert from "node:assert/strict";
import { kolmogorovSf, kstwoSf, smirnovSf } from "../stats/kolmogorov.ts";
import { assertClose } from "./drift-vectors.ts";

const TOL = { rel: 1e-10, abs: 1e-15 };

test("kstwo.sf in each region (Durbin, Pomeranz, 2*smirnov, Pelz-Good, Ruben-Gambino)", () => {
  const cases: [number, number, number, string][] = [
    [10, 0.1, 0.99963712, "Ruben-Gambino t <= 1"],
    [3, 0.9, 0.0019999999999999987, "Ruben-Gambino t >= n-1"],
    [10, 0.25, 0.4841115325000003, "Durbin matrix, n <= 140"],
    [50, 0.1, 0.6623112704658186, "Durbin matrix"],
    [50, 0.2, 0.03143877776953241, "Pomeranz"],
    [100, 0.35, 1.865228719089831e-11, "2*smirnov, n <= 140"],
    [141, 0.05, 0.854845693009663, "Pelz-Good just above n = 140"],
    [300, 0.01, 0.9999999999999992, "Durbin matrix, n > 140"],
    [1000, 0.02, 0.8108971656895577, "Pelz-Good"],
    [1000, 0.03, 0.3226902143914636, "Pelz-Good"],
    [1000, 0.06, 0.001428597887952891, "2*smirnov"],
    [5000, 0.012, 0.4639912166690192, "Pelz-Good"],
    [200000, 0.002, 0.39995085369038097, "Pelz-Good, n > 100000"],
  ];
  for (const [n, x, want, region] of cases) assertClose(kstwoSf(n, x), want, TOL, `kstwo.sf(${x}, ${n}) [${region}]`);
  assert.equal(kstwoSf(5, 0), 1);
  assert.equal(kstwoSf(5, 1), 0);
  assert.equal(kstwoSf(5, 0.05), 1);
  assert.ok(Number.isNaN(kstwoSf(0, 0.5)) && Number.isNaN(kstwoSf(2.5, 0.5)));
});

test("smirnov one-sided tail, including large n where terms over- and underflow", () => {
  assertClose(smirnovSf(5, 0.3), 0.34282, TOL, "smirnov(5, 0.3)");
  assertClose(smirnovSf(100, 0.1), 0.1265906584562817, TOL, "smirnov(100, 0.1)");
  assertClose(smirnovSf(2000, 0.05), 4.371547897947515e-05, TOL, "smirnov(2000, 0.05)");
  assertClose(2 * smirnovSf(90909, 0.03), 1.6292833223291255e-71, { rel: 1e-10, abs: 0 }, "2*smirnov(90909, 0.03)");
  assert.equal(smirnovSf(10, 0), 1);
  assert.equal(smirnovSf(10, 1), 0);
});

test("kolmogorov limiting distribution on both sides of the series cut-over", () => {
  assertClose(kolmogorovSf(0.5), 0.9639452436648751, TOL, "K(0.5)");
  assertClose(kolmogorovSf(1), 0.26999967167735456, TOL, "K(1)");
  assertClose(kolmogorovSf(1.5), 0.022217962616525127, TOL, "K(1.5)");
  assert.equal(kolmogorovSf(0), 1);
  assert.ok(kolmogorovSf(0.8199) > kolmogorovSf(0.8201));
});
