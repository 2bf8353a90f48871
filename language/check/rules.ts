// Rules: their phases decide which roots they read (those of every phase they run in), a
// `when` that pins the tool name lets the application's schema for that tool type
// `tool.args`, and every condition, message and effect is checked in that environment.
import type { Expr, RuleDecl } from "../ast.ts";
import { readPhases } from "./settings.ts";
import { rootsFor } from "./roots.ts";
import { factsOf, narrowEnv } from "./narrow.ts";
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


/** Checks one rule and reads it out for the program. */
export function checkRule(ctx: Context, declared: Declared<RuleDecl>): CheckedRule {
  const { decl: rule, file } = declared;
  const scope = ctx.scopes.get(file);
  const phases = readPhases(ctx, file, rule.phases);
  const meta = checkMeta(ctx, file, rule);
  const toolNames = pinnedTools(rule.when);
  if (scope !== undefined) {
    // Each part is checked knowing what the parts before it established (narrow.ts): the
    // `unless` runs once the `when` held, the effects once the `when` held and the `unless` did not.
    let env: Env = { scope, owner: { kind: "rule", id: declared.id, phases }, locals: new Map(), roots: rootsFor(phases) };
    if (rule.when !== null) {
      checkCondition(ctx, env, rule.when, "when");
      env = narrowEnv(ctx, env, factsOf(ctx, env, rule.when, true));
    }
    if (rule.unless !== null) {
      checkCondition(ctx, env, rule.unless, "unless");
      env = narrowEnv(ctx, env, factsOf(ctx, env, rule.unless, false));
    }
    for (const e of rule.effects) checkEffect(ctx, env, e);
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
