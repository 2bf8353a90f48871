/**
 * Behavioural monitoring: drift statistics first (events, baselines, monitors and alerts build
 * on them).
 *
 * The statistics are plain functions on number arrays that match SciPy (and Evidently where
 * Evidently defines the test) to the digits the shared vectors check, written from first
 * principles: chi-square homogeneity and goodness of fit, two-sample Kolmogorov–Smirnov
 * (exact and asymptotic p-values), Jensen–Shannon and Wasserstein distances, PSI, the pooled
 * two-proportion z-test and Benjamini–Hochberg. Bad input throws a StatsError with a stable code.
 */
export { StatsError } from "./stats/errors.ts";
export type { StatsErrorCode } from "./stats/errors.ts";
export { chiSquareGoodnessOfFit, chiSquareHomogeneity } from "./stats/chi-square.ts";
export type { ChiSquareGoodnessOfFitResult, ChiSquareHomogeneityOptions, ChiSquareHomogeneityResult } from "./stats/chi-square.ts";
export { KS_MAX_AUTO_N, ksTwoSample, roundHalfEven } from "./stats/ks.ts";
export type { KsMethod, KsOptions, KsResult } from "./stats/ks.ts";
export { jensenShannon, populationStd, wasserstein, wassersteinNormed } from "./stats/distance.ts";
export type { JensenShannonOptions, JensenShannonResult, WassersteinOptions } from "./stats/distance.ts";
export { PSI_EPSILON, binCounts, psi, quantileEdges } from "./stats/psi.ts";
export type { PsiOptions, PsiResult } from "./stats/psi.ts";
export { twoProportionZ } from "./stats/proportions.ts";
export type { TwoProportionResult } from "./stats/proportions.ts";
export { benjaminiHochberg } from "./stats/multiple-testing.ts";
export type { BenjaminiHochbergResult } from "./stats/multiple-testing.ts";
export { chiSquareSf, erfc, logGamma, normalCdf, normalSf, regularizedGammaP, regularizedGammaQ } from "./stats/special.ts";
export { kolmogorovSf, kstwoSf, smirnovSf } from "./stats/kolmogorov.ts";
