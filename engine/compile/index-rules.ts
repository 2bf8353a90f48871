// The rule index: for each phase, the rules that run in it, split by the value of one input
// path (usually `tool.name`) that rules pin with a leading `path == "x"` / `path in [...]`, so
// that a decision visits only the rules that can match plus those that pin nothing.
//
// Exactness: skipping a rule is only allowed when evaluating it could not have fired it *nor
// errored it*. A pin is used only when every conjunct before it in the `when` cannot fail
// (`neverFails`): then a pin that does not hold makes the `when` false with no error, exactly
// what the reference interpreter would have found. (The checker's `toolNames` looks at any
// conjunct, which is right for typing but not for this: `tool.args.x > 1 and tool.name == "a"`
// errors on a string `x` whatever the tool.)
import type { Expr } from "../../language/ast.ts";
import type { CheckedProgram } from "../../language/check/program.ts";
import { getField, type Value } from "./values.ts";
import { checked } from "./runtime-types.ts";



/** A pin: the `when` is false (without error) unless the value at `path` is one of `values`. */
export interface Pin {
  /** Input keys from the root: `["tool", "name"]`. */
  readonly path: readonly string[];
  readonly values: readonly string[];
  /** The conjunct that pins, and whether it is the first one evaluated (then an indexed rule need not test it again). */
  readonly node: Expr;
  readonly leading: boolean;
}

function unparen(e: Expr): Expr {
  while (e.kind === "Paren") e = e.expr;
  return e;
}

/** The top-level `and` operands of a condition, in order, parentheses looked through. */
export function conjuncts(e: Expr, out: Expr[]): Expr[] {
  e = unparen(e);
  if (e.kind === "Binary" && e.op === "and") {
    conjuncts(e.left, out);
    conjuncts(e.right, out);
  } else out.push(e);
  return out;
}

/** The input path an expression reads (`tool.args.x` -> ["tool", "args", "x"]), or null when it is not a plain root path. */
export function rootPath(program: CheckedProgram, e: Expr): string[] | null {
  e = unparen(e);
  if (e.kind === "Name") {
    const r = program.resolutions.get(e);
    return r?.kind === "root" ? [r.name] : null;
  }
  if (e.kind === "Member") {
    const r = program.resolutions.get(e);
    if (r) return r.kind === "root" ? [r.name] : null;
    const base = rootPath(program, e.object);
    return base === null ? null : [...base, e.property.name];
  }
  return null;
}

/** A string the expression always is (a literal or a string const), or null. */
function fixedString(program: CheckedProgram, constValue: (id: string) => Value, e: Expr): string | null {
  e = unparen(e);
  if (e.kind === "String") return e.value;
  const r = e.kind === "Name" || e.kind === "Member" ? program.resolutions.get(e) : undefined;
  if (r?.kind === "const") {
    const v = constValue(r.id);
    return typeof v === "string" ? v : null;
  }
  return null;
}

/** The strings a list expression always holds when every element is a string (a literal list or a list const), or null. */
function fixedStrings(program: CheckedProgram, constValue: (id: string) => Value, e: Expr): string[] | null {
  e = unparen(e);
  if (e.kind === "List") {
    const out: string[] = [];
    for (const i of e.items) {
      const s = fixedString(program, constValue, i);
      if (s === null) return null;
      out.push(s);
    }
    return out;
  }
  const r = e.kind === "Name" || e.kind === "Member" ? program.resolutions.get(e) : undefined;
  if (r?.kind === "const") {
    const v = constValue(r.id);
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
  }
  return null;
}

/** Whether evaluating `e` can never throw (conservative: field reads, literals, consts, `==`, `in` a fixed list). */
function neverFails(program: CheckedProgram, e: Expr): boolean {
  e = unparen(e);
  switch (e.kind) {
    case "Number":
    case "String":
    case "Bool":
    case "Null":
    case "Duration":
      return true;
    case "List":
      return e.items.every((i) => neverFails(program, i));
    case "Object":
      return e.entries.every((en) => neverFails(program, en.value));
    case "Name": {
      // Not consts: reading a const whose evaluation failed errors the rule (reference.ts).
      // A root's kind is checked at the boundary (input-check.ts); a variable's read is typed.
      const k = program.resolutions.get(e)?.kind;
      return k === "root" || k === "phase" || ((k === "variable" || k === "param") && !checked(program.types.get(e)));
    }
    case "Member": {
      const r = program.resolutions.get(e);
      if (r) return r.kind === "root";
      // A typed read fails on a value of another type, unless the boundary checked it (a root's field).
      if (checked(program.types.get(e)) && rootPath(program, e)?.length !== 2) return false;
      return neverFails(program, e.object);
    }
    case "Binary":
      if (e.op === "==" || e.op === "!=") return neverFails(program, e.left) && neverFails(program, e.right);
      if (e.op === "in" || e.op === "not in") return unparen(e.right).kind === "List" && neverFails(program, e.left) && neverFails(program, e.right);
      if (e.op === "and" || e.op === "or") return isBoolNeverFailing(program, e.left) && isBoolNeverFailing(program, e.right);
      return false;
    case "Unary":
      return e.op === "not" && isBoolNeverFailing(program, e.operand);
    default:
      return false;
  }
}

// An expression that never fails and is always a bool (so `truth` of it cannot fail either).
function isBoolNeverFailing(program: CheckedProgram, e: Expr): boolean {
  e = unparen(e);
  if (e.kind === "Bool") return true;
  if (e.kind === "Binary" && (e.op === "==" || e.op === "!=" || e.op === "in" || e.op === "not in" || e.op === "and" || e.op === "or")) return neverFails(program, e);
  if (e.kind === "Unary") return neverFails(program, e);
  return false;
}

/**
 * The pins of a `when` that only never-failing conjuncts precede (each holds on its own: if any
 * of them does not, the `when` is false without error), at most one per path, in order.
 */
export function findPins(program: CheckedProgram, constValue: (id: string) => Value, when: Expr | null): Pin[] {
  const out: Pin[] = [];
  if (when === null) return out;
  const cs = conjuncts(when, []);
  for (let i = 0; i < cs.length; i++) {
    const pin = pinAt(program, constValue, cs[i], i === 0);
    if (pin !== null && !out.some((p) => pathKey(p.path) === pathKey(pin.path))) out.push(pin);
    // Every conjunct goes through `truth`, so it must also be a bool.
    if (!isBoolNeverFailing(program, cs[i])) break;
  }
  return out;
}

/** The first pin of a `when` that only never-failing conjuncts precede, or null. */
export function findPin(program: CheckedProgram, constValue: (id: string) => Value, when: Expr | null): Pin | null {
  return findPins(program, constValue, when)[0] ?? null;
}

function pinAt(program: CheckedProgram, constValue: (id: string) => Value, c: Expr, leading: boolean): Pin | null {
  if (c.kind === "Binary" && c.op === "==") {
    const lp = rootPath(program, c.left);
    const rs = lp === null ? null : fixedString(program, constValue, c.right);
    if (lp !== null && rs !== null) return { path: lp, values: [rs], node: c, leading };
    const rp = rootPath(program, c.right);
    const ls = rp === null ? null : fixedString(program, constValue, c.left);
    if (rp !== null && ls !== null) return { path: rp, values: [ls], node: c, leading };
  } else if (c.kind === "Binary" && c.op === "in") {
    const lp = rootPath(program, c.left);
    const vs = lp === null ? null : fixedStrings(program, constValue, c.right);
    if (lp !== null && vs !== null) return { path: lp, values: [...new Set(vs)], node: c, leading };
  }
  return null;
}

/** The rules of one phase, by position in program order, split on the value at `path`. */
export interface PhaseIndex<R> {
  /** The indexed path, or null when no rule of the phase pins one. */
  readonly path: readonly string[] | null;
  /** Rules that any input may fire, in rule order. */
  readonly always: readonly R[];
  /** Rules pinned to each value of `path`, in rule order. */
  readonly byValue: ReadonlyMap<string, readonly R[]>;
}

/** A rule as the index sees it: its position in program order and its pins. */
export interface Indexable {
  readonly position: number;
  readonly pins: readonly Pin[];
}

/** The pin of `r` on `path`, if it has one. */
export function pinOn(r: Indexable, path: readonly string[] | null): Pin | null {
  if (path === null) return null;
  const k = pathKey(path);
  return r.pins.find((p) => pathKey(p.path) === k) ?? null;
}

const pathKey = (p: readonly string[]): string => JSON.stringify(p);

/**
 * Builds a phase's index over `rules` (in rule order). The path chosen is the one the most
 * rules pin; rules that pin another path, or none, are `always` candidates. (One path per
 * phase keeps a decision at one lookup; `tool.name` is the one that matters in practice.)
 */
export function buildPhaseIndex<R extends Indexable>(rules: readonly R[]): PhaseIndex<R> {
  const counts = new Map<string, number>();
  for (const r of rules) for (const p of r.pins) counts.set(pathKey(p.path), (counts.get(pathKey(p.path)) ?? 0) + 1);
  let best: string | null = null;
  for (const [k, n] of counts) if (best === null || n > (counts.get(best) ?? 0)) best = k;
  if (best === null) return { path: null, always: rules, byValue: new Map() };
  const always: R[] = [];
  const byValue = new Map<string, R[]>();
  const path = JSON.parse(best) as string[];
  for (const r of rules) {
    const pin = pinOn(r, path);
    if (pin !== null) {
      for (const v of pin.values) {
        let list = byValue.get(v);
        if (list === undefined) byValue.set(v, (list = []));
        list.push(r);
      }
    } else always.push(r);
  }
  return { path, always, byValue };
}

/** The value at `path` in the input, read as the evaluators read paths (absent is null). */
export function readPath(input: Value, path: readonly string[]): Value {
  let v = input;
  for (let i = 0; i < path.length; i++) v = getField(v, path[i]);
  return v;
}
