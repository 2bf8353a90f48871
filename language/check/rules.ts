// Rules: their phases decide which roots they read (those of every phase they run in), a
// `when` that pins the tool name lets the application's schema for that tool type
// `tool.args`, and every condition, message and effect is checked in that environment.
import type { Expr, Phase, RuleDecl } from "../ast.ts";
import { T, type Type } from "../types.ts";
import { PHASE_ROOTS, rootType, schemaToType } from "./schema.ts";
import { intersectObjects, join } from "./types.ts";
import { readPhases } from "./settings.ts";
import { DEF_ROOTS } from "./decls.ts";
import { checkCondition, checkEffect, checkMeta } from "./effects.ts";
import type { Context, Declared, Env } from "./context.ts";
import type { CheckedRule } from "./program.ts";

function isToolName(e: Expr): boolean {
  while (e.kind === "Paren") e = e.expr;
  return e.kind === "Member" && e.property.name === "name" && e.object.kind === "Name" && e.object.name === "tool";
}

function conjuncts(e: Expr): Expr[] {
  while (e.kind === "Paren") e = e.expr;
  return e.kind === "Binary" && e.op === "and" ? [...conjuncts(e.left), ...conjuncts(e.right)] : [e];
}

/**
 * The tool names a `when` pins with a top-level conjunct `tool.name == "x"`, `"x" == tool.name`
 * or `tool.name in ["x", "y"]`; null when it pins none. Several pins intersect.
 */
export function pinnedTools(when: Expr | null): string[] | null {
  if (when === null) return null;
  let names: string[] | null = null;
  for (const c of conjuncts(when)) {
    let found: string[] | null = null;
    if (c.kind === "Binary" && c.op === "==") {
      if (isToolName(c.left) && c.right.kind === "String") found = [c.right.value];
      else if (isToolName(c.right) && c.left.kind === "String") found = [c.left.value];
    } else if (c.kind === "Binary" && c.op === "in" && isToolName(c.left) && c.right.kind === "List" && c.right.items.every((i) => i.kind === "String")) {
      found = c.right.items.map((i) => (i.kind === "String" ? i.value : ""));
    }
    if (found !== null) names = names === null ? found : names.filter((n) => (found as string[]).includes(n));
  }
  return names === null ? null : [...new Set(names)];
}

/** The roots a rule on `phases` may read: those every phase has, typed as all phases agree. */
export function rootsFor(phases: readonly Phase[]): Map<string, Type> {
  if (phases.length === 0) return new Map(DEF_ROOTS);
  const out = new Map<string, Type>();
  for (const r of PHASE_ROOTS[phases[0]]) {
    if (phases.every((p) => PHASE_ROOTS[p].includes(r))) out.set(r, intersectObjects(phases.map((p) => rootType(p, r) ?? T.any)));
  }
  return out;
}

/** `tool` with `args` typed by the application's schemas for the pinned tools, when it supplied one for each. */
function withToolArgs(ctx: Context, tool: Type, names: readonly string[] | null): Type {
  if (names === null || names.length === 0 || tool.kind !== "object" || !names.every((n) => Object.hasOwn(ctx.toolSchemas, n))) return tool;
  const args = join(...names.map((n) => schemaToType(ctx.toolSchemas[n])));
  return { ...tool, fields: { ...tool.fields, args } };
}

/** Checks one rule and reads it out for the program. */
export function checkRule(ctx: Context, declared: Declared<RuleDecl>): CheckedRule {
  const { decl: rule, file } = declared;
  const scope = ctx.scopes.get(file);
  const phases = readPhases(ctx, file, rule.phases);
  const meta = checkMeta(ctx, file, rule);
  const toolNames = pinnedTools(rule.when);
  const roots = rootsFor(phases);
  const tool = roots.get("tool");
  if (tool !== undefined) roots.set("tool", withToolArgs(ctx, tool, toolNames));
  if (scope !== undefined) {
    const env: Env = { scope, owner: { kind: "rule", id: declared.id, phases }, locals: new Map(), roots };
    if (rule.when !== null) checkCondition(ctx, env, rule.when, "when");
    if (rule.unless !== null) checkCondition(ctx, env, rule.unless, "unless");
    for (const e of rule.effects) checkEffect(ctx, env, phases, e);
  }
  const dot = declared.id.lastIndexOf(".");
  return {
    id: declared.id,
    package: declared.id.slice(0, dot),
    name: rule.name.name,
    file: file.path,
    decl: rule,
    phases,
    severity: meta.severity,
    controls: meta.controls,
    tags: meta.tags,
    owner: meta.owner,
    doc: rule.doc,
    toolNames,
  };
}
