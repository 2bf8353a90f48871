// A checked program compiled for deciding: every rule of every phase as one closure that
// returns its firing (or null), behind the rule index of index-rules.ts. `fire` gives the
// same `Firing[]` as the reference interpreter; `decide` goes on to the decision, through
// `combine` when transforms or errors are involved and through a direct path otherwise.
import type { Effect, Expr, Phase } from "../../language/ast.ts";
import { PHASES } from "../../language/ast.ts";
import type { CheckedProgram, CheckedRule } from "../../language/check/program.ts";
import { combine, reason, reasonsFor, verdict, type EffectOutcome, type Firing, type PhaseSettings, type RuleInfo } from "../runtime/combine.ts";
import type { Decision, Reason } from "../runtime/decision.ts";
import { ruleFault } from "../runtime/stdlib/errors.ts";
import { compileEffect, type CompiledEffect } from "./compile-effects.ts";
import { shapeCondition, shapeReason, type ReasonData, type ReasonKind, type ShapedCondition, type ShapedReason } from "./compile-shape.ts";
import { pathReader, type PathReader } from "./compile-path.ts";
import { ExprCompiler, type Fn } from "./compile-expr.ts";
import { buildPhaseIndex, findPins, pinOn, type Pin } from "./index-rules.ts";
import { truth, type Value } from "./values.ts";
import { appliesIn, errored } from "./reference.ts";
import { inputChecks, inputFiring, type InputCheck } from "./input-check.ts";
import { specialiseDirect, type DirectFn } from "./direct-code.ts";

/** One rule compiled for one phase. */
export interface CompiledRule extends Emitter {
  /** Position in program order: candidate lists are merged by it, so reasons keep rule order. */
  readonly position: number;
  readonly id: string;
  /** Its firing for an input, or null when its condition does not hold. Never throws a PolicyRuntimeError. */
  readonly fire: (input: Value) => Firing | null;
  /** `fire` compiled without assuming the leading pin (for inputs the boundary refused, where the index is not used); built on first use. */
  readonly fireUnpinned: () => (input: Value) => Firing | null;
  /** Whether its condition holds; throws PolicyRuntimeError where `fire` would report an error. */
  readonly holds: (input: Value) => boolean;
  /** Its effects, each a fixed outcome or a closure (which may throw PolicyRuntimeError). */
  readonly effects: readonly CompiledEffect[];
  /** Whether every effect is allow, deny, warn or require_approval (no transform): then `decide` needs no `combine`. */
  readonly simple: boolean;
  readonly info: RuleInfo;
  /** The condition as a shaped function over this rule's constants `c0`..`c3` (compile-shape.ts), or null. */
  readonly shaped: ShapedCondition | null;
  readonly c0: Value;
  readonly c1: Value;
  readonly c2: Value;
  readonly c3: Value;
  /** Its reasons on `decide`'s direct path (the rule itself emits the first; `more` the rest), or kind null when the path cannot build them. */
  readonly more: readonly Emitter[];
}

/**
 * One simple effect's reason as `decide`'s direct path builds it: a frozen Reason shared by every
 * decision (fixed message) or a shaped builder over this object's data (compile-shape.ts). A
 * rule is the emitter of its first effect, so that a firing rule with one effect (nearly all)
 * touches one object, not a chain: with thousands of rules, each decision reaches rules that
 * are cold in the cache, and every pointer followed is a miss.
 */
export interface Emitter extends ReasonData {
  readonly kind: ReasonKind | null;
  readonly reason: Reason | null;
  readonly build: ShapedReason | null;
}

interface PhaseRules {
  readonly path: readonly string[] | null;
  /** The generated reader of `path` (the same semantics as `readPath`). */
  readonly read: PathReader | null;
  readonly always: readonly CompiledRule[];
  readonly byValue: ReadonlyMap<string, readonly CompiledRule[]>;
  /** Every rule of the phase, in order (for `rules`, the coverage view). */
  readonly all: readonly CompiledRule[];
  /** `direct` generated for this phase's candidate lists (direct-code.ts), or null when the phase is too large for it. */
  readonly special: DirectFn | null;
}

const NONE: readonly CompiledRule[] = [];
// The empty lists of a decision, shared: a decision is read, never changed (frozen, so that no caller can).
const EMPTY: readonly never[] = Object.freeze([]);

function ruleInfo(rule: CheckedRule): RuleInfo {
  return { id: rule.id, ...(rule.severity ? { severity: rule.severity } : {}), controls: rule.controls };
}

function compileRule(c: ExprCompiler, rule: CheckedRule, position: number, dropPin: Expr | null, phase: Phase): CompiledRule {
  const info = ruleInfo(rule);
  const d = { ...rule.decl, effects: rule.decl.effects.filter((e) => appliesIn(e, phase)) };
  const noScope = new Map();
  c.assumeTrue = dropPin;
  let when: Fn | null;
  try {
    when = d.when === null || dropPin === unparen(d.when) ? null : c.compile(d.when, noScope).fn;
  } finally {
    c.assumeTrue = null;
  }
  const unless = d.unless === null ? null : c.compile(d.unless, noScope).fn;
  const effects = d.effects.map((e) => compileEffect(c, e));
  let fired: (input: Value) => Firing;
  if (effects.every((e) => "fixed" in e)) {
    // Nothing varies: one shared firing (combine only reads it).
    const firing: Firing = { rule: info, effects: effects.map((e) => ("fixed" in e ? e.fixed : (null as never))) };
    fired = () => firing;
  } else {
    const n = effects.length;
    const runs = effects.map((e) => ("fixed" in e ? () => e.fixed : e.run));
    fired = (input) => {
      const out = new Array<EffectOutcome>(n);
      for (let i = 0; i < n; i++) out[i] = runs[i](input);
      return { rule: info, effects: out };
    };
  }
  const holds = (input: Value): boolean => {
    if (when !== null) {
      const w = when(input);
      if (w !== true && !truth(w, "'when'")) return false;
    }
    if (unless !== null) {
      const u = unless(input);
      if (u === true || truth(u, "'unless'")) return false;
    }
    return true;
  };
  const fire = (input: Value): Firing | null => {
    try {
      return holds(input) ? fired(input) : null;
    } catch (err) {
      const fault = ruleFault(err);
      if (fault !== null) return errored(info, fault);
      throw err;
    }
  };
  const simple = d.effects.every((e) => e.kind === "Allow" || e.kind === "Deny" || e.kind === "Warn" || e.kind === "RequireApproval");
  const emitters = simple ? d.effects.map((e, i) => emitter(c, info, e, effects[i])) : [];
  const direct = emitters.length > 0 && emitters.every((e) => e.kind !== null);
  const first = direct ? emitters[0] : NO_EMITTER;
  const shape = d.unless === null ? shapeCondition(c.program, c, d.when, dropPin) : null;
  const k = shape === null ? [] : shape.constants;
  let unpinned: ((input: Value) => Firing | null) | null = dropPin === null ? fire : null;
  const fireUnpinned = (): ((input: Value) => Firing | null) => {
    if (unpinned === null) {
      const before = c.phase;
      c.phase = phase;
      try {
        unpinned = compileRule(c, rule, position, null, phase).fire;
      } finally {
        c.phase = before;
      }
    }
    return unpinned;
  };
  return {
    ...first,
    position,
    id: rule.id,
    fire,
    fireUnpinned,
    holds,
    effects,
    simple,
    info,
    shaped: shape === null ? null : shape.fn,
    c0: k[0] ?? null,
    c1: k[1] ?? null,
    c2: k[2] ?? null,
    c3: k[3] ?? null,
    more: direct ? emitters.slice(1) : [],
  };
}

const NO_EMITTER: Emitter = { kind: null, reason: null, build: null, id: "", severity: undefined, controls: undefined, from: undefined, s0: "", s1: "", s2: "", s3: "" };

/** The emitter of a simple effect: its reason fixed at compile time, or shaped; kind null when neither applies. */
function emitter(c: ExprCompiler, info: RuleInfo, e: Effect, ce: CompiledEffect): Emitter {
  const kind: ReasonKind = e.kind === "Deny" ? "deny" : e.kind === "RequireApproval" ? "require_approval" : e.kind === "Allow" ? "allow" : "warn";
  const from = e.kind === "RequireApproval" && e.from ? e.from.value : undefined;
  const controls = info.controls !== undefined && info.controls.length > 0 ? info.controls : undefined;
  const data = { id: info.id, severity: info.severity, controls, from, s0: "", s1: "", s2: "", s3: "" };
  if ("fixed" in ce) {
    const o = ce.fixed;
    const message = o.kind === "redact" || o.kind === "set" ? undefined : o.message;
    // Shared by every decision this rule fires in, so frozen: no caller can change another's reason.
    return { ...data, kind, reason: Object.freeze(reason(info, kind, message, from)), build: null };
  }
  const template = e.kind === "Deny" || e.kind === "Warn" || e.kind === "RequireApproval" ? e.message : null;
  const shaped = template === null ? null : shapeReason(c.program, c, template.parts, kind, { severity: info.severity !== undefined, controls: controls !== undefined, from: from !== undefined });
  if (shaped === null) return { ...NO_EMITTER, ...data };
  const [s0 = "", s1 = "", s2 = "", s3 = ""] = shaped.strings;
  return { ...data, s0, s1, s2, s3, kind, reason: null, build: shaped.build };
}

function unparen(e: Expr): Expr {
  while (e.kind === "Paren") e = e.expr;
  return e;
}

/** A policy set's rules compiled to closures, indexed per phase. */
export class CompiledProgram {
  readonly program: CheckedProgram;
  private readonly compiler: ExprCompiler;
  private readonly phases: Readonly<Record<Phase, PhaseRules>>;
  /** The decision boundary's check of each phase's input (input-check.ts). */
  private readonly checks: Readonly<Record<Phase, InputCheck>>;

  constructor(program: CheckedProgram, checks: Readonly<Record<Phase, InputCheck>> = inputChecks(program)) {
    this.program = program;
    this.checks = checks;
    const c = new ExprCompiler(program);
    this.compiler = c;
    const pins: Pin[][] = program.rules.map((r) => findPins(program, (id) => c.constValue(id), r.decl.when));
    const phases = {} as Record<Phase, PhaseRules>;
    for (const phase of PHASES) {
      const entries = program.rules.flatMap((rule, position) => (rule.phases.includes(phase) ? [{ rule, position, pins: pins[position] }] : []));
      const plan = buildPhaseIndex(entries);
      const compiled = new Map<number, CompiledRule>();
      for (const en of entries) {
        // A rule indexed on its leading pin is only ever evaluated when that pin holds.
        const pin = pinOn(en, plan.path);
        c.phase = phase;
        compiled.set(en.position, compileRule(c, en.rule, en.position, pin !== null && pin.leading ? pin.node : null, phase));
      }
      const get = (en: { position: number }): CompiledRule => compiled.get(en.position) as CompiledRule;
      const always = plan.always.map(get);
      const byValue = new Map([...plan.byValue].map(([k, v]) => [k, v.map(get)]));
      const read = plan.path === null ? null : pathReader(plan.path);
      phases[phase] = {
        path: plan.path,
        read,
        always,
        byValue,
        all: entries.map(get),
        special: specialiseDirect(read, always, byValue),
      };
    }
    this.phases = phases;
  }

  /** The value of a const by id (`package.NAME`), computed once at compile time. */
  constValue(id: string): Value {
    return this.compiler.constValue(id);
  }

  /** The rules of `phase` an input can fire (the index's candidates), merged back into rule order. */
  candidates(phase: Phase, input: Value): CompiledRule[] {
    const [a, b] = this.lists(phase, input);
    const out: CompiledRule[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) out.push(j >= b.length || (i < a.length && a[i].position < b[j].position) ? a[i++] : b[j++]);
    return out;
  }

  /** The unpinned rules and the rules pinned to the input's value of the indexed path. */
  private lists(phase: Phase, input: Value): [readonly CompiledRule[], readonly CompiledRule[]] {
    const ix = this.phases[phase];
    if (ix.read === null) return [ix.always, NONE];
    const k = ix.read(input);
    return [ix.always, typeof k === "string" ? (ix.byValue.get(k) ?? NONE) : NONE];
  }

  /** The firings of the candidates, in rule order; null when none fired (no allocation on that path). */
  private collect(phase: Phase, input: Value): Firing[] | null {
    const ix = this.phases[phase];
    const a = ix.always;
    let b = NONE;
    if (ix.read !== null) {
      const k = ix.read(input);
      if (typeof k === "string") b = ix.byValue.get(k) ?? NONE;
    }
    let i = 0;
    let j = 0;
    let out: Firing[] | null = null;
    while (i < a.length || j < b.length) {
      const r = j >= b.length || (i < a.length && a[i].position < b[j].position) ? a[i++] : b[j++];
      const f = r.fire(input);
      if (f !== null) (out ??= []).push(f);
    }
    return out;
  }

  /** The rules of `phase` whose condition holds, in rule order, with effects evaluated (or their error): the reference's `fire`. */
  fire(phase: Phase, input: Value): Firing[] {
    return this.collect(phase, input) ?? [];
  }

  /** Decides one phase's input: the same `Decision` as `combine` over the reference's firings. */
  decide(phase: Phase, input: Value, settings: PhaseSettings, policy: Decision["policy"], refused: Firing | null = null): Decision {
    const bad = this.checks[phase](input as object);
    // An input outside its schema (or with values the policy set could not copy, `refused`) is
    // reported, and every rule of the phase evaluated without the index (whose exactness assumes
    // a checked input), as the reference does.
    if (bad !== null || refused !== null) return combine(input, [...(refused === null ? [] : [refused]), ...(bad === null ? [] : [inputFiring(bad)]), ...this.fireAll(phase, input)], settings, policy);
    return this.direct(phase, input, settings, policy) ?? combine(input, this.collect(phase, input) ?? EMPTY, settings, policy);
  }

  /** Every rule of `phase` in order, without the index. */
  private fireAll(phase: Phase, input: Value): Firing[] {
    const out: Firing[] = [];
    for (const r of this.phases[phase].all) {
      const f = r.fireUnpinned()(input);
      if (f !== null) out.push(f);
    }
    return out;
  }

  /**
   * The decision built as the candidates are evaluated, with no firings in between: what
   * `combine` gives when no rule errors and none that fires transforms. Null when one
   * does: `decide` then evaluates again through `collect` and `combine` (evaluation is pure, so
   * the second pass finds the same firings).
   */
  private direct(phase: Phase, input: Value, settings: PhaseSettings, policy: Decision["policy"]): Decision | null {
    const ix = this.phases[phase];
    const sp = ix.special;
    if (sp !== null) return sp(input, settings, policy);
    const a = ix.always;
    let b = NONE;
    if (ix.read !== null) {
      const k = ix.read(input);
      if (typeof k === "string") b = ix.byValue.get(k) ?? NONE;
    }
    let denies: Reason[] | null = null;
    let approvals: Reason[] | null = null;
    let allows: Reason[] | null = null;
    let warnings: Reason[] | null = null;
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      const r = j >= b.length || (i < a.length && a[i].position < b[j].position) ? a[i++] : b[j++];
      try {
        if (!(r.shaped !== null ? r.shaped(input, r) : r.holds(input))) continue;
        if (!r.simple) return null;
        if (r.kind !== null) {
          const x = r.reason ?? (r.build as ShapedReason)(input, r);
          const kk = r.kind;
          if (kk === "deny") (denies ??= []).push(x);
          else if (kk === "require_approval") (approvals ??= []).push(x);
          else if (kk === "allow") (allows ??= []).push(x);
          else (warnings ??= []).push(x);
          const more = r.more;
          for (let m = 0; m < more.length; m++) {
            const e = more[m];
            const y = e.reason ?? (e.build as ShapedReason)(input, e);
            if (e.kind === "deny") (denies ??= []).push(y);
            else if (e.kind === "require_approval") (approvals ??= []).push(y);
            else if (e.kind === "allow") (allows ??= []).push(y);
            else (warnings ??= []).push(y);
          }
          continue;
        }
        const effects = r.effects;
        for (let k = 0; k < effects.length; k++) {
          const c = effects[k];
          const e = "fixed" in c ? c.fixed : c.run(input);
          if (e.kind === "deny") (denies ??= []).push(reason(r.info, "deny", e.message));
          else if (e.kind === "require_approval") (approvals ??= []).push(reason(r.info, "require_approval", e.message, e.from));
          else if (e.kind === "allow") (allows ??= []).push(reason(r.info, "allow", e.message));
          else if (e.kind === "warn") (warnings ??= []).push(reason(r.info, "warn", e.message));
        }
      } catch (err) {
        if (ruleFault(err) !== null) return null;
        throw err;
      }
    }
    const decision = verdict(denies !== null, approvals !== null, allows !== null, settings);
    return { decision, reasons: reasonsFor(decision, denies, approvals, allows) ?? EMPTY, warnings: warnings ?? EMPTY, payload: input, errors: EMPTY, policy };
  }
}
