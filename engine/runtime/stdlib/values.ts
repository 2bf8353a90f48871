// The value model builtins share with the evaluators (engine/compile/values.ts: JSON values
// plus `Duration`; instants are ISO-8601 strings), and the argument checks every builtin
// repeats: null in gives null out, a value of the wrong type is a PolicyRuntimeError that
// names the builtin, the argument and what it got.
import { Duration, PatternValue, typeName, type Value } from "../../compile/values.ts";
import { PolicyRuntimeError } from "./errors.ts";

export { Duration, typeName };
export type { Value };

/** A JSON object value. */
export type ObjectValue = { readonly [key: string]: Value };

/** True for a JSON object (not a list, not a duration, not a pattern, not null). */
export function isObject(v: Value | undefined): v is ObjectValue {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Duration) && !(v instanceof PatternValue);
}

/** A value's type and a short rendering for messages: `string "abc"`, `number 3`, `a list`. */
export function describe(v: Value | undefined): string {
  if (v === null || v === undefined) return "null";
  switch (typeof v) {
    case "string":
      return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
    case "number":
    case "boolean":
      return `${typeName(v)} ${v}`;
    default:
      if (v instanceof Duration) return "a duration";
      if (v instanceof PatternValue) return `pattern ${v.source}`;
      return Array.isArray(v) ? "a list" : "an object";
  }
}

/** The error for argument `index` (1-based) of builtin `fn` not being `wanted`. */
export function typeError(fn: string, index: number, wanted: string, got: Value | undefined): PolicyRuntimeError {
  return new PolicyRuntimeError(`${fn}: argument ${index} must be ${wanted}, got ${describe(got)}`, "runtime/type-error");
}

/** The error for an argument of the right type but an unusable value. */
export function invalidArgument(fn: string, message: string): PolicyRuntimeError {
  return new PolicyRuntimeError(`${fn}: ${message}`, "runtime/invalid-argument");
}

/** The signature every builtin implementation has: positional arguments, one result. */
export type BuiltinImpl = (...args: Value[]) => Value;

/** Argument `index` of `fn` as a string, or a type error. */
export function asString(fn: string, index: number, v: Value): string {
  if (typeof v !== "string") throw typeError(fn, index, "a string", v);
  return v;
}

/** Argument `index` of `fn` as a number, or a type error. */
export function asNumber(fn: string, index: number, v: Value): number {
  if (typeof v !== "number") throw typeError(fn, index, "a number", v);
  return v;
}

/** Argument `index` of `fn` as a list, or a type error. */
export function asList(fn: string, index: number, v: Value): readonly Value[] {
  if (!Array.isArray(v)) throw typeError(fn, index, "a list", v);
  return v as readonly Value[];
}

/** Argument `index` of `fn` as an object, or a type error. */
export function asObject(fn: string, index: number, v: Value): ObjectValue {
  if (!isObject(v)) throw typeError(fn, index, "an object", v);
  return v;
}

/** Argument `index` of `fn` as a duration, or a type error. */
export function asDuration(fn: string, index: number, v: Value): Duration {
  if (!(v instanceof Duration)) throw typeError(fn, index, "a duration", v);
  return v;
}
