// `palisade import jsonlogic`: a JSON Logic rule (as json-logic-js 2.0.5 evaluates it) turned into
// an equivalent Palisade expression. The language's own operators are used only where they
// provably mean the same on every input (a comparison of two numbers, `and` of booleans, a
// membership test in a list of literals); elsewhere the `jsonlogic.*` builtins carry JSON Logic's
// coercions and truthiness exactly. What Palisade cannot express (building lists with `map`,
// folding with `reduce` other than counting, unknown operators) is refused with a reason.
//
// Invariant relied on by the tests and the CLI: `text` parses back to `expr` (up to spans),
// because the tree is parenthesised by `withParens`, the printer's own rules.
import type { BinaryOp, Expr } from "./ast.ts";
import { formatExpr } from "./format.ts";
import { withParens } from "./precedence.ts";
import { isIdentifier } from "./quote.ts";
import { fileStart } from "./span.ts";

/** One reason a rule could not be imported; `pointer` is a JSON Pointer into the rule. */
export interface ImportProblem {
  readonly message: string;
  readonly pointer: string;
  /** The JSON Logic operator at fault, when one is. */
  readonly operator?: string;
}

/** Options: `root` names the input object the rule's data is (`meta` reads `{"var":"a"}` as `meta.a`); `as: "condition"` gives a boolean for `when`. */
export interface ImportOptions {
  readonly root?: string;
  readonly as?: "value" | "condition";
}

/** The imported expression and its canonical text, or null for both with the problems. */
export interface ImportResult {
  readonly expr: Expr | null;
  readonly text: string | null;
  readonly problems: readonly ImportProblem[];
}

// Bare names may not be keywords (spec/decisions.md); after `.` they may.
const KEYWORDS = new Set(
  "package import as const def rule on test expect by default on_error when unless then deny require_approval from allow warn redact with set any all count where in not and or contains has param configure matches like starts ends true false null severity controls tags owner payload".split(
    " ",
  ),
);

/** What the importer knows statically about a translated value. */
// "root": the whole data (`{"var": ""}`): unknown here, but the checker knows the root's type
// (`meta` is an object), so it is never compared natively with a literal of another type
// (`0 == meta` does not check; `jsonlogic.strict_eq(0, meta)` does, and is false as in JSON Logic).
type Ty = "bool" | "number" | "string" | "null" | "list" | "any" | "root";
interface Out {
  readonly e: Expr;
  readonly ty: Ty;
  /** A primitive literal written in the rule (its exact value is known). */
  readonly lit?: boolean;
}

class Refusal extends Error {
  readonly problem: ImportProblem;
  constructor(problem: ImportProblem) {
    super(problem.message);
    this.problem = problem;
  }
}

const span = fileStart;
const name = (n: string): Expr => ({ kind: "Name", name: n, span });
const ident = (n: string) => ({ kind: "Ident" as const, name: n, span });
const member = (o: Expr, p: string): Expr => ({ kind: "Member", object: o, property: ident(p), span });
const index = (o: Expr, i: Expr): Expr => ({ kind: "Index", object: o, index: i, span });
const str = (s: string): Expr => ({ kind: "String", value: s, span });
const bool = (b: boolean): Expr => ({ kind: "Bool", value: b, span });
const list = (items: Expr[]): Expr => ({ kind: "List", items, span });
const bin = (op: BinaryOp, left: Expr, right: Expr): Expr => ({ kind: "Binary", op, left, right, opSpan: span, span });
const not = (e: Expr): Expr => ({ kind: "Unary", op: "not", operand: e, span });
const call = (fn: string, args: Expr[]): Expr => ({ kind: "Call", callee: member(name("jsonlogic"), fn), args, span });

function num(n: number): Expr {
  const raw = String(Math.abs(n)).replace("e+", "e");
  const lit: Expr = { kind: "Number", value: Math.abs(n), raw, span };
  return n < 0 || Object.is(n, -0) ? { kind: "Unary", op: "-", operand: lit, span } : lit;
}

function isLogic(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x) && Object.keys(x).length === 1;
}

/** A JSON value as a literal, not evaluated (multi-key objects are passed through by JSON Logic). */
function literal(x: unknown): Expr {
  if (x === null || x === undefined) return { kind: "Null", span };
  if (typeof x === "boolean") return bool(x);
  if (typeof x === "number") return num(x);
  if (typeof x === "string") return str(x);
  if (Array.isArray(x)) return list(x.map(literal));
  return {
    kind: "Object",
    entries: Object.entries(x as Record<string, unknown>).map(([key, v]) => ({ key, keySpan: span, quoted: !isIdentifier(key), value: literal(v) })),
    span,
  };
}

function tyOf(x: unknown): Ty {
  if (x === null) return "null";
  if (typeof x === "boolean") return "bool";
  if (typeof x === "number") return "number";
  if (typeof x === "string") return "string";
  return Array.isArray(x) ? "list" : "any";
}

const isPrimitive = (x: unknown) => x === null || ["string", "number", "boolean"].includes(typeof x);

/** Translates a JSON Logic rule; never throws. */
export function importJsonLogic(rule: unknown, options: ImportOptions = {}): ImportResult {
  try {
    let base: Expr | null = null;
    if (options.root !== undefined) {
      const parts = options.root.split(".");
      if (parts.some((p) => !isIdentifier(p)) || KEYWORDS.has(parts[0])) {
        return { expr: null, text: null, problems: [{ message: `the root '${options.root}' is not a path such as 'meta' or 'meta.rule'`, pointer: "" }] };
      }
      base = parts.slice(1).reduce<Expr>((o, p) => member(o, p), name(parts[0]));
    }
    const t = new Translator();
    const out = options.as === "condition" ? t.cond(rule, { base, depth: 0 }, "") : t.value(rule, { base, depth: 0 }, "").e;
    const expr = withParens(out);
    return { expr, text: formatExpr(expr), problems: [] };
  } catch (err) {
    if (err instanceof Refusal) return { expr: null, text: null, problems: [err.problem] };
    throw err;
  }
}

/** Where `{"var": ...}` reads: the input root (null: the first path segment names a root) and quantifier depth. */
interface Scope {
  readonly base: Expr | null;
  readonly depth: number;
}

class Translator {
  refuse(pointer: string, message: string, operator?: string): never {
    throw new Refusal(operator === undefined ? { message, pointer } : { message, pointer, operator });
  }

  /** An expression whose value is the rule's value. */
  value(rule: unknown, scope: Scope, ptr: string): Out {
    if (Array.isArray(rule)) return { e: list(rule.map((r, i) => this.value(r, scope, `${ptr}/${i}`).e)), ty: "list" };
    if (!isLogic(rule)) return { e: literal(rule), ty: tyOf(rule), lit: isPrimitive(rule) };
    const op = Object.keys(rule)[0];
    const raw = rule[op];
    const args: unknown[] = Array.isArray(raw) ? raw : [raw];
    const at = `${ptr}/${op.replace(/~/g, "~0").replace(/\//g, "~1")}`;
    const arg = (i: number) => this.value(args[i], scope, Array.isArray(raw) ? `${at}/${i}` : at);
    const need = (n: number, what = `${n} argument${n === 1 ? "" : "s"}`) => {
      if (args.length < n) this.refuse(at, `'${op}' needs at least ${what}, got ${args.length}`, op);
    };
    switch (op) {
      case "var": {
        const e = this.variable(args, scope, at);
        return { e, ty: e === scope.base ? "root" : "any" };
      }
      case "==":
      case "!=": {
        need(2);
        const [a, b] = [arg(0), arg(1)];
        const native = (sameKnown(a, b) && a.ty !== "list" && a.ty !== "any") || (a.ty === "null" && b.ty === "any") || (b.ty === "null" && a.ty === "any");
        return { e: native ? bin(op, a.e, b.e) : call(op === "==" ? "eq" : "ne", [a.e, b.e]), ty: "bool" };
      }
      case "===":
      case "!==": {
        need(2);
        const [a, b] = [arg(0), arg(1)];
        // Strict equality with a primitive literal is the language's `==`; two computed lists never are.
        const native = ((a.lit || b.lit) && (a.ty === b.ty || a.ty === "any" || b.ty === "any")) || (sameKnown(a, b) && (a.ty === "string" || a.ty === "bool"));
        return { e: native ? bin(op === "===" ? "==" : "!=", a.e, b.e) : call(op === "===" ? "strict_eq" : "strict_ne", [a.e, b.e]), ty: "bool" };
      }
      case "<":
      case "<=": {
        need(2);
        const xs = args.slice(0, 3).map((_, i) => arg(i));
        if (xs.every((x) => x.ty === "number")) {
          const first = bin(op, xs[0].e, xs[1].e);
          return { e: xs.length === 3 ? bin("and", first, bin(op, xs[1].e, xs[2].e)) : first, ty: "bool" };
        }
        return { e: call(op === "<" ? "lt" : "le", xs.map((x) => x.e)), ty: "bool" };
      }
      case ">":
      case ">=": {
        need(2);
        const [a, b] = [arg(0), arg(1)];
        if (a.ty === "number" && b.ty === "number") return { e: bin(op, a.e, b.e), ty: "bool" };
        return { e: call(op === ">" ? "gt" : "ge", [a.e, b.e]), ty: "bool" };
      }
      case "!":
      case "!!": {
        need(1);
        const c = this.cond(args[0], scope, Array.isArray(raw) ? `${at}/0` : at);
        return { e: op === "!" ? not(c) : c, ty: "bool" };
      }
      case "and":
      case "or": {
        need(1);
        const xs = args.map((_, i) => arg(i));
        if (xs.length === 1) return xs[0];
        if (xs.every((x) => x.ty === "bool")) return { e: xs.map((x) => x.e).reduce((l, r) => bin(op, l, r)), ty: "bool" };
        return { e: call(op, xs.map((x) => x.e)), ty: "any" };
      }
      case "if":
      case "?:": {
        if (args.length === 0) return { e: { kind: "Null", span }, ty: "null" };
        if (args.length === 1) return arg(0);
        const parts = args.map((r, i) => (i % 2 === 0 && i < args.length - 1 ? this.cond(r, scope, `${at}/${i}`) : arg(i).e));
        return { e: call("if", parts), ty: "any" };
      }
      case "in": {
        need(2);
        const a = arg(0);
        const hay = args[1];
        if (Array.isArray(hay) && hay.every((h) => h !== null && isPrimitive(h))) {
          // `indexOf` compares with `===`: against primitive literals that is the language's `in`
          // (but for null, which the language's `in` never finds).
          return { e: bin("in", a.e, list(hay.map(literal))), ty: "bool" };
        }
        return { e: call("in", [a.e, arg(1).e]), ty: "bool" };
      }
      case "cat":
        return { e: call("cat", args.map((_, i) => arg(i).e)), ty: "string" };
      case "substr":
        need(2);
        return { e: call("substr", args.slice(0, 3).map((_, i) => arg(i).e)), ty: "string" };
      case "+": {
        if (args.length === 0) return { e: num(0), ty: "number" };
        const xs = args.map((_, i) => arg(i));
        if (xs.every((x) => x.ty === "number")) return { e: xs.map((x) => x.e).reduce((l, r) => bin("+", l, r)), ty: "number" };
        return { e: call("add", xs.map((x) => x.e)), ty: "number" };
      }
      case "*": {
        need(1);
        const xs = args.map((_, i) => arg(i));
        // A reduce without a start value returns a lone element untouched (`{"*": ["1"]}` is "1").
        if (xs.length === 1) return xs[0];
        if (xs.every((x) => x.ty === "number")) return { e: xs.map((x) => x.e).reduce((l, r) => bin("*", l, r)), ty: "number" };
        return { e: call("mul", xs.map((x) => x.e)), ty: "number" };
      }
      case "-": {
        need(1);
        const a = arg(0);
        if (args.length === 1) return { e: a.ty === "number" ? { kind: "Unary", op: "-", operand: a.e, span } : call("neg", [a.e]), ty: "number" };
        const b = arg(1);
        return { e: a.ty === "number" && b.ty === "number" ? bin("-", a.e, b.e) : call("sub", [a.e, b.e]), ty: "number" };
      }
      case "/":
      case "%": {
        need(2);
        const [a, b] = [arg(0), arg(1)];
        // Division by zero is JavaScript's business (an infinity, NaN), so only a non-zero literal divisor is native.
        const native = a.ty === "number" && b.lit === true && b.ty === "number" && args[1] !== 0;
        return { e: native ? bin(op, a.e, b.e) : call(op === "/" ? "div" : "mod", [a.e, b.e]), ty: "number" };
      }
      case "min":
      case "max":
        need(1);
        return { e: call(op, args.map((_, i) => arg(i).e)), ty: "number" };
      case "merge":
        return { e: call("merge", args.map((_, i) => arg(i).e)), ty: "list" };
      case "missing":
        return { e: this.missing(args, scope, at, null), ty: "list" };
      case "missing_some": {
        need(2);
        const opts = args[1];
        return { e: this.missing(Array.isArray(opts) ? [opts] : [opts], scope, `${at}/1`, arg(0).e), ty: "list" };
      }
      case "some":
      case "all":
      case "none":
        return { e: this.quantifier(op, args, scope, at), ty: "bool" };
      case "filter":
        this.refuse(at, "'filter' builds a new list, which Palisade cannot express; only its truth (inside '!!', 'if', 'some', 'all', 'none') or its count (reduce with accumulator + 1) import", op);
        break;
      case "map":
        this.refuse(at, "'map' builds a new list, which Palisade cannot express", op);
        break;
      case "reduce":
        return { e: this.reduce(args, scope, at), ty: "number" };
      case "log":
        // The console output is dropped; the value passes through.
        need(1);
        return arg(0);
    }
    return this.refuse(at, `unknown JSON Logic operator '${op}'`, op);
  }

  /** A boolean expression that is true exactly when the rule's value is truthy. */
  cond(rule: unknown, scope: Scope, ptr: string): Expr {
    if (isLogic(rule)) {
      const op = Object.keys(rule)[0];
      const raw = rule[op];
      const args: unknown[] = Array.isArray(raw) ? raw : [raw];
      const at = `${ptr}/${op}`;
      const sub = (i: number) => this.cond(args[i], scope, Array.isArray(raw) ? `${at}/${i}` : at);
      if ((op === "and" || op === "or") && args.length >= 1) {
        // truthy(first falsy or last) is the conjunction of the truths, and `and` short-circuits alike.
        return args.map((_, i) => sub(i)).reduce((l, r) => bin(op, l, r));
      }
      if ((op === "!" || op === "!!") && args.length >= 1) return op === "!" ? not(sub(0)) : sub(0);
      if ((op === "if" || op === "?:") && args.length >= 2) {
        // (c and a) or (not c and rest), built from the last pair outwards.
        const pairs = Math.floor(args.length / 2);
        let rest: Expr | null = args.length % 2 === 1 ? sub(args.length - 1) : null;
        for (let p = pairs - 1; p >= 0; p--) {
          const c = sub(2 * p);
          const a = sub(2 * p + 1);
          // `c and true or not c and r` is `c or r`: the common "flag, else condition" shape.
          if (a.kind === "Bool" && a.value && rest !== null) rest = bin("or", c, rest);
          else rest = rest === null ? bin("and", c, a) : bin("or", bin("and", c, a), bin("and", not(c), rest));
        }
        return rest as Expr;
      }
      if (op === "filter" && args.length >= 2) return this.quantifier("some", [args[0], args[1]], scope, at);
    }
    const v = this.value(rule, scope, ptr);
    return v.ty === "bool" ? v.e : call("truthy", [v.e]);
  }

  variable(args: unknown[], scope: Scope, at: string): Expr {
    const [path, fallback] = args;
    const hasDefault = args.length > 1 && fallback !== null;
    if (path === undefined || path === null || path === "") return this.whole(scope, at);
    if (isLogic(path) || Array.isArray(path)) {
      const p = this.value(path, scope, `${at}/0`).e;
      const d = hasDefault ? [this.value(fallback, scope, `${at}/1`).e] : [];
      return call("var", [this.whole(scope, at, "a computed path"), p, ...d]);
    }
    const segments = String(path).split(".");
    if (hasDefault) {
      const d = this.value(fallback, scope, `${at}/1`).e;
      if (scope.base !== null) return call("var", [scope.base, str(String(path)), d]);
      // Without a root the first segment is a root name; the default applies to the rest.
      if (segments.length < 2) this.refuse(at, `a default for the top-level name '${String(path)}' needs a root (--root NAME)`, "var");
      return call("var", [this.path(null, segments.slice(0, 1), at), str(segments.slice(1).join(".")), d]);
    }
    return this.path(scope.base, segments, at);
  }

  whole(scope: Scope, at: string, what = "the whole data ({\"var\": \"\"})"): Expr {
    if (scope.base === null) this.refuse(at, `${what} needs a root to read from (--root NAME)`, "var");
    return scope.base;
  }

  path(base: Expr | null, segments: readonly string[], at: string): Expr {
    let e = base;
    for (const s of segments) {
      if (e === null) {
        if (!isIdentifier(s) || KEYWORDS.has(s)) this.refuse(at, `'${s}' cannot be a top-level name; give a root (--root NAME) to read it as a field`, "var");
        e = name(s);
      } else if (/^(0|[1-9]\d{0,15})$/.test(s)) e = index(e, num(Number(s)));
      else e = isIdentifier(s) ? member(e, s) : index(e, str(s));
    }
    return e as Expr;
  }

  /** `missing` (need null) or `missing_some` (need given), with static keys read as paths. */
  missing(args: unknown[], scope: Scope, at: string, need: Expr | null): Expr {
    const keys = Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
    if (keys.every((k) => typeof k === "string" || typeof k === "number")) {
      const names = keys.map((k) => literal(k));
      const values = keys.map((k) => this.variable([k], scope, at));
      return need === null ? call("missing", [list(names), list(values)]) : call("missing_some", [need, list(names), list(values)]);
    }
    const data = this.whole(scope, at, "'missing' with computed keys");
    if (need !== null) return call("missing_some_in", [data, need, this.value(args[0], scope, at).e]);
    return call("missing_in", [data, ...args.map((a, i) => this.value(a, scope, `${at}/${i}`).e)]);
  }

  /** `some` / `all` / `none` over a list, the element being the data of the body. */
  quantifier(op: "some" | "all" | "none", args: unknown[], scope: Scope, at: string): Expr {
    if (args.length < 2) this.refuse(at, `'${op}' needs a list and a condition`, op);
    const v = `item${scope.depth === 0 ? "" : scope.depth + 1}`;
    const inner: Scope = { base: name(v), depth: scope.depth + 1 };
    let source = args[0];
    let filter: Expr | null = null;
    // Ranging over a `filter` is ranging over the list with the filter's condition added.
    if (isLogic(source) && Object.keys(source)[0] === "filter") {
      const fargs = source.filter;
      if (Array.isArray(fargs) && fargs.length >= 2) {
        filter = this.cond(fargs[1], inner, `${at}/0/filter/1`);
        source = fargs[0];
      }
    }
    const coll = this.value(source, scope, `${at}/0`);
    const xs = coll.ty === "list" ? coll.e : call("list", [coll.e]);
    const body = this.cond(args[1], inner, `${at}/1`);
    const q = (quantifier: "any" | "all", b: Expr): Expr => ({ kind: "Quantifier", quantifier, vars: [ident(v)], collection: xs, body: b, span });
    if (op === "some") return q("any", filter === null ? body : bin("and", filter, body));
    if (op === "none") return not(q("any", filter === null ? body : bin("and", filter, body)));
    // JSON Logic's `all` is false on an empty list (or a non-list).
    if (filter !== null) return bin("and", q("any", filter), q("all", bin("or", not(filter), body)));
    const literalNonEmpty = Array.isArray(source) && source.length > 0;
    return literalNonEmpty ? q("all", body) : bin("and", call("nonempty", [coll.e]), q("all", body));
  }

  /** Only counting folds import: `{"reduce": [xs, {"+": [{"var": "accumulator"}, 1]}, n]}`. */
  reduce(args: unknown[], scope: Scope, at: string): Expr {
    const [source, step, init] = args;
    const isAcc = (x: unknown) => isLogic(x) && Object.keys(x)[0] === "var" && (x.var === "accumulator" || (Array.isArray(x.var) && x.var.length === 1 && x.var[0] === "accumulator"));
    const plus = isLogic(step) && Object.keys(step)[0] === "+" && Array.isArray(step["+"]) ? (step["+"] as unknown[]) : null;
    const counting = plus !== null && plus.length === 2 && ((isAcc(plus[0]) && plus[1] === 1) || (plus[0] === 1 && isAcc(plus[1])));
    if (!counting || typeof init !== "number" || !Number.isInteger(init)) {
      this.refuse(at, "'reduce' folds a list into a new value, which Palisade cannot express; only counting ({\"+\": [{\"var\": \"accumulator\"}, 1]} from an integer) imports", "reduce");
    }
    const v = `item${scope.depth === 0 ? "" : scope.depth + 1}`;
    const inner: Scope = { base: name(v), depth: scope.depth + 1 };
    let list0 = source;
    let where: Expr | null = null;
    if (isLogic(source) && Object.keys(source)[0] === "filter" && Array.isArray(source.filter) && source.filter.length >= 2) {
      where = this.cond(source.filter[1], inner, `${at}/0/filter/1`);
      list0 = source.filter[0];
    }
    const coll = this.value(list0, scope, `${at}/0`);
    const count: Expr = { kind: "Quantifier", quantifier: "count", vars: [ident(v)], collection: coll.ty === "list" ? coll.e : call("list", [coll.e]), body: where, span };
    return init === 0 ? count : bin("+", count, num(init as number));
  }
}

function sameKnown(a: Out, b: Out): boolean {
  return a.ty === b.ty;
}
