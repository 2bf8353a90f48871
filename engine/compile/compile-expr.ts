// Expressions to closures. Each node becomes a `(input) => Value` closure built once; the
// semantics are those of values.ts and reference.ts, evaluated in the same order, so that the
// compiled evaluator and the reference interpreter agree on every value and every error.
//
// Why closures and not `new Function` source: measured on this machine, the closure tree
// for the typical 20-rule policy stays within the 2x-of-hand-written target (bench/engine.ts),
// and closures keep regexes, detectors and constants as captured values, with no escaping,
// no eval and no second code path to keep exact.
//
// Locals (quantifier variables, def parameters) live in one slot array per compiled program:
// every binder gets its own slots at compile time (defs are inlined per call site, each with
// fresh slots), so binding a variable is a store, never an allocation. This relies on the
// language having no recursion (checker guarantee) and on decisions being synchronous.
import type { DefDecl, Expr, Pattern, Phase, Quantifier } from "../../language/ast.ts";
import type { CheckedProgram, Resolution, ResolvedNode } from "../../language/check/program.ts";
import { pathText } from "../../language/check/context.ts";
import { PHASE_ROOTS } from "../../language/check/schema.ts";
import type { Type } from "../../language/types.ts";
import { walk as walkAst } from "../../language/ast-util.ts";
import { PolicyRuntimeError } from "../runtime/stdlib/errors.ts";
import { compileGlob, like } from "../runtime/stdlib/glob.ts";
import { cachedPolicyRegex } from "../runtime/stdlib/regex-guard.ts";
import { builtinImpl, callBuiltin } from "./builtins.ts";
import { elementScan, pathReader, type PathTypes } from "./compile-path.ts";
import { containerMode, memberAs } from "./membership.ts";
import { NO_MATCH, detectorValue, regexValue, textMatcher } from "./patterns.ts";
import { fieldPath } from "./reference.ts";
import { checked, conforms, expectedText, typeClash } from "./runtime-types.ts";
import { Duration, PatternValue, arithmetic, compare, elements, equals, getIndex, negate, truth, aTypeName, type Matcher, type Value } from "./values.ts";

/** A compiled expression: reads the decision's input (null for consts), returns a value or throws PolicyRuntimeError. */
export type Fn = (input: Value) => Value;

/** A compiled expression and, when it reads no input and cannot fail, its value folded at compile time. */
export interface Compiled {
  readonly fn: Fn;
  /** Whether `value` holds the folded result (the expression is constant). */
  readonly folded: boolean;
  readonly value: Value;
}

/** The right side of `matches`/`contains` or a `redact` pattern: a fixed matcher, or a closure giving a string, null or a matcher. */
export type MatcherSource = { readonly fixed: Matcher } | { readonly dynamic: (input: Value) => Matcher | string | null };

function dynamic(fn: Fn): Compiled {
  return { fn, folded: false, value: null };
}

function constant(value: Value): Compiled {
  return { fn: () => value, folded: true, value };
}

/** A closure that fails as the reference does at run time: with this message, or with this error's message, code and path. */
function thrower(error: string | PolicyRuntimeError): (input: Value) => never {
  const e = typeof error === "string" ? new PolicyRuntimeError(error) : error;
  return () => {
    throw new PolicyRuntimeError(e.message, e.code, e.path);
  };
}

/** Where a local lives: a slot index, or, for a def parameter given a constant, that value. */
type Local = number | { readonly value: Value };

/** Where each binder's variables live, by quantifier or def (one inline instance). */
export type Scope = ReadonlyMap<Quantifier | DefDecl, readonly Local[]>;

/** Compiles the expressions of one checked program; holds the slot array its closures share. */
export class ExprCompiler {
  readonly program: CheckedProgram;
  /** The locals of every closure this compiler built; grown as binders are compiled. */
  readonly slots: Value[] = [];
  /** Each const: its value (a pattern const holds a PatternValue), or the message of its failure. */
  private readonly consts = new Map<string, { readonly value: Value } | { readonly error: string }>();
  /** The phase the rules being compiled run in (the value of `phase`); null for consts. */
  phase: Phase | null = null;
  /**
   * A conjunct known to hold wherever the expression being compiled runs (an indexed rule's
   * leading pin): `pin and x` compiles to the truth of `x` alone.
   */
  assumeTrue: Expr | null = null;
  /** Def inlining depth guard: non-recursive defs still nest, and each inline copy costs code size. */
  private depth = 0;

  constructor(program: CheckedProgram) {
    this.program = program;
    // Consts in dependency order, with no input, exactly once (the reference does the same, so
    // a const that fails fails both evaluators' construction alike).
    // A const that fails does not stop the set from loading: the rules that read it are errored.
    for (const c of program.consts.values()) {
      try {
        this.consts.set(c.id, { value: this.compile(c.value, new Map()).fn(null) });
      } catch (err) {
        if (!(err instanceof PolicyRuntimeError)) throw err;
        this.consts.set(c.id, { error: `const ${c.id}: ${err.message}` });
      }
    }
  }

  private constEntry(id: string): { readonly value: Value } | { readonly error: string } {
    const c = this.consts.get(id);
    if (c === undefined) throw new Error(`internal: const ${id} is not evaluated yet`);
    return c;
  }

  /** A const's value by id; null for one whose evaluation failed. */
  constValue(id: string): Value {
    const c = this.constEntry(id);
    return "value" in c ? c.value : null;
  }

  private resolution(node: ResolvedNode): Resolution {
    const r = this.program.resolutions.get(node);
    if (!r) throw new Error(`internal: unresolved ${node.kind}`);
    return r;
  }

  private newSlots(n: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      out.push(this.slots.length);
      this.slots.push(null);
    }
    return out;
  }

  private slotOf(scope: Scope, owner: Quantifier | DefDecl, index: number): Local {
    const s = scope.get(owner);
    if (s === undefined || index >= s.length) throw new Error("internal: unbound local");
    return s[index];
  }

  /** Compiles `e` to a closure that gives its value (patterns are an error here, as in the reference's `eval`). */
  compile(e: Expr, scope: Scope): Compiled {
    return this.compileRaw(e, scope);
  }

  /** The static type of `e` when reads of it are checked (runtime-types.ts), else null. */
  private readType(e: Expr): Type | null {
    const t = this.program.types.get(e);
    return checked(t) ? t : null;
  }

  /** `fn` with its result checked against `e`'s static type: a read of the input or a bound variable. */
  private typed(e: Expr, c: Compiled): Compiled {
    const t = this.readType(e);
    if (t === null || c.folded) return c;
    const f = c.fn;
    const text = pathText(e) ?? "value";
    const expected = expectedText(t);
    return dynamic((input) => {
      const v = f(input);
      if (v !== null && !conforms(t, v)) throw typeClash(text, expected, v);
      return v;
    });
  }

  /** The matcher of a `redact` pattern (a regex literal, a detector, or a const holding a pattern), built once; a failure is deferred to run time, as in the reference. */
  redactPattern(p: Pattern): MatcherSource {
    if (p.kind === "Regex") return this.matcherSource(p, new Map());
    const r = this.resolution(p);
    let v: Value | PolicyRuntimeError;
    if (r.kind === "detector") v = detectorValue(r.name);
    else if (r.kind === "const") {
      const c = this.constEntry(r.id);
      if ("error" in c) return { dynamic: thrower(c.error) };
      v = c.value;
    } else return { dynamic: thrower(`'${p.parts.map((x) => x.name).join(".")}' is not a pattern`) };
    if (v instanceof PolicyRuntimeError) return { dynamic: thrower(v) };
    const m = textMatcher(v, "redact");
    // A null pattern finds nothing, as in the reference.
    return m instanceof PolicyRuntimeError ? { dynamic: thrower(m) } : { fixed: m ?? NO_MATCH };
  }

  /** The matcher of a `matches`/`contains`/`redact` right side: fixed when it is constant, else a closure giving a matcher, a string or null. */
  matcherSource(e: Expr, scope: Scope): MatcherSource {
    const c = this.compile(e, scope);
    if (c.folded && c.value instanceof PatternValue) return { fixed: c.value.matcher };
    const v = c.fn;
    return {
      dynamic: (input) => {
        const x = v(input);
        if (x === null || typeof x === "string") return x;
        if (x instanceof PatternValue) return x.matcher;
        throw new PolicyRuntimeError(`expected a pattern or a string, got ${aTypeName(x)}`);
      },
    };
  }

  private resolved(r: Resolution, scope: Scope): Compiled {
    switch (r.kind) {
      case "root": {
        // A root the phase being compiled does not have reads as absent, whatever the input holds.
        if (this.phase !== null && !PHASE_ROOTS[this.phase].includes(r.name)) return constant(null);
        return dynamic(pathReader([r.name]));
      }
      case "phase":
        return constant(this.phase);
      case "const": {
        const c = this.constEntry(r.id);
        if ("value" in c) return constant(c.value);
        return dynamic(thrower(c.error));
      }
      case "variable":
      case "param": {
        const slot = r.kind === "variable" ? this.slotOf(scope, r.binder, r.index) : this.slotOf(scope, r.def, r.index);
        if (typeof slot !== "number") return constant(slot.value);
        const slots = this.slots;
        return dynamic(() => slots[slot] ?? null);
      }
      case "detector": {
        const v = detectorValue(r.name);
        return v instanceof PolicyRuntimeError ? dynamic(thrower(v)) : constant(v);
      }
      default:
        return dynamic(thrower(`'${"name" in r ? r.name : r.kind}' is not a value`));
    }
  }

  private compileRaw(e: Expr, scope: Scope): Compiled {
    switch (e.kind) {
      case "Number":
      case "String":
      case "Bool":
        return constant(e.value);
      case "Null":
        return constant(null);
      case "Duration":
        return constant(new Duration(e.ms));
      case "Regex": {
        const v = regexValue(e.pattern, e.flags);
        return v instanceof PolicyRuntimeError ? dynamic(thrower(v)) : constant(v);
      }
      case "Paren":
        return this.compile(e.expr, scope);
      case "List":
        return this.list(e.items.map((x) => this.compile(x, scope)));
      case "Object":
        return this.object(e.entries.map((en) => [en.key, this.compile(en.value, scope)] as const));
      case "Name": {
        const r = this.resolution(e);
        const c = this.resolved(r, scope);
        // A root's kind is checked at the decision boundary (input-check.ts), once per decision.
        return r.kind === "variable" || r.kind === "param" ? this.typed(e, c) : c;
      }
      case "Member": {
        const r = this.program.resolutions.get(e);
        if (r) return this.resolved(r, scope);
        return this.path(e, scope);
      }
      case "Index": {
        const o = this.compile(e.object, scope);
        const i = this.compile(e.index, scope);
        return this.typed(e, this.fold([o, i], (input) => getIndex(o.fn(input), i.fn(input))));
      }
      case "Call":
        return this.call(e, scope);
      case "Unary": {
        const x = this.compile(e.operand, scope);
        const f = x.fn;
        return this.fold([x], e.op === "not" ? (input) => !truth(f(input), "'not'") : (input) => negate(f(input)));
      }
      case "Binary":
        return this.binary(e, scope);
      case "Quantifier":
        return this.quantifier(e, scope);
    }
  }

  /** Folds `fn` when every part is constant and it does not fail; a failing constant keeps failing at run time, as in the reference. */
  private fold(parts: readonly Compiled[], fn: Fn): Compiled {
    if (!parts.every((p) => p.folded)) return dynamic(fn);
    try {
      return constant(fn(null));
    } catch (err) {
      if (err instanceof PolicyRuntimeError) return dynamic(fn);
      throw err;
    }
  }

  private list(items: readonly Compiled[]): Compiled {
    const fns = items.map((i) => i.fn);
    const n = fns.length;
    return this.fold(items, (input) => {
      const out = new Array<Value>(n);
      for (let i = 0; i < n; i++) out[i] = fns[i](input);
      return out;
    });
  }

  private object(entries: readonly (readonly [string, Compiled])[]): Compiled {
    return this.fold(
      entries.map((e) => e[1]),
      (input) => {
        const o: Record<string, Value> = {};
        for (const [k, c] of entries) o[k] = c.fn(input);
        return o;
      },
    );
  }

  /** A chain of plain field reads `x.a.b.c`, resolved once into a key list and read by one generated reader, each step checked against its static type. */
  private path(e: Expr & { kind: "Member" }, scope: Scope): Compiled {
    const nodes: Expr[] = [];
    let base: Expr = e;
    while (base.kind === "Member" && !this.program.resolutions.has(base)) {
      nodes.push(base);
      base = base.object;
      while (base.kind === "Paren") base = base.expr;
    }
    nodes.reverse();
    const keys = nodes.map((n) => (n as Expr & { kind: "Member" }).property.name);
    const steps = nodes.map((n) => this.readType(n));
    const texts = nodes.map((n) => pathText(n) ?? "value");
    const walked = this.walk(base, keys, steps, texts, scope);
    if (walked !== null) return walked;
    // Any other base (a call, an index, a const) is compiled, and checked, on its own.
    const b = this.compile(base, scope);
    const f = b.fn;
    const read = pathReader(keys, { base: null, steps, texts: [pathText(base) ?? "value", ...texts] });
    return this.fold([b], (input) => read(f(input)));
  }

  /**
   * A path from an input root or a local, read in one generated function (no closure per step):
   * the shape of nearly every path in a policy, `tool.args.amount` or `c.tool.name`. Null for other bases.
   */
  private walk(base: Expr, keys: readonly string[], steps: readonly (Type | null)[], texts: readonly string[], scope: Scope): Compiled | null {
    const r = base.kind === "Name" || base.kind === "Member" ? this.program.resolutions.get(base) : undefined;
    if (r === undefined) return null;
    if (r.kind === "root") {
      if (this.phase !== null && !PHASE_ROOTS[this.phase].includes(r.name)) return constant(null);
      // The root and its field are checked at the boundary (input-check.ts), once per decision.
      return dynamic(pathReader([r.name, ...keys], { base: null, steps: [null, null, ...steps.slice(1)], texts: ["input", r.name, ...texts] }));
    }
    if (r.kind !== "variable" && r.kind !== "param") return null;
    const l = r.kind === "variable" ? this.slotOf(scope, r.binder, r.index) : this.slotOf(scope, r.def, r.index);
    if (typeof l !== "number") return null;
    const store = this.slots;
    const read = pathReader(keys, { base: this.readType(base), steps, texts: [pathText(base) ?? "value", ...texts] });
    return dynamic(() => read(store[l] ?? null));
  }

  /**
   * The static types along a root path expression (`tool.args.amount`), for the generated
   * readers of compile-shape.ts: the same checks `compile` gives the path.
   */
  rootPathTypes(e: Expr): PathTypes {
    const nodes: Expr[] = [];
    let cur = unparen(e);
    while (cur.kind === "Member" && !this.program.resolutions.has(cur)) {
      nodes.push(cur);
      cur = unparen(cur.object);
    }
    nodes.reverse();
    const root = cur.kind === "Name" ? cur.name : "value";
    return { base: null, steps: [null, null, ...nodes.slice(1).map((n) => this.readType(n))], texts: ["input", root, ...nodes.map((n) => pathText(n) ?? "value")] };
  }

  /** Whether the phase being compiled has input root `name` (a root it lacks reads as null). */
  hasRoot(name: string): boolean {
    return this.phase === null || PHASE_ROOTS[this.phase].includes(name);
  }

  /** The static types along `v.a.b` read from a quantifier's variable (`elementScan`'s checks), or undefined when none is checked. */
  private elementTypes(variable: Expr, members: readonly Expr[]): PathTypes {
    return { base: this.readType(variable), steps: members.map((m) => this.readType(m)), texts: [pathText(variable) ?? "value", ...members.map((m) => pathText(m) ?? "value")] };
  }

  private call(e: Expr & { kind: "Call" }, scope: Scope): Compiled {
    const r = this.resolution(e);
    const args = e.args.map((a) => this.compile(a, scope));
    const fns = args.map((a) => a.fn);
    const n = fns.length;
    if (r.kind === "def") return this.inlineDef(r.decl, args);
    if (r.kind === "builtin") {
      // The implementation is looked up once; small arities call it without an argument array.
      const impl = builtinImpl(r.name);
      if (impl === undefined) {
        const name = r.name;
        return dynamic((input) => {
          const vs = new Array<Value>(n);
          for (let i = 0; i < n; i++) vs[i] = fns[i](input);
          return callBuiltin(name, vs);
        });
      }
      if (n === 1) {
        const a0 = fns[0];
        return this.fold(args, (input) => impl(a0(input)));
      }
      if (n === 2) {
        const [a0, a1] = fns;
        return this.fold(args, (input) => {
          const x = a0(input);
          return impl(x, a1(input));
        });
      }
      return this.fold(args, (input) => {
        const vs = new Array<Value>(n);
        for (let i = 0; i < n; i++) vs[i] = fns[i](input);
        return impl(...vs);
      });
    }
    const message = `'${"name" in r ? r.name : r.kind}' is not a function`;
    return dynamic((input) => {
      for (let i = 0; i < n; i++) fns[i](input);
      throw new PolicyRuntimeError(message);
    });
  }

  /**
   * A def call inlined: the body is compiled for this call site, with each constant argument
   * bound as a constant (so the body folds around it) and each other argument stored in a slot
   * of its own. Constant arguments cannot fail, so evaluating only the others keeps the
   * reference's order of effects and errors.
   */
  private inlineDef(decl: DefDecl, args: readonly Compiled[]): Compiled {
    if (this.depth > 64) throw new Error("internal: defs nest too deeply to inline");
    const locals: Local[] = decl.params.map((_, i) => {
      const a = args[i];
      return a !== undefined && a.folded ? { value: a.value } : this.newSlots(1)[0];
    });
    this.depth++;
    let body: Compiled;
    try {
      body = this.compile(decl.body, new Map([[decl, locals]]));
    } finally {
      this.depth--;
    }
    const dyn: Fn[] = [];
    const at: number[] = [];
    args.forEach((a, i) => {
      const l = locals[i];
      if (!a.folded && typeof l === "number") {
        dyn.push(a.fn);
        at.push(l);
      }
    });
    if (body.folded && dyn.length === 0) return body;
    const n = dyn.length;
    const store = this.slots;
    const b = body.fn;
    if (n === 0) return dynamic(b);
    if (n === 1) {
      const a0 = dyn[0];
      const s0 = at[0];
      return dynamic((input) => {
        store[s0] = a0(input);
        return b(input);
      });
    }
    return dynamic((input) => {
      for (let i = 0; i < n; i++) store[at[i]] = dyn[i](input);
      return b(input);
    });
  }

  private binary(e: Expr & { kind: "Binary" }, scope: Scope): Compiled {
    const op = e.op;
    if (op === "and" && this.assumeTrue !== null && unparen(e.left) === this.assumeTrue) {
      const r = this.compile(e.right, scope);
      // `truth` of a value that is always a bool is that bool: no wrapper closure then.
      if (returnsBool(e.right)) return r;
      const rf = r.fn;
      return this.fold([r], (input) => truth(rf(input), "'and'"));
    }
    if (op === "matches") return this.matches(e, scope);
    if (op === "contains") return this.contains(e, scope);
    if (op === "has") return this.has(e, scope);
    const l = this.compile(e.left, scope);
    if ((op === "and" || op === "or") && l.folded) {
      // A left side known at compile time (`phase == "input"` in a rule compiled for one phase) decides alone or hands over.
      const t = truth(l.value, `'${op}'`);
      if (t === (op === "or")) return constant(t);
      const r = this.compile(e.right, scope);
      const rf = r.fn;
      return this.fold([r], (input) => truth(rf(input), `'${op}'`));
    }
    const r = this.compile(e.right, scope);
    const lf = l.fn;
    const rf = r.fn;
    const parts = [l, r];
    switch (op) {
      case "and":
        return this.fold(parts, (input) => (truth(lf(input), "'and'") ? truth(rf(input), "'and'") : false));
      case "or":
        return this.fold(parts, (input) => (truth(lf(input), "'or'") ? true : truth(rf(input), "'or'")));
      case "==":
      case "!=": {
        const neg = op === "!=";
        // Against a constant string, number or bool, `equals` is `===` (values.ts: no coercion, null is only null).
        const k = r.folded && isScalar(r.value) ? r.value : l.folded && isScalar(l.value) ? l.value : undefined;
        if (k !== undefined && !(l.folded && r.folded)) {
          const other = r.folded && isScalar(r.value) ? lf : rf;
          // Evaluation order is invisible here: the constant side cannot fail.
          return dynamic(neg ? (input) => other(input) !== k : (input) => other(input) === k);
        }
        return this.fold(parts, neg ? (input) => !equals(lf(input), rf(input)) : (input) => equals(lf(input), rf(input)));
      }
      case "<":
      case "<=":
      case ">":
      case ">=":
        return this.fold(parts, this.ordering(op, l, r));
      case "+":
      case "-":
      case "*":
      case "/":
      case "%":
        return this.fold(parts, (input) => arithmetic(op, lf(input), rf(input)));
      case "in":
      case "not in": {
        const mode = containerMode(this.program.types.get(e.right));
        const what = pathText(e.right) ?? "this value";
        return this.fold(parts, op === "in" ? (input) => memberAs(mode, op, what, lf(input), rf(input)) : (input) => !memberAs(mode, op, what, lf(input), rf(input)));
      }
      case "like": {
        // A constant glob is compiled once; `like` would find it in its cache, but a cache is a lookup per call.
        if (r.folded && typeof r.value === "string" && !l.folded) {
          const g = compileGlob(r.value);
          return dynamic((input) => {
            const a = lf(input);
            if (a === null) return false;
            if (typeof a !== "string") throw new PolicyRuntimeError(`cannot apply 'like' to ${aTypeName(a)} and a string`);
            return g.test(a);
          });
        }
        return this.fold(parts, (input) => {
          const a = lf(input);
          const b = rf(input);
          if (a === null || b === null) return false;
          if (typeof a !== "string" || typeof b !== "string") throw new PolicyRuntimeError(`cannot apply 'like' to ${aTypeName(a)} and ${aTypeName(b)}`);
          return like(a, b);
        });
      }
      case "starts with":
      case "ends with": {
        const starts = op === "starts with";
        return this.fold(parts, (input) => {
          const a = lf(input);
          const b = rf(input);
          if (a === null || b === null) return false;
          if (typeof a !== "string" || typeof b !== "string") throw new PolicyRuntimeError(`cannot apply '${op}' to ${aTypeName(a)} and ${aTypeName(b)}`);
          return starts ? a.startsWith(b) : a.endsWith(b);
        });
      }
    }
    throw new Error(`internal: operator ${op}`);
  }

  private ordering(op: "<" | "<=" | ">" | ">=", l: Compiled, r: Compiled): Fn {
    const lf = l.fn;
    const rf = r.fn;
    // The commonest shape, `path > NUMBER`: a number compares inline, anything else goes through `compare` (null, clashes).
    if (r.folded && typeof r.value === "number") {
      const k = r.value;
      switch (op) {
        case "<":
          return (input) => {
            const a = lf(input);
            return typeof a === "number" ? a < k : compare(op, a, k);
          };
        case "<=":
          return (input) => {
            const a = lf(input);
            return typeof a === "number" ? a <= k : compare(op, a, k);
          };
        case ">":
          return (input) => {
            const a = lf(input);
            return typeof a === "number" ? a > k : compare(op, a, k);
          };
        case ">=":
          return (input) => {
            const a = lf(input);
            return typeof a === "number" ? a >= k : compare(op, a, k);
          };
      }
    }
    return (input) => compare(op, lf(input), rf(input));
  }

  private matches(e: Expr & { kind: "Binary" }, scope: Scope): Compiled {
    const l = this.compile(e.left, scope);
    const lf = l.fn;
    const literal = this.program.regexes.get(e.right);
    let src: MatcherSource;
    if (literal) {
      const v = regexValue(literal.pattern, literal.flags);
      src = v instanceof PolicyRuntimeError ? { dynamic: thrower(v) } : { fixed: v.matcher };
    } else {
      src = this.matcherSource(e.right, scope);
    }
    const head = (a: Value): a is string => {
      if (a === null) return false;
      if (typeof a !== "string") throw new PolicyRuntimeError(`cannot apply 'matches' to ${aTypeName(a)}`);
      return true;
    };
    if ("fixed" in src) {
      const m = src.fixed;
      return dynamic((input) => {
        const a = lf(input);
        return typeof a === "string" ? m.test(a) : head(a) && m.test(a);
      });
    }
    const d = src.dynamic;
    return dynamic((input) => {
      const a = lf(input);
      if (!head(a)) return false;
      const m = d(input);
      if (m === null) return false;
      return typeof m === "string" ? cachedPolicyRegex(m).test(a) : m.test(a);
    });
  }

  /**
   * `xs contains x` (membership.ts): text search when the right side is a pattern or the left a
   * string, list membership when the left is a list or of unknown type, chosen from the static
   * types; a union the schema allows is dispatched on the value.
   */
  private contains(e: Expr & { kind: "Binary" }, scope: Scope): Compiled {
    const l = this.compile(e.left, scope);
    const lf = l.fn;
    const rt = this.program.types.get(e.right);
    const patternRight = rt !== undefined && rt.kind === "pattern";
    const mode = patternRight ? "string" : containerMode(this.program.types.get(e.left));
    const what = pathText(e.left) ?? "this value";
    if (mode === "list" || mode === "any" || mode === "object") {
      const r = this.compile(e.right, scope);
      const rf = r.fn;
      const m = mode === "object" ? "list" : mode;
      return this.fold([l, r], (input) => {
        const a = lf(input);
        return memberAs(m, "contains", what, rf(input), a);
      });
    }
    const src = this.matcherSource(e.right, scope);
    const fixed = "fixed" in src ? src.fixed : null;
    const d = "dynamic" in src ? src.dynamic : null;
    const rv = mode === "dynamic" ? this.compile(e.right, scope).fn : null;
    return dynamic((input) => {
      const a = lf(input);
      if (a === null) return false;
      if (rv !== null && Array.isArray(a)) return memberAs("dynamic", "contains", what, rv(input), a);
      if (typeof a !== "string") throw new PolicyRuntimeError(`cannot apply 'contains' to ${aTypeName(a)}`, "runtime/unexpected-type");
      if (fixed !== null) return fixed.test(a);
      const m = (d as (input: Value) => Matcher | string | null)(input);
      if (m === null) return false;
      return typeof m === "string" ? a.includes(m) : m.test(a);
    });
  }

  /** `x has a.b`: the fields are present and not null. */
  private has(e: Expr & { kind: "Binary" }, scope: Scope): Compiled {
    const keys = fieldPath(e.right);
    const l = this.compile(e.left, scope);
    const lf = l.fn;
    const read = pathReader(keys);
    return this.fold([l], (input) => read(lf(input)) !== null);
  }

  /** For a body `v.a.b == K` or `K != v.a.b` (v the quantifier's variable, K a constant string, number or bool): the path and K. */
  private elementTest(q: Quantifier, body: Expr): { keys: string[]; k: string | number | boolean; negate: boolean; types: PathTypes } | null {
    const b = unparen(body);
    if (b.kind !== "Binary" || (b.op !== "==" && b.op !== "!=")) return null;
    let types: PathTypes | null = null;
    const side = (e: Expr): string[] | null => {
      const keys: string[] = [];
      const members: Expr[] = [];
      e = unparen(e);
      while (e.kind === "Member" && !this.program.resolutions.has(e)) {
        keys.push(e.property.name);
        members.push(e);
        e = unparen(e.object);
      }
      if (e.kind !== "Name") return null;
      const r = this.program.resolutions.get(e);
      if (!(r?.kind === "variable" && r.binder === q && r.index === 0)) return null;
      types = this.elementTypes(e, members.reverse());
      return keys.reverse();
    };
    const scalar = (e: Expr): string | number | boolean | null => {
      e = unparen(e);
      return e.kind === "String" || e.kind === "Number" || e.kind === "Bool" ? e.value : null;
    };
    const lk = side(b.left);
    const rk = lk === null ? side(b.right) : null;
    const k = lk !== null ? scalar(b.right) : rk !== null ? scalar(b.left) : null;
    const keys = lk ?? rk;
    if (keys === null || k === null || types === null) return null;
    return { keys, k, negate: b.op === "!=", types };
  }

  /**
   * For a two-variable ordered quantifier whose body is a chain of `and` that first reads only
   * the first variable, then only the second, the two halves; null otherwise (then every pair
   * is tried).
   */
  private orderedSplit(q: Quantifier, body: Expr): { first: Expr[]; second: Expr[] } | null {
    const parts = conjuncts(body);
    const uses = parts.map((c) => {
      const seen = [false, false];
      walkAst(c, (node) => {
        const r = this.program.resolutions.get(node as ResolvedNode);
        if (r !== undefined && r.kind === "variable" && r.binder === q) seen[r.index] = true;
      });
      return seen;
    });
    let cut = 0;
    while (cut < parts.length && !uses[cut][1]) cut++;
    if (cut === 0 || cut === parts.length) return null;
    for (let i = cut; i < parts.length; i++) if (uses[i][0]) return null;
    return { first: parts.slice(0, cut), second: parts.slice(cut) };
  }

  private quantifier(q: Quantifier, scope: Scope): Compiled {
    const coll = this.compile(q.collection, scope).fn;
    const slots = this.newSlots(q.vars.length);
    const inner = new Map(scope);
    inner.set(q, slots);
    const body = q.body === null ? null : this.compile(q.body, inner).fn;
    const store = this.slots;
    const where = `'${q.quantifier}'`;
    const kind = q.quantifier;
    const s0 = slots[0];
    const list = (input: Value): readonly Value[] | null => {
      const xs = coll(input);
      return xs === null ? null : elements(xs, kind);
    };
    const fused = slots.length === 1 && q.body !== null ? this.elementTest(q, q.body) : null;
    if (fused !== null) {
      // `c.path == K` over the elements: no slot, no closure per element (the body fails only on a typed read, as in the reference; `truth` is moot).
      const { keys, k: want, negate, types } = fused;
      const scan = elementScan(kind, keys, negate, types);
      return dynamic((input) => {
        const xs = list(input);
        if (xs === null) return kind === "count" ? 0 : kind === "all";
        return scan(xs, want);
      });
    }
    if (kind === "count") {
      if (body === null) {
        return dynamic((input) => {
          const xs = list(input);
          return xs === null ? 0 : xs.length;
        });
      }
      return dynamic((input) => {
        const xs = list(input);
        if (xs === null) return 0;
        let n = 0;
        for (let i = 0; i < xs.length; i++) {
          store[s0] = xs[i];
          if (truth(body(input), where)) n++;
        }
        return n;
      });
    }
    const holds = body ?? (() => true);
    if (kind === "all") {
      return dynamic((input) => {
        const xs = list(input);
        if (xs === null) return true;
        for (let i = 0; i < xs.length; i++) {
          store[s0] = xs[i];
          if (!truth(holds(input), where)) return false;
        }
        return true;
      });
    }
    const k = slots.length;
    if (k === 1) {
      return dynamic((input) => {
        const xs = list(input);
        if (xs === null) return false;
        for (let i = 0; i < xs.length; i++) {
          store[s0] = xs[i];
          if (truth(holds(input), where)) return true;
        }
        return false;
      });
    }
    if (k === 2) {
      const s1 = slots[1];
      const split = q.body === null ? null : this.orderedSplit(q, q.body);
      if (split !== null) {
        // `any a then b in xs: P(a) and Q(b)` in one pass: the first a where P holds, then any
        // later b where Q holds, the greedy match of an ordered pair. It gives the reference's
        // answer and its errors: P and Q are evaluated on the same elements in the same order up
        // to the answer, and when there is no pair, P is still evaluated on every later element,
        // because the reference does so and one of them may raise.
        const ps = split.first.map((c) => this.compile(c, inner).fn);
        const qs = split.second.map((c) => this.compile(c, inner).fn);
        const all = (fs: readonly ((input: Value) => Value)[], input: Value): boolean => {
          for (let f = 0; f < fs.length; f++) if (!truth(fs[f](input), "'and'")) return false;
          return true;
        };
        return dynamic((input) => {
          const xs = list(input);
          if (xs === null) return false;
          const n = xs.length;
          // The last element has nothing after it: the reference never reads it as a.
          let i = 0;
          for (; i < n - 1; i++) {
            store[s0] = xs[i];
            if (all(ps, input)) break;
          }
          if (i >= n - 1) return false;
          for (let j = i + 1; j < n; j++) {
            store[s1] = xs[j];
            if (all(qs, input)) return true;
          }
          for (let m = i + 1; m < n - 1; m++) {
            store[s0] = xs[m];
            all(ps, input);
          }
          return false;
        });
      }
      return dynamic((input) => {
        const xs = list(input);
        if (xs === null) return false;
        const n = xs.length;
        for (let i = 0; i < n; i++) {
          store[s0] = xs[i];
          for (let j = i + 1; j < n; j++) {
            store[s1] = xs[j];
            if (truth(holds(input), where)) return true;
          }
        }
        return false;
      });
    }
    // `a then b then c ...`: positions strictly increasing, searched in lexicographic order like the reference.
    const search = (input: Value, xs: readonly Value[], depth: number, from: number): boolean => {
      for (let i = from; i < xs.length; i++) {
        store[slots[depth]] = xs[i];
        if (depth + 1 === k ? truth(holds(input), where) : search(input, xs, depth + 1, i + 1)) return true;
      }
      return false;
    };
    return dynamic((input) => {
      const xs = list(input);
      return xs === null ? false : search(input, xs, 0, 0);
    });
  }
}

/** The operands of a chain of `and`, left to right (`and` is left-associative). */
function conjuncts(e: Expr, out: Expr[] = []): Expr[] {
  const u = unparen(e);
  if (u.kind === "Binary" && u.op === "and") {
    conjuncts(u.left, out);
    conjuncts(u.right, out);
  } else out.push(e);
  return out;
}

function isScalar(v: Value): v is string | number | boolean {
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean";
}

function unparen(e: Expr): Expr {
  while (e.kind === "Paren") e = e.expr;
  return e;
}

const BOOL_OPS: ReadonlySet<string> = new Set(["or", "and", "==", "!=", "<", "<=", ">", ">=", "in", "not in", "contains", "matches", "like", "starts with", "ends with"]);

/** Whether every value `e` can produce is a bool (it may still throw): comparisons, `and`/`or`, `not`, `any`/`all`. */
function returnsBool(e: Expr): boolean {
  e = unparen(e);
  if (e.kind === "Bool") return true;
  if (e.kind === "Binary") return BOOL_OPS.has(e.op);
  if (e.kind === "Unary") return e.op === "not";
  if (e.kind === "Quantifier") return e.quantifier !== "count";
  return false;
}
