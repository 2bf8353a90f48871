// Each session's earlier tool calls, kept by the guard so that `session.calls` (and the ordered
// quantifiers over it) work when the application passes nothing. Bounded twice: calls per
// session and sessions overall (least recently used session dropped first).

/** One earlier tool call as policies see it in `session.calls`. */
export interface SessionCall {
  readonly tool: { readonly name: string; readonly args: unknown };
  /** ISO-8601 instant of the decision. */
  readonly time: string;
  readonly decision: string;
}

/** Limits of the history a guard keeps. */
export interface HistoryLimits {
  /** Most calls kept per session, oldest dropped first (default 64). */
  readonly maxCalls?: number;
  /** Most sessions kept, least recently used dropped first (default 10,000). */
  readonly maxSessions?: number;
}

const EMPTY: readonly SessionCall[] = Object.freeze([]);

/** The call histories of a guard's sessions. */
export class SessionHistory {
  readonly #maxCalls: number;
  readonly #maxSessions: number;
  // Map iteration order is insertion order: re-inserting on use keeps the LRU at the front.
  readonly #sessions = new Map<string, readonly SessionCall[]>();

  constructor(limits: HistoryLimits = {}) {
    this.#maxCalls = Math.max(0, limits.maxCalls ?? 64);
    this.#maxSessions = Math.max(1, limits.maxSessions ?? 10_000);
  }

  /**
   * The calls of `session`, oldest first. The array is never mutated afterwards (appending makes
   * a new one), because a decision's input holds it until the audit record is written.
   */
  calls(session: string): readonly SessionCall[] {
    return this.#sessions.get(session) ?? EMPTY;
  }

  /** Appends a call to `session`'s history. */
  add(session: string, call: SessionCall): void {
    if (this.#maxCalls === 0) return;
    const old = this.#sessions.get(session);
    let next: SessionCall[];
    if (old === undefined) {
      next = [call];
      if (this.#sessions.size >= this.#maxSessions) {
        const oldest = this.#sessions.keys().next();
        if (!oldest.done) this.#sessions.delete(oldest.value);
      }
    } else {
      const from = old.length >= this.#maxCalls ? old.length - this.#maxCalls + 1 : 0;
      next = old.slice(from);
      next.push(call);
      this.#sessions.delete(session);
    }
    this.#sessions.set(session, next);
  }

  /** Forgets a session (e.g. when the application ends it). */
  end(session: string): void {
    this.#sessions.delete(session);
  }

  /** How many sessions are kept. */
  get size(): number {
    return this.#sessions.size;
  }
}
