// The standard library's public surface: builtin implementations, detectors, globs, the
// user-regex guard, time arithmetic and the runtime error type.
export { BUILTIN_IMPLS, getBuiltin } from "./functions.ts";
export type { BuiltinImpl } from "./functions.ts";
export { DETECTOR_IMPLS, getDetector } from "./detectors.ts";
export type { Detector, Match } from "./detectors.ts";
export { compileGlob, like } from "./glob.ts";
export type { Glob } from "./glob.ts";
export { compilePolicyRegex, cachedPolicyRegex, DEFAULT_MAX_REGEX_INPUT } from "./regex-guard.ts";
export type { PolicyRegex, PolicyRegexOptions } from "./regex-guard.ts";
export { parseInstant, formatInstant, parseDuration, compareInstants, requireInstant, instantMinus, instantPlus } from "./time.ts";
export { PolicyRuntimeError } from "./errors.ts";
export type { PolicyRuntimeErrorCode } from "./errors.ts";
