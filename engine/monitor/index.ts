/**
 * Behavioural monitoring: a telemetry event per decision and per outcome (the action's wall time,
 * error, tokens, output size), recorded off the decision path and kept as windowed aggregates
 * beside the audit log; named baselines calibrated on their own variability; monitors declared in
 * a config file over several windows; drift runs (exact and calibrated tests, Benjamini–Hochberg
 * across metrics); answer descriptors and evaluators; alerts with hysteresis that are audit
 * entries, acknowledged by name, sent to webhooks, the log and OpenTelemetry.
 *
 * The statistics are plain functions on number arrays that match SciPy (and Evidently where
 * Evidently defines the test) to the digits the shared vectors check, written from first
 * principles: chi-square homogeneity and goodness of fit, two-sample Kolmogorov–Smirnov
 * (exact and asymptotic p-values), Jensen–Shannon and Wasserstein distances, PSI, the pooled
 * two-proportion z-test, Fisher's exact test, the exact binomial and Poisson rate tests, and
 * Benjamini–Hochberg. Bad input throws a StatsError with a stable code.
 */
export { StatsError } from "./stats/errors.ts";
export type { StatsErrorCode } from "./stats/errors.ts";
export { chiSquareGoodnessOfFit, chiSquareHomogeneity } from "./stats/chi-square.ts";
export type { ChiSquareGoodnessOfFitResult, ChiSquareHomogeneityOptions, ChiSquareHomogeneityResult } from "./stats/chi-square.ts";
export { KS_MAX_AUTO_N, ksStatisticSorted, ksTwoSample, ksTwoSampleSorted, roundHalfEven } from "./stats/ks.ts";
export type { KsMethod, KsOptions, KsResult } from "./stats/ks.ts";
export { jensenShannon, populationStd, wasserstein, wassersteinNormed } from "./stats/distance.ts";
export type { JensenShannonOptions, JensenShannonResult, WassersteinOptions } from "./stats/distance.ts";
export { PSI_EPSILON, binCounts, psi, quantileEdges } from "./stats/psi.ts";
export type { PsiOptions, PsiResult } from "./stats/psi.ts";
export { twoProportionZ } from "./stats/proportions.ts";
export { binomialPmf, binomialTest, fisherExact, hypergeometricPmf, poissonRateTest } from "./stats/exact.ts";
export type { BinomialTestResult, FisherResult, PoissonRateResult } from "./stats/exact.ts";
export type { TwoProportionResult } from "./stats/proportions.ts";
export { benjaminiHochberg } from "./stats/multiple-testing.ts";
export type { BenjaminiHochbergResult } from "./stats/multiple-testing.ts";
export { chiSquareSf, erfc, logGamma, normalCdf, normalSf, regularizedGammaP, regularizedGammaQ } from "./stats/special.ts";
export { kolmogorovSf, kstwoSf, smirnovSf } from "./stats/kolmogorov.ts";

export { NO_TOOL, eventFromDecision, isOutcome, outcomeTarget, totalTokens } from "./event.ts";
export type { DecisionContext, DecisionEvent, EventSubject, OutcomeError, OutcomeEvent, ParentSpan, TelemetryEvent, TokenUse } from "./event.ts";
export { Monitor } from "./monitor.ts";
export { SESSION_CAP, SESSION_IDLE_MS, SessionTracker } from "./sessions.ts";
export { CHUNK_STRIDE_MS, MIN_CHUNKS, MIN_CHUNK_N, calibrate, dispersionOf } from "./calibration.ts";
export type { Calibration } from "./calibration.ts";
export { EXACT_KS_MAX_PRODUCT, KS_NULL_MEAN, MIN_EXPECTED, compare, poolSparse, pooledChiSquare } from "./comparisons.ts";
export type { Comparison } from "./comparisons.ts";
export { defaultDescriptors, detectLanguage, languageEvaluator } from "./descriptors.ts";
export type { FlushResult, MonitorOptions } from "./monitor.ts";
export { EventQueue } from "./queue.ts";
export { addEvent, aggregateFromJson, aggregateToJson, emptyAggregate, mergeAggregates } from "./aggregate.ts";
export type { Aggregate, AggregateJson, Counts, Evaluations } from "./aggregate.ts";
export { DEFAULT_SAMPLE_CAP, sortedValues } from "./sample.ts";
export type { Sample } from "./sample.ts";
export { MonitorError } from "./errors.ts";
export type { MonitorErrorCode } from "./errors.ts";
export { openMonitorStore } from "./store.ts";
export type { Acknowledgment, AlertQuery, AlertRecord, AlertState, Baseline, BaselineSelector, BucketKey, BucketQuery, BucketRecord, MonitorStore, StoredEvent } from "./store.ts";
export { MemoryMonitorStore } from "./memory-store.ts";
export { DEFAULT_CALIBRATED_WINDOWS, WINDOW_SAMPLE_CAP, createBaseline, resolveBaseline, withCalibrations } from "./baseline.ts";
export type { CreateBaselineOptions } from "./baseline.ts";
export { DEFAULT_MONITORS, DEFAULT_THRESHOLDS, DEFAULT_WINDOWS, P_VALUE_TESTS, TESTS_BY_KIND, defaultMonitorConfig, loadMonitorConfig, parseMonitorConfig } from "./config.ts";
export type { AlertsConfig, MonitorConfig, MonitorSpec, TestName } from "./config.ts";
export { NUMERIC, concreteMetrics, expandMetric, metricFamily, metricKind, metricValue } from "./metrics.ts";
export type { MetricValue } from "./metrics.ts";
export { evaluateDrift } from "./drift.ts";
export type { ChartData, MetricResult, Moved, Verdict } from "./drift.ts";
export { runDrift } from "./run.ts";
export type { DriftReport, DriftRunOptions } from "./run.ts";
export { renderReport } from "./report.ts";
export type { RenderOptions } from "./report.ts";
export { bar, barRows, sparkline } from "./chart.ts";
export { DEFAULT_PII_DETECTORS, answerLengthEvaluator, customEvaluator, piiLeakEvaluator, refusalEvaluator } from "./evaluators.ts";
export type { EvaluationResult, Evaluator, EvaluatorOptions } from "./evaluators.ts";
export { Alerter, MONITOR_ACTOR, acknowledgeAlert, alertAuditRecord, alertKey, auditSink, logSink, otelSink, webhookSink } from "./alerts.ts";
export type { Alert, AlertSink, AlerterOptions, AuditAppender } from "./alerts.ts";
export { TRACER_NAME, activeSpanContext, decisionAttributes, driftMetrics, exportDecisionSpan, exportOutcomeSpan, exportSpan, monitorMetrics, operationName, outcomeAttributes, parentFromTraceparent, spanName } from "./otel.ts";
export type { DriftMetrics, MonitorCounters } from "./otel.ts";
export { otelRequested, parseKeyValues, startTelemetry } from "./telemetry.ts";
export type { OtelConfig, Telemetry } from "./telemetry.ts";
export { formatDuration, parseDuration, parseInstant } from "./duration.ts";
export { seededRandom } from "./random.ts";
export type { Random } from "./random.ts";
