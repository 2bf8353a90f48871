// The pipeline every policy command starts with: read the files, parse them all (every
// syntax error of every file in one run), check them together, and print diagnostics.
import { checkSources, renderDiagnostic, diagnosticToJSON, sortDiagnostics, hasErrors } from "../../language/index.ts";
import type { CheckedProgram, Diagnostic, JSONSchemaObject } from "../../language/index.ts";
import type { CommandIO } from "./command.ts";
import { readPolicySources, type SourceFile } from "./files.ts";
import { UsageError } from "./args.ts";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

/** How diagnostics are printed. */
export type ErrorFormat = "human" | "json";

/** Validates `--error-format`. */
export function errorFormat(value: string | undefined): ErrorFormat {
  if (value === undefined || value === "human") return "human";
  if (value === "json") return "json";
  throw new UsageError(`--error-format must be 'human' or 'json', got '${value}'`);
}

/** Reads `--tool-schemas FILE`: a JSON object mapping tool names to the JSON Schema of their args. */
export function readToolSchemas(file: string | undefined, cwd: string): Record<string, JSONSchemaObject> | undefined {
  if (file === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(resolve(cwd, file), "utf8"));
  } catch (err) {
    throw new UsageError(`cannot read tool schemas from '${file}': ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new UsageError(`'${file}' must hold a JSON object of tool name -> JSON Schema`);
  for (const [name, schema] of Object.entries(value)) {
    const ok = typeof schema === "boolean" || (typeof schema === "object" && schema !== null && !Array.isArray(schema));
    if (!ok) throw new UsageError(`'${file}': the schema of tool '${name}' must be a JSON Schema (an object or true/false), got ${schema === null ? "null" : Array.isArray(schema) ? "a list" : `a ${typeof schema}`}`);
  }
  return value as Record<string, JSONSchemaObject>;
}

/** Prints diagnostics to stderr in the chosen format. */
export function printDiagnostics(diags: readonly Diagnostic[], sources: readonly SourceFile[], io: CommandIO, format: ErrorFormat): void {
  const texts = new Map(sources.map((s) => [s.path, s.text]));
  const sorted = sortDiagnostics(diags);
  if (format === "json") {
    for (const d of sorted) io.stderr(`${JSON.stringify(diagnosticToJSON(d))}\n`);
    return;
  }
  for (const d of sorted) io.stderr(`${renderDiagnostic(d, texts.get(d.file))}\n\n`);
}

/** The outcome of loading policies from the command line. */
export interface LoadedPolicies {
  readonly sources: SourceFile[];
  readonly program: CheckedProgram | null;
  readonly diagnostics: readonly Diagnostic[];
}

/** Reads, parses and checks the policies under `paths`; prints nothing. */
export function loadPolicies(paths: readonly string[], io: CommandIO, toolSchemas?: Record<string, JSONSchemaObject>): LoadedPolicies {
  const read = readPolicySources(paths, io.cwd);
  const { sources } = read;
  if (read.diagnostics.length > 0) return { sources, program: null, diagnostics: read.diagnostics };
  const { program, diagnostics } = checkSources(sources, toolSchemas ? { toolSchemas } : {});
  return { sources, program, diagnostics };
}

/** A one-line count for the end of a run: "2 errors, 1 warning". */
export function countLine(diags: readonly Diagnostic[]): string {
  const e = diags.filter((d) => d.severity === "error").length;
  const w = diags.length - e;
  return `${e} error${e === 1 ? "" : "s"}, ${w} warning${w === 1 ? "" : "s"}`;
}

export { hasErrors };
