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
 * A decision as handed out: its small parts copied now, its payload (which holds the session's
 * history) copied when first read. Plain own properties, so spreads, JSON and deep equality see
 * a decision as before.
 */
export function decisionOut(raw: Decision, payload: () => unknown): Decision {
  let copy: unknown = UNREAD;
  return {
    decision: raw.decision,
    reasons: clonePlain(raw.reasons),
    warnings: clonePlain(raw.warnings),
    get payload(): unknown {
      if (copy === UNREAD) copy = payload();
      return copy;
    },
    errors: clonePlain(raw.errors),
    policy: clonePlain(raw.policy),
  };
}

const UNREAD: unique symbol = Symbol("unread");

/** A decision the guard took, as `check`/`peek` and PolicyDeniedError hand it out. */
export function decisionCopy(raw: Decision, seen?: Seen): Decision {
  return decisionOut(raw, () => inputCopy(raw.payload, seen));
}

/** A Guarded as `enforce`/`enforceNow` hand it out: `payload`, `input` and `decision.payload` copied when read, one copy for what was one object. */
export function guardedOut(raw: Guarded, seen?: Seen): Guarded {
  let input: unknown = UNREAD;
  let payload: unknown = UNREAD;
  const readInput = (): Record<string, unknown> => {
    if (input === UNREAD) input = inputCopy(raw.input, seen);
    return input as Record<string, unknown>;
  };
  const readPayload = (): Record<string, unknown> => {
    if (payload === UNREAD) payload = raw.payload === raw.input ? readInput() : inputCopy(raw.payload, seen);
    return payload as Record<string, unknown>;
  };
  const d = raw.decision;
  const decision = decisionOut(d, () => (d.payload === raw.payload ? readPayload() : d.payload === raw.input ? readInput() : inputCopy(d.payload, seen)));
  return {
    decision,
    get payload(): Record<string, unknown> {
      return readPayload();
    },
    get input(): Record<string, unknown> {
      return readInput();
    },
    ...(raw.approval !== undefined ? { approval: raw.approval } : {}),
    ...(raw.call !== undefined ? { call: raw.call } : {}),
  };
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
  const { approved, cause, by, reason } = answer;
  return Object.freeze({
    approved: approved === true,
    ...(typeof cause === "string" ? { cause } : {}),
    ...(typeof by === "string" ? { by } : {}),
    ...(typeof reason === "string" ? { reason } : {}),
  });
}
