// The input roots a rule may read: those every phase it runs in has, typed as all those phases
// agree (narrowing on `phase` recomputes them for fewer phases).
import type { Phase } from "../ast.ts";
import { T, type Type } from "../types.ts";
import { PHASE_ROOTS, rootType } from "./schema.ts";
import { intersectObjects } from "./types.ts";
import { DEF_ROOTS } from "./def-roots.ts";

/** The roots a rule on `phases` may read: those every phase has, typed as all phases agree. */
export function rootsFor(phases: readonly Phase[]): Map<string, Type> {
  if (phases.length === 0) return new Map(DEF_ROOTS);
  const out = new Map<string, Type>();
  for (const r of PHASE_ROOTS[phases[0]]) {
    if (phases.every((p) => PHASE_ROOTS[p].includes(r))) out.set(r, intersectObjects(phases.map((p) => rootType(p, r) ?? T.any)));
  }
  return out;
}
