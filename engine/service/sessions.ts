// Session history as one truth for every node: each session's tool calls, and its sources (what
// the agent was given: the user's messages and the tool results it read, spec/provenance.md),
// live in a store (memory for tests, the SQLite state file for one node, PostgreSQL for many), so
// a session rule holds whichever node gets the call. Sources are numbered and appended like calls. A session's calls are numbered from 0 and never change; a node
// appends call n only if nobody appended n before it (a compare-and-set on the number), so two
// nodes deciding in one session at once cannot both decide on the same history: the loser reads
// the winner's call and decides again. Within a node, calls of one session are decided one at a
// time, so the common case never retries.
import type { SessionCall, SessionSource } from "../sdk/history.ts";
import { ServiceError } from "./errors.ts";

export type { SessionCall, SessionSource } from "../sdk/history.ts";

/** An append a store has queued for its next batch, and who waits on its outcome. */
export interface QueuedAppend {
  readonly key: string;
  /** The item's position in its session's list. */
  readonly at: number;
  readonly item: unknown;
  readonly done: (ok: boolean) => void;
  readonly fail: (err: unknown) => void;
}

/** Persistence for session histories. */
export interface SessionStore {
  /** Whether other processes append to the same store (the history must then be re-read). */
  readonly shared: boolean;
  /** The calls of `key` numbered `from` and up, in order. */
  read(key: string, from: number): Promise<SessionCall[]>;
  /** Stores `call` as number `at` of `key`; false when that number is taken already. */
  append(key: string, at: number, call: SessionCall): Promise<boolean>;
  /** The sources of `key` numbered `from` and up, in order. */
  readSources(key: string, from: number): Promise<SessionSource[]>;
  /** Stores `source` as number `at` of `key`'s sources; false when that number is taken already. */
  appendSource(key: string, at: number, source: SessionSource): Promise<boolean>;
  close(): Promise<void>;
}

/** A store in memory: one process, nothing survives it. */
export class MemorySessionStore implements SessionStore {
  readonly shared = false;
  readonly #calls = new Map<string, SessionCall[]>();
  readonly #sources = new Map<string, SessionSource[]>();

  async read(key: string, from: number): Promise<SessionCall[]> {
    return (this.#calls.get(key) ?? []).slice(from);
  }

  async append(key: string, at: number, call: SessionCall): Promise<boolean> {
    return push(this.#calls, key, at, call);
  }

  async readSources(key: string, from: number): Promise<SessionSource[]> {
    return (this.#sources.get(key) ?? []).slice(from);
  }

  async appendSource(key: string, at: number, source: SessionSource): Promise<boolean> {
    return push(this.#sources, key, at, source);
  }

  async close(): Promise<void> {}
}

function push<T>(lists: Map<string, T[]>, key: string, at: number, item: T): boolean {
  let list = lists.get(key);
  if (list === undefined) lists.set(key, (list = []));
  if (list.length !== at) return false;
  list.push(item);
  return true;
}

/** Most calls one session holds; a session that long is refused further tool calls (fail closed). */
export const MAX_SESSION_CALLS = 10_000;

/** What a decision in a session gives back: its result, the call to append when it is one, the source to append when it gave the agent something. */
export interface SessionStep<T> {
  readonly result: T;
  readonly call?: SessionCall;
  readonly source?: SessionSource;
}

/** A session's history as a decision reads it. */
export interface SessionState {
  readonly calls: readonly SessionCall[];
  /** The live list of sources: it only ever grows at the end (the provenance builtins index it once, then extend). */
  readonly sources: readonly SessionSource[];
}

interface Cached {
  calls: readonly SessionCall[];
  readonly sources: SessionSource[];
}

const RETRIES = 8;

/** Session histories over a store, cached per node and decided one call at a time per session. */
export class Sessions {
  readonly store: SessionStore;
  // Map order is insertion order: re-inserting on use keeps the least recently used first.
  readonly #cache = new Map<string, Cached>();
  readonly #maxCached: number;
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(store: SessionStore, maxCached = 10_000) {
    this.store = store;
    this.#maxCached = maxCached;
  }

  async #history(key: string): Promise<Cached> {
    const cached = this.#cache.get(key);
    // One node alone appends to its store: what it cached is the whole history.
    if (cached !== undefined && !this.store.shared) {
      this.#remember(key, cached);
      return cached;
    }
    const [more, moreSources] = await Promise.all([this.store.read(key, cached?.calls.length ?? 0), this.store.readSources(key, cached?.sources.length ?? 0)]);
    const entry: Cached = cached ?? { calls: [], sources: [] };
    if (more.length > 0) entry.calls = [...entry.calls, ...more];
    // The sources list is extended in place, so that the provenance index built on it carries over.
    for (const s of moreSources) entry.sources.push(s);
    this.#remember(key, entry);
    return entry;
  }

  #remember(key: string, entry: Cached): void {
    this.#cache.delete(key);
    this.#cache.set(key, entry);
    if (this.#cache.size > this.#maxCached) this.#cache.delete(this.#cache.keys().next().value as string);
  }

  /**
   * Runs `step` on the session's exact history and appends the call it returns, after every
   * earlier step of this session on this node, retrying on a history another node extended
   * meanwhile. The history array is never mutated afterwards.
   */
  run<T>(key: string, step: (state: SessionState) => SessionStep<T>): Promise<T> {
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const mine = previous.then(() => this.#attempt(key, step), () => this.#attempt(key, step));
    const tail = mine.then(() => {}, () => {});
    this.#queues.set(key, tail);
    void tail.then(() => {
      if (this.#queues.get(key) === tail) this.#queues.delete(key);
    });
    return mine;
  }

  async #attempt<T>(key: string, step: (state: SessionState) => SessionStep<T>): Promise<T> {
    for (let i = 0; i < RETRIES; i++) {
      const entry = await this.#history(key);
      const { calls, sources } = entry;
      const out = step({ calls, sources });
      if (out.source !== undefined) {
        if (sources.length >= MAX_SESSION_CALLS) throw new ServiceError("request/invalid", `the session holds ${MAX_SESSION_CALLS} sources, the most one session may: start a new session`, "/session");
        if (!(await this.store.appendSource(key, sources.length, out.source))) continue;
        // Another step of this session on this node may not run in between (one at a time per session).
        sources.push(out.source);
      }
      if (out.call === undefined) return out.result;
      if (calls.length >= MAX_SESSION_CALLS) throw new ServiceError("request/invalid", `the session holds ${MAX_SESSION_CALLS} tool calls, the most one session may: start a new session`, "/session");
      if (await this.store.append(key, calls.length, out.call)) {
        entry.calls = [...calls, out.call];
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
