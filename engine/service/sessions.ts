// Session history as one truth for every node: each session's tool calls, and its sources (what
// the agent was given: the user's messages and the tool results it read, spec/provenance.md),
// live in a store (memory for tests, the SQLite state file for one node, PostgreSQL for many), so
// a session rule holds whichever node gets the call. Sources are numbered and appended like calls. A session's calls are numbered from 0 and never change; a node
// appends call n only if nobody appended n before it (a compare-and-set on the number), so two
// nodes deciding in one session at once cannot both decide on the same history: the loser reads
// the winner's call and decides again. Within a node, calls of one session are decided one at a
// time, so the common case never retries.
import type { CallOutcome, SessionCall, SessionSource } from "../sdk/history.ts";
import { ServiceError } from "./errors.ts";

export type { CallOutcome, SessionCall, SessionSource } from "../sdk/history.ts";

/** A call as a store keeps it: with the key whose decision made it (only that key may settle it; policies never see it). */
export interface StoredCall extends SessionCall {
  readonly by?: string;
}

/** `c` as policies read it: without the deciding key. */
function shown(c: StoredCall): SessionCall {
  if (c.by === undefined) return c;
  const { by: _by, ...call } = c;
  return call;
}

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
  /**
   * Stores `call` as number `at` of `key`; false when that number is taken already. `subject` is
   * the decision's data subject (a store that seals, seals under its key).
   */
  append(key: string, at: number, call: SessionCall, subject?: string | null): Promise<boolean>;
  /** The sources of `key` numbered `from` and up, in order. */
  readSources(key: string, from: number): Promise<SessionSource[]>;
  /** Stores `source` as number `at` of `key`'s sources; false when that number is taken already. */
  appendSource(key: string, at: number, source: SessionSource, subject?: string | null): Promise<boolean>;
  /**
   * Sets what became of call number `at` of `key` (an approval's answer, the agent's word that it
   * failed) when `may` holds for the call as it stands (a compare-and-set: never over another
   * node's change). Returns the call as it was, undefined when there is no such call.
   */
  settle(key: string, at: number, outcome: CallOutcome, may: (call: StoredCall) => boolean): Promise<StoredCall | undefined>;
  /**
   * A shared store's list of the calls of `key` settled once decided, in the order they were
   * settled, from number `from` on: another node re-reads those calls (its copy holds their old
   * outcome). Stores no other process writes to need none.
   */
  readSettled?(key: string, from: number): Promise<number[]>;
  /**
   * Makes `owner` the owner of `key` unless it has one; returns the owner in force (never changed
   * once set). Race-free across processes sharing the store: of two claims at once, one wins and
   * both return it.
   */
  claim(key: string, owner: string): Promise<string>;
  close(): Promise<void>;
}

/** A store in memory: one process, nothing survives it. */
export class MemorySessionStore implements SessionStore {
  readonly shared = false;
  readonly #calls = new Map<string, StoredCall[]>();
  readonly #sources = new Map<string, SessionSource[]>();
  readonly #owners = new Map<string, string>();

  async claim(key: string, owner: string): Promise<string> {
    const known = this.#owners.get(key);
    if (known !== undefined) return known;
    this.#owners.set(key, owner);
    return owner;
  }

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

  async settle(key: string, at: number, outcome: CallOutcome, may: (call: StoredCall) => boolean): Promise<StoredCall | undefined> {
    const list = this.#calls.get(key);
    const before = list?.[at];
    if (list !== undefined && before !== undefined && may(before)) list[at] = { ...before, outcome };
    return before;
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
  readonly call?: StoredCall;
  readonly source?: SessionSource;
  /** The decision's data subject: what a sealing store seals the call and source under. */
  readonly subject?: string | null;
}

/**
 * What a session's owner's principal part is when its first step named no principal. A principal
 * is `p:` and its pseudonym, so no principal id maps to this.
 */
export const NO_PRINCIPAL = "-";

/**
 * Who acts in a session besides its principal: the API key (its configured id, which keeps its
 * sessions across a rotation of its secret) and the environment. A principal is only what the key
 * holder says it is, so another key naming the same principal, or the same key in another
 * environment, is another owner (spec/service.md).
 */
export interface SessionActor {
  readonly key: string;
  readonly env: string;
}

/**
 * A session's owner as stored: `[key, env, principal part]` as JSON. Owners stored before keys and
 * environments were part of them are the principal part alone (`p:...` or `-`, never `[`).
 */
function ownerText(actor: SessionActor, principal: string): string {
  return JSON.stringify([actor.key, actor.env, principal]);
}

/** Whether the stored owner `known` is the owner `owner` (whose principal part is `principal`). */
function isOwner(known: string, owner: string, principal: string): boolean {
  // An owner stored by an older node names its principal alone: that principal keeps its session
  // through whichever key (the old rule, for the sessions that began under it).
  return known.charCodeAt(0) === 0x5b ? known === owner : known === principal;
}

/** A session's history as a decision reads it. */
export interface SessionState {
  /** Set when the session belongs to another owner (principal, key, environment) than the decision's: it then reads and adds nothing. */
  readonly foreign?: true;
  readonly calls: readonly SessionCall[];
  /** The live list of sources: it only ever grows at the end (the provenance builtins index it once, then extend). */
  readonly sources: readonly SessionSource[];
}

interface Cached {
  calls: readonly SessionCall[];
  readonly sources: SessionSource[];
  /** The first call still `pending` (an approval not yet answered), or calls.length: a shared store is re-read from there, where another node may settle it. */
  pending: number;
  /** How many of the shared store's settlements of earlier calls this copy has read. */
  settled: number;
}

/** The state a decision in another principal's session reads: nothing. */
export const FOREIGN_STATE: SessionState = Object.freeze({ foreign: true, calls: Object.freeze([]), sources: Object.freeze([]) });

function firstPending(calls: readonly SessionCall[], from: number): number {
  let i = from;
  while (i < calls.length && calls[i].outcome !== "pending") i++;
  return i;
}

const RETRIES = 8;

/** Sets `key` in `map` as its most recently used, dropping the least recently used beyond `max`. */
function bounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value as K);
}

/** Session histories over a store, cached per node and decided one call at a time per session. */
export class Sessions {
  readonly store: SessionStore;
  // Map order is insertion order: re-inserting on use keeps the least recently used first.
  readonly #cache = new Map<string, Cached>();
  readonly #maxCached: number;
  /** Each session's owner once known (it never changes, so a copy is never stale), least recently used first. */
  readonly #owners = new Map<string, string>();
  /** What each principal id is stored as (its pseudonym never changes once the log is open). */
  readonly #ownerIds = new Map<string, string>();
  readonly #queues = new Map<string, Promise<unknown>>();
  /** The owner text last built: a client sending its own history asks for the same owner step after step. */
  #lastOwner: { key: string; env: string; principal: string; text: string } = { key: "", env: "", principal: "", text: "" };

  /** The data subject of a decided input, for a store that seals (null otherwise). */
  readonly subjectOf: (input: unknown) => string | null;
  /** The pseudonym a principal id is stored under (the same on every node sharing the log). */
  readonly #pseudonym: (principal: string) => Promise<string>;

  constructor(store: SessionStore, maxCached = 10_000, subjectOf: (input: unknown) => string | null = () => null, pseudonym: (principal: string) => Promise<string> = async (p) => p) {
    this.store = store;
    this.#maxCached = maxCached;
    this.subjectOf = subjectOf;
    this.#pseudonym = pseudonym;
  }

  /**
   * What a session's owner is stored as for a principal id, or for none (null). Ids are compared
   * exactly, code point by code point, as the SDK and the policies compare them: 'U1', 'u1 ' and
   * another normal form of 'u1' are other principals.
   */
  #ownerOf(principal: string | null): string | Promise<string> {
    if (principal === null) return NO_PRINCIPAL;
    const known = this.#ownerIds.get(principal);
    if (known !== undefined) return known;
    return this.#pseudonym(principal).then((p) => {
      const owner = `p:${p}`;
      bounded(this.#ownerIds, principal, owner, this.#maxCached);
      return owner;
    });
  }

  /** The owner of `key`: the one this node knows, else claimed for `owner` (the first claim wins). */
  async #claim(key: string, owner: string): Promise<string> {
    const known = this.#owners.get(key) ?? (await this.store.claim(key, owner));
    bounded(this.#owners, key, known, this.#maxCached);
    return known;
  }

  async #history(key: string): Promise<Cached> {
    const cached = this.#cache.get(key);
    // One node alone appends to its store: what it cached is the whole history.
    if (cached !== undefined && !this.store.shared) {
      this.#remember(key, cached);
      return cached;
    }
    let from = cached?.pending ?? 0;
    const [read, moreSources, settled] = await Promise.all([this.store.read(key, from), this.store.readSources(key, cached?.sources.length ?? 0), this.store.readSettled?.(key, cached?.settled ?? 0) ?? []]);
    let more = read;
    const entry: Cached = cached ?? { calls: [], sources: [], pending: 0, settled: 0 };
    // Another node settled a call this copy holds as it was (a tool that failed): read again from
    // the first such call. Rare (a failure), so its extra read is no cost to the common case.
    // Counted only once re-read: a failed read leaves them to be read again next time.
    const stale = Math.min(from, ...settled);
    if (stale < from) more = await this.store.read(key, (from = stale));
    entry.settled += settled.length;
    if (more.length > 0 || from < entry.calls.length) {
      entry.calls = [...entry.calls.slice(0, from), ...more.map(shown)];
      entry.pending = firstPending(entry.calls, from);
    }
    // The sources list is extended in place, so that the provenance index built on it carries over.
    for (const s of moreSources) entry.sources.push(s);
    this.#remember(key, entry);
    return entry;
  }

  #remember(key: string, entry: Cached): void {
    bounded(this.#cache, key, entry, this.#maxCached);
  }

  /**
   * Runs `step` on the session's exact history and appends the call it returns, after every
   * earlier step of this session on this node, retrying on a history another node extended
   * meanwhile. The history array is never mutated afterwards.
   */
  run<T>(key: string, step: (state: SessionState) => SessionStep<T>, principal: string | null, actor: SessionActor): Promise<T> {
    return this.#enqueue(key, async () => {
      const p = await this.#ownerOf(principal);
      return this.#attempt(key, step, this.#ownerText(actor, p), p);
    });
  }

  /**
   * Whether `principal` (null: none) may act in the session `key` through `actor`, claiming it
   * when it has no owner yet; for a decision on a history the client sent, which reads and adds
   * nothing here.
   */
  mayAct(key: string, principal: string | null, actor: SessionActor): boolean | Promise<boolean> {
    const p = this.#ownerOf(principal);
    const known = this.#owners.get(key);
    // Known owner, known principal: answered at once, with no store and no queue (a client that
    // sends its own history sends every step so).
    if (known !== undefined && typeof p === "string") return isOwner(known, this.#ownerText(actor, p), p);
    return this.#enqueue(key, async () => {
      const part = await p;
      const o = this.#ownerText(actor, part);
      return isOwner(await this.#claim(key, o), o, part);
    });
  }

  // The JSON of the owner was the one allocation a known owner's check made per decision.
  #ownerText(actor: SessionActor, principal: string): string {
    const last = this.#lastOwner;
    if (last.key === actor.key && last.env === actor.env && last.principal === principal) return last.text;
    const text = ownerText(actor, principal);
    this.#lastOwner = { key: actor.key, env: actor.env, principal, text };
    return text;
  }

  /** Runs `work` after every earlier piece of work of this session on this node. */
  #enqueue<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const mine = previous.then(work, work);
    const tail = mine.then(() => {}, () => {});
    this.#queues.set(key, tail);
    void tail.then(() => {
      if (this.#queues.get(key) === tail) this.#queues.delete(key);
    });
    return mine;
  }

  async #attempt<T>(key: string, step: (state: SessionState) => SessionStep<T>, owner: string, principal: string): Promise<T> {
    for (let i = 0; i < RETRIES; i++) {
      // A session is one principal's, through one key, in one environment (the first to act in
      // it, no principal counting as one): another reads none of it and adds nothing. A node
      // claims a session once, beside its first read.
      const [entry, claimed] = await Promise.all([this.#history(key), this.#claim(key, owner)]);
      if (!isOwner(claimed, owner, principal)) return step(FOREIGN_STATE).result;
      const { calls, sources } = entry;
      const out = step({ calls, sources });
      if (out.source !== undefined) {
        if (sources.length >= MAX_SESSION_CALLS) throw new ServiceError("request/invalid", `the session holds ${MAX_SESSION_CALLS} sources, the most one session may: start a new session`, "/session");
        if (!(await this.store.appendSource(key, sources.length, out.source, out.subject))) continue;
        // Another step of this session on this node may not run in between (one at a time per session).
        sources.push(out.source);
      }
      if (out.call === undefined) return out.result;
      if (calls.length >= MAX_SESSION_CALLS) throw new ServiceError("request/invalid", `the session holds ${MAX_SESSION_CALLS} tool calls, the most one session may: start a new session`, "/session");
      if (await this.store.append(key, calls.length, out.call, out.subject)) {
        entry.calls = [...calls, shown(out.call)];
        if (entry.pending === calls.length && out.call.outcome !== "pending") entry.pending = entry.calls.length;
        return out.result;
      }
    }
    throw new ServiceError("session/conflict", "other nodes kept extending this session while this call was decided: retry it");
  }

  /**
   * Writes an approval's answer into the session's history: call `seq` becomes `outcome`
   * (executed once approved, approval_refused when rejected or expired), in the store and in
   * this node's copy, after the session's steps already queued on this node.
   */
  settle(key: string, seq: number, outcome: CallOutcome, may: (call: StoredCall) => boolean = (c) => c.outcome === "pending"): Promise<StoredCall | undefined> {
    return this.#enqueue(key, async () => {
      const before = await this.store.settle(key, seq, outcome, may);
      const entry = this.#cache.get(key);
      if (before === undefined || !may(before) || entry === undefined || entry.calls[seq] === undefined) return before;
      entry.calls = entry.calls.map((c, i) => (i === seq ? { ...c, outcome } : c));
      entry.pending = firstPending(entry.calls, Math.min(entry.pending, seq));
      return before;
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.#queues.values());
    await this.store.close();
  }
}
