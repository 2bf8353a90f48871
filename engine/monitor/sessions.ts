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
/** Sessions remembered at most; the least recently active are forgotten first. */
export const SESSION_CAP = 100_000;

interface Seen {
  last: number;
  readonly keys: Set<string>;
}

/** The first-occurrence keys of an event, as `Aggregate.firsts` counts them. */
function keysOf(e: TelemetryEvent): string[] {
  if (e.kind === "outcome") {
    const t = outcomeTarget(e);
    return e.error !== undefined ? ["outcome", `outcome:${t}`, "error", `error:${t}`] : ["outcome", `outcome:${t}`];
  }
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
export function sessionlessFirsts(e: TelemetryEvent): string[] {
  return keysOf(e);
}

/** Remembers which session-level events each recent session has had. */
export class SessionTracker {
  readonly #seen = new Map<string, Seen>();
  readonly #idleMs: number;
  readonly #cap: number;

  constructor(options: { readonly idleMs?: number; readonly cap?: number } = {}) {
    this.#idleMs = options.idleMs ?? SESSION_IDLE_MS;
    this.#cap = options.cap ?? SESSION_CAP;
  }

  /** Sessions remembered now. */
  get size(): number {
    return this.#seen.size;
  }

  /** The keys `e` adds for the first time in its session (all of them when it names no session). */
  firsts(e: TelemetryEvent): string[] {
    if (e.session === undefined) return keysOf(e);
    const keys = keysOf(e);
    const id = `${e.agent ?? ""}\u0000${e.env ?? ""}\u0000${e.session}`;
    let s = this.#seen.get(id);
    if (s !== undefined && e.time - s.last > this.#idleMs) s = undefined;
    if (s === undefined) s = { last: e.time, keys: new Set() };
    else this.#seen.delete(id);
    // Re-inserting keeps the map in order of last activity, so the oldest are evicted first.
    this.#seen.set(id, s);
    if (e.time > s.last) s.last = e.time;
    const out: string[] = [];
    for (const k of keys) {
      if (!s.keys.has(k)) {
        s.keys.add(k);
        out.push(k);
      }
    }
    this.#evict(e.time);
    return out;
  }

  #evict(now: number): void {
    for (const [id, s] of this.#seen) {
      if (this.#seen.size <= this.#cap && now - s.last <= this.#idleMs) break;
      this.#seen.delete(id);
    }
  }
}
