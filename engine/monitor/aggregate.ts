// Windowed aggregates: what one time bucket (or a whole window, or a baseline) knows about the
// decisions in it. Counts are exact; numeric metrics keep bounded samples. Everything merges,
// so a window is the merge of its buckets and a baseline the merge of a range of them.
import type { TelemetryEvent } from "./event.ts";
import { outcomeTarget, totalTokens } from "./event.ts";
import type { Random } from "./random.ts";
import { sessionlessFirsts } from "./sessions.ts";
import { addValue, emptySample, mergeSamples } from "./sample.ts";
import type { Sample } from "./sample.ts";

/** Evaluator results of one event: numbers are scores, strings are categories. */
export type Evaluations = Readonly<Record<string, number | string>>;

/** Counts by key. Maps, not objects, because keys are user data (a tool may be named `__proto__`). */
export type Counts = Map<string, number>;

/** What a set of decisions (and the outcomes of the actions they allowed) looked like. */
export interface Aggregate {
  /** Decisions counted. */
  count: number;
  /**
   * Tool calls by tool: decisions of the `tool_call` phase (or of no stated phase) naming a
   * tool. A tool's `tool_result` is the same use seen again, and decisions without a tool are
   * not tool use, so neither is counted here.
   */
  tools: Counts;
  /** Decisions by outcome: allow, deny, require_approval. */
  decisions: Counts;
  /** For each rule, the decisions it denied (it was a deny reason). */
  ruleDenials: Counts;
  /** For each rule, the decisions it sent for approval. */
  ruleApprovals: Counts;
  /** Decisions by the application's response category, when it gave one. */
  categories: Counts;
  /** For each label key, decisions by label value. */
  labels: Map<string, Counts>;
  /** For each category evaluator, evaluated outputs by category. */
  evaluations: Map<string, Counts>;
  /** Outcomes reported, by target: the tool's name, `model:<name>` for a model call, else `(none)`. */
  outcomes: Counts;
  /** Failed outcomes by the same targets. */
  errors: Counts;
  /**
   * Session-level counts (sessions.ts): `session` (sessions begun; a decision without a session
   * is one), `deny`, `deny:<rule>`, `approval`, `approval:<rule>` (sessions that had one, counted
   * where it first happened), `outcome`, `outcome:<target>`, `error`, `error:<target>`. Rates
   * are read from these.
   */
  firsts: Counts;
  /**
   * Bounded samples: `latency` (outcome wall time) and `latency:<target>`, `decision_latency` (policy evaluation time),
   * `tokens`, `input_tokens`, `output_tokens`, `output_size`, and `score:<name>` for scores and
   * score evaluators.
   */
  numeric: Map<string, Sample>;
}


/** An aggregate of no decisions. */
export function emptyAggregate(): Aggregate {
  return {
    count: 0,
    tools: new Map(),
    decisions: new Map(),
    ruleDenials: new Map(),
    ruleApprovals: new Map(),
    categories: new Map(),
    labels: new Map(),
    evaluations: new Map(),
    outcomes: new Map(),
    errors: new Map(),
    firsts: new Map(),
    numeric: new Map(),
  };
}

function bump(c: Counts, key: string, n = 1): void {
  c.set(key, (c.get(key) ?? 0) + n);
}

function nested(m: Map<string, Counts>, key: string): Counts {
  let c = m.get(key);
  if (c === undefined) m.set(key, (c = new Map()));
  return c;
}

function sampleOf(a: Aggregate, key: string): Sample {
  let s = a.numeric.get(key);
  if (s === undefined) a.numeric.set(key, (s = emptySample()));
  return s;
}

function addNumber(a: Aggregate, key: string, x: number | undefined, cap: number, rand: Random): void {
  if (x !== undefined && Number.isFinite(x)) addValue(sampleOf(a, key), x, cap, rand);
}

/**
 * Counts `e` (and its evaluator results) into `a`; numeric values go through reservoirs of `cap`.
 * `firsts` are the session-level keys the event adds (SessionTracker.firsts); by default the
 * event is taken as a session of its own.
 */
export function addEvent(a: Aggregate, e: TelemetryEvent, evaluations: Evaluations | undefined, cap: number, rand: Random, firsts: readonly string[] = sessionlessFirsts(e)): void {
  for (const k of firsts) bump(a.firsts, k);
  if (e.kind === "outcome") {
    const target = outcomeTarget(e);
    bump(a.outcomes, target);
    if (e.error !== undefined) bump(a.errors, target);
    addNumber(a, "latency", e.durationMs, cap, rand);
    addNumber(a, `latency:${target}`, e.durationMs, cap, rand);
    addNumber(a, "output_size", e.outputSize, cap, rand);
  } else {
    a.count++;
    if (e.tool !== undefined && (e.phase === undefined || e.phase === "tool_call")) bump(a.tools, e.tool);
    bump(a.decisions, e.decision);
    if (e.rules) {
      for (const r of e.rules) {
        if (r.effect === "deny") bump(a.ruleDenials, r.rule);
        else if (r.effect === "require_approval") bump(a.ruleApprovals, r.rule);
      }
    }
    if (e.category !== undefined) bump(a.categories, e.category);
    if (e.labels) for (const k of Object.keys(e.labels)) bump(nested(a.labels, k), e.labels[k]);
    addNumber(a, "decision_latency", e.latencyMs, cap, rand);
  }
  if (e.scores) for (const k of Object.keys(e.scores)) addNumber(a, `score:${k}`, e.scores[k], cap, rand);
  addNumber(a, "tokens", totalTokens(e), cap, rand);
  addNumber(a, "input_tokens", e.tokens?.input, cap, rand);
  addNumber(a, "output_tokens", e.tokens?.output, cap, rand);
  if (evaluations) {
    for (const k of Object.keys(evaluations)) {
      const v = evaluations[k];
      if (typeof v === "string") bump(nested(a.evaluations, k), v);
      else addNumber(a, `score:${k}`, v, cap, rand);
    }
  }
}

function mergeCounts(into: Counts, from: Counts): void {
  for (const [k, v] of from) bump(into, k, v);
}

function mergeNested(into: Map<string, Counts>, from: Map<string, Counts>): void {
  for (const [k, c] of from) mergeCounts(nested(into, k), c);
}

/** The aggregate of all of `parts`; samples merged proportionally to at most about `cap` values each. */
export function mergeAggregates(parts: readonly Aggregate[], cap: number, rand: Random): Aggregate {
  const out = emptyAggregate();
  const samples = new Map<string, Sample[]>();
  for (const p of parts) {
    out.count += p.count;
    mergeCounts(out.tools, p.tools);
    mergeCounts(out.decisions, p.decisions);
    mergeCounts(out.ruleDenials, p.ruleDenials);
    mergeCounts(out.ruleApprovals, p.ruleApprovals);
    mergeCounts(out.categories, p.categories);
    mergeNested(out.labels, p.labels);
    mergeNested(out.evaluations, p.evaluations);
    mergeCounts(out.outcomes, p.outcomes);
    mergeCounts(out.errors, p.errors);
    mergeCounts(out.firsts, p.firsts);
    for (const [k, s] of p.numeric) {
      let list = samples.get(k);
      if (list === undefined) samples.set(k, (list = []));
      list.push(s);
    }
  }
  for (const [k, list] of samples) out.numeric.set(k, mergeSamples(list, cap, rand));
  return out;
}

/** Plain JSON form of an aggregate (maps as objects built with own properties only). */
export interface AggregateJson {
  count: number;
  tools: Record<string, number>;
  decisions: Record<string, number>;
  ruleDenials: Record<string, number>;
  ruleApprovals: Record<string, number>;
  categories: Record<string, number>;
  labels: Record<string, Record<string, number>>;
  evaluations: Record<string, Record<string, number>>;
  outcomes: Record<string, number>;
  errors: Record<string, number>;
  firsts: Record<string, number>;
  numeric: Record<string, { count: number; sum: number; min: number | null; max: number | null; values: number[] }>;
}

const obj = (c: Counts): Record<string, number> => Object.fromEntries(c);
const nestedObj = (m: Map<string, Counts>): Record<string, Record<string, number>> => Object.fromEntries([...m].map(([k, c]) => [k, obj(c)]));

/** The JSON form of `a`, for storage and `--json`. */
export function aggregateToJson(a: Aggregate): AggregateJson {
  return {
    count: a.count,
    tools: obj(a.tools),
    decisions: obj(a.decisions),
    ruleDenials: obj(a.ruleDenials),
    ruleApprovals: obj(a.ruleApprovals),
    categories: obj(a.categories),
    labels: nestedObj(a.labels),
    evaluations: nestedObj(a.evaluations),
    outcomes: obj(a.outcomes),
    errors: obj(a.errors),
    firsts: obj(a.firsts),
    // JSON has no Infinity: an empty sample's bounds are written as null.
    numeric: Object.fromEntries([...a.numeric].map(([k, s]) => [k, { count: s.count, sum: s.sum, min: s.count ? s.min : null, max: s.count ? s.max : null, values: s.values }])),
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function countsFrom(v: unknown): Counts | undefined {
  if (!isRecord(v)) return undefined;
  const c: Counts = new Map();
  for (const k of Object.keys(v)) {
    const n = v[k];
    if (typeof n !== "number" || !(n >= 0)) return undefined;
    c.set(k, n);
  }
  return c;
}

function nestedFrom(v: unknown): Map<string, Counts> | undefined {
  if (!isRecord(v)) return undefined;
  const m = new Map<string, Counts>();
  for (const k of Object.keys(v)) {
    const c = countsFrom(v[k]);
    if (!c) return undefined;
    m.set(k, c);
  }
  return m;
}

/** Reads the JSON form back; undefined when `v` is not one (a damaged row). */
export function aggregateFromJson(v: unknown): Aggregate | undefined {
  if (!isRecord(v) || typeof v.count !== "number") return undefined;
  const tools = countsFrom(v.tools);
  const decisions = countsFrom(v.decisions);
  const ruleDenials = countsFrom(v.ruleDenials);
  const ruleApprovals = countsFrom(v.ruleApprovals);
  const categories = countsFrom(v.categories);
  const labels = nestedFrom(v.labels);
  const evaluations = nestedFrom(v.evaluations);
  // Rows written before outcomes were counted have neither field: no outcomes then.
  const outcomes = v.outcomes === undefined ? new Map<string, number>() : countsFrom(v.outcomes);
  const errors = v.errors === undefined ? new Map<string, number>() : countsFrom(v.errors);
  const firsts = v.firsts === undefined ? new Map<string, number>() : countsFrom(v.firsts);
  if (!outcomes || !errors || !firsts || !tools || !decisions || !ruleDenials || !ruleApprovals || !categories || !labels || !evaluations || !isRecord(v.numeric)) return undefined;
  const numeric = new Map<string, Sample>();
  for (const k of Object.keys(v.numeric)) {
    const s = v.numeric[k];
    if (!isRecord(s) || typeof s.count !== "number" || typeof s.sum !== "number" || !Array.isArray(s.values)) return undefined;
    if (!s.values.every((x) => typeof x === "number")) return undefined;
    numeric.set(k, {
      count: s.count,
      sum: s.sum,
      min: typeof s.min === "number" ? s.min : Infinity,
      max: typeof s.max === "number" ? s.max : -Infinity,
      values: s.values as number[],
    });
  }
  return { count: v.count, tools, decisions, ruleDenials, ruleApprovals, categories, labels, evaluations, outcomes, errors, firsts, numeric };
}
