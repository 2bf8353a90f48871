// What a guard remembers about the approvals it asked for (or spent), per session: a question a
// client never answers must not hold memory forever, so these records are bounded like the
// session histories (sessions overall, least recently used first, and records per session).
// Fail closed: a record dropped for room is a question this guard no longer knows it asked, so a
// later answer to it approves nothing (the call is decided again: with no approver, refused and
// recorded); and a session that lost records says so (`lost`), for records whose absence would
// otherwise let something through (a spent approval).

/** Bounds of the approval records (`history.maxSessions`, `history.maxApprovals`). */
export interface RecordLimits {
  readonly maxSessions: number;
  readonly maxPerSession: number;
}

export class SessionRecords<V> {
  readonly #limits: RecordLimits;
  // Map iteration order is insertion order: re-inserting on use keeps the LRU at the front.
  readonly #sessions = new Map<string, Map<string, V>>();
  // Sessions that lost records for room (bounded too: the oldest marks go first).
  readonly #lost = new Set<string>();

  constructor(limits: RecordLimits) {
    this.#limits = { maxSessions: Math.max(1, limits.maxSessions), maxPerSession: Math.max(1, limits.maxPerSession) };
  }

  get(session: string, key: string): V | undefined {
    return this.#sessions.get(session)?.get(key);
  }

  has(session: string, key: string): boolean {
    return this.#sessions.get(session)?.has(key) === true;
  }

  /** The session's records, oldest first (deleting while iterating is safe). */
  entries(session: string): IterableIterator<[string, V]> | undefined {
    return this.#sessions.get(session)?.entries();
  }

  /** Every record held, over all sessions. */
  *all(): IterableIterator<V> {
    for (const m of this.#sessions.values()) yield* m.values();
  }

  set(session: string, key: string, value: V): void {
    let mine = this.#sessions.get(session);
    if (mine === undefined) {
      if (this.#sessions.size >= this.#limits.maxSessions) {
        const oldest = this.#sessions.keys().next().value as string;
        this.#sessions.delete(oldest);
        this.#markLost(oldest);
      }
      mine = new Map();
    } else this.#sessions.delete(session);
    this.#sessions.set(session, mine);
    if (!mine.has(key) && mine.size >= this.#limits.maxPerSession) {
      mine.delete(mine.keys().next().value as string);
      this.#markLost(session);
    }
    mine.set(key, value);
  }

  delete(session: string, key: string): void {
    const mine = this.#sessions.get(session);
    if (mine === undefined) return;
    mine.delete(key);
    if (mine.size === 0) this.#sessions.delete(session);
  }

  /** Whether the session lost records for room (a spent approval this guard forgot). */
  lost(session: string): boolean {
    return this.#lost.has(session);
  }

  /** Whether no record is held (an emptied session is dropped, so this is cheap). */
  get empty(): boolean {
    return this.#sessions.size === 0;
  }

  /** Records held, over all sessions. */
  get size(): number {
    let n = 0;
    for (const m of this.#sessions.values()) n += m.size;
    return n;
  }

  #markLost(session: string): void {
    this.#lost.delete(session);
    if (this.#lost.size >= this.#limits.maxSessions * 10) this.#lost.delete(this.#lost.values().next().value as string);
    this.#lost.add(session);
  }
}
