// Name lookup. A bare name is, in order: a bound variable or parameter, a const or def of the
// file's package (across all its files), an import alias, an input root readable here, a
// builtin, a detector or builtin family. Anything else is unknown, and the diagnostic offers the
// closest name that is in scope.
import { PHASES, type ConstDecl, type DefDecl } from "../ast.ts";
import { BUILTINS, BUILTIN_NAMESPACES } from "../builtins.ts";
import { DETECTORS, DETECTOR_NAMESPACES } from "../detectors.ts";
import { ALL_ROOTS, PHASE_ROOTS } from "./schema.ts";
import type { Context, Env } from "./context.ts";
import type { Resolution } from "./program.ts";

/** The outcome of looking a bare name up. */
export type Lookup =
  | { readonly kind: "found"; readonly resolution: Resolution }
  /** A root of some phase that this place cannot read; `phases` lists where it exists. */
  | { readonly kind: "unavailable"; readonly phases: readonly string[] }
  | { readonly kind: "unknown" };

/** Looks up a bare name in `env`. */
export function lookupName(ctx: Context, env: Env, name: string): Lookup {
  const local = env.locals.get(name);
  if (local !== undefined) return { kind: "found", resolution: local.resolution };
  const pkg = ctx.packages.get(env.scope.pkg);
  const value = pkg?.values.get(name);
  if (value !== undefined) return { kind: "found", resolution: valueResolution(env.scope.pkg, value.decl) };
  const imp = env.scope.imports.get(name);
  if (imp !== undefined) return { kind: "found", resolution: { kind: "package", package: imp.package } };
  if (env.roots.has(name)) return { kind: "found", resolution: { kind: "root", name } };
  const builtin = BUILTINS.get(name);
  if (builtin !== undefined) return { kind: "found", resolution: { kind: "builtin", name, builtin } };
  if (DETECTOR_NAMESPACES.has(name) || BUILTIN_NAMESPACES.has(name)) return { kind: "found", resolution: { kind: "namespace", name } };
  if (ALL_ROOTS.has(name)) return { kind: "unavailable", phases: PHASES.filter((p) => PHASE_ROOTS[p].includes(name)) };
  return { kind: "unknown" };
}

/** The resolution of a package-level const or def. */
export function valueResolution(pkg: string, decl: ConstDecl | DefDecl): Resolution {
  const id = `${pkg}.${decl.name.name}`;
  return decl.kind === "Const" ? { kind: "const", id, package: pkg, name: decl.name.name, decl } : { kind: "def", id, package: pkg, name: decl.name.name, decl };
}

/** Every name a bare reference could have meant here, for "did you mean". */
export function namesInScope(ctx: Context, env: Env, callable: boolean): string[] {
  const out: string[] = [];
  if (!callable) out.push(...env.locals.keys());
  for (const [n, v] of ctx.packages.get(env.scope.pkg)?.values ?? []) if (!callable || v.decl.kind === "Def") out.push(n);
  if (!callable) out.push(...env.scope.imports.keys(), ...env.roots.keys());
  out.push(...[...BUILTINS.keys()].filter((n) => !n.includes(".")));
  return out;
}

/** Looks up `member` in the package behind an import alias. */
export function lookupInPackage(ctx: Context, pkg: string, member: string): Resolution | undefined {
  const v = ctx.packages.get(pkg)?.values.get(member);
  return v === undefined ? undefined : valueResolution(pkg, v.decl);
}

/** Looks up `ns.member` among detectors and dotted builtins. */
export function lookupInNamespace(ns: string, member: string): Resolution | undefined {
  const name = `${ns}.${member}`;
  const d = DETECTORS.get(name);
  if (d !== undefined) return { kind: "detector", name, detector: d };
  const b = BUILTINS.get(name);
  if (b !== undefined) return { kind: "builtin", name, builtin: b };
  return undefined;
}

/** The members of a namespace, for "did you mean". */
export function namespaceMembers(ns: string): string[] {
  return [...DETECTORS.keys(), ...BUILTINS.keys()].filter((n) => n.startsWith(`${ns}.`)).map((n) => n.slice(ns.length + 1));
}
