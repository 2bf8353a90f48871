// Builtin implementations by name, as both evaluators call them. The table of names and
// signatures is language/builtins.ts; the core implementations live in engine/runtime/stdlib,
// the `jsonlogic.*` family (JSON Logic's semantics, for imported rules) beside its importer.
import { JSONLOGIC_SEMANTICS } from "../../language/jsonlogic-semantics.ts";
import { PolicyRuntimeError } from "../runtime/stdlib/errors.ts";
import { getBuiltin, type BuiltinImpl } from "../runtime/stdlib/functions.ts";
import type { Value } from "./values.ts";

const JSONLOGIC_PREFIX = "jsonlogic.";

function jsonLogicImpl(name: string): BuiltinImpl | undefined {
  const f = Object.hasOwn(JSONLOGIC_SEMANTICS, name) ? JSONLOGIC_SEMANTICS[name] : undefined;
  if (!f) return undefined;
  // JSON Logic returns `undefined` for "no value"; policies see null.
  return (...args: Value[]) => (f(...args) ?? null) as Value;
}

/** The implementation of builtin `name`, or undefined when there is none (a test holds the table and the implementations in step). */
export function builtinImpl(name: string): BuiltinImpl | undefined {
  return name.startsWith(JSONLOGIC_PREFIX) ? jsonLogicImpl(name.slice(JSONLOGIC_PREFIX.length)) : getBuiltin(name);
}

/** Calls the builtin `name` with evaluated arguments. */
export function callBuiltin(name: string, args: readonly Value[]): Value {
  const f = builtinImpl(name);
  if (!f) throw new PolicyRuntimeError(`builtin '${name}' has no implementation`);
  return f(...args);
}
