/**
 * Compliance: evidence as a by-product of running. The controls catalogue (spec/controls) says
 * what each control needs; collect.ts gathers it from the audit log in one pure pass; build.ts
 * judges each control and attaches inclusion proofs for every cited entry in a signed
 * checkpoint; html.ts, oscal.ts and the JSON itself render it; verify.ts re-checks it.
 * evidence.ts fixes the shapes of the non-decision records (promotions, drift alerts, pack
 * test runs) that other parts write into the log.
 */
export { CATALOGUE_DIR, FRAMEWORK_NAMES, REPO_ROOT, findCatalogue, loadCatalogues, splitControlRef } from "./catalogue.ts";
export type { Catalogue, Control, Fact } from "./catalogue.ts";
export {
  NO_POLICY_DIGEST,
  driftAlertRecord,
  driftHandlingRecord,
  packTestRunRecord,
  promotionRecord,
  readLoggedRecord,
} from "./evidence.ts";
export type {
  ApprovalOutcomeEvidence,
  Approver,
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
export { EvidenceCollector, MAX_CITED, citeDecision, citeRecord, hasEvidence } from "./collect.ts";
export type {
  CollectedEvidence,
  ControlFacts,
  DecisionCitation,
  DriftAlertCitation,
  ExceptionCitation,
  ExceptionKind,
  HandlingCitation,
  OutcomeCounts,
  PolicyVersion,
  PromotionCitation,
  TestRunCitation,
  Timeline,
} from "./collect.ts";
export { coverage } from "./coverage.ts";
export type { ControlCoverage, Coverage, RuleMapping } from "./coverage.ts";
export { REPORT_FORMAT, citedIndices } from "./report.ts";
export type { CitedEntry, ControlReport, ControlStatus, LogAnchor, Report, ReportTestRun } from "./report.ts";
export { buildReport, collectFromStore } from "./build.ts";
export type { BuildReportOptions } from "./build.ts";
export { EMBEDDED_REPORT_ID, toHtml } from "./html.ts";
export { timelineSvg } from "./chart.ts";
export { EMBEDDED_REPORT_TITLE, OSCAL_VERSION, PALISADE_NS, controlToken, nameUuid, toOscal } from "./oscal.ts";
export { extractReport } from "./container.ts";
export { stableJson, verifyReport } from "./verify.ts";
export type { ReportVerification, VerifyReportOptions } from "./verify.ts";
export { ComplianceError } from "./errors.ts";
export type { ComplianceErrorCode } from "./errors.ts";
