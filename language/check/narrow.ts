// Narrowing (spec/soundness.md): what a condition being true (or false) tells the checker about
// the rest of the rule. `a and b` checks `b` knowing `a` holds, `a or b` knowing `a` does not,
// and a rule's effects know its `when` holds and its `unless` does not. The facts:
// - `x has f.g`, `x.f != null`, `x.f == "literal"`: the path is present (its type loses `null`);
// - `tool.name == "x"` / `tool.name in ["x", "y"]`: `tool.args` has the application's schema of
//   those tools (when it supplied one for each);
// - `phase == "input"`, `phase in [...]`, `phase != "output"`: the rule runs in those phases
//   only, so the roots they all have become readable (a rule on `input, output` can read
//   `input.text` once it tested `phase == "input"`).
// Narrowing only ever holds where it is used: both evaluators evaluate `and`/`or` left to right
// with short-circuit, and effects only after the `when` held, so a type learnt here is the type
// the value has when the narrowed expression runs.
import { PHASES, type Expr, type Phase } from "../ast.ts";
import type { Type } from "../types.ts";
import { join, lookupField, nonNull } from "./types.ts";
import { pathText, type Context, type Env } from "./context.ts";
import { rootsFor } from "./roots.ts";
import { PHASE_ROOTS, schemaToType } from "./schema.ts";

/** What a condition's truth (or falsity) says. */
export interface Facts {
  /** Paths (as `pathText` writes them) and their narrowed types. */
  readonly paths: ReadonlyMap<string, Type>;
  /** The phases the rule can still be in; undefined when unchanged. */
  readonly phases?: readonly Phase[];
}

const NONE: Facts = { paths: new Map() };

function unparen(e: Expr): Expr {
  while (e.kind === "Paren") e = e.expr;
  return e;
}

function isPhaseRef(ctx: Context, e: Expr): boolean {
  e = unparen(e);
  return e.kind === "Name" && ctx.resolutions.get(e)?.kind === "phase";
}

function isToolName(e: Expr): boolean {
  e = unparen(e);
  return e.kind === "Member" && e.property.name === "name" && unparen(e.object).kind === "Name" && (unparen(e.object) as { name: string }).name === "tool";
}

function strings(e: Expr): string[] | null {
  e = unparen(e);
  if (e.kind === "String") return [e.value];
  if (e.kind === "List" && e.items.every((i) => unparen(i).kind === "String")) return e.items.map((i) => (unparen(i) as { value: string }).value);
  return null;
}

function merge(a: Facts, b: Facts): Facts {
  if (a.paths.size === 0 && a.phases === undefined) return b;
  if (b.paths.size === 0 && b.phases === undefined) return a;
  const paths = new Map(a.paths);
  for (const [k, v] of b.paths) paths.set(k, v);
  const phases = a.phases === undefined ? b.phases : b.phases === undefined ? a.phases : a.phases.filter((p) => b.phases?.includes(p));
  return phases === undefined ? { paths } : { paths, phases };
}

/** The type `e` was inferred to have, without null. */
function present(ctx: Context, e: Expr): Type | undefined {
  const t = ctx.types.get(e);
  return t === undefined ? undefined : nonNull(t);
}

/** What `e` being `truth` says, in `env` (its types are already inferred). */
export function factsOf(ctx: Context, env: Env, e: Expr, truth: boolean): Facts {
  e = unparen(e);
  if (e.kind === "Unary" && e.op === "not") return factsOf(ctx, env, e.operand, !truth);
  if (e.kind !== "Binary") return NONE;
  switch (e.op) {
    case "and":
      return truth ? merge(factsOf(ctx, env, e.left, true), factsOf(ctx, narrowEnv(ctx, env, factsOf(ctx, env, e.left, true)), e.right, true)) : NONE;
    case "or":
      return truth ? NONE : merge(factsOf(ctx, env, e.left, false), factsOf(ctx, env, e.right, false));
    case "has": {
      if (!truth) return NONE;
      const facts = hasFacts(ctx, e.left, e.right);
      // `input has text` in a rule on `input, output`: the rule is in a phase that has `input`.
      const l = unparen(e.left);
      if (l.kind === "Name" && !env.roots.has(l.name) && env.owner.kind === "rule") {
        const having = env.owner.phases.filter((p) => PHASE_ROOTS[p].includes(l.name));
        if (having.length > 0) return { paths: facts.paths, phases: having };
      }
      return facts;
    }
    case "==":
    case "!=": {
      const equal = (e.op === "==") === truth;
      if (isPhaseRef(ctx, e.left) || isPhaseRef(ctx, e.right)) {
        const lit = strings(isPhaseRef(ctx, e.left) ? e.right : e.left);
        if (lit === null || lit.length !== 1) return NONE;
        return { paths: new Map(), phases: equal ? lit.filter(isPhase) : PHASES.filter((p) => p !== lit[0]) };
      }
      if (!equal) {
        // `x != null` true: x is present.
        const side = unparen(e.right).kind === "Null" ? e.left : unparen(e.left).kind === "Null" ? e.right : null;
        return side === null ? NONE : presence(ctx, side);
      }
      if (isToolName(e.left) || isToolName(e.right)) {
        const names = strings(isToolName(e.left) ? e.right : e.left);
        return names === null ? NONE : toolFacts(ctx, env, names);
      }
      const lit = unparen(e.right).kind !== "Null" && isLiteral(e.right) ? e.left : unparen(e.left).kind !== "Null" && isLiteral(e.left) ? e.right : null;
      return lit === null ? NONE : presence(ctx, lit);
    }
    case "in":
    case "not in": {
      const inside = (e.op === "in") === truth;
      if (!inside) return NONE;
      const names = strings(e.right);
      if (names === null) return NONE;
      if (isPhaseRef(ctx, e.left)) return { paths: new Map(), phases: names.filter(isPhase) };
      if (isToolName(e.left)) return toolFacts(ctx, env, names);
      return NONE;
    }
    default:
      return NONE;
  }
}

function isPhase(p: string): p is Phase {
  return (PHASES as readonly string[]).includes(p);
}

function isLiteral(e: Expr): boolean {
  const k = unparen(e).kind;
  return k === "String" || k === "Number" || k === "Bool" || k === "Duration";
}

function presence(ctx: Context, e: Expr): Facts {
  const key = pathText(e);
  const t = present(ctx, e);
  return key === undefined || t === undefined ? NONE : { paths: new Map([[key, t]]) };
}

/** `x has a.b`: `x.a` and `x.a.b` are present. */
function hasFacts(ctx: Context, object: Expr, fields: Expr): Facts {
  const base = pathText(object);
  if (base === undefined) return NONE;
  const names: string[] = [];
  for (let f = unparen(fields); ; ) {
    if (f.kind === "Name") {
      names.unshift(f.name);
      break;
    }
    if (f.kind !== "Member") return NONE;
    names.unshift(f.property.name);
    f = unparen(f.object);
  }
  const paths = new Map<string, Type>();
  let t = ctx.types.get(object);
  let key = base;
  for (const n of names) {
    key = `${key}.${n}`;
    const look = t === undefined ? undefined : lookupField(t, n);
    t = look?.kind === "found" ? nonNull(look.type) : undefined;
    if (t !== undefined) paths.set(key, t);
  }
  return { paths };
}

/** `tool.name` is one of `names`: `tool.args` follows their schemas when each has one. */
function toolFacts(ctx: Context, env: Env, names: readonly string[]): Facts {
  if (names.length === 0 || !env.roots.has("tool") || !names.every((n) => Object.hasOwn(ctx.toolSchemas, n))) return NONE;
  return { paths: new Map([["tool.args", join(...names.map((n) => schemaToType(ctx.toolSchemas[n])))]]) };
}

/** `env` with `facts` applied: narrowed paths, and the roots of the narrowed phases. */
export function narrowEnv(ctx: Context, env: Env, facts: Facts): Env {
  if (facts.paths.size === 0 && facts.phases === undefined) return env;
  const narrow = new Map(env.narrow ?? []);
  for (const [k, v] of facts.paths) narrow.set(k, v);
  let out: Env = { ...env, narrow };
  const o = env.owner;
  if (facts.phases !== undefined && o.kind === "rule") {
    const phases = o.phases.filter((p) => facts.phases?.includes(p));
    if (phases.length > 0 && phases.length < o.phases.length) {
      out = { ...out, owner: { ...o, phases }, roots: rootsFor(phases) };
    }
  }
  return out;
}
