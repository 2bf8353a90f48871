// The vector formats the runner knows. Add a format by writing a module under formats/ and
// listing it here.
import type { VectorFormat } from "./types.ts";
import { driftStatsFormat } from "./formats/drift-stats.ts";

/** Every known format, in the order they are tried. */
export const FORMATS: readonly VectorFormat[] = [driftStatsFormat];

/** The format a parsed file belongs to, if any. */
export function findFormat(doc: unknown, formats: readonly VectorFormat[] = FORMATS): VectorFormat | undefined {
  return formats.find((f) => f.matches(doc));
}
