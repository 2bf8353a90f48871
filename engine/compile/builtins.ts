// Builtin implementations by name, as both evaluators call them. The table of names and
// signatures is language/builtins.ts; the implementations live in engine/runtime/stdlib.
import { PolicyRuntimeError } from "../runtime/stdlib/errors.ts";
import type { Value } from "./values.ts";

/** Calls the builtin `name` with evaluated arguments. */
export function callBuiltin(name: string, _args: readonly Value[]): Value {
  throw new PolicyRuntimeError(`builtin '${name}' is not implemented yet`);
}
