// What the guard hands outward is never what it decided, remembers or records (spec/sdk.md,
// "What the guard hands out"). The guard's own objects (the decided payload, the session's live
// history, the queued record) stay inside; callers get copies, taken only when they read them,
// so that a call nobody inspects pays for an object and no copy. An approver gets a frozen copy:
// what a human approves cannot be edited into something else (an edit is a new call).
import type { Decision } from "../runtime/index.ts";
import type { ApprovalOutcome } from "./approval.ts";
import type { Guarded } from "./core.ts";
import { clonePlain } from "./snapshot.ts";

/** What the guard knew when it decided: how many calls and sources its session had. */
export interface Seen {
  readonly calls: number;
  readonly sources: number;
}

/** A copy of a full input, its `session` cut to what the decision saw (its lists only grow at the end). */
export function inputCopy(value: unknown, seen: Seen | undefined): unknown {
  if (seen === undefined || typeof value !== "object" || value === null) return clonePlain(value);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[k];
    if (k !== "session" || typeof v !== "object" || v === null) {
      out[k] = clonePlain(v);
      continue;
    }
    const s = v as { id?: unknown; calls?: unknown; sources?: unknown };
    out[k] = {
      ...clonePlain(s),
      ...(Array.isArray(s.calls) ? { calls: clonePlain(s.calls.slice(0, seen.calls)) } : {}),
      ...(Array.isArray(s.sources) ? { sources: clonePlain(s.sources.slice(0, seen.sources)) } : {}),
    };
  }
  return out;
}

/**
 * A decision as handed out: its small parts copied now (own properties, as before), its payload
 * (which holds the session's history) copied when first read. A class, so that every handed-out
 * decision shares one shape: per-object getters cost a shape each, and doubled a call's cost.
 */
class DecisionCopy implements Decision {
  readonly decision: Decision["decision"];
  readonly reasons: Decision["reasons"];
  readonly warnings: Decision["warnings"];
  readonly errors: Decision["errors"];
  readonly policy: Decision["policy"];
  #payload: unknown = UNREAD;
  readonly #read: () => unknown;

  constructor(raw: Decision, read: () => unknown) {
    this.decision = raw.decision;
    this.reasons = clonePlain(raw.reasons);
    this.warnings = clonePlain(raw.warnings);
    this.errors = clonePlain(raw.errors);
    this.policy = clonePlain(raw.policy);
    this.#read = read;
  }

  get payload(): unknown {
    if (this.#payload === UNREAD) this.#payload = this.#read();
    return this.#payload;
  }

  toJSON(): Decision {
    return { decision: this.decision, reasons: this.reasons, warnings: this.warnings, payload: this.payload, errors: this.errors, policy: this.policy };
  }
}

const UNREAD: unique symbol = Symbol("unread");

/** A decision the guard took, as `check`/`peek` and PolicyDeniedError hand it out. */
export function decisionCopy(raw: Decision, seen?: Seen): Decision {
  return new DecisionCopy(raw, () => inputCopy(raw.payload, seen));
}

/** A Guarded as `enforce`/`enforceNow` hand it out: `payload`, `input` and `decision.payload` copied when read, one copy for what was one object. */
class GuardedCopy implements Guarded {
  readonly decision: Decision;
  readonly approval?: Guarded["approval"];
  readonly call?: Guarded["call"];
  readonly #raw: Guarded;
  readonly #seen: Seen | undefined;
  #input: unknown = UNREAD;
  #payload: unknown = UNREAD;

  constructor(raw: Guarded, seen: Seen | undefined) {
    this.#raw = raw;
    this.#seen = seen;
    const d = raw.decision;
    this.decision = new DecisionCopy(d, () => (d.payload === raw.payload ? this.payload : d.payload === raw.input ? this.input : inputCopy(d.payload, seen)));
    if (raw.approval !== undefined) this.approval = raw.approval;
    if (raw.call !== undefined) this.call = raw.call;
  }

  get input(): Record<string, unknown> {
    if (this.#input === UNREAD) this.#input = inputCopy(this.#raw.input, this.#seen);
    return this.#input as Record<string, unknown>;
  }

  get payload(): Record<string, unknown> {
    if (this.#payload === UNREAD) this.#payload = this.#raw.payload === this.#raw.input ? this.input : inputCopy(this.#raw.payload, this.#seen);
    return this.#payload as Record<string, unknown>;
  }

  toJSON(): Guarded {
    return { decision: this.decision, payload: this.payload, input: this.input, ...(this.approval !== undefined ? { approval: this.approval } : {}), ...(this.call !== undefined ? { call: this.call } : {}) };
  }
}

export function guardedOut(raw: Guarded, seen?: Seen): Guarded {
  return new GuardedCopy(raw, seen);
}

/** A deep copy, frozen throughout: what an approver is shown. */
export function frozenCopy<T>(value: T): T {
  return deepFreeze(clonePlain(value));
}

/** Freezes `value` and everything in it (a copy the guard made: nobody else holds it). */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  for (const k of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[k]);
  return Object.freeze(value);
}

/**
 * A human's answer as the guard keeps it: read once, field by field, into a frozen object (an
 * answer the framework or an approver still holds, and changes later, changes nothing recorded).
 */
export function approvalOf(answer: ApprovalOutcome): ApprovalOutcome {
  // A framework's `ask` that resolves with no answer object has not approved anything.
  if (typeof answer !== "object" || answer === null) return Object.freeze({ approved: false, cause: "approval_failed", reason: "the answer is not an approval" });
  const { approved, cause, by, reason } = answer;
  return Object.freeze({
    approved: approved === true,
    ...(typeof cause === "string" ? { cause } : {}),
    ...(typeof by === "string" ? { by } : {}),
    ...(typeof reason === "string" ? { reason } : {}),
  });
}
