// `palisade`, the package's main entry: the guard, policy sets and their decisions, and the
// errors an app catches. Each framework adapter is an entry of its own (`palisade/ai-sdk`,
// `palisade/openai-agents`, `palisade/openai`, `palisade/langchain`, `palisade/mcp`), so this
// one never loads a framework; the other parts are `palisade/audit`, `palisade/monitor`,
// `palisade/compliance`, `palisade/environments` and `palisade/service`.
export * from "../sdk/index.ts";
export { DecisionInputError, PolicySet, PolicyRuntimeError, loadPolicySet, policyDigest, runTests } from "../runtime/index.ts";
export type { DecideOptions, Decision, DecisionKind, LoadOptions, PolicySource, Reason, RuleError, TestResult } from "../runtime/index.ts";
export { diagnosticToJSON, renderDiagnostic } from "../../language/index.ts";
export type { Diagnostic, DiagnosticSeverity } from "../../language/index.ts";
export { MissingPeerError } from "./peer.ts";
