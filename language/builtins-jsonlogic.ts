// Builtins that give JSON Logic's semantics (truthiness, loose equality, ...) to rules imported
// with `palisade import jsonlogic`. Declared apart so the core library stays small.
import type { BuiltinSignature } from "./types.ts";

/** The `jsonlogic.*` family; the checker merges it into the builtin table. */
export const JSONLOGIC_BUILTINS: readonly BuiltinSignature[] = [];
