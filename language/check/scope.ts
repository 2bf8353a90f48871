// Names and bindings at the top level: files are grouped into packages (a package may span
// several files, and then its declarations form one namespace), duplicates are refused, and
// top-level names may not take a name that already means something everywhere (an input root,
// a builtin, a detector family).
import type { ConstDecl, DefDecl, Ident, PolicyFile } from "../ast.ts";
import { BUILTINS, BUILTIN_NAMESPACES } from "../builtins.ts";
import { DETECTOR_NAMESPACES } from "../detectors.ts";
import { fileStart } from "../span.ts";
import { ALL_ROOTS } from "./schema.ts";
import { where, type Context, type Declared, type PackageInfo } from "./context.ts";

/** The package name given to a file without a `package` line (it is reported; checking goes on). */
export const NO_PACKAGE = "<no package>";

/** What a reserved top-level name already means, or undefined when it is free. */
export function reservedMeaning(name: string): string | undefined {
  if (ALL_ROOTS.has(name)) return `the input root '${name}'`;
  if (name === "phase") return "'phase', the phase being decided";
  if (BUILTINS.has(name)) return `the builtin function '${name}'`;
  if (DETECTOR_NAMESPACES.has(name)) return `the detector family '${name}'`;
  if (BUILTIN_NAMESPACES.has(name)) return `the builtin family '${name}'`;
  return undefined;
}

function packageOf(ctx: Context, name: string): PackageInfo {
  let p = ctx.packages.get(name);
  if (p === undefined) {
    p = { name, files: [], values: new Map(), rules: new Map(), tests: new Map(), imports: new Set() };
    ctx.packages.set(name, p);
  }
  return p;
}

function duplicate(ctx: Context, file: PolicyFile, name: Ident, what: string, pkg: string, first: Declared<unknown>, firstSpan: Ident["span"]): void {
  ctx.report(file, "E203", name.span, `${what} '${name.name}' is declared twice in package '${pkg}'`, `rename one of them; the other is at ${where(first.file, firstSpan)}`);
}

/** Groups files into packages and registers every const, def, rule and test, reporting E600, E203 and E207. */
export function collectPackages(ctx: Context, files: readonly PolicyFile[]): void {
  for (const file of files) {
    if (file.package === null) ctx.report(file, "E600", file.decls[0]?.span ?? fileStart, "missing package declaration", "start the file with a line such as 'package acme.payments'");
    const pkgName = file.package === null ? NO_PACKAGE : file.package.name.parts.map((p) => p.name).join(".");
    const pkg = packageOf(ctx, pkgName);
    pkg.files.push(file);
    ctx.scopes.set(file, { file, pkg: pkgName, imports: new Map() });
    for (const d of file.decls) {
      if (d.kind === "Const" || d.kind === "Def") {
        const prev = pkg.values.get(d.name.name);
        if (prev !== undefined) {
          duplicate(ctx, file, d.name, d.kind === "Const" ? "const" : "def", pkgName, prev, (prev.decl as ConstDecl | DefDecl).name.span);
          continue;
        }
        const meaning = reservedMeaning(d.name.name);
        if (meaning !== undefined) ctx.report(file, "E207", d.name.span, `${d.kind === "Const" ? "const" : "def"} '${d.name.name}' shadows ${meaning}`, `rename it, e.g. '${d.name.name}_${d.kind === "Const" ? "value" : "of"}'`);
        pkg.values.set(d.name.name, { decl: d, file, id: `${pkgName}.${d.name.name}` } as Declared<ConstDecl> | Declared<DefDecl>);
      } else if (d.kind === "Rule") {
        const prev = pkg.rules.get(d.name.name);
        if (prev !== undefined) duplicate(ctx, file, d.name, "rule", pkgName, prev, prev.decl.name.span);
        else pkg.rules.set(d.name.name, { decl: d, file, id: `${pkgName}.${d.name.name}` });
      } else if (d.kind === "Test") {
        const prev = pkg.tests.get(d.name.value);
        if (prev !== undefined) ctx.report(file, "E203", d.name.span, `test "${d.name.value}" is declared twice in package '${pkgName}'`, `rename one of them; the other is at ${where(prev.file, prev.decl.name.span)}`);
        else pkg.tests.set(d.name.value, { decl: d, file, id: `${pkgName}.${d.name.value}` });
      }
    }
  }
}
