// Sessions, so that rates count what is independent. Decisions of one session move together: an
// agent that is denied retries, a failing backend fails every call of the session, one abusive
// user sets off a rule ten times. Rates (denials, escalations, errors) therefore count sessions:
// how many sessions saw the event at least once, out of how many sessions. The tracker remembers,
// per session, which of these it has already counted; an event without a session is a session of
// its own, so traffic that names none is counted by decision, as before.
import { outcomeTarget } from "./event.ts";
import type { TelemetryEvent } from "./event.ts";

/** Sessions idle this long are forgotten (a later event of theirs counts as a new session). */
export const SESSION_IDLE_MS = 30 * 60_000;
/** Sessions remembered at most; past it the least recently begun are forgotten (a tenth at a time). */
export const SESSION_CAP = 100_000;

interface Seen {
  last: number;
  readonly keys: Set<string>;
}

const NONE: readonly string[] = [];
const SESSION: readonly string[] = ["session"];
// Outcome keys per target, made once: the same few tools and models recur in every batch.
const OUTCOME_KEYS = new Map<string, { readonly ok: readonly string[]; readonly failed: readonly string[] }>();

function outcomeKeys(target: string, failed: boolean): readonly string[] {
  let k = OUTCOME_KEYS.get(target);
  if (k === undefined) {
    k = { ok: ["outcome", `outcome:${target}`], failed: ["outcome", `outcome:${target}`, "error", `error:${target}`] };
    if (OUTCOME_KEYS.size < 10_000) OUTCOME_KEYS.set(target, k);
  }
  return failed ? k.failed : k.ok;
}

/** The first-occurrence keys of an event, as `Aggregate.firsts` counts them. */
function keysOf(e: TelemetryEvent): readonly string[] {
  if (e.kind === "outcome") return outcomeKeys(outcomeTarget(e), e.error !== undefined);
  if ((e.rules === undefined || e.rules.length === 0) && e.decision === "allow") return SESSION;
  const keys = ["session"];
  if (e.rules) {
    for (const r of e.rules) {
      if (r.effect === "deny") keys.push("deny", `deny:${r.rule}`);
      else if (r.effect === "require_approval") keys.push("approval", `approval:${r.rule}`);
    }
  }
  if (e.decision === "deny" && !keys.includes("deny")) keys.push("deny");
  if (e.decision === "require_approval" && !keys.includes("approval")) keys.push("approval");
  return keys;
}

/** The first-occurrence keys of an event that names no session: all of them. */
export function sessionlessFirsts(e: TelemetryEvent): readonly string[] {
  return keysOf(e);
}

/** Remembers which session-level events each recent session has had. */
export class SessionTracker {
  readonly #seen = new Map<string, Seen>();
  readonly #idleMs: number;
  readonly #cap: number;
  #sinceSweep = 0;

  constructor(options: { readonly idleMs?: number; readonly cap?: number } = {}) {
    this.#idleMs = options.idleMs ?? SESSION_IDLE_MS;
    this.#cap = options.cap ?? SESSION_CAP;
  }

  /** Sessions remembered now. */
  get size(): number {
    return this.#seen.size;
  }

  /** The keys `e` adds for the first time in its session (all of them when it names no session). */
  firsts(e: TelemetryEvent): readonly string[] {
    if (e.session === undefined) return keysOf(e);
    const id = e.agent === undefined && e.env === undefined ? e.session : `${e.agent ?? ""}\u0000${e.env ?? ""}\u0000${e.session}`;
    let s = this.#seen.get(id);
    if (s !== undefined && e.time - s.last > this.#idleMs) {
      // Idle past the limit: a later event of the session starts it again.
      this.#seen.delete(id);
      s = undefined;
    }
    if (s === undefined) {
      s = { last: e.time, keys: new Set() };
      this.#seen.set(id, s);
      if (this.#seen.size > this.#cap || ++this.#sinceSweep >= this.#cap) this.#sweep(e.time);
    } else if (e.time > s.last) s.last = e.time;
    const keys = keysOf(e);
    let out: string[] | undefined;
    for (const k of keys) {
      if (!s.keys.has(k)) {
        s.keys.add(k);
        (out ??= []).push(k);
      }
    }
    return out ?? NONE;
  }

  /**
   * Forgets idle sessions, and past the cap the least recently begun ones: an occasional pass over
   * the map rather than reordering it on every event.
   */
  #sweep(now: number): void {
    this.#sinceSweep = 0;
    for (const [id, s] of this.#seen) if (now - s.last > this.#idleMs) this.#seen.delete(id);
    if (this.#seen.size <= this.#cap) return;
    let excess = this.#seen.size - Math.floor(this.#cap * 0.9);
    for (const id of this.#seen.keys()) {
      if (excess-- <= 0) break;
      this.#seen.delete(id);
    }
  }
}
