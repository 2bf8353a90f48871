// The state one run of the checker shares between its passes: the tables built from the files,
// the maps that become the `CheckedProgram`, the diagnostics, and the bookkeeping for unused
// and recursive declarations. One `Context` per `check` call; nothing is global.
import type { ConstDecl, DefDecl, Expr, Ident, ImportDecl, Phase, PolicyFile, RuleDecl, TestDecl } from "../ast.ts";
import type { Span } from "../span.ts";
import type { Type } from "../types.ts";
import { diagnostic, type Diagnostic } from "../diagnostics.ts";
import type { DiagnosticCode } from "../codes.ts";
import type { CheckedRegex, Resolution, ResolvedNode } from "./program.ts";
import type { JSONSchemaObject } from "./schema.ts";

/** A declaration of a package with the file it came from. */
export interface Declared<D> {
  readonly decl: D;
  readonly file: PolicyFile;
  /** `package.name`. */
  readonly id: string;
}

/** One package, merged across its files. */
export interface PackageInfo {
  readonly name: string;
  readonly files: PolicyFile[];
  /** Consts and defs share one namespace (a name means one thing in a package). */
  readonly values: Map<string, Declared<ConstDecl> | Declared<DefDecl>>;
  readonly rules: Map<string, Declared<RuleDecl>>;
  readonly tests: Map<string, Declared<TestDecl>>;
  /** Packages imported by any of its files. */
  readonly imports: Set<string>;
}

/** An import alias of one file. */
export interface ImportInfo {
  readonly alias: string;
  readonly package: string;
  readonly decl: ImportDecl;
  /** The alias's own span (the alias identifier, or the last path segment when there is none). */
  readonly span: Span;
  used: boolean;
}

/** What a file sees: its package and its import aliases. */
export interface FileScope {
  readonly file: PolicyFile;
  readonly pkg: string;
  readonly imports: Map<string, ImportInfo>;
}

/** A name bound inside an expression: a quantifier variable or a def parameter. */
export type Local =
  | { readonly kind: "variable"; readonly ident: Ident; readonly resolution: Resolution }
  | { readonly kind: "param"; readonly ident: Ident; readonly resolution: Resolution };

/** Who is being checked: edges of the dependency graph start here, and some names are allowed only in some places. */
export type Owner =
  | { readonly kind: "const"; readonly id: string }
  | { readonly kind: "def"; readonly id: string }
  | { readonly kind: "rule"; readonly id: string; readonly phases: readonly Phase[] }
  | { readonly kind: "test"; readonly id: string };

/** The environment an expression is checked in. */
export interface Env {
  readonly scope: FileScope;
  readonly owner: Owner;
  readonly locals: ReadonlyMap<string, Local & { type: Type }>;
  /** The input roots readable here and their types; empty in consts and test inputs. */
  readonly roots: ReadonlyMap<string, Type>;
  /** Paths narrowed by the conditions that hold here (narrow.ts), by `pathText`. */
  readonly narrow?: ReadonlyMap<string, Type>;
}

/** Lazily computed facts about a const or def. */
export interface DeclState {
  state: "pending" | "done";
  type: Type;
  /** Input roots read (defs), transitively once done. */
  roots: Set<string>;
}

/** The mutable state of one `check` run. */
export class Context {
  readonly diagnostics: Diagnostic[] = [];
  readonly packages = new Map<string, PackageInfo>();
  readonly scopes = new Map<PolicyFile, FileScope>();
  readonly resolutions = new Map<ResolvedNode, Resolution>();
  readonly types = new Map<Expr, Type>();
  readonly regexes = new Map<Expr, CheckedRegex>();
  /** Const/def id -> the const/def ids it reads (for recursion and evaluation order). */
  readonly deps = new Map<string, Set<string>>();
  readonly decls = new Map<string, DeclState>();
  /** Const/def ids referenced from somewhere other than themselves. */
  readonly used = new Set<string>();
  /** Bound variables and parameters that were read. */
  readonly usedLocals = new Set<Ident>();
  /** Every bound variable and parameter, for unused-variable warnings. */
  readonly bound: { readonly ident: Ident; readonly file: PolicyFile; readonly what: "variable" | "parameter" }[] = [];
  readonly toolSchemas: Readonly<Record<string, JSONSchemaObject>>;

  constructor(toolSchemas: Readonly<Record<string, JSONSchemaObject>>) {
    this.toolSchemas = toolSchemas;
  }

  /** Records a diagnostic against `file`. */
  report(file: PolicyFile | string, code: DiagnosticCode, span: Span, message: string, help?: string): void {
    this.diagnostics.push(diagnostic(code, typeof file === "string" ? file : file.path, span, message, help));
  }

  /** Records that `from` (a const or def id) reads `to`. */
  depend(owner: Owner, to: string): void {
    if (owner.kind === "const" || owner.kind === "def") {
      let s = this.deps.get(owner.id);
      if (s === undefined) this.deps.set(owner.id, (s = new Set()));
      s.add(to);
      if (owner.id !== to) this.used.add(to);
    } else this.used.add(to);
  }
}

/** `file:line:col` of a span, for help lines that point elsewhere. */
export function where(file: PolicyFile, span: Span): string {
  return `${file.path}:${span.start.line}:${span.start.col}`;
}

/** The dotted text of a path expression (`tool.args.amount`, `xs[0]`), or undefined when it is not a path. */
export function pathText(e: Expr): string | undefined {
  switch (e.kind) {
    case "Name":
      return e.name;
    case "Member": {
      const o = pathText(e.object);
      return o === undefined ? undefined : `${o}.${e.property.name}`;
    }
    case "Index": {
      const o = pathText(e.object);
      if (o === undefined) return undefined;
      if (e.index.kind === "String") return /^[A-Za-z_][A-Za-z0-9_]*$/.test(e.index.value) ? `${o}.${e.index.value}` : `${o}[${JSON.stringify(e.index.value)}]`;
      if (e.index.kind === "Number") return `${o}[${e.index.raw}]`;
      return `${o}[...]`;
    }
    case "Paren":
      return pathText(e.expr);
    default:
      return undefined;
  }
}

/** The name at the root of a member/index chain (`tool` in `tool.args.x`), or undefined. */
export function pathRoot(e: Expr): { name: string; node: Expr } | undefined {
  let cur = e;
  for (;;) {
    if (cur.kind === "Member" || cur.kind === "Index") cur = cur.object;
    else if (cur.kind === "Paren") cur = cur.expr;
    else break;
  }
  return cur.kind === "Name" ? { name: cur.name, node: cur } : undefined;
}
