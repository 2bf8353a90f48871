// The runtime's public face: load a policy set, decide, run its tests.
export { PolicySet, loadPolicySet, policyDigest, isPhase, DecisionInputError } from "./policy-set.ts";
export { MAX_INPUT_VALUES } from "../compile/values.ts";
export type { PolicySource, LoadOptions, DecideOptions } from "./policy-set.ts";
export { runTests, runTest, coverage } from "./tests.ts";
export type { TestOptions } from "./tests.ts";
export type { TestResult, UnreachedRule } from "./tests.ts";
export { combine, updateIn } from "./combine.ts";
export type { EffectOutcome, Firing, PathKey, PhaseSettings, RuleInfo } from "./combine.ts";
export type { Decision, DecisionKind, Reason, RuleError } from "./decision.ts";
export { MAX_MESSAGE_CHARS, MAX_MESSAGES_CHARS } from "./messages.ts";
export { PolicyRuntimeError } from "./stdlib/errors.ts";
