// What the console shows: the latest decisions (bounded ring) and, per session, its steps in
// order. Held in memory by the node that decided; the audit log is the durable, shared record.
import type { Decision } from "../runtime/index.ts";
import type { ChangeV1, DecisionRecordV1 } from "./wire.ts";

// The audit log's SEALED_MARKER, spelled here: the console's browser bundle imports this module
// and must not pull in the log (node:fs, node:sqlite).
const SEALED_MARKER = "[sealed]";

/** Filters of the live view; an absent field matches everything. */
export interface ActivityFilter {
  readonly agent?: string;
  readonly env?: string;
  readonly phase?: string;
  readonly decision?: string;
  readonly session?: string;
}

/**
 * The fields a transform changed between `before` and `after`, as JSON Pointer-ish dotted
 * paths. Transforms copy only along the paths they change, so unchanged subtrees are the same
 * objects and are skipped without a walk.
 */
export function changes(before: unknown, after: unknown, path = "", out: ChangeV1[] = []): ChangeV1[] {
  if (before === after) return out;
  const bo = typeof before === "object" && before !== null;
  const ao = typeof after === "object" && after !== null;
  if (bo && ao && Array.isArray(before) === Array.isArray(after)) {
    const b = before as Record<string, unknown>;
    const a = after as Record<string, unknown>;
    for (const k of new Set([...Object.keys(b), ...Object.keys(a)])) changes(b[k], a[k], path === "" ? k : `${path}.${k}`, out);
    return out;
  }
  if (JSON.stringify(before) !== JSON.stringify(after)) out.push({ path, before: before ?? null, after: after ?? null });
  return out;
}

/**
 * What the console may keep of a decision when the audit log seals personal fields: only what the
 * log keeps in clear. The input, the payload and the values a transform changed (the principal and
 * anything a client sent) read SEALED_MARKER; the paths changed stay. A copy kept beside the log
 * would otherwise be a plain copy that `audit erase` cannot reach: an admin reads the full record
 * through the log (GET /v1/decisions/{id}/record), which opens it only while the subject's key lives.
 */
export function clearPart(rec: DecisionRecordV1): DecisionRecordV1 {
  return { ...rec, input: SEALED_MARKER, payload: SEALED_MARKER, changes: rec.changes.map((c) => ({ path: c.path, before: SEALED_MARKER, after: SEALED_MARKER })) };
}

/** Told of every decision as it is noted; must be cheap and must not throw (it runs on the decision path). */
export type DecisionObserver = (record: DecisionRecordV1, decision: Decision) => void;

// Thousands of recent decisions are kept for the console. Held as objects, every object of every
// decided input stays reachable, and the young-generation collector copies (then promotes) all of
// them: under load that doubled scavenge time and brought major collections into the decision
// path's tail latency. Kept as JSON text, a decision is a few strings; the console, which reads
// rarely, parses them back.
interface Kept {
  /** The decision's place in the order noted: which of a ring slot's occupants this is. */
  readonly seq: number;
  readonly rest: Omit<DecisionRecordV1, "input" | "payload">;
  readonly input: string | undefined;
  /** The payload's text; SAME when the payload is the input itself (no transform fired). */
  readonly payload: string | undefined | typeof SAME;
}

const SAME = Symbol("same as input");

/** The JSON texts of a decision's input and payload, when the caller has written them already. */
export interface DecisionTexts {
  readonly input: string;
  readonly payload: string;
}

function keep(seq: number, rec: DecisionRecordV1, texts: DecisionTexts | undefined): Kept {
  const { input, payload, ...rest } = rec;
  if (payload === input) return { seq, rest, input: texts?.input ?? JSON.stringify(input), payload: SAME };
  return texts === undefined ? { seq, rest, input: JSON.stringify(input), payload: JSON.stringify(payload) } : { seq, rest, input: texts.input, payload: texts.payload };
}

function view(k: Kept): DecisionRecordV1 {
  const input: unknown = k.input === undefined ? undefined : JSON.parse(k.input);
  const payload: unknown = k.payload === SAME ? input : k.payload === undefined ? undefined : JSON.parse(k.payload);
  return { ...k.rest, input, payload };
}

/**
 * The recent decisions of one node. Memory is bounded by the ring alone: a session holds the
 * sequence numbers of its steps, not the steps, so its view is the steps still in the ring (the
 * audit log keeps the rest), and many long sessions cost a number per step.
 */
export class Activity {
  readonly #ring: (Kept | undefined)[];
  /** Decisions noted so far; the next one's sequence number. */
  #seq = 0;
  // Keyed by agent and session id (see sessionKey): two agents' sessions named alike are two.
  readonly #sessions = new Map<string, number[]>();
  readonly #maxSessions: number;
  readonly #maxSteps: number;
  #observers: readonly DecisionObserver[] = [];
  readonly #sealed: boolean;

  /**
   * Keeps the last `size` decisions, and for the last `maxSessions` sessions their last `maxSteps`
   * steps still among them; with `sealed` (the audit log seals personal fields), only their clear
   * part (see clearPart). Observers (the monitor, in memory) are still told the whole decision.
   */
  constructor(size = 5000, maxSessions = 2000, maxSteps = 500, sealed = false) {
    this.#sealed = sealed;
    this.#ring = new Array<Kept | undefined>(Math.max(1, size));
    this.#maxSessions = maxSessions;
    this.#maxSteps = Math.min(maxSteps, this.#ring.length);
  }

  /** Notes a decision. Changes are computed only when a transform fired. */
  add(r: Omit<DecisionRecordV1, "changes">, decision: Decision, texts?: DecisionTexts): DecisionRecordV1 {
    const transformed = decision.reasons.some((x) => x.effect === "redact" || x.effect === "set");
    const rec: DecisionRecordV1 = { ...r, changes: transformed ? changes(r.input, r.payload) : [] };
    const seq = this.#seq++;
    this.#ring[seq % this.#ring.length] = this.#sealed ? keep(seq, clearPart(rec), undefined) : keep(seq, rec, texts);
    if (rec.session !== null) {
      const key = sessionKey(rec.agent, rec.session);
      let steps = this.#sessions.get(key);
      if (steps === undefined) {
        steps = [];
        if (this.#sessions.size >= this.#maxSessions) {
          const oldest = this.#sessions.keys().next();
          if (!oldest.done) this.#sessions.delete(oldest.value);
        }
        this.#sessions.set(key, steps);
      }
      // Past the limit the oldest steps go; they would be the first to leave the ring anyway. They
      // go maxSteps at a time (readers take the last maxSteps): dropping one per step copied the
      // whole list on every decision of a long session.
      steps.push(seq);
      if (steps.length >= 2 * this.#maxSteps) steps.splice(0, steps.length - this.#maxSteps);
    }
    for (const fn of this.#observers) fn(rec, decision);
    return rec;
  }

  /** The decision noted as `seq`, while it is still in the ring. */
  #kept(seq: number): Kept | undefined {
    const k = this.#ring[seq % this.#ring.length];
    return k?.seq === seq ? k : undefined;
  }

  /** Calls `fn` with every decision noted from now on (the monitor's feed). */
  observe(fn: DecisionObserver): void {
    this.#observers = [...this.#observers, fn];
  }

  /** Marks the decision that asked for an approval with the approval's id. */
  link(id: string, approval: string): void {
    for (let i = 0; i < this.#ring.length; i++) {
      const k = this.#ring[i];
      if (k?.rest.id === id) this.#ring[i] = { ...k, rest: { ...k.rest, approval } };
    }
  }

  /** The latest decisions that match, newest first. */
  recent(filter: ActivityFilter, limit = 200): DecisionRecordV1[] {
    const out: DecisionRecordV1[] = [];
    for (let seq = this.#seq - 1; seq >= 0 && out.length < limit; seq--) {
      const k = this.#kept(seq);
      if (k === undefined) break;
      const r = k.rest;
      if (filter.agent && r.agent !== filter.agent) continue;
      if (filter.env && r.env !== filter.env) continue;
      if (filter.phase && r.phase !== filter.phase) continue;
      if (filter.decision && r.decision !== filter.decision) continue;
      if (filter.session && r.session !== filter.session) continue;
      out.push(view(k));
    }
    return out;
  }

  /** A session's last maxSteps steps (its list holds up to twice as many between trims). */
  #lastSteps(steps: readonly number[]): readonly number[] {
    return steps.length > this.#maxSteps ? steps.slice(-this.#maxSteps) : steps;
  }

  /** The steps of `agent`'s session `id` still in the ring (of every agent that used the id, without one), oldest first. */
  session(id: string, agent?: string): readonly DecisionRecordV1[] {
    let seqs: readonly number[];
    if (agent !== undefined) seqs = this.#lastSteps(this.#sessions.get(sessionKey(agent, id)) ?? []);
    else {
      const all: number[] = [];
      for (const [key, steps] of this.#sessions) if (idOf(key) === id) all.push(...this.#lastSteps(steps));
      seqs = all.sort((a, b) => a - b);
    }
    const out: DecisionRecordV1[] = [];
    for (const seq of seqs) {
      const k = this.#kept(seq);
      if (k !== undefined) out.push(view(k));
    }
    return out;
  }

  /** Ids of the sessions with a step still in the ring, most recently started last (an id two agents used, once). */
  sessions(): string[] {
    const out = new Set<string>();
    for (const [key, steps] of this.#sessions) if (steps.length > 0 && this.#kept(steps[steps.length - 1]) !== undefined) out.add(idOf(key));
    return [...out];
  }
}

// The agent's length first: ids may hold any character, and no two (agent, id) pairs share a key.
function sessionKey(agent: string, session: string): string {
  return `${agent.length}:${agent}${session}`;
}

function idOf(key: string): string {
  const colon = key.indexOf(":");
  return key.slice(colon + 1 + Number(key.slice(0, colon)));
}
