// The reference interpreter: a direct, obviously-correct walk over the checked AST. It is
// kept for differential testing (the compiled evaluator must agree with it on every
// decision) and as the executable reading of LANGUAGE.md. Speed is not its concern.
import type { Effect, Expr, Phase, Quantifier, DefDecl, Template, Pattern } from "../../language/ast.ts";
import type { CheckedProgram, CheckedRule, Resolution, ResolvedNode } from "../../language/check/program.ts";
import { PolicyRuntimeError } from "../runtime/stdlib/errors.ts";
import { getDetector } from "../runtime/stdlib/detectors.ts";
import { cachedPolicyRegex, compilePolicyRegex } from "../runtime/stdlib/regex-guard.ts";
import { like } from "../runtime/stdlib/glob.ts";
import { callBuiltin } from "./builtins.ts";
import type { EffectOutcome, Firing, PathKey, Replaced } from "../runtime/combine.ts";
import { Duration, arithmetic, compare, displayValue, elements, equals, getField, getIndex, member, negate, truth, typeName, type Value } from "./values.ts";

/** Something that finds matches in text: a detector or a compiled regex. */
export interface Matcher {
  test(text: string): boolean;
  find(text: string): readonly (readonly [number, number])[];
}

/** The replacement `redact` uses when none is written. */
export const DEFAULT_REDACTION = "[REDACTED]";

/** A frame of local bindings: a quantifier's variables or a def's parameters. */
interface Frame {
  readonly owner: Quantifier | DefDecl;
  readonly values: Value[];
  readonly parent: Frame | null;
}

class ConstError {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

class MatcherValue {
  readonly matcher: Matcher;
  constructor(matcher: Matcher) {
    this.matcher = matcher;
  }
}

/** Replaces every match of `m` in `text` (literally by `replacement`); `text` itself when nothing matches. */
export function replaceMatches(text: string, m: Matcher, replacement: string): Replaced {
  const found = m.find(text);
  if (found.length === 0) return { text, count: 0 };
  let out = "";
  let at = 0;
  for (const [s, e] of found) {
    out += text.slice(at, s) + replacement;
    at = e;
  }
  return { text: out + text.slice(at), count: found.length };
}

/** Evaluates a checked program by walking its AST. */
export class ReferenceInterpreter {
  readonly program: CheckedProgram;
  private readonly consts = new Map<string, Value | MatcherValue | ConstError>();

  constructor(program: CheckedProgram) {
    this.program = program;
    // A const whose value is a runtime error (`1 / 0`) does not stop the set from loading: the
    // rules that read it are errored, like any other runtime error (LANGUAGE.md).
    for (const c of program.consts.values()) {
      try {
        this.consts.set(c.id, this.evalAny(c.decl.value, null, null));
      } catch (err) {
        if (!(err instanceof PolicyRuntimeError)) throw err;
        this.consts.set(c.id, new ConstError(`const ${c.id}: ${err.message}`));
      }
    }
  }

  /** The value of a const by id (`package.NAME`); a pattern const (`const R = /x/`) is a matcher. */
  private constValue(id: string): Value | MatcherValue {
    if (!this.consts.has(id)) throw new Error(`internal: const ${id} is not evaluated yet`);
    const v = this.consts.get(id) ?? null;
    if (v instanceof ConstError) throw new PolicyRuntimeError(v.message);
    return v;
  }

  /** Evaluates an expression that reads no input (a test's input literal, a const). */
  evalClosed(e: Expr): Value {
    return this.eval(e, null, null);
  }

  /** The rules of `phase` whose condition holds, in rule order, with their effects evaluated (or their error). */
  fire(phase: Phase, input: Value): Firing[] {
    const out: Firing[] = [];
    for (const rule of this.program.rules) {
      if (!rule.phases.includes(phase)) continue;
      const f = this.fireRule(rule, input);
      if (f) out.push(f);
    }
    return out;
  }

  private fireRule(rule: CheckedRule, input: Value): Firing | null {
    const info = { id: rule.id, ...(rule.severity ? { severity: rule.severity } : {}), controls: rule.controls };
    try {
      const d = rule.decl;
      if (d.when && !truth(this.eval(d.when, input, null), "'when'")) return null;
      if (d.unless && truth(this.eval(d.unless, input, null), "'unless'")) return null;
      return { rule: info, effects: d.effects.map((e) => this.effect(e, input)) };
    } catch (err) {
      if (err instanceof PolicyRuntimeError) return { rule: info, error: err.message };
      throw err;
    }
  }

  private message(t: Template | null, input: Value): string | undefined {
    if (t === null) return undefined;
    let s = "";
    for (const p of t.parts) s += typeof p === "string" ? p : displayValue(this.eval(p, input, null));
    return s;
  }

  private effect(e: Effect, input: Value): EffectOutcome {
    switch (e.kind) {
      case "Deny":
        return withMessage("deny", this.message(e.message, input));
      case "Allow":
        return { kind: "allow" };
      case "Warn":
        return withMessage("warn", this.message(e.message, input));
      case "RequireApproval": {
        const message = this.message(e.message, input);
        return { kind: "require_approval", ...(message !== undefined ? { message } : {}), ...(e.from ? { from: e.from.value } : {}) };
      }
      case "Redact": {
        const m = this.pattern(e.pattern);
        const replacement = e.replacement?.value ?? DEFAULT_REDACTION;
        return { kind: "redact", path: this.path(e.target, input), replace: (text) => replaceMatches(text, m, replacement) };
      }
      case "Set":
        return { kind: "set", path: this.path(e.target, input), value: this.eval(e.value, input, null) };
    }
  }

  private pattern(p: Pattern): Matcher {
    if (p.kind === "Regex") return compilePolicyRegex(p.pattern, p.flags);
    const r = this.resolution(p);
    if (r.kind !== "detector") throw new Error(`internal: redact pattern resolved to ${r.kind}`);
    return this.detector(r.name);
  }

  private detector(name: string): Matcher {
    const d = getDetector(name);
    if (!d) throw new PolicyRuntimeError(`detector '${name}' has no implementation`);
    return d;
  }

  /** The payload keys an effect target names: `tool.args[i].x` -> ["tool", "args", i, "x"]. */
  private path(e: Expr, input: Value): PathKey[] {
    switch (e.kind) {
      case "Name":
        return [e.name];
      case "Paren":
        return this.path(e.expr, input);
      case "Member":
        return [...this.path(e.object, input), e.property.name];
      case "Index": {
        const k = this.eval(e.index, input, null);
        if (typeof k !== "string" && typeof k !== "number") throw new PolicyRuntimeError(`an effect path index must be a string or a number, got a ${typeName(k)}`);
        return [...this.path(e.object, input), k];
      }
      default:
        throw new Error(`internal: effect target of kind ${e.kind}`);
    }
  }

  private resolution(node: ResolvedNode): Resolution {
    const r = this.program.resolutions.get(node);
    if (!r) throw new Error(`internal: unresolved ${node.kind}`);
    return r;
  }

  private lookup(frame: Frame | null, owner: Quantifier | DefDecl, index: number): Value {
    for (let f = frame; f; f = f.parent) if (f.owner === owner) return f.values[index] ?? null;
    throw new Error("internal: unbound local");
  }

  private resolved(r: Resolution, input: Value, frame: Frame | null): Value | MatcherValue {
    switch (r.kind) {
      case "root":
        return getField(input, r.name);
      case "const":
        return this.constValue(r.id);
      case "variable":
        return this.lookup(frame, r.binder, r.index);
      case "param":
        return this.lookup(frame, r.def, r.index);
      case "detector":
        return new MatcherValue(this.detector(r.name));
      default:
        throw new PolicyRuntimeError(`'${"name" in r ? r.name : r.kind}' is not a value`);
    }
  }

  private evalAny(e: Expr, input: Value, frame: Frame | null): Value | MatcherValue {
    switch (e.kind) {
      case "Regex":
        return new MatcherValue(compilePolicyRegex(e.pattern, e.flags));
      case "Name":
        return this.resolved(this.resolution(e), input, frame);
      case "Member": {
        const r = this.program.resolutions.get(e);
        if (r) return this.resolved(r, input, frame);
        return getField(this.eval(e.object, input, frame), e.property.name);
      }
      case "Paren":
        return this.evalAny(e.expr, input, frame);
      default:
        return this.eval(e, input, frame);
    }
  }

  private matcherOf(e: Expr, input: Value, frame: Frame | null): Matcher | string | null {
    const v = this.evalAny(e, input, frame);
    if (v instanceof MatcherValue) return v.matcher;
    if (v === null || typeof v === "string") return v;
    throw new PolicyRuntimeError(`expected a pattern or a string, got a ${typeName(v)}`);
  }

  /** Evaluates `e`; `input` null means no input is in scope (consts, test literals). */
  eval(e: Expr, input: Value, frame: Frame | null): Value {
    switch (e.kind) {
      case "Number":
      case "String":
      case "Bool":
        return e.value;
      case "Null":
        return null;
      case "Duration":
        return new Duration(e.ms);
      case "List":
        return e.items.map((x) => this.eval(x, input, frame));
      case "Object": {
        const o: Record<string, Value> = {};
        for (const en of e.entries) o[en.key] = this.eval(en.value, input, frame);
        return o;
      }
      case "Paren":
        return this.eval(e.expr, input, frame);
      case "Regex":
      case "Name":
      case "Member": {
        const v = this.evalAny(e, input, frame);
        if (v instanceof MatcherValue) throw new PolicyRuntimeError("a pattern is only usable with 'matches', 'contains' and 'redact'");
        return v;
      }
      case "Index":
        return getIndex(this.eval(e.object, input, frame), this.eval(e.index, input, frame));
      case "Call": {
        const r = this.resolution(e);
        const args = e.args.map((a) => this.eval(a, input, frame));
        if (r.kind === "def") return this.eval(r.decl.body, input, { owner: r.decl, values: args, parent: null });
        if (r.kind === "builtin") return callBuiltin(r.name, args);
        throw new PolicyRuntimeError(`'${"name" in r ? r.name : r.kind}' is not a function`);
      }
      case "Unary":
        return e.op === "not" ? !truth(this.eval(e.operand, input, frame), "'not'") : negate(this.eval(e.operand, input, frame));
      case "Binary":
        return this.binary(e.op, e.left, e.right, input, frame, e);
      case "Quantifier":
        return this.quantifier(e, input, frame);
    }
  }

  private binary(op: string, l: Expr, r: Expr, input: Value, frame: Frame | null, node: Expr): Value {
    switch (op) {
      case "and":
        return truth(this.eval(l, input, frame), "'and'") ? truth(this.eval(r, input, frame), "'and'") : false;
      case "or":
        return truth(this.eval(l, input, frame), "'or'") ? true : truth(this.eval(r, input, frame), "'or'");
      case "==":
        return equals(this.eval(l, input, frame), this.eval(r, input, frame));
      case "!=":
        return !equals(this.eval(l, input, frame), this.eval(r, input, frame));
      case "<":
      case "<=":
      case ">":
      case ">=":
        return compare(op, this.eval(l, input, frame), this.eval(r, input, frame));
      case "+":
      case "-":
      case "*":
      case "/":
      case "%":
        return arithmetic(op, this.eval(l, input, frame), this.eval(r, input, frame));
      case "in":
        return member(this.eval(l, input, frame), this.eval(r, input, frame));
      case "not in":
        // Exactly `not (x in xs)`: an absent value is not in any list.
        return !member(this.eval(l, input, frame), this.eval(r, input, frame));
      case "contains": {
        const a = this.eval(l, input, frame);
        if (a === null) return false;
        if (Array.isArray(a)) return member(this.eval(r, input, frame), a);
        if (typeof a !== "string") throw new PolicyRuntimeError(`cannot apply 'contains' to a ${typeName(a)}`);
        const m = this.matcherOf(r, input, frame);
        if (m === null) return false;
        return typeof m === "string" ? a.includes(m) : m.test(a);
      }
      case "matches": {
        const a = this.eval(l, input, frame);
        if (a === null) return false;
        if (typeof a !== "string") throw new PolicyRuntimeError(`cannot apply 'matches' to a ${typeName(a)}`);
        const literal = this.program.regexes.get(r);
        if (literal) return compilePolicyRegex(literal.pattern, literal.flags).test(a);
        const m = this.matcherOf(r, input, frame);
        if (m === null) return false;
        return typeof m === "string" ? cachedPolicyRegex(m).test(a) : m.test(a);
      }
      case "like":
      case "starts with":
      case "ends with": {
        const a = this.eval(l, input, frame);
        const b = this.eval(r, input, frame);
        if (a === null || b === null) return false;
        if (typeof a !== "string" || typeof b !== "string") throw new PolicyRuntimeError(`cannot apply '${op}' to a ${typeName(a)} and a ${typeName(b)}`);
        return op === "like" ? like(a, b) : op === "starts with" ? a.startsWith(b) : a.endsWith(b);
      }
    }
    throw new Error(`internal: operator ${op} at ${node.span.start.line}:${node.span.start.col}`);
  }

  private quantifier(q: Quantifier, input: Value, frame: Frame | null): Value {
    const xs = elements(this.eval(q.collection, input, frame), q.quantifier);
    const holds = (values: Value[]): boolean => q.body === null || truth(this.eval(q.body, input, { owner: q, values, parent: frame }), `'${q.quantifier}'`);
    if (q.quantifier === "count") {
      let n = 0;
      for (const x of xs) if (holds([x])) n++;
      return n;
    }
    if (q.quantifier === "all") {
      for (const x of xs) if (!holds([x])) return false;
      return true;
    }
    // any, possibly ordered: elements at strictly increasing positions, one per variable.
    const k = q.vars.length;
    const chosen: Value[] = [];
    const search = (from: number): boolean => {
      if (chosen.length === k) return holds(chosen.slice());
      for (let i = from; i < xs.length; i++) {
        chosen.push(xs[i]);
        if (search(i + 1)) return true;
        chosen.pop();
      }
      return false;
    };
    return search(0);
  }
}

function withMessage(kind: "deny" | "warn", message: string | undefined): EffectOutcome {
  return message === undefined ? { kind } : { kind, message };
}

function payloadRoot(name: string, payload: unknown): Value {
  return name === "payload" ? ((payload ?? null) as Value) : getField(payload, name);
}

/** Reads a `payload.a.b[0]` expectation path against a decision's payload. */
export function readPayloadPath(path: Expr, payload: unknown, evalIndex: (e: Expr) => Value): Value {
  switch (path.kind) {
    case "Name":
      // The parser starts the path at the root after `payload.` (`payload.output.text` -> `output.text`).
      return payloadRoot(path.name, payload);
    case "Paren":
      return readPayloadPath(path.expr, payload, evalIndex);
    case "Member":
      return getField(readPayloadPath(path.object, payload, evalIndex), path.property.name);
    case "Index":
      return getIndex(readPayloadPath(path.object, payload, evalIndex), evalIndex(path.index));
    default:
      throw new Error(`internal: payload path of kind ${path.kind}`);
  }
}

