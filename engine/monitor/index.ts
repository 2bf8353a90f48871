/**
 * Behavioural monitoring: a telemetry event per decision, recorded off the decision path and
 * kept as windowed aggregates beside the audit log; named baselines; monitors declared in a
 * config file; drift runs (with Benjamini–Hochberg across metrics); output evaluators; alerts
 * with hysteresis to a webhook, the log and OpenTelemetry; decisions exported as OTel spans.
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

export { eventFromDecision, totalTokens } from "./event.ts";
export type { DecisionContext, DecisionEvent, TokenUse } from "./event.ts";
export { Monitor } from "./monitor.ts";
export type { FlushResult, MonitorOptions } from "./monitor.ts";
export { EventQueue } from "./queue.ts";
export { NO_TOOL, addEvent, aggregateFromJson, aggregateToJson, emptyAggregate, mergeAggregates } from "./aggregate.ts";
export type { Aggregate, AggregateJson, Counts, Evaluations } from "./aggregate.ts";
export { DEFAULT_SAMPLE_CAP } from "./sample.ts";
export type { Sample } from "./sample.ts";
export { MonitorError } from "./errors.ts";
export type { MonitorErrorCode } from "./errors.ts";
export { openMonitorStore } from "./store.ts";
export type { AlertState, Baseline, BaselineSelector, BucketKey, BucketQuery, BucketRecord, MonitorStore, StoredEvent } from "./store.ts";
export { MemoryMonitorStore } from "./memory-store.ts";
export { WINDOW_SAMPLE_CAP, createBaseline, resolveBaseline } from "./baseline.ts";
export type { CreateBaselineOptions } from "./baseline.ts";
export { DEFAULT_MONITORS, DEFAULT_THRESHOLDS, P_VALUE_TESTS, TESTS_BY_KIND, defaultMonitorConfig, loadMonitorConfig, parseMonitorConfig } from "./config.ts";
export type { AlertsConfig, MonitorConfig, MonitorSpec, TestName } from "./config.ts";
export { expandMetric, metricKind, metricValue } from "./metrics.ts";
export type { MetricValue } from "./metrics.ts";
export { evaluateDrift } from "./drift.ts";
export type { ChartData, MetricResult, Verdict } from "./drift.ts";
export { runDrift } from "./run.ts";
export type { DriftReport, DriftRunOptions } from "./run.ts";
export { renderReport } from "./report.ts";
export type { RenderOptions } from "./report.ts";
export { bar, barRows, sparkline } from "./chart.ts";
export { DEFAULT_PII_DETECTORS, answerLengthEvaluator, customEvaluator, piiLeakEvaluator, refusalEvaluator } from "./evaluators.ts";
export type { EvaluationResult, Evaluator, EvaluatorOptions } from "./evaluators.ts";
export { Alerter, logSink, otelSink, webhookSink } from "./alerts.ts";
export type { Alert, AlertSink, AlerterOptions } from "./alerts.ts";
export { TRACER_NAME, decisionAttributes, exportDecisionSpan, operationName, spanName } from "./otel.ts";
export { formatDuration, parseDuration, parseInstant } from "./duration.ts";
export { seededRandom } from "./random.ts";
export type { Random } from "./random.ts";
