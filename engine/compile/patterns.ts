// Patterns as values (values.ts `PatternValue`), built the same way by both evaluators: a regex
// literal compiles through the regex guard, a detector comes from the standard library, and a
// string where a pattern is expected compiles as a regex (LANGUAGE.md: "The right side of
// `matches` may also be a string, compiled as a regex").
import { PolicyRuntimeError } from "../runtime/stdlib/errors.ts";
import { getDetector } from "../runtime/stdlib/detectors.ts";
import { cachedPolicyRegex, compilePolicyRegex } from "../runtime/stdlib/regex-guard.ts";
import { PatternValue, aTypeName, type Matcher } from "./values.ts";

/** A regex literal as a value, or the error compiling it gave. */
export function regexValue(pattern: string, flags: string): PatternValue | PolicyRuntimeError {
  try {
    return new PatternValue(compilePolicyRegex(pattern, flags), `/${pattern}/${flags}`);
  } catch (err) {
    if (err instanceof PolicyRuntimeError) return err;
    throw err;
  }
}

/** A detector as a value, or the error when it has no implementation. */
export function detectorValue(name: string): PatternValue | PolicyRuntimeError {
  const d = getDetector(name);
  return d === undefined ? new PolicyRuntimeError(`detector '${name}' has no implementation`) : new PatternValue(d, name);
}

/** The matcher a value stands for where a pattern is expected: a pattern, a string (as a regex), or null (matches nothing). */
/** A matcher that finds nothing (a `redact` whose pattern is null), shared by both evaluators. */
export const NO_MATCH: Matcher = { test: () => false, find: () => [] };

export function textMatcher(v: unknown, where: string): Matcher | null | PolicyRuntimeError {
  if (v === null || v === undefined) return null;
  if (v instanceof PatternValue) return v.matcher;
  if (typeof v === "string") {
    try {
      return cachedPolicyRegex(v);
    } catch (err) {
      if (err instanceof PolicyRuntimeError) return err;
      throw err;
    }
  }
  return new PolicyRuntimeError(`${where} needs a pattern or a string, got ${aTypeName(v)}`);
}
