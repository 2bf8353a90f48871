// Effect combination and transforms, exactly as LANGUAGE.md: any deny wins; else any
// require_approval; else allow if some rule allowed or the default is allow, deny otherwise.
// Transforms (redact, set) apply in rule order whenever the decision is not deny. warn never
// changes the decision. An errored rule is reported, and the phase's on_error decides.
// Both evaluators (compiled and reference) produce `Firing`s and share this one function, so
// they cannot disagree on combination; the compiled evaluator's direct path (compile.ts)
// calls `verdict` and `reasonsFor` too, so the rule is written once.
//
// Only real transforms are reasons (spec/soundness.md): a `redact` that replaced nothing and a
// `set` that wrote the value already there leave no reason; a `redact` reason carries the
// number of matches it replaced.
import type { Decision, DecisionKind, Reason, RuleError } from "./decision.ts";
import { PolicyRuntimeError } from "./stdlib/errors.ts";
import { equals } from "../compile/values.ts";

/** A key on a payload path: object field or list position. */
export type PathKey = string | number;

/** What a `redact` did to one string: the new text and how many matches it replaced. */
export interface Replaced {
  readonly text: string;
  readonly count: number;
}

/** What a fired rule asks for, with its message and paths already evaluated. */
export type EffectOutcome =
  | { readonly kind: "deny" | "allow" | "warn"; readonly message?: string }
  | { readonly kind: "require_approval"; readonly message?: string; readonly from?: string }
  | { readonly kind: "redact"; readonly path: readonly PathKey[]; readonly replace: (text: string) => Replaced }
  | { readonly kind: "set"; readonly path: readonly PathKey[]; readonly value: unknown };

/** What a rule reports in decisions: its id and metadata. */
export interface RuleInfo {
  readonly id: string;
  readonly severity?: string;
  readonly controls?: readonly string[];
}

/** One rule whose condition held (with its effects), or that errored while being evaluated. */
export type Firing =
  | { readonly rule: RuleInfo; readonly effects: readonly EffectOutcome[]; readonly error?: undefined }
  | { readonly rule: RuleInfo; readonly error: string; readonly code?: string; readonly path?: string; readonly effects?: undefined };

/** The policy set's settings for one phase. */
export interface PhaseSettings {
  readonly defaultDecision: "allow" | "deny";
  readonly onError: "allow" | "deny";
}

/** One reason or warning of a decision, in the one shape both evaluators report. */
export function reason(rule: RuleInfo, effect: Reason["effect"], message?: string, from?: string): Reason {
  const r: { -readonly [K in keyof Reason]: Reason[K] } = { rule: rule.id, effect };
  // A message is optional in the language; the rule id stands in for it (spec/decisions.md).
  if (message !== undefined) r.message = message;
  else if (effect === "deny" || effect === "require_approval" || effect === "warn") r.message = rule.id;
  if (rule.severity !== undefined) r.severity = rule.severity;
  if (rule.controls !== undefined && rule.controls.length > 0) r.controls = rule.controls;
  if (from !== undefined) r.approver_role = from;
  return r;
}

/**
 * The combination rule, the one place it is written: any deny (or an error under
 * `on_error deny`) wins; else any require_approval; else allow if some rule allowed or the
 * default is allow, deny otherwise.
 */
export function verdict(denied: boolean, approval: boolean, allowed: boolean, settings: PhaseSettings): DecisionKind {
  if (denied) return "deny";
  if (approval) return "require_approval";
  return allowed || settings.defaultDecision === "allow" ? "allow" : "deny";
}

/** The reasons that decided `decision`: the denying, approving or allowing rules. */
export function reasonsFor<R>(decision: DecisionKind, denies: R, approvals: R, allows: R): R {
  return decision === "deny" ? denies : decision === "require_approval" ? approvals : allows;
}

/** Returns a copy of `root` with the value at `path` replaced by `update(old)`; untouched branches are shared. */
export function updateIn(root: unknown, path: readonly PathKey[], update: (old: unknown) => unknown, create: boolean): unknown {
  if (path.length === 0) return update(root);
  const [key, ...rest] = path;
  if (typeof key === "number") {
    if (!Array.isArray(root) || key < 0 || key >= root.length) {
      if (!create && (root === null || root === undefined || Array.isArray(root))) return root;
      throw new PolicyRuntimeError(`cannot write position ${key} of a ${Array.isArray(root) ? "list of " + root.length : root === null ? "null" : typeof root}`);
    }
    const inner = updateIn(root[key], rest, update, create);
    if (inner === root[key]) return root;
    const copy = root.slice();
    copy[key] = inner;
    return copy;
  }
  if (root === null || root === undefined) {
    if (!create) return root;
    return { [key]: updateIn(undefined, rest, update, create) };
  }
  if (typeof root !== "object" || Array.isArray(root)) throw new PolicyRuntimeError(`cannot write field '${key}' of a ${Array.isArray(root) ? "list" : typeof root}`);
  const obj = root as Record<string, unknown>;
  const had = Object.hasOwn(obj, key);
  if (!had && !create) return root;
  const inner = updateIn(had ? obj[key] : undefined, rest, update, create);
  if (had && inner === obj[key]) return root;
  return { ...obj, [key]: inner };
}

/**
 * Applies one transform; returns the payload after it and the reason's extra data, or null
 * when it changed nothing (then it is no reason and the payload is the same object).
 */
function applyTransform(payload: unknown, e: EffectOutcome & { kind: "redact" | "set" }): { payload: unknown; replacements?: number } | null {
  if (e.kind === "set") {
    let changed = false;
    const next = updateIn(
      payload,
      e.path,
      (old) => {
        if (old !== undefined && equals(old, e.value)) return old;
        changed = true;
        return e.value;
      },
      true,
    );
    return changed ? { payload: next } : null;
  }
  let count = 0;
  const next = updateIn(
    payload,
    e.path,
    (old) => {
      if (old === null || old === undefined) return old;
      if (typeof old !== "string") throw new PolicyRuntimeError(`redact needs a string field, got a ${Array.isArray(old) ? "list" : typeof old}`);
      const r = e.replace(old);
      count = r.count;
      return r.count === 0 ? old : r.text;
    },
    false,
  );
  return count > 0 ? { payload: next, replacements: count } : null;
}

/** A rule error as a decision reports it. */
export function ruleError(f: Firing & { error: string }): RuleError {
  const e: { -readonly [K in keyof RuleError]: RuleError[K] } = { rule: f.rule.id, message: f.error };
  if (f.code !== undefined) e.code = f.code;
  if (f.path !== undefined) e.path = f.path;
  return e;
}

/**
 * Combines the firings of one phase (in rule order) into the decision. `input` is never
 * mutated. A transform that fails at run time makes its rule errored, like any other error.
 */
export function combine(input: unknown, firings: readonly Firing[], settings: PhaseSettings, policy: Decision["policy"]): Decision {
  const denies: Reason[] = [];
  const approvals: Reason[] = [];
  const allows: Reason[] = [];
  const warnings: Reason[] = [];
  const errors: RuleError[] = [];
  let transforms = false;
  // Each reason remembers the firing it came from, so that reasons list in rule order.
  const at = new Map<Reason, number>();
  firings.forEach((f, i) => {
    if (f.error !== undefined) {
      errors.push(ruleError(f));
      return;
    }
    for (const e of f.effects) {
      let x: Reason;
      if (e.kind === "deny") denies.push((x = reason(f.rule, "deny", e.message)));
      else if (e.kind === "require_approval") approvals.push((x = reason(f.rule, "require_approval", e.message, e.from)));
      else if (e.kind === "allow") allows.push((x = reason(f.rule, "allow", e.message)));
      else if (e.kind === "warn") warnings.push((x = reason(f.rule, "warn", e.message)));
      else {
        transforms = true;
        continue;
      }
      at.set(x, i);
    }
  });
  const failClosed = errors.length > 0 && settings.onError === "deny";
  const decision = verdict(denies.length > 0 || failClosed, approvals.length > 0, allows.length > 0, settings);
  const deciding = reasonsFor(decision, denies, approvals, allows);
  if (decision === "deny" || !transforms) return { decision, reasons: deciding, warnings, payload: input, errors, policy };

  let payload = input;
  const shaped: Reason[] = [];
  for (let i = 0; i < firings.length; i++) {
    const f = firings[i];
    if (f.error !== undefined) continue;
    let next = payload;
    const rs: Reason[] = [];
    try {
      for (const e of f.effects) {
        if (e.kind !== "redact" && e.kind !== "set") continue;
        const done = applyTransform(next, e);
        if (done === null) continue;
        next = done.payload;
        const x = reason(f.rule, e.kind);
        if (done.replacements !== undefined) (x as { replacements?: number }).replacements = done.replacements;
        at.set(x, i);
        rs.push(x);
      }
    } catch (err) {
      errors.push({ rule: f.rule.id, message: err instanceof Error ? err.message : String(err) });
      if (settings.onError === "deny") return { decision: "deny", reasons: denies, warnings, payload: input, errors, policy };
      continue;
    }
    payload = next;
    shaped.push(...rs);
  }
  // Reasons in rule order: the rules whose effect decided the outcome, then those that shaped the payload.
  const reasons = shaped.length === 0 ? deciding : [...deciding, ...shaped].sort((a, b) => (at.get(a) ?? 0) - (at.get(b) ?? 0));
  return { decision, reasons, warnings, payload, errors, policy };
}
