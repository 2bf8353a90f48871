// The roots a def body may read, each typed as the union over the phases that have it: a def is
// checked once, and each call site then checks that the roots it reads exist in the caller's phases.
import { PHASES } from "../ast.ts";
import { T, type Type } from "../types.ts";
import { ALL_ROOTS, PHASE_ROOTS, rootType } from "./schema.ts";
import { join } from "./types.ts";

/** Every root with the union of its types over the phases that have it. */
export const DEF_ROOTS: ReadonlyMap<string, Type> = new Map(
  [...ALL_ROOTS].map((r) => [r, join(...PHASES.filter((p) => PHASE_ROOTS[p].includes(r)).map((p) => rootType(p, r) ?? T.any))]),
);
