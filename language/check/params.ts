// Packs as configurable modules (spec/soundness.md): a `param` is a const a deployment may set
// with `configure PACKAGE { NAME = value }` in its own files, and a test with `with NAME = value`,
// without forking the pack. Its type is the one declared (`param X: list of string = []`), or
// the default's; every value given is checked against it (E308), so the rules, checked once
// against that type, hold for every configuration. A set has one value per param (E211).
import type { Binding, ConstDecl, Expr, PolicyFile, TypeRef } from "../ast.ts";
import { T, type Type } from "../types.ts";
import { didYouMean } from "./suggest.ts";
import { overlaps, nonNull, showType } from "./types.ts";
import { infer } from "./infer.ts";
import { where, type Context, type Declared, type Env } from "./context.ts";

const TYPE_WORDS = "string, number, bool, duration, pattern, any, object, list of T";

/** The type a `param`'s annotation names, or undefined (reported, E308) when it names none. */
export function readTypeRef(ctx: Context, file: PolicyFile, t: TypeRef): Type | undefined {
  const words = t.words.map((w) => w.name);
  const parse = (i: number): [Type, number] | undefined => {
    const w = words[i];
    switch (w) {
      case "string":
      case "number":
      case "duration":
      case "pattern":
      case "any":
      case "instant":
        return [T[w], i + 1];
      case "bool":
      case "boolean":
        return [T.bool, i + 1];
      case "object":
        return [T.object({}, true), i + 1];
      case "list": {
        if (words[i + 1] !== "of") return [T.list(T.any), i + 1];
        const inner = parse(i + 2);
        return inner === undefined ? undefined : [T.list(inner[0]), inner[1]];
      }
      default:
        return undefined;
    }
  };
  const r = parse(0);
  if (r === undefined || r[1] !== words.length) {
    const bad = t.words[r === undefined ? words.findIndex((w) => !["string", "number", "bool", "boolean", "duration", "pattern", "any", "instant", "object", "list", "of"].includes(w)) : r[1]] ?? t.words[0];
    ctx.report(file, "E308", bad.span, `unknown type '${words.join(" ")}'`, didYouMean(bad.name, ["string", "number", "bool", "duration", "pattern", "any", "object", "list"]) ?? `types are ${TYPE_WORDS}`);
    return undefined;
  }
  return r[0];
}

/** Reports E308 when `value` (typed `vt`) does not fit the param's type `pt`. */
function fits(ctx: Context, file: PolicyFile, name: string, pt: Type, value: Expr, vt: Type): void {
  if (!overlaps(vt, pt) || (pt.kind === "list" && vt.kind === "list" && !overlaps(vt.element, pt.element))) {
    ctx.report(file, "E308", value.span, `param '${name}' is a ${showType(pt)}, not a ${showType(nonNull(vt))}`, `give it a ${showType(pt)}`);
  }
}

/** The value of each configured param (by id), for the program; reports E205, E210, E211 and E308. */
export function resolveConfigures(ctx: Context, files: readonly PolicyFile[], typeOf: (id: string) => Type): Map<string, Expr> {
  const out = new Map<string, Expr>();
  const first = new Map<string, { file: PolicyFile; b: Binding }>();
  for (const file of files) {
    const scope = ctx.scopes.get(file);
    if (scope === undefined) continue;
    for (const d of file.decls) {
      if (d.kind !== "Configure") continue;
      const written = d.package.parts.map((p) => p.name).join(".");
      // An import alias names the package too (`configure soc2 { ... }` after `import palisade.soc2 as soc2`).
      const alias = d.package.parts.length === 1 ? scope.imports.get(written) : undefined;
      const pkgName = alias?.package ?? written;
      for (const imp of scope.imports.values()) if (imp.package === pkgName) imp.used = true;
      const pkg = ctx.packages.get(pkgName);
      if (pkg === undefined) {
        ctx.report(file, "E205", d.package.span, `unknown package '${pkgName}'`, didYouMean(pkgName, ctx.packages.keys()) ?? "pass the files that declare it, or remove the configure block");
        continue;
      }
      for (const b of d.bindings) {
        const target = pkg.values.get(b.name.name);
        const id = `${pkgName}.${b.name.name}`;
        if (!isParam(target)) {
          reportUnknown(ctx, file, b, pkgName, target, [...pkg.values.values()].filter(isParam).map((v) => v.decl.name.name));
          infer(ctx, configEnv(ctx, scope, id), b.value);
          continue;
        }
        const prev = first.get(id);
        if (prev !== undefined) {
          ctx.report(file, "E211", b.name.span, `param '${id}' is set twice`, `keep one; the other is at ${where(prev.file, prev.b.name.span)}`);
          continue;
        }
        first.set(id, { file, b });
        ctx.used.add(id);
        const vt = infer(ctx, configEnv(ctx, scope, id), b.value);
        fits(ctx, file, id, typeOf(id), b.value, vt);
        out.set(id, b.value);
      }
    }
  }
  return out;
}

/** The env a configured value is checked in: the configuring file's scope, no input, dependencies recorded on the param. */
function configEnv(ctx: Context, scope: Env["scope"], id: string): Env {
  void ctx;
  return { scope, owner: { kind: "const", id }, locals: new Map(), roots: new Map() };
}

function isParam(v: { decl: { kind: string } } | undefined): v is Declared<ConstDecl> {
  return v !== undefined && v.decl.kind === "Const" && (v.decl as ConstDecl).param;
}

function reportUnknown(ctx: Context, file: PolicyFile, b: Binding, pkg: string, target: { decl: { kind: string } } | undefined, params: readonly string[]): void {
  if (target !== undefined && target.decl.kind === "Const") {
    ctx.report(file, "E210", b.name.span, `'${b.name.name}' is a const of '${pkg}', not a param`, `declare it 'param' in '${pkg}' to let a set configure it`);
    return;
  }
  ctx.report(file, "E210", b.name.span, `package '${pkg}' has no param '${b.name.name}'`, didYouMean(b.name.name, params) ?? (params.length === 0 ? `'${pkg}' declares no params` : `its params: ${params.join(", ")}`));
}

/** A test's `with` lines: params of the test's package, each once, each fitting its type. Returns param id -> value. */
export function checkGiven(ctx: Context, env: Env, given: readonly Binding[], typeOf: (id: string) => Type): Map<string, Expr> {
  const out = new Map<string, Expr>();
  const file = env.scope.file;
  const pkg = ctx.packages.get(env.scope.pkg);
  for (const b of given) {
    const target = pkg?.values.get(b.name.name);
    const id = `${env.scope.pkg}.${b.name.name}`;
    const vt = infer(ctx, env, b.value);
    if (!isParam(target)) {
      reportUnknown(ctx, file, b, env.scope.pkg, target, [...(pkg?.values.values() ?? [])].filter(isParam).map((v) => v.decl.name.name));
      continue;
    }
    if (out.has(id)) {
      ctx.report(file, "E211", b.name.span, `param '${b.name.name}' is set twice in this test`, "keep one");
      continue;
    }
    ctx.used.add(id);
    fits(ctx, file, id, typeOf(id), b.value, vt);
    out.set(id, b.value);
  }
  return out;
}

/** Checks a param's default against its declared type; returns the param's type (the declared one, or the default's). */
export function paramType(ctx: Context, file: PolicyFile, d: ConstDecl, defaultType: Type): Type {
  if (d.type === null) return defaultType;
  const declared = readTypeRef(ctx, file, d.type);
  if (declared === undefined) return defaultType;
  fits(ctx, file, d.name.name, declared, d.value, defaultType);
  return declared;
}
