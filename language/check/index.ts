// The checker: parsed files in, a checked program (or diagnostics) out. Passes, in order:
// packages and duplicates, imports, settings, consts and defs (typed on first use), rules,
// tests, recursion, unused names. Every pass reports into one list; the program is returned
// only when none of it is an error.
import type { PolicyFile } from "../ast.ts";
import { hasErrors, sortDiagnostics, type Diagnostic } from "../diagnostics.ts";
import { fileStart } from "../span.ts";
import { Context } from "./context.ts";
import { collectPackages } from "./scope.ts";
import { resolveImports } from "./imports.ts";
import { resolveSettings } from "./settings.ts";
import { declaredValue, ensureValue, evaluationOrder, reportRecursion } from "./decls.ts";
import { checkRule } from "./rules.ts";
import { checkTest } from "./tests.ts";
import { reportUnused } from "./unused.ts";
import { lint } from "./lints.ts";
import { resolveConfigures } from "./params.ts";
import type { CheckedConst, CheckedDef, CheckedPackage, CheckedProgram, CheckedRule, CheckedTest } from "./program.ts";
import type { JSONSchemaObject } from "./schema.ts";

export type { CheckedProgram, CheckedRule, CheckedTest, CheckedConst, CheckedDef, CheckedPackage, CheckedExpectation, CheckedRegex, PhaseSettings, Resolution, ResolvedNode } from "./program.ts";
export type { JSONSchemaObject } from "./schema.ts";
export { PHASE_SCHEMAS, PHASE_TYPES, PHASE_ROOTS, COMMON_ROOTS, PAYLOAD_ROOTS, schemaToType } from "./schema.ts";
export { screenRegex, type RegexIssue } from "./regex-safety.ts";
export { showType } from "./types.ts";

/** The file name diagnostics about `toolSchemas` carry. */
export const TOOL_SCHEMAS = "<tool schemas>";

function isSchema(s: unknown): boolean {
  return typeof s === "boolean" || (typeof s === "object" && s !== null && !Array.isArray(s));
}

/** The tool schemas that are schemas at all (the others are reported, E605). */
function usableToolSchemas(schemas: Readonly<Record<string, unknown>> | undefined): Record<string, JSONSchemaObject> {
  const out: Record<string, JSONSchemaObject> = {};
  for (const [name, s] of Object.entries(schemas ?? {})) if (isSchema(s)) out[name] = s as JSONSchemaObject;
  return out;
}

/** Options of `check`. */
export interface CheckOptions {
  /** JSON Schemas of tools' arguments, by tool name: paths into `tool.args` of rules pinned to that tool are checked against them. */
  readonly toolSchemas?: Readonly<Record<string, JSONSchemaObject>>;
}

/** The outcome of `check`: a program when there are no errors (warnings allowed), and every diagnostic in print order. */
export interface CheckResult {
  readonly program: CheckedProgram | null;
  readonly diagnostics: Diagnostic[];
}

/** Checks a policy set (the files of one set, all packages together). Never throws on any parsed input. */
export function check(files: readonly PolicyFile[], options: CheckOptions = {}): CheckResult {
  const ctx = new Context(usableToolSchemas(options.toolSchemas));
  for (const [name, schema] of Object.entries(options.toolSchemas ?? {})) {
    if (!isSchema(schema)) ctx.report(TOOL_SCHEMAS, "E605", fileStart, `the schema of tool '${name}' is not a JSON Schema: got ${schema === null ? "null" : Array.isArray(schema) ? "a list" : `a ${typeof schema}`}`, `give an object such as { "type": "object", "properties": { ... } }, or true`);
  }
  collectPackages(ctx, files);
  resolveImports(ctx, files);
  const settings = resolveSettings(ctx, files);
  for (const pkg of ctx.packages.values()) for (const v of pkg.values.values()) ensureValue(ctx, v.id);
  const configured = resolveConfigures(ctx, files, (id) => ensureValue(ctx, id).type);
  const rules: CheckedRule[] = [];
  const byId = new Map<string, CheckedRule>();
  for (const file of files) {
    const pkg = ctx.packages.get(ctx.scopes.get(file)?.pkg ?? "");
    for (const d of file.decls) {
      if (d.kind !== "Rule") continue;
      const declared = pkg?.rules.get(d.name.name);
      const r = checkRule(ctx, declared !== undefined && declared.decl === d ? declared : { decl: d, file, id: `${pkg?.name ?? ""}.${d.name.name}` });
      if (declared?.decl === d) {
        rules.push(r);
        byId.set(r.id, r);
      }
    }
  }
  const tests: CheckedTest[] = [];
  for (const file of files) {
    const pkg = ctx.packages.get(ctx.scopes.get(file)?.pkg ?? "");
    for (const d of file.decls) {
      if (d.kind !== "Test") continue;
      const t = checkTest(ctx, { decl: d, file, id: `${pkg?.name ?? ""}.${d.name.value}` }, byId);
      if (t !== undefined) tests.push(t);
    }
  }
  reportRecursion(ctx);
  reportUnused(ctx);
  lint(ctx, rules);
  const diagnostics = sortDiagnostics(ctx.diagnostics);
  if (hasErrors(diagnostics)) return { program: null, diagnostics };

  const consts = new Map<string, CheckedConst>();
  const defs = new Map<string, CheckedDef>();
  for (const id of evaluationOrder(ctx)) {
    const v = declaredValue(ctx, id);
    const state = ctx.decls.get(id);
    if (v === undefined || state === undefined) continue;
    const dot = id.lastIndexOf(".");
    const base = { id, package: id.slice(0, dot), name: id.slice(dot + 1), file: v.file.path };
    if (v.decl.kind === "Const") consts.set(id, { ...base, decl: v.decl, value: configured.get(id) ?? v.decl.value, type: state.type });
    else defs.set(id, { ...base, decl: v.decl, returns: state.type, roots: [...state.roots].sort() });
  }
  const packages = new Map<string, CheckedPackage>();
  for (const p of ctx.packages.values()) packages.set(p.name, { name: p.name, files: p.files.map((f) => f.path), imports: [...p.imports].sort() });
  const program: CheckedProgram = {
    files,
    packages,
    consts,
    defs,
    rules,
    settings,
    resolutions: ctx.resolutions,
    types: ctx.types,
    regexes: ctx.regexes,
    tests,
    toolSchemas: ctx.toolSchemas,
  };
  return { program, diagnostics };
}
