// The expression walker: resolves every name, computes every expression's static type, checks
// paths against the phase's schema, and reports the type errors that are certain. One walk per
// expression; results go into the context's `resolutions` and `types` maps.
import { PHASES, type Binary, type Call, type Expr, type Ident, type Member, type Quantifier, type Template } from "../ast.ts";
import type { Span } from "../span.ts";
import { T, type Type } from "../types.ts";
import type { Builtin } from "../builtins.ts";
import { DETECTOR_NAMESPACES } from "../detectors.ts";
import { didYouMean } from "./suggest.ts";
import { certainly, certainlyNot, elementOf, join, lookupField, members, nonNull, overlaps, showType, type TypeKind } from "./types.ts";
import { lookupInNamespace, lookupInPackage, lookupName, namespaceMembers, namesInScope } from "./resolve.ts";
import { pathRoot, pathText, type Context, type Env, type Local } from "./context.ts";
import { PHASE_TYPES, PHASE_ROOTS, ALL_ROOTS } from "./schema.ts";
import { factsOf, narrowEnv } from "./narrow.ts";
import { rootsFor } from "./roots.ts";
import { ensureValue } from "./decls.ts";
import { checkRegexLiteral, checkRegexString } from "./regex-check.ts";
import type { Resolution } from "./program.ts";

const ORDERED: readonly TypeKind[] = ["number", "string", "duration", "instant"];

/** Infers the type of `e` in `env`, recording it (and every resolution below it) in the context. */
export function infer(ctx: Context, env: Env, e: Expr): Type {
  let t = inferInner(ctx, env, e);
  // A path the conditions before it narrowed (narrow.ts) has the narrowed type.
  if (env.narrow !== undefined && env.narrow.size > 0 && (e.kind === "Name" || e.kind === "Member" || e.kind === "Index")) {
    const key = pathText(e);
    const n = key === undefined ? undefined : env.narrow.get(key);
    if (n !== undefined) t = n;
  }
  ctx.types.set(e, t);
  return t;
}

/** Checks a message template's interpolations like any expression. */
export function inferTemplate(ctx: Context, env: Env, t: Template): void {
  for (const part of t.parts) {
    if (typeof part === "string") continue;
    const pt = infer(ctx, env, part);
    if (certainly(pt, ["pattern"])) ctx.report(env.scope.file, "E307", part.span, "a pattern cannot be shown in a message", "interpolate the text it is matched against instead");
  }
}

/** Reports E304 when a condition is certainly not a boolean. */
export function expectBool(ctx: Context, env: Env, e: Expr, t: Type, what: string): void {
  if (certainlyNot(t, ["bool"])) ctx.report(env.scope.file, "E304", e.span, `${what} must be a boolean, found ${showType(t)}`, booleanHelp(e, t));
}

function booleanHelp(e: Expr, t: Type): string | undefined {
  const p = pathText(e);
  if (certainly(t, ["list"])) return `test the list, e.g. 'len(${p ?? "..."}) > 0' or 'any x in ${p ?? "..."}: ...'`;
  if (certainly(t, ["string"])) return `compare it, e.g. '${p ?? "..."} == "..."'`;
  return undefined;
}

function describe(r: Resolution): string {
  switch (r.kind) {
    case "root":
      return `input root '${r.name}'`;
    case "const":
      return `const '${r.name}'`;
    case "def":
      return `def '${r.name}'`;
    case "variable":
      return `variable '${r.name}'`;
    case "param":
      return `parameter '${r.name}'`;
    case "builtin":
      return `builtin '${r.name}'`;
    case "detector":
      return `detector '${r.name}'`;
    case "package":
      return `imported package '${r.package}'`;
    case "namespace":
      return `family '${r.name}'`;
    case "phase":
      return "the phase";
  }
}

/** The type a resolved name has as a value, reporting names that are not values. */
function valueOf(ctx: Context, env: Env, node: Expr, r: Resolution): Type {
  const file = env.scope.file;
  switch (r.kind) {
    case "variable":
    case "param": {
      const local = env.locals.get(r.name) as Local & { type: Type };
      ctx.usedLocals.add(local.ident);
      return local.type;
    }
    case "root":
      if (env.owner.kind === "def") ctx.decls.get(env.owner.id)?.roots.add(r.name);
      return env.roots.get(r.name) ?? T.any;
    case "const":
      ctx.depend(env.owner, r.id);
      return ensureValue(ctx, r.id).type;
    case "def":
      ctx.depend(env.owner, r.id);
      ctx.report(file, "E300", node.span, `'${pathText(node) ?? r.name}' is a function, not a value`, `call it: '${pathText(node) ?? r.name}(${r.decl.params.map((p) => p.name).join(", ")})'`);
      return T.any;
    case "builtin":
      ctx.report(file, "E300", node.span, `'${r.name}' is a function, not a value`, `call it: '${r.name}(${r.builtin.params.map((p) => p.name).join(", ")})'`);
      return T.any;
    case "detector":
      return T.pattern;
    case "package":
      ctx.report(file, "E200", node.span, `'${pathText(node)}' is an imported package, not a value`, `name one of its declarations: '${pathText(node)}.<name>'`);
      return T.any;
    case "namespace":
      ctx.report(file, "E200", node.span, `'${r.name}' is a family of ${DETECTOR_NAMESPACES.has(r.name) ? "detectors" : "functions"}, not a value`, `name one of them, e.g. '${r.name}.${namespaceMembers(r.name)[0] ?? "..."}'`);
      return T.any;
    case "phase":
      return T.string;
  }
}

function markImport(env: Env, alias: string): void {
  const imp = env.scope.imports.get(alias);
  if (imp !== undefined) imp.used = true;
}

/** Reports a name this place cannot read. */
function unavailable(ctx: Context, env: Env, name: string, span: Span, phases: readonly string[]): void {
  const file = env.scope.file;
  const o = env.owner;
  if (o.kind === "const") ctx.report(file, "E209", span, `input root '${name}' cannot be read in a const`, "consts are evaluated once, before any input; use a def, or read it in the rule");
  else if (o.kind === "test") ctx.report(file, "E209", span, `input root '${name}' cannot be read in a test input`, "write the value itself");
  else if (o.kind === "rule") {
    const missing = o.phases.filter((p) => !phases.includes(p));
    ctx.report(file, "E209", span, `'${name}' is not available on ${missing.join(", ")}`, phases.length > 0 ? `'${name}' exists on ${phases.join(", ")} only; split the rule by phase` : undefined);
  } else ctx.report(file, "E209", span, `'${name}' is not available here`);
}

/** Resolves `alias.member` / `family.member` (`common.MAX`, `pii.email`); undefined after reporting an unknown member. */
function resolveQualified(ctx: Context, env: Env, node: Member, base: Resolution, callee: boolean): Resolution | undefined {
  const file = env.scope.file;
  ctx.resolutions.set(node.object as Extract<Expr, { kind: "Name" }>, base);
  const m = node.property.name;
  if (base.kind === "package") {
    markImport(env, (node.object as Extract<Expr, { kind: "Name" }>).name);
    const r = lookupInPackage(ctx, base.package, m);
    if (r === undefined) {
      const alias = pathText(node.object) ?? base.package;
      const candidates = [...(ctx.packages.get(base.package)?.values.keys() ?? [])];
      ctx.report(file, callee ? "E202" : "E200", node.property.span, `package '${base.package}' has no ${callee ? "def" : "const or def"} '${m}'`, didYouMean(m, candidates, `${alias}.`));
      return undefined;
    }
    ctx.resolutions.set(node, r);
    return r;
  }
  if (base.kind === "namespace") {
    const r = lookupInNamespace(base.name, m);
    if (r === undefined) {
      const help = didYouMean(m, namespaceMembers(base.name), `${base.name}.`);
      if (DETECTOR_NAMESPACES.has(base.name)) ctx.report(file, "E206", node.span, `unknown detector '${base.name}.${m}'`, help ?? `detectors of this family: ${namespaceMembers(base.name).map((n) => `${base.name}.${n}`).join(", ")}`);
      else ctx.report(file, "E202", node.span, `unknown function '${base.name}.${m}'`, help);
      return undefined;
    }
    ctx.resolutions.set(node, r);
    return r;
  }
  return undefined;
}

/** The phases (of all) where a root-based path of plain fields exists: for "only available on" help. */
function phasesWithPath(path: readonly string[]): string[] {
  return PHASES.filter((p) => {
    let t: Type = PHASE_TYPES[p];
    for (const f of path) {
      const l = lookupField(t, f);
      if (l.kind !== "found") return false;
      t = l.type;
    }
    return true;
  });
}

function plainPath(e: Expr): string[] | undefined {
  if (e.kind === "Name") return [e.name];
  if (e.kind === "Member") {
    const o = plainPath(e.object);
    return o === undefined ? undefined : [...o, e.property.name];
  }
  if (e.kind === "Paren") return plainPath(e.expr);
  return undefined;
}

/** The type of field `name` of `object` (already typed `ot`), reporting E201 when the schema has no such field. */
function field(ctx: Context, env: Env, node: Expr, object: Expr, ot: Type, name: string, span: Span): Type {
  const look = lookupField(ot, name);
  if (look.kind === "found") return look.type;
  const file = env.scope.file;
  const base = pathText(object);
  const shown = base ?? "this value";
  if (look.kind === "not-object") {
    const help = certainly(ot, ["list"]) && base !== undefined ? `use a quantifier: 'any x in ${base}: x.${name} ...'` : undefined;
    ctx.report(file, "E201", span, `'${shown}' is a ${showType(nonNull(ot))} and has no field '${name}'`, help);
    return T.any;
  }
  let help = didYouMean(name, look.fields, base === undefined ? "" : `${base}.`);
  const path = plainPath(node);
  const root = pathRoot(node);
  if (help === undefined && path !== undefined && root !== undefined && ALL_ROOTS.has(root.name) && env.roots.has(root.name)) {
    const where = phasesWithPath(path);
    if (where.length > 0) help = `'${path.join(".")}' is only available on ${where.join(", ")}`;
  }
  if (help === undefined && look.fields.length > 0 && look.fields.length <= 8) help = `'${shown}' has ${look.fields.map((f) => `'${f}'`).join(", ")}`;
  ctx.report(file, "E201", span, `unknown field '${name}' on '${shown}'`, help);
  return T.any;
}

/** Binds quantifier variables or def parameters, reporting E207 when a name would hide another. */
export function bindLocal(ctx: Context, env: Env, ident: Ident, what: "variable" | "parameter", mayGoUnused = false): void {
  const file = env.scope.file;
  const n = ident.name;
  let hides: string | undefined;
  const outer = env.locals.get(n);
  const pkgValue = ctx.packages.get(env.scope.pkg)?.values.get(n);
  if (outer !== undefined) hides = `the ${outer.kind === "param" ? "parameter" : "variable"} '${n}' bound outside`;
  else if (pkgValue !== undefined) hides = `the ${pkgValue.decl.kind === "Const" ? "const" : "def"} '${n}'`;
  else if (env.scope.imports.has(n)) hides = `the import alias '${n}'`;
  else if (ALL_ROOTS.has(n)) hides = `the input root '${n}'`;
  else if (DETECTOR_NAMESPACES.has(n)) hides = `the detector family '${n}'`;
  if (hides !== undefined) ctx.report(file, "E207", ident.span, `${what} '${n}' shadows ${hides}`, `rename it, e.g. '${n}2'`);
  if (!mayGoUnused) ctx.bound.push({ ident, file, what });
}

function inferQuantifier(ctx: Context, env: Env, e: Quantifier): Type {
  const file = env.scope.file;
  const ct = infer(ctx, env, e.collection);
  if (certainlyNot(ct, ["list"])) {
    const p = pathText(e.collection) ?? "...";
    ctx.report(file, "E305", e.collection.span, `'${e.quantifier}' needs a list, found ${showType(nonNull(ct))}`, certainly(ct, ["object"]) ? `iterate over 'keys(${p})' or 'values(${p})'` : undefined);
  }
  const element = elementOf(ct);
  const locals = new Map(env.locals);
  e.vars.forEach((v, index) => {
    // `count x in xs` without `where` names a variable it never reads: not worth a warning.
    bindLocal(ctx, { ...env, locals }, v, "variable", e.body === null);
    locals.set(v.name, { kind: "variable", ident: v, resolution: { kind: "variable", name: v.name, binder: e, index }, type: element });
  });
  if (e.body !== null) {
    const bt = infer(ctx, { ...env, locals }, e.body);
    expectBool(ctx, env, e.body, bt, `the condition of '${e.quantifier}'`);
  }
  return e.quantifier === "count" ? T.number : T.bool;
}

function inferCall(ctx: Context, env: Env, e: Call): Type {
  const file = env.scope.file;
  const callee = e.callee;
  let target: Resolution | undefined;
  let calleeName = pathText(callee) ?? "this expression";
  if (callee.kind === "Name") {
    const lk = lookupName(ctx, env, callee.name);
    if (lk.kind === "found") {
      target = lk.resolution;
      ctx.resolutions.set(callee, target);
      if (target.kind === "variable" || target.kind === "param") ctx.usedLocals.add((env.locals.get(callee.name) as Local).ident);
      if (target.kind === "package") markImport(env, callee.name);
    } else {
      if (lk.kind === "unknown") ctx.report(file, "E202", callee.span, `unknown function '${callee.name}'`, didYouMean(callee.name, namesInScope(ctx, env, true)));
      else ctx.report(file, "E301", callee.span, `'${callee.name}' is an input root, not a function`);
      for (const a of e.args) infer(ctx, env, a);
      return T.any;
    }
  } else if (callee.kind === "Member" && callee.object.kind === "Name") {
    const lk = lookupName(ctx, env, callee.object.name);
    if (lk.kind === "found" && (lk.resolution.kind === "package" || lk.resolution.kind === "namespace")) {
      target = resolveQualified(ctx, env, callee, lk.resolution, true);
      if (target === undefined) {
        for (const a of e.args) infer(ctx, env, a);
        return T.any;
      }
    }
  }
  if (target === undefined) {
    const ct = infer(ctx, env, callee);
    ctx.report(file, "E301", callee.span, `${calleeName === "this expression" ? "this expression" : `'${calleeName}'`} is not a function (${showType(ct)})`, "only defs and builtin functions can be called");
    for (const a of e.args) infer(ctx, env, a);
    return T.any;
  }
  ctx.resolutions.set(e, target);
  const argTypes = e.args.map((a) => infer(ctx, env, a));
  if (target.kind === "def") {
    ctx.depend(env.owner, target.id);
    const params = target.decl.params;
    if (e.args.length !== params.length) ctx.report(file, "E302", e.span, `'${calleeName}' takes ${count(params.length, "argument")}, got ${e.args.length}`, `call it as '${calleeName}(${params.map((p) => p.name).join(", ")})'`);
    const state = ensureValue(ctx, target.id);
    const o = env.owner;
    if (o.kind === "def") {
      const mine = ctx.decls.get(o.id);
      for (const r of state.roots) mine?.roots.add(r);
    } else {
      const root = [...state.roots].find((r) => !env.roots.has(r));
      if (root !== undefined) {
        const here = o.kind === "rule" ? `on ${o.phases.filter((p) => !PHASE_ROOTS[p].includes(root)).join(", ")}` : o.kind === "const" ? "in a const" : "in a test input";
        ctx.report(file, "E209", callee.span, `'${calleeName}' reads '${root}', which is not available ${here}`, o.kind === "rule" ? "split the rule by phase, or pass the value as an argument" : "pass the value as an argument instead");
      }
    }
    return state.type;
  }
  if (target.kind === "builtin") return checkBuiltinCall(ctx, env, e, target.builtin, argTypes);
  ctx.report(file, "E301", callee.span, `'${calleeName}' is a ${describe(target)}, not a function`, target.kind === "detector" ? `use it as a pattern: 'x matches ${calleeName}'` : undefined);
  return T.any;
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

function checkBuiltinCall(ctx: Context, env: Env, e: Call, b: Builtin, argTypes: readonly Type[]): Type {
  const file = env.scope.file;
  const n = e.args.length;
  const min = b.variadic ? Math.max(0, b.params.length - 1) : b.params.length;
  const max = b.variadic ? Infinity : b.params.length;
  const usage = `${b.name}(${b.params.map((p) => p.name).join(", ")}${b.variadic ? ", ..." : ""})`;
  if (n < min || n > max) {
    const expected = b.variadic ? `at least ${count(min, "argument")}` : count(min, "argument");
    ctx.report(file, "E302", e.span, `'${b.name}' takes ${expected}, got ${n}`, `call it as '${usage}'`);
  }
  e.args.forEach((a, i) => {
    const p = b.params[Math.min(i, b.params.length - 1)];
    if (p === undefined || i >= max) return;
    if (!overlaps(argTypes[i], p.type)) ctx.report(file, "E303", a.span, `argument '${p.name}' of '${b.name}' must be ${showType(p.type)}, found ${showType(nonNull(argTypes[i]))}`, b.example === undefined ? `call it as '${usage}'` : `for example: ${b.example}`);
  });
  if (b.returnsElementOf !== undefined && argTypes[b.returnsElementOf] !== undefined) return elementOf(argTypes[b.returnsElementOf]);
  if (b.returnsTypeOf !== undefined && argTypes[b.returnsTypeOf] !== undefined && certainly(argTypes[b.returnsTypeOf], ["list"])) return nonNull(argTypes[b.returnsTypeOf]);
  return b.returns;
}

/** The single kind of a type when it is certainly one kind (ignoring null), else undefined. */
function soleKind(t: Type): TypeKind | undefined {
  const ms = members(t).filter((m) => m.kind !== "null");
  if (ms.length === 0 || ms.some((m) => m.kind === "any")) return undefined;
  const kinds = new Set(ms.map((m) => (m.kind === "instant" ? "instant" : m.kind)));
  return kinds.size === 1 ? (ms[0].kind as TypeKind) : undefined;
}

function arithmetic(op: "+" | "-" | "*" | "/" | "%", l: TypeKind | undefined, r: TypeKind | undefined): Type | "error" | undefined {
  if (l === undefined || r === undefined) return undefined;
  const k = `${l} ${op} ${r}`;
  const table: Record<string, Type> = {
    "number + number": T.number,
    "string + string": T.string,
    "duration + duration": T.duration,
    "instant + duration": T.instant,
    "duration + instant": T.instant,
    "number - number": T.number,
    "duration - duration": T.duration,
    "instant - instant": T.duration,
    "instant - duration": T.instant,
    "number * number": T.number,
    "duration * number": T.duration,
    "number * duration": T.duration,
    "number / number": T.number,
    "duration / number": T.duration,
    "duration / duration": T.number,
    "number % number": T.number,
  };
  if (l === "list" && r === "list" && op === "+") return undefined;
  return table[k] ?? "error";
}

const ARITH_KINDS: Record<string, readonly TypeKind[]> = {
  "+": ["number", "string", "duration", "instant", "list"],
  "-": ["number", "duration", "instant"],
  "*": ["number", "duration"],
  "/": ["number", "duration"],
  "%": ["number"],
};

/** `phase == "inptu"` can never hold: E403 with the phase it meant. */
function checkPhaseNames(ctx: Context, env: Env, e: Binary): void {
  const isPhase = (x: Expr): boolean => x.kind === "Name" && ctx.resolutions.get(x)?.kind === "phase";
  const other = isPhase(e.left) ? e.right : isPhase(e.right) ? e.left : null;
  if (other === null) return;
  const lits = other.kind === "String" ? [other] : other.kind === "List" ? other.items.filter((i) => i.kind === "String") : [];
  for (const lit of lits) {
    if (lit.kind !== "String" || (PHASES as readonly string[]).includes(lit.value)) continue;
    ctx.report(env.scope.file, "E403", lit.span, `unknown phase "${lit.value}"`, didYouMean(lit.value, PHASES) ?? `phases are ${PHASES.join(", ")}`);
  }
}

/** `x has a.b`: the fields are names, not expressions; into a closed object they must exist (E201). */
function inferHas(ctx: Context, env: Env, e: Binary): Type {
  const file = env.scope.file;
  let t = inferHasObject(ctx, env, e.left);
  const names: Ident[] = [];
  for (let f: Expr = e.right; ; ) {
    if (f.kind === "Name") {
      names.unshift({ kind: "Ident", name: f.name, span: f.span });
      break;
    }
    if (f.kind !== "Member") return T.bool;
    names.unshift(f.property);
    f = f.object;
  }
  if (certainlyNot(t, ["object"])) {
    ctx.report(file, "E300", e.opSpan, `'has' needs an object on the left, found ${showType(nonNull(t))}`, certainly(t, ["list"]) ? "test a list with 'len(xs) > 0' or 'x in xs'" : undefined);
    return T.bool;
  }
  let base = pathText(e.left) ?? "this value";
  for (const n of names) {
    const look = lookupField(t, n.name);
    if (look.kind === "unknown") {
      ctx.report(file, "E201", n.span, `'${base}' has no field '${n.name}', so 'has' is always false`, didYouMean(n.name, look.fields, `${base}.`));
      return T.bool;
    }
    if (look.kind === "not-object") return T.bool;
    t = look.type;
    base = `${base}.${n.name}`;
  }
  return T.bool;
}

/**
 * The left side of `has`. A root that only some of the rule's phases have may stand there (it
 * reads as absent in the others): `input has text` in a rule on `input, output`.
 */
function inferHasObject(ctx: Context, env: Env, object: Expr): Type {
  const o = env.owner;
  if (object.kind === "Name" && o.kind === "rule" && !env.roots.has(object.name) && !env.locals.has(object.name)) {
    const having = o.phases.filter((p) => PHASE_ROOTS[p].includes(object.name));
    if (having.length > 0) {
      ctx.resolutions.set(object, { kind: "root", name: object.name });
      const t = join(rootsFor(having).get(object.name) ?? T.any, T.null);
      ctx.types.set(object, t);
      return t;
    }
  }
  return infer(ctx, env, object);
}

function inferBinary(ctx: Context, env: Env, e: Binary): Type {
  const file = env.scope.file;
  const op = e.op;
  if (op === "has") return inferHas(ctx, env, e);
  const l = infer(ctx, env, e.left);
  // `a and b` checks `b` knowing `a` holds; `a or b`, knowing it does not (narrow.ts).
  const r = infer(ctx, op === "and" || op === "or" ? narrowEnv(ctx, env, factsOf(ctx, env, e.left, op === "and")) : env, e.right);
  const ls = showType(nonNull(l));
  const rs = showType(nonNull(r));
  switch (op) {
    case "and":
    case "or":
      expectBool(ctx, env, e.left, l, `the left side of '${op}'`);
      expectBool(ctx, env, e.right, r, `the right side of '${op}'`);
      return T.bool;
    case "==":
    case "!=":
      checkPhaseNames(ctx, env, e);
      if (!overlaps(l, r)) ctx.report(file, "E300", e.opSpan, `'${op}' compares ${ls} with ${rs}: they are never equal`, "compare values of the same type; convert with to_number or to_string if needed");
      return T.bool;
    case "<":
    case "<=":
    case ">":
    case ">=": {
      const bad = certainlyNot(l, ORDERED) ? l : certainlyNot(r, ORDERED) ? r : undefined;
      if (bad !== undefined) ctx.report(file, "E300", e.opSpan, `cannot order ${showType(nonNull(bad))} values with '${op}'`, "only numbers, strings, durations and time instants can be compared with < <= > >=");
      else if (!overlaps(l, r)) ctx.report(file, "E300", e.opSpan, `cannot compare ${ls} ${op} ${rs}`, certainly(l, ["string"]) || certainly(r, ["string"]) ? "convert the string first, e.g. 'to_number(x)'" : "compare values of the same type");
      return T.bool;
    }
    case "in":
    case "not in":
      checkPhaseNames(ctx, env, e);
      if (certainlyNot(r, ["list", "string", "object"])) ctx.report(file, "E300", e.opSpan, `'${op}' needs a list, string or object on the right, found ${rs}`, "write the right side as a list, e.g. 'x in [\"a\", \"b\"]'");
      else if (certainly(r, ["list"]) && !overlaps(l, elementOf(r))) ctx.report(file, "E300", e.opSpan, `a ${ls} is never in a ${rs}`, "compare values of the same type");
      else if (certainly(r, ["string"]) && certainlyNot(l, ["string"])) ctx.report(file, "E300", e.opSpan, `'${op}' on a string looks for a substring, found ${ls} on the left`);
      return T.bool;
    case "contains":
      if (certainlyNot(l, ["list", "string", "object"])) ctx.report(file, "E300", e.opSpan, `'contains' needs a list, string or object on the left, found ${ls}`);
      else if (certainly(l, ["string"]) && certainlyNot(r, ["string", "pattern"])) ctx.report(file, "E300", e.opSpan, `a string contains strings or patterns, found ${rs}`);
      else if (certainly(l, ["list"]) && !overlaps(elementOf(l), r)) ctx.report(file, "E300", e.opSpan, `a ${ls} never contains a ${rs}`);
      if (certainly(r, ["pattern"]) && !certainly(l, ["string"]) && certainlyNot(l, ["string"])) ctx.report(file, "E307", e.right.span, "a pattern can only be looked for in a string");
      return T.bool;
    case "matches":
      if (certainlyNot(l, ["string"])) ctx.report(file, "E300", e.opSpan, `'matches' needs a string on the left, found ${ls}`, "convert it first: 'to_string(x) matches ...'");
      if (certainlyNot(r, ["string", "pattern"])) ctx.report(file, "E307", e.right.span, `the right side of 'matches' must be a regex, a string or a detector, found ${rs}`, "write a regex literal such as '/^[a-z]+$/' or a detector such as 'pii.email'");
      else if (e.right.kind === "String") checkRegexString(ctx, env, e.right);
      return T.bool;
    case "like":
    case "starts with":
    case "ends with": {
      const bad = certainlyNot(l, ["string"]) ? l : certainlyNot(r, ["string"]) ? r : undefined;
      if (bad !== undefined) ctx.report(file, "E300", e.opSpan, `'${op}' needs strings on both sides, found ${showType(nonNull(bad))}`, certainly(bad, ["pattern"]) ? "use 'matches' for a regex or detector" : undefined);
      return T.bool;
    }
    default: {
      const allowed = ARITH_KINDS[op];
      const bad = certainlyNot(l, allowed) ? l : certainlyNot(r, allowed) ? r : undefined;
      if (bad !== undefined) {
        ctx.report(file, "E300", e.opSpan, `cannot use '${op}' on ${showType(nonNull(bad))} values`, certainly(bad, ["string"]) ? "arithmetic needs numbers; convert with 'to_number(x)'" : undefined);
        return T.any;
      }
      const result = arithmetic(op, soleKind(l), soleKind(r));
      if (result === "error") {
        ctx.report(file, "E300", e.opSpan, `cannot compute ${ls} ${op} ${rs}`, certainly(l, ["string"]) || certainly(r, ["string"]) ? "arithmetic needs numbers; convert with 'to_number(x)'" : "both sides must have matching types (numbers, durations, or a time and a duration)");
        return T.any;
      }
      if (result !== undefined) return result;
      if (op === "+" && certainly(l, ["list"]) && certainly(r, ["list"])) return join(l, r);
      return T.any;
    }
  }
}

function inferInner(ctx: Context, env: Env, e: Expr): Type {
  const file = env.scope.file;
  switch (e.kind) {
    case "Number":
      return T.number;
    case "String":
      return T.string;
    case "Bool":
      return T.bool;
    case "Null":
      return T.null;
    case "Duration":
      return T.duration;
    case "Regex":
      checkRegexLiteral(ctx, env, e);
      return T.pattern;
    case "List": {
      const items = e.items.map((i) => infer(ctx, env, i));
      return T.list(items.length === 0 ? T.any : join(...items));
    }
    case "Object": {
      const fields: Record<string, Type> = {};
      for (const entry of e.entries) {
        const t = infer(ctx, env, entry.value);
        if (Object.hasOwn(fields, entry.key)) ctx.report(file, "E203", entry.keySpan, `key '${entry.key}' appears twice in this object`, "remove one of them");
        fields[entry.key] = t;
      }
      return T.object(fields);
    }
    case "Paren":
      return infer(ctx, env, e.expr);
    case "Name": {
      const lk = lookupName(ctx, env, e.name);
      if (lk.kind === "unknown" && e.name === "phase") {
        if (env.owner.kind === "rule" || env.owner.kind === "def") {
          ctx.resolutions.set(e, { kind: "phase" });
          return T.string;
        }
        ctx.report(file, "E209", e.span, `'phase' cannot be read ${env.owner.kind === "const" ? "in a const" : "in a test input"}`, "it is the phase a rule is deciding; read it in a rule or a def");
        return T.any;
      }
      if (lk.kind === "found") {
        ctx.resolutions.set(e, lk.resolution);
        if (lk.resolution.kind === "package") markImport(env, e.name);
        return valueOf(ctx, env, e, lk.resolution);
      }
      if (lk.kind === "unavailable") unavailable(ctx, env, e.name, e.span, lk.phases);
      else ctx.report(file, "E200", e.span, `unknown name '${e.name}'`, didYouMean(e.name, namesInScope(ctx, env, false)));
      return T.any;
    }
    case "Member": {
      if (e.object.kind === "Name") {
        const lk = lookupName(ctx, env, e.object.name);
        if (lk.kind === "found" && (lk.resolution.kind === "package" || lk.resolution.kind === "namespace")) {
          const r = resolveQualified(ctx, env, e, lk.resolution, false);
          return r === undefined ? T.any : valueOf(ctx, env, e, r);
        }
      }
      const ot = infer(ctx, env, e.object);
      return field(ctx, env, e, e.object, ot, e.property.name, e.property.span);
    }
    case "Index": {
      const ot = infer(ctx, env, e.object);
      const it = infer(ctx, env, e.index);
      if (certainly(ot, ["list"])) {
        if (certainlyNot(it, ["number"])) ctx.report(file, "E300", e.index.span, `a list index must be a number, found ${showType(nonNull(it))}`);
        return elementOf(ot);
      }
      if (certainly(ot, ["object"])) {
        if (e.index.kind === "String") return field(ctx, env, e, e.object, ot, e.index.value, e.index.span);
        if (certainlyNot(it, ["string"])) ctx.report(file, "E300", e.index.span, `an object key must be a string, found ${showType(nonNull(it))}`);
        return T.any;
      }
      if (certainlyNot(ot, ["list", "object"])) ctx.report(file, "E306", e.span, `cannot index a ${showType(nonNull(ot))}`, certainly(ot, ["string"]) ? "use substring(s, start, end) for part of a string" : undefined);
      return T.any;
    }
    case "Call":
      return inferCall(ctx, env, e);
    case "Unary": {
      const t = infer(ctx, env, e.operand);
      if (e.op === "not") {
        expectBool(ctx, env, e.operand, t, "the operand of 'not'");
        return T.bool;
      }
      if (certainlyNot(t, ["number", "duration"])) {
        ctx.report(file, "E300", e.span, `cannot negate a ${showType(nonNull(t))}`);
        return T.any;
      }
      return nonNull(t).kind === "duration" ? T.duration : certainly(t, ["number"]) ? T.number : T.any;
    }
    case "Binary":
      return inferBinary(ctx, env, e);
    case "Quantifier":
      return inferQuantifier(ctx, env, e);
  }
}
