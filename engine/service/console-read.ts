// What the console reads beyond single decisions: session summaries (searchable, paged), the
// overview's aggregates, and where a decision sits in the audit log. Summaries and aggregates are
// computed from the activity view (this node's ring, or every node's table when a shared store
// can do it in SQL); a decision's audit index is found by its id in the log itself, so the proof
// the console shows comes from the record, not from the view.
import type { AuditLog } from "../audit/index.ts";
import type { DecisionRecordV1 } from "./wire.ts";

/** Outcomes from the most to the least severe: a session's outcome is its most severe step's. */
export const OUTCOMES = ["deny", "require_approval", "allow"] as const;

/** One session as the console lists it. */
export interface SessionSummaryV1 {
  readonly id: string;
  /** The agent whose session it is: a session is keyed by agent and id. */
  readonly agent: string;
  readonly env: string;
  /** `principal.id` of the session's first step: its owner (null when that step named none; a later step under another was denied). */
  readonly principal: string | null;
  /** ISO-8601 instants of the first and the last step. */
  readonly first: string;
  readonly last: string;
  readonly steps: number;
  /** The most severe decision among the steps. */
  readonly outcome: string;
  /** Steps per decision. */
  readonly counts: Readonly<Record<string, number>>;
}

/** What the sessions list asks for. */
export interface SessionQuery {
  /** Case-insensitive substring of the id, agent, environment or principal. */
  readonly q?: string;
  readonly agent?: string;
  readonly env?: string;
  readonly outcome?: string;
  /** The agents and environments the asking key may read (undefined: all); steps beyond them are not counted. */
  readonly agents?: readonly string[];
  readonly envs?: readonly string[];
  readonly offset: number;
  readonly limit: number;
}

/** A page of sessions, most recently active first, and how many match in all. */
export interface SessionPageV1 {
  readonly sessions: SessionSummaryV1[];
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
}

/** `principal.id` of a decided input, when it is a string. */
export function principalOf(input: unknown): string | null {
  const p = (input as { principal?: { id?: unknown } } | null)?.principal;
  return typeof p?.id === "string" ? p.id : null;
}

const rank = (d: string): number => {
  const i = (OUTCOMES as readonly string[]).indexOf(d);
  return i < 0 ? OUTCOMES.length : i;
};

/**
 * Summaries of the sessions among `records` (any order). A session is an agent's: two agents that
 * use one session id keep two sessions (as the service's session store and the guards do), each
 * with its own owner and steps.
 */
export function summarize(records: readonly DecisionRecordV1[]): SessionSummaryV1[] {
  const by = new Map<string, { id: string; agent: string; env: string; principal: string | null; first: string; last: string; steps: number; outcome: string; counts: Record<string, number> }>();
  for (const r of records) {
    if (r.session === null) continue;
    const key = `${r.agent.length}:${r.agent}${r.session}`;
    let s = by.get(key);
    if (s === undefined) {
      s = { id: r.session, agent: r.agent, env: r.env, principal: principalOf(r.input), first: r.time, last: r.time, steps: 0, outcome: r.decision, counts: {} };
      by.set(key, s);
    }
    s.steps++;
    s.counts[r.decision] = (s.counts[r.decision] ?? 0) + 1;
    if (r.time < s.first) {
      s.first = r.time;
      s.principal = principalOf(r.input);
    }
    if (r.time > s.last) s.last = r.time;
    if (rank(r.decision) < rank(s.outcome)) s.outcome = r.decision;
  }
  return [...by.values()];
}

/** The page of `all` that `q` asks for, most recently active first. */
export function pageOf(all: readonly SessionSummaryV1[], q: SessionQuery): SessionPageV1 {
  const needle = q.q?.toLowerCase();
  const hits = all.filter(
    (s) =>
      (q.agent === undefined || s.agent === q.agent) &&
      (q.env === undefined || s.env === q.env) &&
      (q.outcome === undefined || s.outcome === q.outcome) &&
      (needle === undefined || [s.id, s.agent, s.env, s.principal ?? ""].some((f) => f.toLowerCase().includes(needle))),
  );
  hits.sort((a, b) => (a.last < b.last ? 1 : a.last > b.last ? -1 : a.id < b.id ? -1 : a.id > b.id ? 1 : a.agent < b.agent ? -1 : 1));
  return { sessions: hits.slice(q.offset, q.offset + q.limit), total: hits.length, offset: q.offset, limit: q.limit };
}

/** The overview's aggregates of recent decisions. */
export interface OverviewV1 {
  /** How many decisions the aggregates cover (the most recent ones). */
  readonly decisions: number;
  readonly from: string | null;
  readonly to: string | null;
  /** Width of one bucket in milliseconds. */
  readonly bucketMs: number;
  /** Per bucket (oldest first): its start and the decisions per outcome. */
  readonly buckets: { readonly start: string; readonly counts: Readonly<Record<string, number>> }[];
  /** Decisions per outcome over the whole span. */
  readonly totals: Readonly<Record<string, number>>;
  /** Rules by how often they gave a reason or a warning, most first (at most 10). */
  readonly topRules: { readonly rule: string; readonly effect: string; readonly count: number }[];
}

const NICE_BUCKETS = [1000, 5000, 10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000, 21_600_000, 86_400_000];

/** Outcomes over time and the rules that fired most, over `records` (any order). */
export function overview(records: readonly DecisionRecordV1[], buckets = 30): OverviewV1 {
  const totals: Record<string, number> = {};
  const rules = new Map<string, { rule: string; effect: string; count: number }>();
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of records) {
    totals[r.decision] = (totals[r.decision] ?? 0) + 1;
    const t = Date.parse(r.time);
    if (t < lo) lo = t;
    if (t > hi) hi = t;
    for (const x of [...r.reasons, ...r.warnings]) {
      const k = `${x.rule}\u0000${x.effect}`;
      const e = rules.get(k) ?? { rule: x.rule, effect: x.effect, count: 0 };
      e.count++;
      rules.set(k, e);
    }
  }
  const topRules = [...rules.values()].sort((a, b) => b.count - a.count || (a.rule < b.rule ? -1 : 1)).slice(0, 10);
  if (records.length === 0) return { decisions: 0, from: null, to: null, bucketMs: 60_000, buckets: [], totals, topRules };
  const span = Math.max(1, hi - lo);
  const bucketMs = NICE_BUCKETS.find((b) => span / b <= buckets) ?? NICE_BUCKETS[NICE_BUCKETS.length - 1];
  const start = Math.floor(lo / bucketMs) * bucketMs;
  const n = Math.floor((hi - start) / bucketMs) + 1;
  const out = Array.from({ length: n }, (_, i) => ({ start: new Date(start + i * bucketMs).toISOString(), counts: {} as Record<string, number> }));
  for (const r of records) {
    const b = out[Math.floor((Date.parse(r.time) - start) / bucketMs)];
    b.counts[r.decision] = (b.counts[r.decision] ?? 0) + 1;
  }
  return { decisions: records.length, from: new Date(lo).toISOString(), to: new Date(hi).toISOString(), bucketMs, buckets: out, totals, topRules };
}

/**
 * Finds the audit index of the entry that records decision `id`, newest first. Entries are
 * canonical JSON, so the decision's id appears as exactly `"decision_id":"<id>"`: a byte search
 * first, then a parse of the entries that hold those bytes. `cache` keeps what was found (an entry's index never changes).
 */
export async function findDecisionEntry(log: AuditLog, id: string, cache: Map<string, number>): Promise<number | undefined> {
  const known = cache.get(id);
  if (known !== undefined) return known;
  const needle = Buffer.from(`"decision_id":${JSON.stringify(id)}`);
  const CHUNK = 2048;
  for (let end = await log.size(); end > 0; end -= CHUNK) {
    const entries = await log.store.entries(Math.max(0, end - CHUNK), end);
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i];
      // The bytes may also appear inside an input (a client can write anything there) or in an
      // approval's answer, which names the decision it answers: only a top-level field counts.
      if (Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength).includes(needle) && topLevelId(e.data) === id) {
        if (cache.size >= 10_000) cache.delete(cache.keys().next().value as string);
        cache.set(id, e.index);
        return e.index;
      }
    }
  }
  return undefined;
}

function topLevelId(data: Uint8Array): unknown {
  try {
    return (JSON.parse(new TextDecoder().decode(data)) as { decision_id?: unknown }).decision_id;
  } catch {
    return undefined;
  }
}
