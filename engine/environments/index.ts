/**
 * Environments, signed policy bundles, and the only three ways to change what an environment
 * serves: a build into the first environment, a promotion into the next one through its gates,
 * and a rollback to the previous distinct bundle. Decisions and their reasons: spec/environments.md.
 *
 * - bundle.ts: a bundle is one JSON file (`palisade.bundle/1`): sources, their policy digest,
 *   the compiler version, tool schemas, metadata, and a C2SP signed note (Ed25519) whose text
 *   names the bundle digest (RFC 8785 JSON of every other field) and the policy digest; build
 *   keys sign it, and each environment that installs it adds its attestation (attestBundle).
 * - config.ts: `palisade.environments.json`, validated with ajv (CONFIG_SCHEMA): environments in
 *   pipeline order, each with its own key, bundle file, state folder, trusted build keys, default
 *   mode, audit log, monitor store and gates; approvers with their roles and verifier keys.
 * - state.ts: an environment's signed state (install stack, sequence number) and what it serves
 *   (currentBundle: only the bundle the state names, attested by the environment's key).
 * - approvals.ts: signed approvals (`palisade.approval/1` notes) and how they are judged.
 * - handle.ts: EnvironmentHandle and openEnvironment, what a guard or service holds: `current()`
 *   (read once per decision), `reload()`, `watch()`; a refused bundle leaves the old one serving
 *   and is recorded. status.ts: which bundle each serving node runs.
 * - replay.ts, gates.ts, drift.ts, promotion.ts: replay of recorded traffic, the gates, and
 *   buildInto / promote / rollback, each attempt recorded.
 * - records.ts, log-io.ts: the audit records (the contract with compliance reports) and signed
 *   appends to an environment's log.
 */
export { APPROVAL_FORMAT, approvalId, approvalText, checkApprovals, parseApprovalText, promotionRule, rollbackRule, signApproval } from "./approvals.ts";
export type { ApprovalCheck, ApprovalRequest, ApprovalRule, ApprovalText } from "./approvals.ts";
export { BUNDLE_FORMAT, COMPILER_VERSION, attestBundle, buildBundle, bundleDigest, loadBundle, parseBundle, policySetOf, readBundleFile, serializeBundle, verifyBundle } from "./bundle.ts";
export type { BuildOptions, Bundle, BundleBody, VerifiedBundle } from "./bundle.ts";
export { CONFIG_FILE, CONFIG_SCHEMA, environment, environmentOfBundle, loadEnvironmentsConfig, parseEnvironmentsConfig } from "./config.ts";
export type { ApprovalConfig, Approver, EnvironmentConfig, EnvironmentsConfig, PromotionConfig } from "./config.ts";
export { ALERT_STATES, alertBlocks, alertEffect, alertStatesInLog, driftGate, nextAlertState } from "./drift.ts";
export type { AlertEffect, AlertState } from "./drift.ts";
export { EnvironmentError } from "./errors.ts";
export type { EnvironmentErrorCode } from "./errors.ts";
export { approvalGate, replayGate, testsGate } from "./gates.ts";
export type { ReplayInput } from "./gates.ts";
export { EnvironmentHandle, openEnvironment } from "./handle.ts";
export type { HandleOptions, OpenEnvironmentOptions, RefusalReport, ReloadResult } from "./handle.ts";
export { isVerifierKeyText, readSignerFor, readSignerKey, readVerifierKey, writeKeyPair } from "./keys.ts";
export { appendGovernanceRecord, appendGovernanceTo, environmentLog, openSignedLog, scanIfExists, scanRecords, signCheckpoint } from "./log-io.ts";
export type { Appended, LogLocation, ScannedRecord } from "./log-io.ts";
export { buildInto, checkOrder, promote, rollback, usedApprovals } from "./promotion.ts";
export type { BuildIntoOptions, ChangeResult, PromoteOptions, RollbackOptions } from "./promotion.ts";
export { NO_POLICY_DIGEST, REPLAY_EXAMPLES, bundleRefusalRecord, changeRecord, driftAlertRecord, isChange } from "./records.ts";
export type { ApprovalEvidence, BundleRefusal, BundleRefusalRecord, ChangeEvent, ChangeRecord, DriftAlertRecord, DriftAlertStatus, GateName, GateResult, GovernanceRecord, Refusal, ReplayEvidence, ReplayExample, ReplayReport } from "./records.ts";
export { formatReplay, replay, replayRecords, replayReport } from "./replay.ts";
export type { ReplayChange, ReplayOptions, ReplayResult, ReplaySummary } from "./replay.ts";
export { STACK_LIMIT, STATE_FORMAT, currentBundle, install, readState, rollbackState, rollbackTarget, storedBundleFile, writeAtomically } from "./state.ts";
export type { EnvironmentState, InstallOptions, InstallResult, Installed, RollbackResult, ServedBundle } from "./state.ts";
export { defaultNodeName, readNodeStatuses, removeNodeStatus, writeNodeStatus } from "./status.ts";
export type { NodeStatus } from "./status.ts";
