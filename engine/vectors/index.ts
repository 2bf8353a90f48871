/**
 * The vector runner: runs JSON vector files of the project's known formats (a small registry,
 * starting with `drift-stats-vectors/1`) and reports pass/fail per case. `npm run vectors` is
 * its command line.
 */
export { VectorError } from "./errors.ts";
export type { VectorErrorCode } from "./errors.ts";
export { FORMATS, findFormat } from "./registry.ts";
export { runVectorDocument, runVectorFile } from "./run.ts";
export { runVectorsCli } from "./cli.ts";
export type { VectorsIO } from "./cli.ts";
export { CLOSED_FORM, EXACT, P_VALUE, within } from "./tolerance.ts";
export type { Tolerance } from "./tolerance.ts";
export type { CaseResult, FileReport, VectorFormat } from "./types.ts";
