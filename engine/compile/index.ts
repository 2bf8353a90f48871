// The compile part's public face: a checked program to a fast evaluator, the rule index,
// the reference interpreter kept for differential tests, and the shared value semantics.
export { CompiledProgram } from "./compile.ts";
export type { CompiledRule } from "./compile.ts";
export { pathReader } from "./compile-path.ts";
export type { PathReader } from "./compile-path.ts";
export { findPin, findPins, pinOn, buildPhaseIndex, readPath, rootPath } from "./index-rules.ts";
export type { Pin, PhaseIndex, Indexable } from "./index-rules.ts";
export { ReferenceInterpreter, replaceMatches, readPayloadPath, DEFAULT_REDACTION } from "./reference.ts";
export type { Matcher } from "./reference.ts";
export { Duration, equals, compare, truth, arithmetic, member, getField, getIndex, elements, displayValue, typeName } from "./values.ts";
export type { Value } from "./values.ts";
