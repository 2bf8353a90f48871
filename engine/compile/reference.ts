// The reference interpreter: a direct, obviously-correct walk over the checked AST. It is
// kept for differential testing (the compiled evaluator must agree with it on every
// decision) and as the executable reading of LANGUAGE.md. Speed is not its concern.
import type { Effect, Expr, Phase, Quantifier, DefDecl, Template, Pattern } from "../../language/ast.ts";
import type { CheckedProgram, CheckedRule, Resolution, ResolvedNode } from "../../language/check/program.ts";
import { pathText } from "../../language/check/context.ts";
import { formatExpr } from "../../language/format.ts";
import { PHASE_ROOTS } from "../../language/check/schema.ts";
import { PolicyRuntimeError, ruleFault } from "../runtime/stdlib/errors.ts";
import { cachedPolicyRegex } from "../runtime/stdlib/regex-guard.ts";
import { like } from "../runtime/stdlib/glob.ts";
import { callBuiltin } from "./builtins.ts";
import { combine, type EffectOutcome, type Firing, type PathKey, type PhaseSettings, type Replaced } from "../runtime/combine.ts";
import type { Decision } from "../runtime/decision.ts";
import { inputChecks, inputFiring, type InputCheck } from "./input-check.ts";
import { containerMode, memberAs } from "./membership.ts";
import { NO_MATCH, detectorValue, regexValue, textMatcher } from "./patterns.ts";
import { checked, conforms, expectedText, typeClash } from "./runtime-types.ts";
import { Duration, PatternValue, arithmetic, compare, displayValue, elements, equals, getField, getIndex, negate, truth, aTypeName, type Matcher, type Value } from "./values.ts";

export type { Matcher } from "./values.ts";

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
  private readonly consts = new Map<string, Value | ConstError>();
  /** The phase being decided (`phase`, and which roots and transform targets exist); null for consts and test inputs. */
  private phase: Phase | null = null;

  private readonly checks: Readonly<Record<Phase, InputCheck>>;

  constructor(program: CheckedProgram, checks: Readonly<Record<Phase, InputCheck>> = inputChecks(program)) {
    this.program = program;
    this.checks = checks;
    // A const whose value is a runtime error (`1 / 0`) does not stop the set from loading: the
    // rules that read it are errored, like any other runtime error (LANGUAGE.md).
    for (const c of program.consts.values()) {
      try {
        this.consts.set(c.id, this.eval(c.value, null, null));
      } catch (err) {
        if (!(err instanceof PolicyRuntimeError)) throw err;
        this.consts.set(c.id, new ConstError(`const ${c.id}: ${err.message}`));
      }
    }
  }

  /** The value of a const by id (`package.NAME`); a pattern const (`const R = /x/`) holds a PatternValue. */
  private constValue(id: string): Value {
    if (!this.consts.has(id)) throw new Error(`internal: const ${id} is not evaluated yet`);
    const v = this.consts.get(id) ?? null;
    if (v instanceof ConstError) throw new PolicyRuntimeError(v.message);
    return v;
  }

  /** Evaluates an expression that reads no input (a test's input literal, a const). */
  evalClosed(e: Expr): Value {
    return this.eval(e, null, null);
  }

  /** Decides one phase's input, as `CompiledProgram.decide` does: the input checked at the boundary, the firings combined. */
  decide(phase: Phase, input: Value, settings: PhaseSettings, policy: Decision["policy"], refused: Firing | null = null): Decision {
    const bad = this.checks[phase](input as object);
    const firings = this.fire(phase, input);
    return combine(input, [...(refused === null ? [] : [refused]), ...(bad === null ? [] : [inputFiring(bad)]), ...firings], settings, policy);
  }

  /** The rules of `phase` whose condition holds, in rule order, with their effects evaluated (or their error). */
  fire(phase: Phase, input: Value): Firing[] {
    const out: Firing[] = [];
    this.phase = phase;
    try {
      for (const rule of this.program.rules) {
        if (!rule.phases.includes(phase)) continue;
        const f = this.fireRule(rule, input);
        if (f) out.push(f);
      }
    } finally {
      this.phase = null;
    }
    return out;
  }

  /**
   * For each rule of `phase`, in order: whether it fired, errored, or did not fire and why (the
   * first conjunct of its `when` that was false, or its `unless` holding), with the values of
   * the input paths that part read (`palisade eval --explain`).
   */
  explain(phase: Phase, input: Value): RuleExplanation[] {
    const out: RuleExplanation[] = [];
    this.phase = phase;
    try {
      for (const rule of this.program.rules) {
        if (!rule.phases.includes(phase)) continue;
        out.push(this.explainRule(rule, input));
      }
    } finally {
      this.phase = null;
    }
    return out;
  }

  private explainRule(rule: CheckedRule, input: Value): RuleExplanation {
    const d = rule.decl;
    const reads = (e: Expr): Record<string, unknown> => {
      const o: Record<string, unknown> = {};
      const visit = (x: Expr): void => {
        const p = pathText(x);
        const r = x.kind === "Name" ? this.program.resolutions.get(x) : undefined;
        if (p !== undefined && ((x.kind === "Member" && !this.program.resolutions.has(x)) || r?.kind === "root")) {
          try {
            const v = this.eval(x, input, null);
            o[p] = v === null ? "(absent)" : v;
          } catch {
            // A read that fails is reported as the rule's error.
          }
          return;
        }
        for (const c of childExprs(x)) visit(c);
      };
      visit(e);
      return o;
    };
    try {
      if (d.when !== null) {
        for (const c of conjunctsOf(d.when)) {
          if (!truth(this.eval(c, input, null), "'when'")) return { rule: rule.id, outcome: "not fired", why: `when: '${formatExpr(c, Number.MAX_SAFE_INTEGER)}' is false`, reads: reads(c) };
        }
      }
      if (d.unless !== null && truth(this.eval(d.unless, input, null), "'unless'")) return { rule: rule.id, outcome: "not fired", why: `unless: '${formatExpr(d.unless, Number.MAX_SAFE_INTEGER)}' holds`, reads: reads(d.unless) };
      const f = this.fireRule(rule, input);
      if (f?.error !== undefined) return { rule: rule.id, outcome: "errored", why: f.error };
      const why = d.when === null ? "it has no 'when'" : `its 'when' held${d.unless === null ? "" : " and its 'unless' did not"}`;
      return d.when === null ? { rule: rule.id, outcome: "fired", why } : { rule: rule.id, outcome: "fired", why, reads: reads(d.when) };
    } catch (err) {
      const fault = ruleFault(err);
      if (fault !== null) return { rule: rule.id, outcome: "errored", why: fault.message };
      throw err;
    }
  }

  private fireRule(rule: CheckedRule, input: Value): Firing | null {
    const info = { id: rule.id, ...(rule.severity ? { severity: rule.severity } : {}), controls: rule.controls };
    try {
      const d = rule.decl;
      if (d.when && !truth(this.eval(d.when, input, null), "'when'")) return null;
      if (d.unless && truth(this.eval(d.unless, input, null), "'unless'")) return null;
      // A transform whose target the phase does not have applies in the rule's other phases only.
      return { rule: info, effects: d.effects.filter((e) => this.appliesHere(e)).map((e) => this.effect(e, input)) };
    } catch (err) {
      const fault = ruleFault(err);
      if (fault !== null) return errored(info, fault);
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

  private appliesHere(e: Effect): boolean {
    return this.phase === null || appliesIn(e, this.phase);
  }

  private pattern(p: Pattern): Matcher {
    let v: Value | PolicyRuntimeError;
    if (p.kind === "Regex") v = regexValue(p.pattern, p.flags);
    else {
      const r = this.resolution(p);
      if (r.kind === "detector") v = detectorValue(r.name);
      else if (r.kind === "const") v = this.constValue(r.id);
      else throw new PolicyRuntimeError(`'${p.parts.map((x) => x.name).join(".")}' is not a pattern`);
    }
    if (v instanceof PolicyRuntimeError) throw v;
    const m = textMatcher(v, "redact");
    if (m instanceof PolicyRuntimeError) throw m;
    return m ?? NO_MATCH;
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
        if (typeof k !== "string" && typeof k !== "number") throw new PolicyRuntimeError(`an effect path index must be a string or a number, got ${aTypeName(k)}`);
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

  private resolved(r: Resolution, input: Value, frame: Frame | null): Value {
    switch (r.kind) {
      case "root":
        // A root the phase being decided does not have reads as absent, whatever the input holds.
        if (this.phase !== null && !PHASE_ROOTS[this.phase].includes(r.name)) return null;
        return getField(input, r.name);
      case "phase":
        return this.phase;
      case "const":
        return this.constValue(r.id);
      case "variable":
        return this.lookup(frame, r.binder, r.index);
      case "param":
        return this.lookup(frame, r.def, r.index);
      case "detector": {
        const v = detectorValue(r.name);
        if (v instanceof PolicyRuntimeError) throw v;
        return v;
      }
      default:
        throw new PolicyRuntimeError(`'${"name" in r ? r.name : r.kind}' is not a value`);
    }
  }

  /** `v`, checked against the static type of the read `e` (runtime-types.ts); `root.field` is checked at the boundary instead. */
  private typed(e: Expr, v: Value): Value {
    if (e.kind === "Member") {
      let o = e.object;
      while (o.kind === "Paren") o = o.expr;
      if (o.kind === "Name" && this.program.resolutions.get(o)?.kind === "root") return v;
    }
    const t = this.program.types.get(e);
    if (v !== null && checked(t) && !conforms(t, v)) throw typeClash(pathText(e) ?? "value", expectedText(t), v);
    return v;
  }

  private matcherOf(e: Expr, input: Value, frame: Frame | null): Matcher | string | null {
    const v = this.eval(e, input, frame);
    if (v instanceof PatternValue) return v.matcher;
    if (v === null || typeof v === "string") return v;
    throw new PolicyRuntimeError(`expected a pattern or a string, got ${aTypeName(v)}`);
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
      case "Regex": {
        const v = regexValue(e.pattern, e.flags);
        if (v instanceof PolicyRuntimeError) throw v;
        return v;
      }
      case "Name": {
        const r = this.resolution(e);
        const v = this.resolved(r, input, frame);
        // A root's kind is checked at the decision boundary (input-check.ts), once per decision.
        return r.kind === "variable" || r.kind === "param" ? this.typed(e, v) : v;
      }
      case "Member": {
        const r = this.program.resolutions.get(e);
        if (r) return this.resolved(r, input, frame);
        return this.typed(e, getField(this.eval(e.object, input, frame), e.property.name));
      }
      case "Index":
        return this.typed(e, getIndex(this.eval(e.object, input, frame), this.eval(e.index, input, frame)));
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
      case "not in": {
        // Exactly `not (x in xs)` for `not in`: an absent value is not in any list.
        const x = this.eval(l, input, frame);
        const found = memberAs(containerMode(this.program.types.get(r)), op, pathText(r) ?? "this value", x, this.eval(r, input, frame));
        return op === "in" ? found : !found;
      }
      case "has": {
        let v = this.eval(l, input, frame);
        for (const k of fieldPath(r)) v = getField(v, k);
        return v !== null;
      }
      case "contains": {
        // membership.ts: the operation follows the static types, as in the compiled evaluator.
        const rt = this.program.types.get(r);
        const mode = rt !== undefined && rt.kind === "pattern" ? "string" : containerMode(this.program.types.get(l));
        const what = pathText(l) ?? "this value";
        const a = this.eval(l, input, frame);
        if (mode === "list" || mode === "any" || mode === "object") return memberAs(mode === "object" ? "list" : mode, "contains", what, this.eval(r, input, frame), a);
        if (a === null) return false;
        if (mode === "dynamic" && Array.isArray(a)) return memberAs("dynamic", "contains", what, this.eval(r, input, frame), a);
        if (typeof a !== "string") throw new PolicyRuntimeError(`cannot apply 'contains' to ${aTypeName(a)}`, "runtime/unexpected-type");
        const m = this.matcherOf(r, input, frame);
        if (m === null) return false;
        return typeof m === "string" ? a.includes(m) : m.test(a);
      }
      case "matches": {
        const a = this.eval(l, input, frame);
        if (a === null) return false;
        if (typeof a !== "string") throw new PolicyRuntimeError(`cannot apply 'matches' to ${aTypeName(a)}`);
        const literal = this.program.regexes.get(r);
        if (literal) {
          const v = regexValue(literal.pattern, literal.flags);
          if (v instanceof PolicyRuntimeError) throw v;
          return v.matcher.test(a);
        }
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
        if (typeof a !== "string" || typeof b !== "string") throw new PolicyRuntimeError(`cannot apply '${op}' to ${aTypeName(a)} and ${aTypeName(b)}`);
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

/** One rule's part in a decision, as `palisade eval --explain` shows it. */
export interface RuleExplanation {
  readonly rule: string;
  readonly outcome: "fired" | "not fired" | "errored";
  readonly why: string;
  /** The input paths the deciding part read, and their values ("(absent)" for null). */
  readonly reads?: Readonly<Record<string, unknown>>;
}

/** The `and` operands of a condition, in order. */
function conjunctsOf(e: Expr): Expr[] {
  while (e.kind === "Paren") e = e.expr;
  return e.kind === "Binary" && e.op === "and" ? [...conjunctsOf(e.left), ...conjunctsOf(e.right)] : [e];
}

/** The direct sub-expressions of `e`. */
function childExprs(e: Expr): Expr[] {
  switch (e.kind) {
    case "List":
      return [...e.items];
    case "Object":
      return e.entries.map((x) => x.value);
    case "Member":
      return [e.object];
    case "Index":
      return [e.object, e.index];
    case "Call":
      return [...e.args];
    case "Unary":
      return [e.operand];
    case "Binary":
      return e.op === "has" ? [e.left] : [e.left, e.right];
    case "Quantifier":
      return [e.collection];
    case "Paren":
      return [e.expr];
    default:
      return [];
  }
}

/** Whether an effect applies in `phase`: a transform only where the phase has its target's root (a rule on several phases). */
export function appliesIn(e: Effect, phase: Phase): boolean {
  if (e.kind !== "Redact" && e.kind !== "Set") return true;
  let t = e.target;
  while (t.kind === "Member" || t.kind === "Index" || t.kind === "Paren") t = t.kind === "Paren" ? t.expr : t.object;
  return t.kind !== "Name" || PHASE_ROOTS[phase].includes(t.name);
}

/** The field names after `has`: `customer.id` -> ["customer", "id"]. */
export function fieldPath(e: Expr): string[] {
  const keys: string[] = [];
  for (let f = e; ; ) {
    if (f.kind === "Name") {
      keys.unshift(f.name);
      return keys;
    }
    if (f.kind !== "Member") throw new Error("internal: 'has' needs a field path");
    keys.unshift(f.property.name);
    f = f.object;
  }
}

/** The firing of a rule that failed with `err`, with the error's code and path. */
export function errored(rule: Firing["rule"], err: PolicyRuntimeError): Firing {
  return { rule, error: err.message, code: err.code, ...(err.path !== undefined ? { path: err.path } : {}) };
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

