// The language part's public face: source text -> checked program, the formatter, the JSON
// Logic importer, and diagnostics as data. Nothing here knows about the engine.
import { parse } from "./parse.ts";
import { check, type CheckOptions, type CheckResult } from "./check/index.ts";
import type { Diagnostic } from "./diagnostics.ts";
import type { PolicyFile } from "./ast.ts";
import { format } from "./format.ts";

export { parse, MAX_SOURCE_LENGTH, MAX_NESTING } from "./parse.ts";
export type { ParseResult } from "./parse.ts";
export { check } from "./check/index.ts";
export type { CheckOptions, CheckResult, CheckedProgram, CheckedRule, CheckedTest, CheckedConst, CheckedDef, CheckedPackage, CheckedExpectation, CheckedRegex, PhaseSettings, Resolution, ResolvedNode, JSONSchemaObject } from "./check/index.ts";
export { PHASE_SCHEMAS, screenRegex } from "./check/index.ts";
export { format, formatSource, formatExpr } from "./format.ts";
export { importJsonLogic } from "./jsonlogic-import.ts";
export { diagnostic, hasErrors, sortDiagnostics, renderDiagnostic, diagnosticToJSON } from "./diagnostics.ts";
export type { Diagnostic, Severity as DiagnosticSeverity } from "./diagnostics.ts";
export { CODES, LINT_CODES } from "./codes.ts";
export type { DiagnosticCode, CodeInfo } from "./codes.ts";
export { BUILTINS } from "./builtins.ts";
export type { Builtin } from "./builtins.ts";
export { DETECTORS } from "./detectors.ts";
export { PHASES, SEVERITIES } from "./ast.ts";
export type * from "./ast.ts";
export type { Span, Pos } from "./span.ts";
export type { Type, BuiltinSignature } from "./types.ts";

/** The canonical sort key of a parsed file: its package, then its formatted text. */
function canonicalKey(file: PolicyFile, text: string): string {
  const pkg = file.package === null ? "" : file.package.name.parts.map((p) => p.name).join(".");
  return `${pkg}\u0000${format(file, text)}`;
}

/** A named source text. */
export interface Source {
  readonly path: string;
  readonly text: string;
}

/**
 * Parses every source (reporting every syntax error of every file) and, when all parse,
 * checks them together as one policy set. The program is null when there is any error.
 */
export function checkSources(sources: readonly Source[], options: CheckOptions = {}): CheckResult & { files: readonly PolicyFile[] } {
  const parsed: { file: PolicyFile; key: string }[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const s of sources) {
    const r = parse(s.text, s.path);
    diagnostics.push(...r.diagnostics);
    if (r.file) parsed.push({ file: r.file, key: canonicalKey(r.file, s.text) });
  }
  // The order the files are given in must not change a decision (spec/soundness.md): they are
  // checked, and their rules evaluated, in a canonical order, by package and then by canonical
  // text, which the policy digest covers (the digest hashes the sorted canonical texts).
  parsed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const files = parsed.map((p) => p.file);
  if (files.length < sources.length) return { program: null, diagnostics, files };
  const checked = check(files, options);
  return { program: checked.program, diagnostics: [...diagnostics, ...checked.diagnostics], files };
}
