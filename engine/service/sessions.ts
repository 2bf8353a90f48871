// Session history as one truth for every node: each session's tool calls live in a store (memory
// for tests, the SQLite state file for one node, PostgreSQL for many), so a session rule holds
// whichever node gets the call. A session's calls are numbered from 0 and never change; a node
// appends call n only if nobody appended n before it (a compare-and-set on the number), so two
// nodes deciding in one session at once cannot both decide on the same history: the loser reads
// the winner's call and decides again. Within a node, calls of one session are decided one at a
// time, so the common case never retries.
import type { SessionCall } from "../sdk/history.ts";
import { ServiceError } from "./errors.ts";

export type { SessionCall } from "../sdk/history.ts";

/** Persistence for session histories. */
export interface SessionStore {
  /** Whether other processes append to the same store (the history must then be re-read). */
  readonly shared: boolean;
  /** The calls of `key` numbered `from` and up, in order. */
  read(key: string, from: number): Promise<SessionCall[]>;
  /** Stores `call` as number `at` of `key`; false when that number is taken already. */
  append(key: string, at: number, call: SessionCall): Promise<boolean>;
  close(): Promise<void>;
}

/** A store in memory: one process, nothing survives it. */
export class MemorySessionStore implements SessionStore {
  readonly shared = false;
  readonly #calls = new Map<string, SessionCall[]>();

  async read(key: string, from: number): Promise<SessionCall[]> {
    return (this.#calls.get(key) ?? []).slice(from);
  }

  async append(key: string, at: number, call: SessionCall): Promise<boolean> {
    let list = this.#calls.get(key);
    if (list === undefined) this.#calls.set(key, (list = []));
    if (list.length !== at) return false;
    list.push(call);
    return true;
  }

  async close(): Promise<void> {}
}

/** Most calls one session holds; a session that long is refused further tool calls (fail closed). */
export const MAX_SESSION_CALLS = 10_000;

/** What a decision in a session gives back: its result, and the call to append when it is one. */
export interface SessionStep<T> {
  readonly result: T;
  readonly call?: SessionCall;
}

const RETRIES = 8;

/** Session histories over a store, cached per node and decided one call at a time per session. */
export class Sessions {
  readonly store: SessionStore;
  // Map order is insertion order: re-inserting on use keeps the least recently used first.
  readonly #cache = new Map<string, readonly SessionCall[]>();
  readonly #maxCached: number;
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(store: SessionStore, maxCached = 10_000) {
    this.store = store;
    this.#maxCached = maxCached;
  }

  async #history(key: string): Promise<readonly SessionCall[]> {
    const cached = this.#cache.get(key);
    // One node alone appends to its store: what it cached is the whole history.
    if (cached !== undefined && !this.store.shared) return cached;
    const more = await this.store.read(key, cached?.length ?? 0);
    const calls = more.length === 0 && cached !== undefined ? cached : [...(cached ?? []), ...more];
    this.#remember(key, calls);
    return calls;
  }

  #remember(key: string, calls: readonly SessionCall[]): void {
    this.#cache.delete(key);
    this.#cache.set(key, calls);
    if (this.#cache.size > this.#maxCached) this.#cache.delete(this.#cache.keys().next().value as string);
  }

  /**
   * Runs `step` on the session's exact history and appends the call it returns, after every
   * earlier step of this session on this node, retrying on a history another node extended
   * meanwhile. The history array is never mutated afterwards.
   */
  run<T>(key: string, step: (calls: readonly SessionCall[]) => SessionStep<T>): Promise<T> {
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const mine = previous.then(() => this.#attempt(key, step), () => this.#attempt(key, step));
    const tail = mine.then(() => {}, () => {});
    this.#queues.set(key, tail);
    void tail.then(() => {
      if (this.#queues.get(key) === tail) this.#queues.delete(key);
    });
    return mine;
  }

  async #attempt<T>(key: string, step: (calls: readonly SessionCall[]) => SessionStep<T>): Promise<T> {
    for (let i = 0; i < RETRIES; i++) {
      const calls = await this.#history(key);
      const out = step(calls);
      if (out.call === undefined) return out.result;
      if (calls.length >= MAX_SESSION_CALLS) throw new ServiceError("request/invalid", `the session holds ${MAX_SESSION_CALLS} tool calls, the most one session may: start a new session`, "/session");
      if (await this.store.append(key, calls.length, out.call)) {
        this.#remember(key, [...calls, out.call]);
        return out.result;
      }
    }
    throw new ServiceError("session/conflict", "other nodes kept extending this session while this call was decided: retry it");
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.#queues.values());
    await this.store.close();
  }
}
