// Effect combination and transforms, exactly as LANGUAGE.md: any deny wins; else any
// require_approval; else allow if some rule allowed or the default is allow, deny otherwise.
// Transforms (redact, set) apply in rule order whenever the decision is not deny. warn never
// changes the decision. An errored rule is reported, and the phase's on_error decides.
// Both evaluators (compiled and reference) produce `Firing`s and share this one function, so
// they cannot disagree on combination.
import type { Decision, DecisionKind, Reason, RuleError } from "./decision.ts";
import { PolicyRuntimeError } from "./stdlib/errors.ts";

/** A key on a payload path: object field or list position. */
export type PathKey = string | number;

/** What a fired rule asks for, with its message and paths already evaluated. */
export type EffectOutcome =
  | { readonly kind: "deny" | "allow" | "warn"; readonly message?: string }
  | { readonly kind: "require_approval"; readonly message?: string; readonly from?: string }
  | { readonly kind: "redact"; readonly path: readonly PathKey[]; readonly replace: (text: string) => string }
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
  | { readonly rule: RuleInfo; readonly error: string; readonly effects?: undefined };

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

/** Returns a copy of `root` with the value at `path` replaced by `update(old)`; untouched branches are shared. */
export function updateIn(root: unknown, path: readonly PathKey[], update: (old: unknown) => unknown, create: boolean): unknown {
  if (path.length === 0) return update(root);
  const [key, ...rest] = path;
  if (typeof key === "number") {
    if (!Array.isArray(root) || key < 0 || key >= root.length) {
      if (!create && (root === null || root === undefined || Array.isArray(root))) return root;
      throw new PolicyRuntimeError(`cannot write position ${key} of a ${Array.isArray(root) ? "list of " + root.length : root === null ? "null" : typeof root}`);
    }
    const copy = root.slice();
    copy[key] = updateIn(root[key], rest, update, create);
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
  return { ...obj, [key]: updateIn(had ? obj[key] : undefined, rest, update, create) };
}

function applyTransform(payload: unknown, e: EffectOutcome): unknown {
  if (e.kind === "set") return updateIn(payload, e.path, () => e.value, true);
  if (e.kind === "redact")
    return updateIn(
      payload,
      e.path,
      (old) => {
        if (old === null || old === undefined) return old;
        if (typeof old !== "string") throw new PolicyRuntimeError(`redact needs a string field, got a ${Array.isArray(old) ? "list" : typeof old}`);
        return e.replace(old);
      },
      false,
    );
  return payload;
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
  // Each reason remembers the firing it came from, so that reasons list in rule order.
  const at = new Map<Reason, number>();
  firings.forEach((f, i) => {
    if (f.error !== undefined) {
      errors.push({ rule: f.rule.id, message: f.error });
      return;
    }
    for (const e of f.effects) {
      let x: Reason;
      if (e.kind === "deny") denies.push((x = reason(f.rule, "deny", e.message)));
      else if (e.kind === "require_approval") approvals.push((x = reason(f.rule, "require_approval", e.message, e.from)));
      else if (e.kind === "allow") allows.push((x = reason(f.rule, "allow", e.message)));
      else if (e.kind === "warn") warnings.push((x = reason(f.rule, "warn", e.message)));
      else continue;
      at.set(x, i);
    }
  });
  const failClosed = errors.length > 0 && settings.onError === "deny";
  let decision: DecisionKind;
  if (denies.length > 0 || failClosed) decision = "deny";
  else if (approvals.length > 0) decision = "require_approval";
  else decision = allows.length > 0 || settings.defaultDecision === "allow" ? "allow" : "deny";

  let payload = input;
  const shaped: Reason[] = [];
  if (decision !== "deny") {
    for (let i = 0; i < firings.length; i++) {
      const f = firings[i];
      if (f.error !== undefined) continue;
      let next = payload;
      const rs: Reason[] = [];
      try {
        for (const e of f.effects) {
          if (e.kind !== "redact" && e.kind !== "set") continue;
          next = applyTransform(next, e);
          const x = reason(f.rule, e.kind);
          at.set(x, i);
          rs.push(x);
        }
      } catch (err) {
        errors.push({ rule: f.rule.id, message: err instanceof Error ? err.message : String(err) });
        if (settings.onError === "deny") {
          return { decision: "deny", reasons: denies, warnings, payload: input, errors, policy };
        }
        continue;
      }
      payload = next;
      shaped.push(...rs);
    }
  }
  // Reasons in rule order: the rules whose effect decided the outcome, then those that shaped the payload.
  const deciding = decision === "deny" ? denies : decision === "require_approval" ? approvals : allows;
  const reasons = [...deciding, ...shaped].sort((a, b) => (at.get(a) ?? 0) - (at.get(b) ?? 0));
  return { decision, reasons, warnings, payload, errors, policy };
}
