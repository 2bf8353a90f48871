// Each session's tool calls, as policies read them in `session.calls`, and the same history
// rebuilt from an audit log for replay. The semantics (spec/sdk.md, "Session history") are
// meant to be mirrored by any other keeper of sessions (the service's shared store):
// - exact over the whole session: nothing is dropped to make room, so a sequence rule cannot be
//   walked around by padding the session with harmless calls. A session that outgrows its
//   limit, or whose history this process no longer holds, is marked so, and a decision that
//   reads history then fails closed (the guard's job; see `HistoryState`);
// - ordered by decision: a call's place is fixed when it is decided, even while it waits for a
//   human, so concurrent calls keep the order in which they were decided;
// - one entry per tool call: a framework that decides the same call twice (a resumed graph, a
//   run resumed after an interruption) names it with its call id, and the entry is updated;
// - each entry says what happened: `outcome` executed, denied, approval_refused, failed (it ran
//   and threw, or reported an error), or pending while a human is asked.
// This module imports nothing, so that replay and the service can use it as it is.

/** What became of a decided tool call. */
export type CallOutcome = "executed" | "denied" | "approval_refused" | "failed" | "pending";

/** The decision kinds (LANGUAGE.md). */
export type CallDecision = "allow" | "deny" | "require_approval";

/** One tool call of the session, as policies see it in `session.calls`. */
export interface SessionCall {
  readonly tool: { readonly name: string; readonly args: unknown };
  /** ISO-8601 instant of the decision. */
  readonly time: string;
  /** What the policies decided. */
  readonly decision: CallDecision;
  /** What happened: the tool ran (`executed`, also in shadow mode, and while it runs), was stopped, failed, or waits for a human. */
  readonly outcome: CallOutcome;
}

/**
 * One text the agent was given, as policies see it in `session.sources` (spec/provenance.md): the
 * user's message (`source` "input") or a tool's result (`source`: the tool's name).
 */
export interface SessionSource {
  readonly source: string;
  readonly content: unknown;
  /** The arguments of the call whose result this is: a trusted tool's result is not vouched for when untrusted content drove the call. */
  readonly args?: unknown;
}

/**
 * The source a decided step adds to its session, or undefined: the user's message on `input`,
 * the result on `tool_result` (its structured `json` when it has one, else its `text`), as the
 * decision left them (after redactions). `payload` is the full input after transforms.
 */
export function sourceOf(phase: string, payload: unknown): SessionSource | undefined {
  const p = payload as { input?: unknown; tool?: { name?: unknown; result?: unknown } } | null;
  if (phase === "input") return p?.input === undefined ? undefined : { source: "input", content: p.input };
  if (phase !== "tool_result" || typeof p?.tool?.name !== "string" || p.tool.result === undefined) return undefined;
  const r = p.tool.result as { json?: unknown; text?: unknown } | null;
  const content = typeof r === "object" && r !== null && ("json" in r || "text" in r) ? (r.json !== undefined ? r.json : r.text) : r;
  const args = (p.tool as { args?: unknown }).args;
  return args !== undefined ? { source: p.tool.name, content: content ?? null, args } : { source: p.tool.name, content: content ?? null };
}

/** Limits of the history a guard keeps. */
export interface HistoryLimits {
  /** Most calls kept per session (default 10,000); a longer session fails closed where history is read. */
  readonly maxCalls?: number;
  /** Most sessions kept (default 100,000); the least recently used is forgotten first, and is then known as forgotten. */
  readonly maxSessions?: number;
  /**
   * Most unanswered approvals a framework adapter remembers per session (default 1,000; sessions
   * bounded by `maxSessions`): the oldest is forgotten first, and a later answer to it approves nothing.
   */
  readonly maxApprovals?: number;
}

/** Whether a session's history is whole: `ok`, `overflow` (more calls than the limit) or `forgotten` (dropped for room). */
export type HistoryState = "ok" | "overflow" | "forgotten";

/** A session as policies read it (`session.id`, `.calls`, `.sources`): live lists, read without a copy. */
export interface SessionView {
  readonly id: string;
  readonly calls: readonly SessionCall[];
  readonly sources: readonly SessionSource[];
}

interface Entry {
  readonly calls: MutableCall[];
  /** `session` as every decision of the session reads it: one object, since its lists are live. */
  readonly view: SessionView;
  /** What the agent was given, oldest first; only ever grows at the end. */
  readonly sources: SessionSource[];
  /** Call id -> position, for frameworks that decide one call more than once. */
  readonly byId: Map<string, number>;
  /** Whole, or not: over its limit, or made again after it was forgotten (its earlier calls are gone). */
  state: HistoryState;
  /** The principal the session acts for (null: none given), fixed by its first decision; undefined until then. */
  owner: string | null | undefined;
  /** `call_seq` of its first call: a session id used again (after `end`, or forgotten) goes on numbering where it stopped. */
  readonly first: number;
  /** Set by `end()`: its calls still running belong to a conversation that is over. */
  ended: boolean;
  /** Ids of the calls the ended conversations under this id decided (a late result names one). */
  readonly former: ReadonlySet<string> | undefined;
  /** Calls let run whose tool has not ended yet (shown `executed`, which has not happened yet). */
  readonly running: Set<MutableCall>;
}

interface MutableCall {
  tool: { readonly name: string; readonly args: unknown };
  time: string;
  decision: CallDecision;
  outcome: CallOutcome;
}

const EMPTY: readonly SessionCall[] = Object.freeze([]);
const NO_SOURCES: readonly SessionSource[] = Object.freeze([]);

/** A handle on one call in a session's history, to settle its outcome later. */
export interface CallHandle {
  /**
   * The call's `call_seq`: its place among every call made under its session id by this guard
   * (0 for the first; numbering goes on after `end()`), or -1 when the session kept no entry.
   */
  readonly seq: number;
  /** What the policies decided for the call. */
  readonly decision: CallDecision;
  /** Whether the call's session was ended since it was decided: what it gives back is the ended conversation's. */
  readonly ended: boolean;
  /** Sets what happened to the call. */
  settle(outcome: CallOutcome): void;
  /** The tool starts (true) or has ended (false): while it runs, a decision depending on how it ends is refused. */
  running(on: boolean): void;
}

class Handle implements CallHandle {
  readonly #m: MutableCall | undefined;
  readonly #e: Entry | undefined;
  readonly seq: number;
  readonly decision: CallDecision;
  constructor(m: MutableCall | undefined, seq: number, decision: CallDecision, e?: Entry) {
    this.#m = m;
    this.#e = e;
    this.seq = seq;
    this.decision = decision;
  }
  get ended(): boolean {
    return this.#e?.ended === true;
  }
  settle(outcome: CallOutcome): void {
    if (this.#m !== undefined) this.#m.outcome = outcome;
  }
  running(on: boolean): void {
    if (this.#m === undefined || this.#e === undefined) return;
    if (on) this.#e.running.add(this.#m);
    else this.#e.running.delete(this.#m);
  }
}

/** The call histories of a guard's sessions. */
export class SessionHistory {
  readonly #maxCalls: number;
  readonly #maxSessions: number;
  /** Bounds of the approval records adapters keep beside this history (asked.ts). */
  readonly approvalLimits: { readonly maxSessions: number; readonly maxPerSession: number };
  // Map iteration order is insertion order: re-inserting on use keeps the LRU at the front.
  readonly #sessions = new Map<string, Entry>();
  // Ids of sessions dropped for room, so that their next decision knows its history is gone, with
  // the `call_seq` their next call takes.
  readonly #forgotten = new Map<string, number>();
  // Ids of ended sessions, with the `call_seq` their next call takes: a call's identity in the
  // audit log (agent, session, call_seq) then names one call, even when the id is used again.
  readonly #ended = new Map<string, number>();
  // Ids of the calls of ended sessions (those that had any), until the id is used again: the
  // late result of one of them must not add to whatever session holds the id next.
  readonly #endedIds = new Map<string, ReadonlySet<string>>();
  #lastId: string | undefined;
  #last: Entry | undefined;

  constructor(limits: HistoryLimits = {}) {
    this.#maxCalls = Math.max(0, limits.maxCalls ?? 10_000);
    this.#maxSessions = Math.max(1, limits.maxSessions ?? 100_000);
    this.approvalLimits = { maxSessions: this.#maxSessions, maxPerSession: Math.max(1, limits.maxApprovals ?? 1_000) };
  }

  /**
   * The calls of `session`, oldest first. The array is the live history: it only ever grows at
   * the end and its entries change only in `outcome`, so a decision may read it without a copy.
   */
  calls(session: string): readonly SessionCall[] {
    return this.#sessions.get(session)?.calls ?? EMPTY;
  }

  /**
   * `session` as policies read it with each call still running shown `failed`, or undefined when
   * none runs: with the live view, the two ends a running call can have.
   */
  ifRunningFailed(session: string): SessionView | undefined {
    const e = session === this.#lastId && this.#last !== undefined ? this.#last : this.#sessions.get(session);
    if (e === undefined || e.running.size === 0) return undefined;
    const calls = e.calls.map((c) => (e.running.has(c) ? { ...c, outcome: "failed" as const } : c));
    return { id: session, calls, sources: e.sources };
  }

  /** `session` as policies read it, or undefined when the session has no entry yet. */
  view(session: string): SessionView | undefined {
    return (session === this.#lastId && this.#last !== undefined ? this.#last : this.#sessions.get(session))?.view;
  }

  /** The sources of `session`, oldest first: the live list (it only grows at the end), read without a copy. */
  sources(session: string): readonly SessionSource[] {
    return this.#sessions.get(session)?.sources ?? NO_SOURCES;
  }

  /** Adds what the agent was given; past the per-session limit the session is marked `overflow` instead. */
  addSource(session: string, source: SessionSource): void {
    const e = this.#touch(session);
    if (e.sources.length >= this.#maxCalls) e.state = "overflow";
    else e.sources.push(source);
  }

  /** Whether `session`'s history is whole. */
  state(session: string): HistoryState {
    const e = this.#sessions.get(session);
    if (e !== undefined) return e.state;
    return this.#forgotten.has(session) ? "forgotten" : "ok";
  }

  /** The `call_seq` of `session`'s first call as its history holds it (0 unless its id was used before): `session.calls[i]` is call `first + i`. */
  first(session: string): number {
    return (session === this.#lastId && this.#last !== undefined ? this.#last : this.#sessions.get(session))?.first ?? 0;
  }

  /**
   * Records a decided call; a call id already in the session updates that call in place. Returns
   * a handle to settle its outcome, or a no-op handle when the session is over its limit (which
   * is then marked `overflow`).
   */
  add(session: string, call: SessionCall, callId?: string): CallHandle {
    return this.addCall(session, call.tool.name, call.tool.args, call.time, call.decision, call.outcome, callId);
  }

  /** `add` with the call's fields given apart (the guard's hot path: the entry is the only object made). */
  addCall(session: string, name: string, args: unknown, time: string, decision: CallDecision, outcome: CallOutcome, callId?: string): CallHandle {
    const e = this.#touch(session);
    const at = callId === undefined ? undefined : e.byId.get(callId);
    // Call ids are the framework's (often the model provider's), and some restart at "call_0"
    // each turn: an id names an earlier call only when it is that call decided again (the same
    // tool, and the same arguments unless the call still waits for its human). Anything else is
    // a new call, or a later call would overwrite an earlier one and walk round a sequence rule.
    if (at !== undefined && sameCall(e.calls[at], name, args)) {
      const m = e.calls[at];
      m.tool = { name, args };
      m.time = time;
      m.decision = decision;
      m.outcome = outcome;
      return new Handle(m, e.first + at, decision, e);
    }
    if (e.calls.length >= this.#maxCalls) {
      e.state = "overflow";
      return new Handle(undefined, -1, decision);
    }
    const m: MutableCall = { tool: { name, args }, time, decision, outcome };
    e.calls.push(m);
    if (callId !== undefined) e.byId.set(callId, e.calls.length - 1);
    return new Handle(m, e.first + e.calls.length - 1, decision, e);
  }

  // The session's entry, made when missing, moved to the most recently used end.
  #touch(session: string): Entry {
    // The session touched last is already at the most recently used end.
    if (session === this.#lastId && this.#last !== undefined) return this.#last;
    let e = this.#sessions.get(session);
    if (e === undefined) {
      if (this.#sessions.size >= this.#maxSessions) this.#evictOldest();
      const calls: MutableCall[] = [];
      const sources: SessionSource[] = [];
      const forgotten = this.#forgotten.get(session);
      const first = forgotten ?? this.#ended.get(session) ?? 0;
      e = { calls, view: { id: session, calls, sources }, sources, byId: new Map(), state: forgotten !== undefined ? "forgotten" : "ok", owner: undefined, first, ended: false, former: this.#endedIds.get(session), running: new Set() };
      this.#forgotten.delete(session);
      this.#ended.delete(session);
      this.#endedIds.delete(session);
    } else this.#sessions.delete(session);
    this.#sessions.set(session, e);
    this.#lastId = session;
    this.#last = e;
    return e;
  }

  /**
   * Whether `principal` may act in `session`: a session is one conversation of one principal, so
   * the first to act in it (with `claim`) owns it and any other is refused. Without `claim` the
   * owner is only read.
   */
  mayAct(session: string, principal: string | null, claim: boolean): boolean {
    const known = session === this.#lastId && this.#last !== undefined ? this.#last : this.#sessions.get(session);
    if (known?.owner !== undefined) return known.owner === principal;
    if (claim) this.#touch(session).owner = principal;
    return true;
  }

  /** The arguments call `callId` of `session` was decided on while it waits for its human, or undefined when no such call waits. */
  pendingArgs(session: string, callId: string): { readonly args: unknown } | undefined {
    const e = this.#sessions.get(session);
    const at = e?.byId.get(callId);
    const m = at === undefined ? undefined : e?.calls[at];
    return m?.outcome === "pending" ? { args: m.tool.args } : undefined;
  }

  /**
   * The call `callId` of `session`, to settle what became of it: undefined when the session holds
   * no such call, or holds one of another tool (or, when `args` are given, other arguments) under
   * that id: ids are often the provider's and restart, so the late result of an ended session's
   * call must not settle a new call that reuses its id.
   */
  byCallId(session: string, callId: string, name: string, args?: { readonly args: unknown }): CallHandle | undefined {
    const e = this.#sessions.get(session);
    const at = e?.byId.get(callId);
    const m = at === undefined ? undefined : e?.calls[at];
    return m === undefined || m.tool.name !== name || (args !== undefined && !sameJson(m.tool.args, args.args)) ? undefined : new Handle(m, e!.first + at!, m.decision, e);
  }

  /**
   * Whether `callId` names a call of a conversation that ended under `session` and not one of the
   * session now holding the id: its late result is that ended conversation's.
   */
  endedCall(session: string, callId: string, name: string, args?: { readonly args: unknown }): boolean {
    const e = this.#sessions.get(session);
    if (e === undefined) return this.#endedIds.get(session)?.has(callId) === true;
    return e.former?.has(callId) === true && this.byCallId(session, callId, name, args) === undefined;
  }

  /**
   * Forgets a session (when the application ends the conversation); a later call starts afresh,
   * its `call_seq` going on from the ended session's. Only its owner may end it. A call of the
   * ended session still running settles only its own entry, which nothing reads any more.
   */
  end(session: string, principal: string | null): void {
    const e = this.#sessions.get(session);
    if (e?.owner !== undefined && e.owner !== principal) return;
    if (session === this.#lastId) this.#last = this.#lastId = undefined;
    const next = e !== undefined ? e.first + e.calls.length : this.#forgotten.get(session);
    this.#sessions.delete(session);
    this.#forgotten.delete(session);
    if (e !== undefined) {
      e.ended = true;
      // Only a call let run (or still waiting for its human) can come back with a result.
      const ids = [...e.byId].filter(([, at]) => e.calls[at]?.outcome === "executed" || e.calls[at]?.outcome === "pending").map(([id]) => id);
      if (ids.length > 0 || e.former !== undefined) {
        if (this.#endedIds.size >= this.#maxSessions) this.#endedIds.delete(this.#endedIds.keys().next().value as string);
        this.#endedIds.set(session, new Set([...(e.former ?? []), ...ids]));
      }
    }
    if (next === undefined || next === 0) return;
    if (this.#ended.size >= this.#maxSessions * 10) this.#ended.delete(this.#ended.keys().next().value as string);
    this.#ended.set(session, next);
  }

  /** How many sessions are kept. */
  get size(): number {
    return this.#sessions.size;
  }

  #evictOldest(): void {
    const oldest = this.#sessions.keys().next();
    if (oldest.done) return;
    if (oldest.value === this.#lastId) this.#last = this.#lastId = undefined;
    const e = this.#sessions.get(oldest.value)!;
    this.#sessions.delete(oldest.value);
    // Tombstones are an id and a number; past ten times the session limit the oldest go, which is
    // the one place where a long-idle session could come back with an empty history, and with
    // `call_seq` from 0 again (its log entries then repeat call numbers of its first opening).
    if (this.#forgotten.size >= this.#maxSessions * 10) this.#forgotten.delete(this.#forgotten.keys().next().value as string);
    this.#forgotten.set(oldest.value, e.first + e.calls.length);
  }
}

function sameCall(before: MutableCall, name: string, args: unknown): boolean {
  return before.tool.name === name && (before.outcome === "pending" || sameJson(before.tool.args, args));
}

/** Deep equality of plain JSON data (what a guard's snapshots hold). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!Object.hasOwn(b, k) || !sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

/** The part of an audit record that replay needs to rebuild a session's history. */
export interface RecordedDecision {
  readonly time: string;
  /** The agent that decided: a session id names a conversation of one agent. */
  readonly agent?: unknown;
  readonly session: string | null;
  readonly phase: string;
  readonly decision: string;
  readonly input?: unknown;
  /** The call's place in its session, on tool_call records the guard wrote. */
  readonly call_seq?: unknown;
  readonly outcome?: unknown;
  /** Present on the entry that records an approval's answer (the service's): its `outcome` settles call `call_seq`. */
  readonly approval?: unknown;
  /** True on the entry that settles call `call_seq` once known (`outcome` failed, or denied by the framework): no decision of its own. */
  readonly settles?: unknown;
}

/** Whether a record settles an earlier call (a tool that failed) rather than recording a decision. */
export function isSettlement(r: { readonly settles?: unknown }): boolean {
  return r.settles === true;
}

// One record's part in a call's story: the call as decided, or only its new outcome (an approval's
// answer, a failure), at its position in the log.
interface CallEvent {
  readonly at: number;
  readonly call?: SessionCall;
  readonly outcome?: CallOutcome;
}

const SETTLED: ReadonlySet<string> = new Set(["executed", "approval_refused", "failed", "denied"]);

/**
 * Session histories as an audit log holds them, read as of any position in the log: the history
 * a recorded decision read is its session's first `calls_before` calls with the outcomes they had
 * when it was decided (a call that failed, or was answered, later in the log was still
 * `executed` or `pending` then). Sessions are per agent: two agents that use one session id keep
 * two histories, as their guards did.
 */
export class RecordedHistories {
  readonly #sessions = new Map<string, CallEvent[][]>();

  /** `records` in log order: a record's position is its place in this sequence. */
  constructor(records: Iterable<RecordedDecision>) {
    let at = -1;
    for (const r of records) {
      at++;
      if (r.phase !== "tool_call" || r.session === null || typeof r.session !== "string" || typeof r.call_seq !== "number" || !Number.isSafeInteger(r.call_seq) || r.call_seq < 0) continue;
      const key = sessionKey(r.agent, r.session);
      let calls = this.#sessions.get(key);
      if (calls === undefined) this.#sessions.set(key, (calls = []));
      const events = (calls[r.call_seq] ??= []);
      if ((typeof r.approval === "object" && r.approval !== null) || isSettlement(r)) {
        if (typeof r.outcome === "string" && SETTLED.has(r.outcome)) events.push({ at, outcome: r.outcome as CallOutcome });
        continue;
      }
      const tool = (r.input as { tool?: { name?: unknown; args?: unknown } } | undefined)?.tool;
      if (typeof tool?.name !== "string") continue;
      events.push({ at, call: { tool: { name: tool.name, args: tool.args }, time: r.time, decision: r.decision as CallDecision, outcome: (typeof r.outcome === "string" ? r.outcome : "executed") as CallOutcome } });
    }
  }

  /**
   * Calls `from` .. `from + n - 1` of `agent`'s session (the `n` calls a decision read, the first
   * of them call `from`: a session id used again after an `end()` numbers on) as they stood before
   * position `at` of the log, or undefined when one of them is not in the log as decided (recorded
   * by digest only, or missing).
   */
  at(agent: unknown, session: string, at: number, n: number, from = 0): SessionCall[] | undefined {
    if (n === 0) return [];
    const calls = this.#sessions.get(sessionKey(agent, session));
    if (calls === undefined || calls.length < from + n) return undefined;
    const out: SessionCall[] = new Array<SessionCall>(n);
    for (let i = 0; i < n; i++) {
      const c = calls[from + i] === undefined ? undefined : callAt(calls[from + i], at);
      if (c === undefined) return undefined;
      out[i] = c;
    }
    return out;
  }

  /**
   * Each session of `agent` (every agent's, when undefined: the log of one agent) as the whole log
   * leaves it, up to its first gap: every call made under the session id, by `call_seq` (the calls
   * of a session ended and opened again follow one another).
   */
  final(agent?: unknown): Map<string, SessionCall[]> {
    const out = new Map<string, SessionCall[]>();
    for (const [key, calls] of this.#sessions) {
      const sep = key.indexOf("\u0000");
      if (agent !== undefined && key.slice(0, sep) !== agentKey(agent)) continue;
      const list: SessionCall[] = [];
      for (const events of calls) {
        const c = events === undefined ? undefined : callAt(events, Infinity);
        if (c === undefined) break;
        list.push(c);
      }
      const session = key.slice(sep + 1);
      // Without an agent, a session id two agents used names the history of the one seen first.
      if (!out.has(session)) out.set(session, list);
    }
    return out;
  }
}

// An entry names its agent by id, or as an object with an `id` (AuditParty).
function agentKey(agent: unknown): string {
  if (typeof agent === "string") return agent;
  const id = (agent as { id?: unknown } | null)?.id;
  return typeof id === "string" ? id : "";
}

function sessionKey(agent: unknown, session: string): string {
  return `${agentKey(agent)}\u0000${session}`;
}

// A call as it stood before position `at`: its latest record before then with the outcomes given
// after it; a call decided before `at` but recorded after it waited for its human then.
function callAt(events: readonly CallEvent[], at: number): SessionCall | undefined {
  let cur: SessionCall | undefined;
  let early: CallOutcome | undefined;
  for (const e of events) {
    if (e.at >= at) break;
    if (e.call !== undefined) cur = early !== undefined && e.call.outcome === "pending" ? { ...e.call, outcome: early } : e.call;
    else if (cur !== undefined) cur = { ...cur, outcome: e.outcome! };
    else early = e.outcome;
  }
  if (cur !== undefined) return cur;
  const later = events.find((e) => e.call !== undefined)?.call;
  return later === undefined ? undefined : { ...later, outcome: "pending" };
}

/**
 * Session histories rebuilt from an audit log's tool_call records, as the whole log leaves them:
 * for each session of `agent` (all records, when undefined), its calls by `call_seq`, the latest
 * record of a call winning and later answers and failures settling its outcome. A history with a
 * gap (a record missing, or written without `call_seq`) is rebuilt only up to the gap.
 */
export function rebuildHistories(records: Iterable<RecordedDecision>, agent?: string): Map<string, SessionCall[]> {
  return new RecordedHistories(records).final(agent);
}
