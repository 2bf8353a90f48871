/**
 * Compliance: evidence as a by-product of running. The controls catalogue (spec/controls) says
 * what each control needs and what the framework holds beyond it (scope); collect.ts gathers what
 * each control did from the audit log in one pure pass (spec/compliance-evidence.md), activity.ts
 * how often its rules ran; build.ts judges each control and attaches inclusion proofs for every
 * cited entry in a signed checkpoint; html.ts, oscal.ts and the JSON itself render it; verify.ts
 * re-checks it under a trusted key. evidence.ts reads the records other parts write (decisions,
 * promotions, drift alerts, pack test runs) and builds the ones compliance defines.
 */
export { CATALOGUE_DIR, FRAMEWORK_NAMES, REPO_ROOT, findCatalogue, labelOf, loadCatalogues, oscalControlId, scopeOf, splitControlRef } from "./catalogue.ts";
export type { Catalogue, Control, Fact, Scope, ScopeUnit } from "./catalogue.ts";
export { NO_POLICY_DIGEST, acknowledges, driftAlertRecord, driftHandlingRecord, packTestRunRecord, promotionRecord, readLoggedRecord } from "./evidence.ts";
export type {
  ApprovalOutcomeEvidence,
  Approver,
  ChangeEvidence,
  DriftAlertEvidence,
  DriftHandlingAction,
  DriftHandlingEvidence,
  EvidenceContext,
  EvidenceEvent,
  LoggedDecision,
  LoggedEvent,
  LoggedReason,
  LoggedRecord,
  PackTestRunEvidence,
  PromotionEvidence,
  PromotionGate,
} from "./evidence.ts";
export { EvidenceCollector, MAX_SAMPLES, citeDecision, citeRecord } from "./collect.ts";
export type {
  ChangeCitation,
  CollectOptions,
  CollectedEvidence,
  ControlFacts,
  DecisionCitation,
  DriftAlertCitation,
  ExceptionCitation,
  ExceptionKind,
  HandlingCitation,
  LogIntegrity,
  OperatingCitation,
  OperatingCounts,
  OperatingKind,
  OutcomeCounts,
  TestRunCitation,
  Timeline,
} from "./collect.ts";
export { givenRules } from "./activity.ts";
export type { GivenRule, InForceBasis, PolicyVersion, RuleActivity } from "./activity.ts";
export { coverage } from "./coverage.ts";
export type { ControlCoverage, Coverage, RuleMapping } from "./coverage.ts";
export { REPORT_FORMAT, STATUSES, citedIndices, controlStatus, exceptionEntries, operatingTotal } from "./report.ts";
export type { CitedEntry, ControlReport, ControlStatus, LogAnchor, Report, ReportTestRun } from "./report.ts";
export { buildReport, collectFromStore } from "./build.ts";
export type { BuildReportOptions, CollectFromStoreOptions } from "./build.ts";
export { EMBEDDED_REPORT_ID, PAGE_ROWS, toHtml } from "./html.ts";
export { timelineSvg } from "./chart.ts";
export { EMBEDDED_REPORT_TITLE, OSCAL_VERSION, PALISADE_NS, nameUuid, planFileFor, toAssessmentPlan, toOscal } from "./oscal.ts";
export { extractReport } from "./container.ts";
export { stableJson, verifyReport } from "./verify.ts";
export type { ReportVerification, VerifyReportOptions } from "./verify.ts";
export { ComplianceError } from "./errors.ts";
export type { ComplianceErrorCode } from "./errors.ts";
