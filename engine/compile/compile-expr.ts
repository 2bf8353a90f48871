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
import type { DefDecl, Expr, Pattern, Quantifier } from "../../language/ast.ts";
import type { CheckedProgram, Resolution, ResolvedNode } from "../../language/check/program.ts";
import { walk as walkAst } from "../../language/ast-util.ts";
import { PolicyRuntimeError } from "../runtime/stdlib/errors.ts";
import { getDetector } from "../runtime/stdlib/detectors.ts";
import { cachedPolicyRegex, compilePolicyRegex } from "../runtime/stdlib/regex-guard.ts";
import { compileGlob, like } from "../runtime/stdlib/glob.ts";
import { builtinImpl, callBuiltin } from "./builtins.ts";
import { elementScan, pathReader } from "./compile-path.ts";
import type { Matcher } from "./reference.ts";
import { Duration, arithmetic, compare, elements, equals, getField, getIndex, member, negate, truth, typeName, type Value } from "./values.ts";

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

const NOT_A_PATTERN = "a pattern is only usable with 'matches', 'contains' and 'redact'";

function dynamic(fn: Fn): Compiled {
  return { fn, folded: false, value: null };
}

function constant(value: Value): Compiled {
  return { fn: () => value, folded: true, value };
}

function thrower(message: string): Fn {
  return () => {
    throw new PolicyRuntimeError(message);
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
  /** Each const: its value, the matcher it names (`const R = /x/`), or the message of its failure. */
  private readonly consts = new Map<string, { readonly value: Value } | { readonly matcher: Matcher } | { readonly error: string }>();
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
      const p = this.fixedPattern(c.decl.value);
      if (p !== null) {
        this.consts.set(c.id, "matcher" in p ? { matcher: p.matcher } : { error: `const ${c.id}: ${p.error}` });
        continue;
      }
      try {
        this.consts.set(c.id, { value: this.compile(c.decl.value, new Map()).fn(null) });
      } catch (err) {
        if (!(err instanceof PolicyRuntimeError)) throw err;
        this.consts.set(c.id, { error: `const ${c.id}: ${err.message}` });
      }
    }
  }

  private constEntry(id: string): { readonly value: Value } | { readonly matcher: Matcher } | { readonly error: string } {
    const c = this.consts.get(id);
    if (c === undefined) throw new Error(`internal: const ${id} is not evaluated yet`);
    return c;
  }

  /** A const's value by id; null for a pattern const or one whose evaluation failed. */
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

  /** The matcher a fixed pattern expression names (a regex literal or a detector, through parentheses); null when it is not one. */
  private fixedPattern(e: Expr): { matcher: Matcher } | { error: string } | null {
    while (e.kind === "Paren") e = e.expr;
    if (e.kind === "Regex") {
      try {
        return { matcher: compilePolicyRegex(e.pattern, e.flags) };
      } catch (err) {
        if (err instanceof PolicyRuntimeError) return { error: err.message };
        throw err;
      }
    }
    if (e.kind === "Name" || e.kind === "Member") {
      const r = this.program.resolutions.get(e);
      if (r?.kind === "const") {
        const c = this.constEntry(r.id);
        return "matcher" in c ? { matcher: c.matcher } : "error" in c ? { error: c.error } : null;
      }
      if (r?.kind === "detector") {
        const d = getDetector(r.name);
        return d ? { matcher: d } : { error: `detector '${r.name}' has no implementation` };
      }
    }
    return null;
  }

  /** The matcher of a `redact` pattern (a regex literal or a detector name), built once; a failure is deferred to run time, as in the reference. */
  redactPattern(p: Pattern): MatcherSource {
    if (p.kind === "Regex") return this.matcherSource(p, new Map());
    const r = this.resolution(p);
    if (r.kind !== "detector") throw new Error(`internal: redact pattern resolved to ${r.kind}`);
    const d = getDetector(r.name);
    if (d) return { fixed: d };
    const message = `detector '${r.name}' has no implementation`;
    return {
      dynamic: () => {
        throw new PolicyRuntimeError(message);
      },
    };
  }

  /** The matcher of a fixed `matches`/`contains` right side, compiled once; throws at run time if it cannot be built. */
  matcherSource(e: Expr, scope: Scope): MatcherSource {
    const fixed = this.fixedPattern(e);
    if (fixed !== null) {
      if ("matcher" in fixed) return { fixed: fixed.matcher };
      const message = fixed.error;
      return {
        dynamic: () => {
          throw new PolicyRuntimeError(message);
        },
      };
    }
    const v = this.compile(e, scope).fn;
    return {
      dynamic: (input) => {
        const x = v(input);
        if (x === null || typeof x === "string") return x;
        throw new PolicyRuntimeError(`expected a pattern or a string, got a ${typeName(x)}`);
      },
    };
  }

  private resolved(r: Resolution, scope: Scope): Compiled {
    switch (r.kind) {
      case "root": {
        const name = r.name;
        return dynamic((input) => getField(input, name));
      }
      case "const": {
        const c = this.constEntry(r.id);
        if ("value" in c) return constant(c.value);
        return dynamic(thrower("error" in c ? c.error : NOT_A_PATTERN));
      }
      case "variable":
      case "param": {
        const slot = r.kind === "variable" ? this.slotOf(scope, r.binder, r.index) : this.slotOf(scope, r.def, r.index);
        if (typeof slot !== "number") return constant(slot.value);
        const slots = this.slots;
        return dynamic(() => slots[slot] ?? null);
      }
      case "detector":
        return dynamic(thrower(getDetector(r.name) ? NOT_A_PATTERN : `detector '${r.name}' has no implementation`));
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
        // A regex is a value only where a pattern is expected; elsewhere the reference builds it, then refuses it.
        const p = this.fixedPattern(e);
        return dynamic(thrower(p !== null && "error" in p ? p.error : NOT_A_PATTERN));
      }
      case "Paren":
        return this.compile(e.expr, scope);
      case "List":
        return this.list(e.items.map((x) => this.compile(x, scope)));
      case "Object":
        return this.object(e.entries.map((en) => [en.key, this.compile(en.value, scope)] as const));
      case "Name":
        return this.resolved(this.resolution(e), scope);
      case "Member": {
        const r = this.program.resolutions.get(e);
        if (r) return this.resolved(r, scope);
        return this.path(e, scope);
      }
      case "Index": {
        const o = this.compile(e.object, scope);
        const i = this.compile(e.index, scope);
        return this.fold([o, i], (input) => getIndex(o.fn(input), i.fn(input)));
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

  /** A chain of plain field reads `x.a.b.c`, resolved once into a key list and walked in one closure. */
  private path(e: Expr & { kind: "Member" }, scope: Scope): Compiled {
    const keys: string[] = [];
    let base: Expr = e;
    while (base.kind === "Member" && !this.program.resolutions.has(base)) {
      keys.push(base.property.name);
      base = base.object;
      while (base.kind === "Paren") base = base.expr;
    }
    keys.reverse();
    const walked = this.walk(base, keys, scope);
    if (walked !== null) return walked;
    const b = this.compile(base, scope);
    const f = b.fn;
    if (keys.length === 1) {
      const k0 = keys[0];
      return this.fold([b], (input) => getField(f(input), k0));
    }
    if (keys.length === 2) {
      const [k0, k1] = keys;
      return this.fold([b], (input) => getField(getField(f(input), k0), k1));
    }
    const n = keys.length;
    return this.fold([b], (input) => {
      let v = f(input);
      for (let i = 0; i < n; i++) v = getField(v, keys[i]);
      return v;
    });
  }

  /**
   * A path from an input root or a local, read in one closure (no closure per step): the shape
   * of nearly every path in a policy, `tool.args.amount` or `c.tool.name`. Null for other bases.
   */
  private walk(base: Expr, keys: readonly string[], scope: Scope): Compiled | null {
    const r = base.kind === "Name" || base.kind === "Member" ? this.program.resolutions.get(base) : undefined;
    if (r === undefined) return null;
    let ks: readonly string[];
    let slot = -1;
    if (r.kind === "root") ks = [r.name, ...keys];
    else if (r.kind === "variable" || r.kind === "param") {
      const l = r.kind === "variable" ? this.slotOf(scope, r.binder, r.index) : this.slotOf(scope, r.def, r.index);
      if (typeof l !== "number") return null;
      slot = l;
      ks = keys;
    } else return null;
    const store = this.slots;
    const read = pathReader(ks);
    if (slot < 0) return dynamic(read);
    return dynamic(() => read(store[slot] ?? null));
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
    const l = this.compile(e.left, scope);
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
        return this.fold(parts, (input) => member(lf(input), rf(input)));
      case "not in":
        return this.fold(parts, (input) => !member(lf(input), rf(input)));
      case "like": {
        // A constant glob is compiled once; `like` would find it in its cache, but a cache is a lookup per call.
        if (r.folded && typeof r.value === "string" && !l.folded) {
          const g = compileGlob(r.value);
          return dynamic((input) => {
            const a = lf(input);
            if (a === null) return false;
            if (typeof a !== "string") throw new PolicyRuntimeError(`cannot apply 'like' to a ${typeName(a)} and a string`);
            return g.test(a);
          });
        }
        return this.fold(parts, (input) => {
          const a = lf(input);
          const b = rf(input);
          if (a === null || b === null) return false;
          if (typeof a !== "string" || typeof b !== "string") throw new PolicyRuntimeError(`cannot apply 'like' to a ${typeName(a)} and a ${typeName(b)}`);
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
          if (typeof a !== "string" || typeof b !== "string") throw new PolicyRuntimeError(`cannot apply '${op}' to a ${typeName(a)} and a ${typeName(b)}`);
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
      try {
        src = { fixed: compilePolicyRegex(literal.pattern, literal.flags) };
      } catch (err) {
        if (!(err instanceof PolicyRuntimeError)) throw err;
        const message = err.message;
        src = {
          dynamic: () => {
            throw new PolicyRuntimeError(message);
          },
        };
      }
    } else {
      src = this.matcherSource(e.right, scope);
    }
    const head = (a: Value): a is string => {
      if (a === null) return false;
      if (typeof a !== "string") throw new PolicyRuntimeError(`cannot apply 'matches' to a ${typeName(a)}`);
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

  private contains(e: Expr & { kind: "Binary" }, scope: Scope): Compiled {
    const l = this.compile(e.left, scope);
    const lf = l.fn;
    // On a list, the right side is a value (a pattern there is an error); on a string, a pattern or a string.
    const rv = this.compile(e.right, scope).fn;
    const src = this.matcherSource(e.right, scope);
    const fixed = "fixed" in src ? src.fixed : null;
    const d = "dynamic" in src ? src.dynamic : null;
    return dynamic((input) => {
      const a = lf(input);
      if (a === null) return false;
      if (Array.isArray(a)) return member(rv(input), a);
      if (typeof a !== "string") throw new PolicyRuntimeError(`cannot apply 'contains' to a ${typeName(a)}`);
      if (fixed !== null) return fixed.test(a);
      const m = (d as (input: Value) => Matcher | string | null)(input);
      if (m === null) return false;
      return typeof m === "string" ? a.includes(m) : m.test(a);
    });
  }

  /** For a body `v.a.b == K` or `K != v.a.b` (v the quantifier's variable, K a constant string, number or bool): the path and K. */
  private elementTest(q: Quantifier, body: Expr): { keys: string[]; k: string | number | boolean; negate: boolean } | null {
    const b = unparen(body);
    if (b.kind !== "Binary" || (b.op !== "==" && b.op !== "!=")) return null;
    const side = (e: Expr): string[] | null => {
      const keys: string[] = [];
      e = unparen(e);
      while (e.kind === "Member" && !this.program.resolutions.has(e)) {
        keys.push(e.property.name);
        e = unparen(e.object);
      }
      if (e.kind !== "Name") return null;
      const r = this.program.resolutions.get(e);
      return r?.kind === "variable" && r.binder === q && r.index === 0 ? keys.reverse() : null;
    };
    const scalar = (e: Expr): string | number | boolean | null => {
      e = unparen(e);
      return e.kind === "String" || e.kind === "Number" || e.kind === "Bool" ? e.value : null;
    };
    const lk = side(b.left);
    const rk = lk === null ? side(b.right) : null;
    const k = lk !== null ? scalar(b.right) : rk !== null ? scalar(b.left) : null;
    const keys = lk ?? rk;
    if (keys === null || k === null) return null;
    return { keys, k, negate: b.op === "!=" };
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
      // `c.path == K` over the elements: no slot, no closure per element (the body cannot fail, so `truth` is moot).
      const { keys, k: want, negate } = fused;
      const scan = elementScan(kind, keys, negate);
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
