/**
 * Environments, signed policy bundles and promotion with gates.
 *
 * - bundle.ts: a bundle is one JSON file (`palisade.bundle/1`): sources, their policy digest,
 *   the compiler version, tool schemas, metadata, and a C2SP signed note (Ed25519) whose text
 *   names the bundle digest (RFC 8785 JSON of every other field) and the policy digest.
 *   `loadBundle(file, trustedKeys)` refuses unsigned ("bundle/unsigned"), untrusted
 *   ("bundle/untrusted") and tampered ("bundle/tampered") bundles with an EnvironmentError.
 * - config.ts: `palisade.environments.json`, validated with ajv (CONFIG_SCHEMA): environments in
 *   pipeline order, each with its bundle file, state folder, trusted keys, default mode, audit
 *   log, monitor store and the promotion gates into it; approvers and their roles.
 * - state.ts: the install stack of an environment (current, previous) and atomic bundle swaps.
 * - handle.ts: EnvironmentHandle, what a guard or service holds: `current()` (read once per
 *   decision), `reload()`, `watch()`; a bundle that fails to load leaves the old one serving.
 * - replay.ts, gates.ts, promotion.ts: replay of recorded traffic, the four gates, promote and
 *   rollback.
 * - records.ts, log-io.ts: the audit records of promotions and rollbacks, and the drift-alert
 *   convention.
 *
 * Audit conventions this part relies on (for recorders and report writers):
 * - `input` (optional) on a decision record: the object the engine decided on. Replay needs it
 *   and checks it against `input_digest`; records without it are counted, not replayed.
 * - Promotion and rollback records (ChangeRecord): `phase` "promotion" | "rollback", `decision`
 *   allow (changed) or deny (blocked), `reasons` one `gate.<name>` per failed gate,
 *   `policy_digest` the bundle's, and `event` (ChangeEvent: type, outcome, who, from, to,
 *   bundle_digest, previous_digest, version, signers, gates[{gate, passed, detail}]).
 * - Drift alerts, when an environment has no monitor store: records with `phase` "drift_alert"
 *   and `drift_alert: { key, status: "open" | "resolved", message }`; the newest per key wins.
 *   With a monitor store, an alert is open while its AlertState is not re-armed.
 */
export { BUNDLE_FORMAT, COMPILER_VERSION, buildBundle, bundleDigest, loadBundle, parseBundle, policySetOf, readBundleFile, serializeBundle, verifyBundle } from "./bundle.ts";
export type { BuildOptions, Bundle, BundleBody, VerifiedBundle } from "./bundle.ts";
export { CONFIG_FILE, CONFIG_SCHEMA, environment, loadEnvironmentsConfig, parseEnvironmentsConfig } from "./config.ts";
export type { ApprovalConfig, EnvironmentConfig, EnvironmentsConfig, PromotionConfig } from "./config.ts";
export { EnvironmentError } from "./errors.ts";
export type { EnvironmentErrorCode } from "./errors.ts";
export { approvalGate, driftGate, replayGate, testsGate } from "./gates.ts";
export { EnvironmentHandle } from "./handle.ts";
export type { HandleOptions, ReloadResult } from "./handle.ts";
export { readSignerKey, readVerifierKey, writeKeyPair } from "./keys.ts";
export { appendGovernanceRecord, scanRecords } from "./log-io.ts";
export type { ScannedRecord } from "./log-io.ts";
export { promote, rollback } from "./promotion.ts";
export type { PromoteOptions, PromotionResult, RollbackOptions, RollbackOutcome } from "./promotion.ts";
export { changeRecord, driftAlertRecord } from "./records.ts";
export type { ChangeEvent, ChangeRecord, DriftAlertRecord, GateName, GateResult, GovernanceRecord } from "./records.ts";
export { formatReplay, replay, replayRecords } from "./replay.ts";
export type { ReplayChange, ReplayOptions, ReplayResult, ReplaySummary } from "./replay.ts";
export { currentBundle, install, readState, rollbackState, writeAtomically } from "./state.ts";
export type { EnvironmentState, Installed, RollbackResult } from "./state.ts";
