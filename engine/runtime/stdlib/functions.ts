// The implementations of every builtin function, registered by the name language/builtins.ts
// declares it under (a test holds the two tables in step, arities included). Each takes its
// arguments positionally so that compiled code calls it without building an array.
import { ADDRESS_BUILTINS } from "./addresses.ts";
import { CONVERSION_BUILTINS } from "./conversions.ts";
import { LIST_BUILTINS } from "./lists.ts";
import { NUMBER_BUILTINS } from "./numbers.ts";
import { PROVENANCE_BUILTINS } from "./provenance.ts";
import { STRING_BUILTINS } from "./strings.ts";
import { TIME_BUILTINS } from "./time-functions.ts";
import type { BuiltinImpl } from "./values.ts";

export type { BuiltinImpl } from "./values.ts";

/** Every builtin implementation, by name. */
export const BUILTIN_IMPLS: Readonly<Record<string, BuiltinImpl>> = Object.freeze({
  ...STRING_BUILTINS,
  ...ADDRESS_BUILTINS,
  ...CONVERSION_BUILTINS,
  ...NUMBER_BUILTINS,
  ...LIST_BUILTINS,
  ...TIME_BUILTINS,
  ...PROVENANCE_BUILTINS,
});

/** The implementation of builtin `name`, or undefined. */
export function getBuiltin(name: string): BuiltinImpl | undefined {
  return Object.hasOwn(BUILTIN_IMPLS, name) ? BUILTIN_IMPLS[name] : undefined;
}
