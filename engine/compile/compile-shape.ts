// Rule conditions of the commonest shape as generated source shared per shape. A condition that
// is a conjunction of `PATH op CONSTANT` tests (`tool.args.amount > 500`, `env == "production"`)
// compiles to one function per *shape* (the paths and operators, as source) that takes the
// rule's constants as data (`r.c0`...). Ten thousand rules that differ only in their constants
// then run one hot function, reading their constants from the rule object itself, instead of
// each walking its own chain of closures and contexts spread over the heap.
//
// Exactness: used only by `CompiledProgram.decide`'s direct path, which needs the truth of the
// condition or the knowledge that it errors (it then starts over through `combine`). Each test
// is a bool or throws a PolicyRuntimeError, exactly as compile-expr.ts evaluates it (`===`
// against a constant scalar; `typeof a === "number" ? a > k : compare(...)` against a constant
// number), and `and` over bools is left-to-right short-circuit, whatever the tree's grouping.
import type { Expr } from "../../language/ast.ts";
import type { CheckedProgram } from "../../language/check/program.ts";
import type { ExprCompiler } from "./compile-expr.ts";
import { pathReader, type PathTypes } from "./compile-path.ts";
import { conjuncts, rootPath } from "./index-rules.ts";
import type { Reason } from "../runtime/decision.ts";
import { compare, displayValue, type Value } from "./values.ts";

/** Constants a shaped condition reads, held on the rule object (at most four). */
export interface ShapeConstants {
  readonly c0: Value;
  readonly c1: Value;
  readonly c2: Value;
  readonly c3: Value;
}

/** A shaped condition: its truth for an input, given the rule's constants; throws PolicyRuntimeError on a clash. */
export type ShapedCondition = (input: Value, r: ShapeConstants) => boolean;

const MAX_TESTS = 4;
type Op = "==" | "!=" | "<" | "<=" | ">" | ">=";
interface Test {
  readonly path: readonly string[];
  readonly types: PathTypes;
  readonly op: Op;
  readonly k: string | number | boolean;
}

function isScalar(v: Value): v is string | number | boolean {
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean";
}

function asTest(program: CheckedProgram, c: ExprCompiler, e: Expr): Test | null {
  if (e.kind !== "Binary") return null;
  const op = e.op;
  if (op !== "==" && op !== "!=" && op !== "<" && op !== "<=" && op !== ">" && op !== ">=") return null;
  const lp = rootPath(program, e.left);
  const rp = lp === null ? rootPath(program, e.right) : null;
  const path = lp ?? rp;
  if (path === null || !c.hasRoot(path[0])) return null;
  const types = c.rootPathTypes(lp !== null ? e.left : e.right);
  const other = c.compile(lp !== null ? e.right : e.left, new Map());
  if (!other.folded || !isScalar(other.value)) return null;
  if (op === "==" || op === "!=") return { path, types, op, k: other.value };
  // Orderings only as `PATH op NUMBER`: the form compile-expr.ts compares inline.
  if (lp === null || typeof other.value !== "number") return null;
  return { path, types, op, k: other.value };
}

/**
 * The shaped condition of a rule's `when` (its leading pin `dropPin` already known to hold) and
 * the constants it reads, or null when the `when` is not of that shape.
 */
export function shapeCondition(program: CheckedProgram, c: ExprCompiler, when: Expr | null, dropPin: Expr | null): { fn: ShapedCondition; constants: Value[] } | null {
  if (when === null) return null;
  const parts = conjuncts(when, []);
  if (dropPin !== null && parts.length > 0 && parts[0] === dropPin) parts.shift();
  if (parts.length === 0 || parts.length > MAX_TESTS) return null;
  const tests: Test[] = [];
  for (const p of parts) {
    const t = asTest(program, c, p);
    if (t === null) return null;
    tests.push(t);
  }
  return { fn: shaped(tests), constants: tests.map((t) => t.k) };
}

// One function per shape, shared by every rule of that shape. Bounded, as shapes come from policy text.
const shapes = new Map<string, ShapedCondition>();
const SHAPE_LIMIT = 4096;

function shaped(tests: readonly Test[]): ShapedCondition {
  const key = JSON.stringify(tests.map((t) => [t.path, t.types, t.op, t.op === "==" || t.op === "!=" ? 0 : 1]));
  let f = shapes.get(key);
  if (f === undefined) {
    if (shapes.size >= SHAPE_LIMIT) shapes.clear();
    f = generate(tests);
    shapes.set(key, f);
  }
  return f;
}

function generate(tests: readonly Test[]): ShapedCondition {
  let body = "let a;\n";
  tests.forEach((t, i) => {
    const k = `r.c${i}`;
    body += `a = R${i}(input);\n`;
    if (t.op === "==") body += `if (a !== ${k}) return false;\n`;
    else if (t.op === "!=") body += `if (a === ${k}) return false;\n`;
    else body += `if (!(typeof a === "number" ? a ${t.op} ${k} : compare(${JSON.stringify(t.op)}, a, ${k}))) return false;\n`;
  });
  body += "return true;";
  const names = tests.map((_, i) => `R${i}`);
  const make = new Function("compare", ...names, `"use strict";\nreturn function shapedCondition(input, r) {\n${body}\n};`) as (...args: unknown[]) => ShapedCondition;
  return make(compare, ...tests.map((t) => pathReader(t.path, t.types)));
}

/** A reason's kind on the direct path of `CompiledProgram.decide` (0: the rule has no such reason). */
export type ReasonKind = "deny" | "require_approval" | "allow" | "warn";

/**
 * What a shaped reason builder reads from its emitter (compile.ts's rules and extra effects):
 * the rule's metadata and the fixed texts around the message's paths.
 */
export interface ReasonData {
  readonly id: string;
  readonly severity: string | undefined;
  readonly controls: readonly string[] | undefined;
  readonly from: string | undefined;
  readonly s0: string;
  readonly s1: string;
  readonly s2: string;
  readonly s3: string;
}

/** A shaped reason builder: the Reason `reason()` (combine.ts) gives, built as one object literal. */
export type ShapedReason = (input: Value, d: ReasonData) => Reason;

const MAX_STRINGS = 4;

/**
 * A reason whose message is of the commonest shape (text around plain input paths, `"refund of
 * {tool.args.amount}"`) as generated source shared per shape: the texts and the rule's metadata
 * are the emitter's data (`d.s0`.., `d.id`), the paths and the fields present are source. It
 * gives the object `reason()` gives for the message compile-effects.ts builds (the same parts,
 * concatenated in order, each path read and shown with `displayValue`), with the same fields in
 * the same order, so that a decision looks the same whichever path built it. Null when the
 * message is not of that shape or interpolates nothing that varies.
 */
export function shapeReason(
  program: CheckedProgram,
  c: ExprCompiler,
  parts: readonly (string | Expr)[],
  kind: ReasonKind,
  present: { readonly severity: boolean; readonly controls: boolean; readonly from: boolean },
): { build: ShapedReason; strings: string[] } | null {
  const merged: (string | readonly string[])[] = [];
  const typesOf = new Map<readonly string[], PathTypes>();
  for (const p of parts) {
    let piece: string | readonly string[];
    if (typeof p === "string") piece = p;
    else {
      const x = c.compile(p, new Map());
      if (x.folded) piece = displayValue(x.value);
      else {
        const path = rootPath(program, p);
        if (path === null || !c.hasRoot(path[0])) return null;
        piece = path;
        typesOf.set(path, c.rootPathTypes(p));
      }
    }
    const last = merged[merged.length - 1];
    if (typeof piece === "string" && typeof last === "string") merged[merged.length - 1] = last + piece;
    else merged.push(piece);
  }
  if (merged.every((m) => typeof m === "string")) return null;
  const strings = merged.filter((m): m is string => typeof m === "string");
  if (strings.length > MAX_STRINGS) return null;
  const paths = merged.filter((m): m is readonly string[] => typeof m !== "string");
  const key = JSON.stringify([kind, present.severity, present.controls, present.from, merged.map((m) => (typeof m === "string" ? 0 : [m, typesOf.get(m)]))]);
  let build = builders.get(key);
  if (build === undefined) {
    if (builders.size >= SHAPE_LIMIT) builders.clear();
    let si = 0;
    let pi = 0;
    const terms = merged.map((m) => (typeof m === "string" ? `d.s${si++}` : `show(R${pi++}(input))`));
    const fields = [`rule: d.id`, `effect: ${JSON.stringify(kind)}`, `message: t`];
    if (present.severity) fields.push("severity: d.severity");
    if (present.controls) fields.push("controls: d.controls");
    if (present.from) fields.push("approver_role: d.from");
    const source = `"use strict";\nreturn function shapedReason(input, d) {\nlet t = "";\n${terms.map((t) => `t += ${t};`).join("\n")}\nreturn { ${fields.join(", ")} };\n};`;
    const make = new Function("show", ...paths.map((_, i) => `R${i}`), source) as (...args: unknown[]) => ShapedReason;
    build = make(displayValue, ...paths.map((p) => pathReader(p, typesOf.get(p))));
    builders.set(key, build);
  }
  return { build, strings };
}

const builders = new Map<string, ShapedReason>();
