// Warnings about rules that mean something other than what they seem to say (spec/soundness.md):
// - W006: a `deny` or `require_approval` rule whose `when` is false whenever an optional field
//   is absent (`tool.args.amount > 500` does not fire when the agent leaves `amount` out);
// - W007: two rules rewrite the same field in ways whose result depends on their order;
// - W008: a quantifier's condition ends in `... or x` / `... and x` where `x` does not use the
//   quantifier's variable: the body reaches as far right as it can, so `x` is inside it.
import type { Binary, Effect, Expr, Phase, Quantifier } from "../ast.ts";
import { formatExpr } from "../format.ts";
import { PHASE_SCHEMAS, type JSONSchemaObject } from "./schema.ts";
import { pathText, type Context } from "./context.ts";
import type { CheckedRule } from "./program.ts";

function unparen(e: Expr): Expr {
  while (e.kind === "Paren") e = e.expr;
  return e;
}

/** Calls `f` on `e` and every expression below it. */
function walk(e: Expr, f: (x: Expr) => void): void {
  f(e);
  switch (e.kind) {
    case "List":
      e.items.forEach((x) => walk(x, f));
      return;
    case "Object":
      e.entries.forEach((x) => walk(x.value, f));
      return;
    case "Member":
      walk(e.object, f);
      return;
    case "Index":
      walk(e.object, f);
      walk(e.index, f);
      return;
    case "Call":
      walk(e.callee, f);
      e.args.forEach((x) => walk(x, f));
      return;
    case "Unary":
      walk(e.operand, f);
      return;
    case "Binary":
      walk(e.left, f);
      if (e.op !== "has") walk(e.right, f);
      return;
    case "Quantifier":
      walk(e.collection, f);
      if (e.body !== null) walk(e.body, f);
      return;
    case "Paren":
      walk(e.expr, f);
      return;
    default:
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// W008: a quantifier's condition that reaches past its variable

function usesAny(ctx: Context, e: Expr, q: Quantifier): boolean {
  let found = false;
  walk(e, (x) => {
    if (x.kind === "Name") {
      const r = ctx.resolutions.get(x);
      if (r?.kind === "variable" && r.binder === q) found = true;
    }
  });
  return found;
}

/** The last operand of the `and`/`or` chain at the top of a quantifier body, with the chain's operator. */
function trailing(body: Expr): { op: "and" | "or"; last: Expr; rest: Expr } | null {
  if (body.kind !== "Binary" || (body.op !== "and" && body.op !== "or")) return null;
  return { op: body.op, last: body.right, rest: body.left };
}

function lintQuantifiers(ctx: Context, file: string, root: Expr): void {
  walk(root, (x) => {
    if (x.kind !== "Quantifier" || x.body === null) return;
    const t = trailing(x.body);
    if (t === null || usesAny(ctx, t.last, x)) return;
    const vars = x.vars.map((v) => v.name).join(" then ");
    const head = `${x.quantifier} ${vars} in ${formatExpr(x.collection, Number.MAX_SAFE_INTEGER)}${x.quantifier === "count" ? " where " : ": "}`;
    const fix = `(${head}${formatExpr(t.rest, Number.MAX_SAFE_INTEGER)}) ${t.op} ${formatExpr(t.last, Number.MAX_SAFE_INTEGER)}`;
    const inside = `${head}(${formatExpr(x.body, Number.MAX_SAFE_INTEGER)})`;
    ctx.report(
      file,
      "W008",
      t.last.span,
      `'${formatExpr(t.last, 60)}' does not use ${x.vars.map((v) => `'${v.name}'`).join(" or ")} but is part of the condition of '${x.quantifier}' (a quantifier's condition reaches as far right as it can)`,
      short(fix) ? `if it belongs outside, write '${fix}'; if inside, write '${inside}'` : "parenthesise the quantifier, or its whole condition, to say which you mean",
    );
  });
}

function short(s: string): boolean {
  return s.length <= 160 && !s.includes("\n");
}

// ---------------------------------------------------------------------------------------------
// W006: an absent field that keeps a deny or an approval from firing

/** Whether `path` (root, field...) is required in every one of `phases` (every step is a required property of its object). */
function required(phases: readonly Phase[], path: readonly string[]): boolean {
  return phases.every((phase) => {
    let schema: JSONSchemaObject = PHASE_SCHEMAS[phase];
    for (const k of path) {
      if (!(schema.required ?? []).includes(k)) return false;
      const next = schema.properties?.[k];
      if (typeof next !== "object" || next === null) return false;
      schema = next;
    }
    return true;
  });
}

/** The keys of a root path (`tool.args.amount` -> ["tool", "args", "amount"]), or null. */
function rootKeys(ctx: Context, e: Expr): string[] | null {
  e = unparen(e);
  if (e.kind === "Name") return ctx.resolutions.get(e)?.kind === "root" ? [e.name] : null;
  if (e.kind === "Member" && !ctx.resolutions.has(e)) {
    const base = rootKeys(ctx, e.object);
    return base === null ? null : [...base, e.property.name];
  }
  return null;
}

const TRIGGERS: ReadonlySet<string> = new Set(["<", "<=", ">", ">=", "contains", "in", "matches", "like", "starts with", "ends with"]);
const FALSE_WITH_NULL: ReadonlySet<string> = new Set(["<", "<=", ">", ">=", "contains", "in", "matches", "like", "starts with", "ends with"]);

/** Whether `e` is null when the path `p` is absent: `p` itself, a field below it, arithmetic on it. */
function nullWith(e: Expr, p: string): boolean {
  e = unparen(e);
  const t = pathText(e);
  if (t !== undefined && (t === p || t.startsWith(`${p}.`))) return true;
  return e.kind === "Binary" && ["+", "-", "*", "/", "%"].includes(e.op) && (nullWith(e.left, p) || nullWith(e.right, p));
}

function isNonNullLiteral(e: Expr): boolean {
  const k = unparen(e).kind;
  return k === "String" || k === "Number" || k === "Bool" || k === "Duration" || k === "List" || k === "Object";
}

/** Whether `e` is certainly false when `p` is absent. */
function falseWithout(e: Expr, p: string): boolean {
  e = unparen(e);
  if (e.kind === "Unary" && e.op === "not") return trueWithout(e.operand, p);
  if (e.kind !== "Binary") return nullWith(e, p);
  if (e.op === "and") return falseWithout(e.left, p) || falseWithout(e.right, p);
  if (e.op === "or") return falseWithout(e.left, p) && falseWithout(e.right, p);
  if (FALSE_WITH_NULL.has(e.op)) return nullWith(e.left, p) || nullWith(e.right, p);
  if (e.op === "==") return (nullWith(e.left, p) && isNonNullLiteral(e.right)) || (nullWith(e.right, p) && isNonNullLiteral(e.left));
  if (e.op === "has") return nullWith(e.left, p);
  return false;
}

/** Whether `e` is certainly true when `p` is absent. */
function trueWithout(e: Expr, p: string): boolean {
  e = unparen(e);
  if (e.kind === "Unary" && e.op === "not") return falseWithout(e.operand, p);
  if (e.kind !== "Binary") return false;
  if (e.op === "and") return trueWithout(e.left, p) && trueWithout(e.right, p);
  if (e.op === "or") return trueWithout(e.left, p) || trueWithout(e.right, p);
  if (e.op === "not in") return nullWith(e.left, p) || nullWith(e.right, p);
  if (e.op === "!=") return (nullWith(e.left, p) && isNonNullLiteral(e.right)) || (nullWith(e.right, p) && isNonNullLiteral(e.left));
  return false;
}

/** Paths the rule tests for presence itself (`x has f`, `x.f == null`, `x.f != null`): the author said what absence means. */
function presenceTested(ctx: Context, exprs: readonly Expr[]): Set<string> {
  const out = new Set<string>();
  for (const root of exprs) {
    walk(root, (x) => {
      if (x.kind !== "Binary") return;
      if (x.op === "has") {
        const base = pathText(x.left);
        const f = pathText(x.right);
        if (base !== undefined && f !== undefined) out.add(`${base}.${f}`);
      } else if (x.op === "==" || x.op === "!=") {
        const side = unparen(x.right).kind === "Null" ? x.left : unparen(x.left).kind === "Null" ? x.right : null;
        const t = side === null ? undefined : pathText(side);
        if (t !== undefined) out.add(t);
      }
    });
  }
  void ctx;
  return out;
}

function lintAbsence(ctx: Context, rule: CheckedRule): void {
  const d = rule.decl;
  if (d.when === null || !d.effects.some((e) => e.kind === "Deny" || e.kind === "RequireApproval")) return;
  const tested = presenceTested(ctx, [d.when, ...(d.unless === null ? [] : [d.unless])]);
  const seen = new Set<string>();
  walk(d.when, (x) => {
    if (x.kind !== "Binary" || !TRIGGERS.has(x.op)) return;
    for (const side of [x.left, x.right]) {
      const keys = rootKeys(ctx, side);
      if (keys === null) continue;
      const p = keys.join(".");
      if (seen.has(p) || required(rule.phases, keys) || [...tested].some((t) => p === t || p.startsWith(`${t}.`) || t.startsWith(`${p}.`))) continue;
      seen.add(p);
      if (!falseWithout(d.when as Expr, p)) continue;
      const parent = keys.slice(0, -1).join(".");
      const field = keys[keys.length - 1];
      const has = parent === "" ? `${p} != null` : `${parent} has ${field}`;
      ctx.report(rule.file, "W006", side.span, `when '${p}' is absent this rule does not fire: '${(x as Binary).op}' with an absent value is false`, `say what absence means: 'not (${has}) or ...' to ${d.effects.some((e) => e.kind === "Deny") ? "deny" : "ask"} when it is missing, or '${has} and ...' to accept it`);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// W007: transforms whose result depends on their order

interface Transform {
  readonly rule: CheckedRule;
  readonly effect: Effect & { kind: "Redact" | "Set" };
  readonly path: string;
}

function patternKey(e: Effect & { kind: "Redact" }): string {
  const p = e.pattern;
  return p.kind === "Regex" ? `/${p.pattern}/${p.flags}` : p.parts.map((x) => x.name).join(".");
}

function lintTransforms(ctx: Context, rules: readonly CheckedRule[]): void {
  const byPath = new Map<string, Transform[]>();
  for (const rule of rules) {
    for (const e of rule.decl.effects) {
      if (e.kind !== "Redact" && e.kind !== "Set") continue;
      const path = pathText(e.target);
      if (path === undefined) continue;
      const list = byPath.get(path) ?? [];
      list.push({ rule, effect: e, path });
      byPath.set(path, list);
    }
  }
  for (const list of byPath.values()) {
    for (let i = 1; i < list.length; i++) {
      const b = list[i];
      const a = list.slice(0, i).find((x) => x.rule !== b.rule && x.rule.phases.some((p) => b.rule.phases.includes(p)) && clash(x.effect, b.effect));
      if (a === undefined) continue;
      const where = `${a.rule.file}:${a.effect.span.start.line}`;
      const what =
        a.effect.kind === "Set" && b.effect.kind === "Set"
          ? `rules '${a.rule.id}' and '${b.rule.id}' both set '${b.path}': the later in rule order wins`
          : a.effect.kind === "Redact" && b.effect.kind === "Redact"
            ? `rules '${a.rule.id}' and '${b.rule.id}' redact the same pattern in '${b.path}' with different replacements: only the first in rule order replaces anything`
            : `rules '${a.rule.id}' and '${b.rule.id}' both rewrite '${b.path}', one with 'set' and one with 'redact': the result depends on their order`;
      ctx.report(b.rule.file, "W007", b.effect.span, what, `keep one of them, or make them agree (the other is at ${where}); rule order is by package, then file`);
    }
  }
}

function clash(a: Effect & { kind: "Redact" | "Set" }, b: Effect & { kind: "Redact" | "Set" }): boolean {
  if (a.kind === "Set" && b.kind === "Set") return formatExpr(a.value, Number.MAX_SAFE_INTEGER) !== formatExpr(b.value, Number.MAX_SAFE_INTEGER);
  if (a.kind === "Redact" && b.kind === "Redact") return patternKey(a) === patternKey(b) && (a.replacement?.value ?? null) !== (b.replacement?.value ?? null);
  return true;
}

/** Runs every lint over the checked rules (and the defs and consts, for quantifiers). */
export function lint(ctx: Context, rules: readonly CheckedRule[]): void {
  for (const r of rules) {
    for (const e of [r.decl.when, r.decl.unless]) if (e !== null) lintQuantifiers(ctx, r.file, e);
    lintAbsence(ctx, r);
  }
  for (const pkg of ctx.packages.values()) {
    for (const v of pkg.values.values()) {
      const e = v.decl.kind === "Def" ? v.decl.body : v.decl.value;
      lintQuantifiers(ctx, v.file.path, e);
    }
  }
  lintTransforms(ctx, rules);
}
