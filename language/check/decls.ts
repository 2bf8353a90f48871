// Consts and defs are typed on first use (and then once more for any left unused), so that a
// reference always sees the final type of what it names. The dependency edges recorded along
// the way give recursion (refused: the language is total) and an evaluation order for the engine.
import type { ConstDecl, DefDecl, PolicyFile } from "../ast.ts";
import { T, type Type } from "../types.ts";
import { cycles, stronglyConnected } from "./graph.ts";
import { bindLocal, infer } from "./infer.ts";
import { paramType } from "./params.ts";
import type { Context, Declared, DeclState, Env, Local } from "./context.ts";

export { DEF_ROOTS } from "./def-roots.ts";
import { DEF_ROOTS } from "./def-roots.ts";

/** The const or def with this id (`package.name`). */
export function declaredValue(ctx: Context, id: string): Declared<ConstDecl> | Declared<DefDecl> | undefined {
  const dot = id.lastIndexOf(".");
  return ctx.packages.get(id.slice(0, dot))?.values.get(id.slice(dot + 1));
}

/** Types the const or def `id` if not done yet; while it is being typed (a cycle), its type reads as `any`. */
export function ensureValue(ctx: Context, id: string): DeclState {
  const known = ctx.decls.get(id);
  if (known !== undefined) return known;
  const state: DeclState = { state: "pending", type: T.any, roots: new Set() };
  ctx.decls.set(id, state);
  const declared = declaredValue(ctx, id);
  const scope = declared === undefined ? undefined : ctx.scopes.get(declared.file);
  if (declared === undefined || scope === undefined) {
    state.state = "done";
    return state;
  }
  if (declared.decl.kind === "Const") {
    const env: Env = { scope, owner: { kind: "const", id }, locals: new Map(), roots: new Map() };
    const t = infer(ctx, env, declared.decl.value);
    state.type = declared.decl.param ? paramType(ctx, declared.file, declared.decl, t) : t;
  } else {
    const def = declared.decl;
    const locals = new Map<string, Local & { type: Type }>();
    const base: Env = { scope, owner: { kind: "def", id }, locals, roots: DEF_ROOTS };
    def.params.forEach((p, index) => {
      if (locals.has(p.name)) {
        ctx.report(scope.file, "E203", p.span, `parameter '${p.name}' is declared twice`, "give each parameter its own name");
        return;
      }
      bindLocal(ctx, { ...base, locals: new Map(locals) }, p, "parameter");
      locals.set(p.name, { kind: "param", ident: p, resolution: { kind: "param", name: p.name, id, def, index }, type: T.any });
    });
    state.type = infer(ctx, base, def.body);
  }
  state.state = "done";
  return state;
}

/** Reports every cycle among consts and defs (E204). */
export function reportRecursion(ctx: Context): void {
  const ids = [...ctx.packages.values()].flatMap((p) => [...p.values.values()].map((v) => v.id));
  const index = new Map(ids.map((id, i) => [id, i]));
  const succ = ids.map((id) => [...(ctx.deps.get(id) ?? [])].map((d) => index.get(d)).filter((d): d is number => d !== undefined));
  for (const cycle of cycles(ids.length, (v) => succ[v])) {
    const members = cycle.map((v) => declaredValue(ctx, ids[v]) as Declared<ConstDecl> | Declared<DefDecl>);
    const first = members[0];
    const kind = first.decl.kind === "Const" ? "const" : "def";
    const path = cyclePath(ids, succ, cycle).map((v) => `'${ids[v].slice(ids[v].lastIndexOf(".") + 1)}'`);
    const message = cycle.length === 1 ? (kind === "def" ? `def '${first.decl.name.name}' calls itself` : `const '${first.decl.name.name}' is defined in terms of itself`) : `recursive definitions: ${path.join(" -> ")}`;
    const help = members.some((m) => m.decl.kind === "Def") ? "defs may not recurse (the language is total); express repetition with a quantifier over a list" : "give one of them a value that does not depend on the other";
    ctx.report(first.file, "E204", first.decl.name.span, message, help);
  }
}

function cyclePath(ids: readonly string[], succ: readonly number[][], cycle: readonly number[]): number[] {
  const inCycle = new Set(cycle);
  const start = cycle[0];
  const path = [start];
  let cur = start;
  for (let i = 0; i < cycle.length; i++) {
    const next = succ[cur].find((s) => inCycle.has(s) && (s === start ? path.length === cycle.length : !path.includes(s))) ?? succ[cur].find((s) => inCycle.has(s));
    if (next === undefined) break;
    path.push(next);
    if (next === start) break;
    cur = next;
  }
  if (path[path.length - 1] !== start && ids.length > 0) path.push(start);
  return path;
}

/** Const and def ids in an order where every one comes after those it depends on. */
export function evaluationOrder(ctx: Context): string[] {
  const ids = [...ctx.packages.values()].flatMap((p) => [...p.values.values()].map((v) => v.id));
  const index = new Map(ids.map((id, i) => [id, i]));
  const succ = ids.map((id) => [...(ctx.deps.get(id) ?? [])].map((d) => index.get(d)).filter((d): d is number => d !== undefined));
  const comp = stronglyConnected(ids.length, (v) => succ[v]);
  return ids.map((id, i) => ({ id, c: comp[i], i })).sort((a, b) => a.c - b.c || a.i - b.i).map((x) => x.id);
}

/** The file a value was declared in. */
export function fileOf(ctx: Context, id: string): PolicyFile | undefined {
  return declaredValue(ctx, id)?.file;
}
