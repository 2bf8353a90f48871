// Replay: recorded traffic decided again by a candidate policy set, to show before a promotion
// which decisions would change. It needs the inputs themselves, which the audit log keeps only
// when the recorder wrote them: a decision record's optional `input` field holds the object the
// engine decided on, and its `input_digest` must match it (RFC 8785 + SHA-256), else the entry is
// counted as unverifiable and not replayed.
import { digest } from "../audit/index.ts";
import type { JsonValue } from "../audit/index.ts";
import type { PolicySet } from "../runtime/policy-set.ts";
import { isPhase } from "../runtime/index.ts";
import { scanRecords } from "./log-io.ts";
import { RecordedHistories, isSettlement } from "../sdk/history.ts";
import { GUARD_RULES } from "../sdk/core.ts";
import { SCHEMA_RULE } from "../sdk/schema.ts";
import type { RecordedDecision } from "../sdk/history.ts";
import type { ScannedRecord } from "./log-io.ts";
import { REPLAY_EXAMPLES } from "./records.ts";
import type { ReplayExample, ReplayReport } from "./records.ts";

/**
 * One recorded decision the candidate decides differently: the fields a report's example keeps,
 * with both sides' rules (an example keeps only the rules behind the change).
 */
export interface ReplayChange extends Omit<ReplayExample, "rules"> {
  /** The rules behind the replayed decision. */
  readonly rules: readonly string[];
  /** The rules behind the recorded decision. */
  readonly recordedRules: readonly string[];
}

/** Counts over the replayed window. */
export interface ReplaySummary {
  readonly env: string;
  /** ISO-8601 bounds of the window. */
  readonly from: string;
  readonly to: string;
  /** Decision records of the environment in the window. */
  readonly decisions: number;
  /** Decided again. */
  readonly replayed: number;
  readonly changed: number;
  /** Without a recorded `input`. */
  readonly withoutInput: number;
  /** With an `input` that does not match `input_digest` (altered, or erased personal data). */
  readonly unverifiable: number;
  /** The candidate could not decide them (bad input); counted as changes. */
  readonly failed: number;
  /**
   * Refused by the guard itself before any policy ran (`palisade.session_principal`,
   * `palisade.audit_unavailable`, `palisade.session_history`, `palisade.unrecordable_input`,
   * `palisade.tool_schema`, `palisade.call_running`): not replayed, since no policy decided them and a candidate cannot
   * change them; counted here, by rule, never as changes.
   */
  readonly guardDenials: Readonly<Record<string, number>>;
  /** Changes by `recorded -> replayed`. */
  readonly transitions: Readonly<Record<string, number>>;
}

/** The result of a replay. */
export interface ReplayResult {
  readonly changes: readonly ReplayChange[];
  readonly summary: ReplaySummary;
}

/** Where and how far back to replay. */
export interface ReplayOptions {
  readonly env: string;
  readonly windowMs: number;
  /** End of the window, ms since the epoch (default now). */
  readonly now?: number;
}

/** The rules of the guard's own refusals (spec/sdk.md, "The guard's own rules"). */
const GUARD_RULE_IDS: ReadonlySet<string> = new Set([...Object.values(GUARD_RULES), SCHEMA_RULE]);

/** The guard's own rule that refused a recorded decision, or undefined when policies decided it. */
function guardRule(r: ScannedRecord["record"]): string | undefined {
  if (r.decision !== "deny" || !Array.isArray(r.reasons) || r.reasons.length !== 1) return undefined;
  const rule = (r.reasons[0] as { rule?: unknown } | undefined)?.rule;
  return typeof rule === "string" && GUARD_RULE_IDS.has(rule) ? rule : undefined;
}

function toolName(tool: unknown): string | null {
  if (typeof tool === "string") return tool;
  if (typeof tool === "object" && tool !== null && typeof (tool as { name?: unknown }).name === "string") return (tool as { name: string }).name;
  return null;
}

/** Replays already-read records (pure; `replay` reads them from a log). */
export function replayRecords(policySet: PolicySet, records: readonly ScannedRecord[], options: ReplayOptions): ReplayResult {
  const now = options.now ?? Date.now();
  const since = now - options.windowMs;
  const changes: ReplayChange[] = [];
  const transitions: Record<string, number> = {};
  let decisions = 0;
  let replayed = 0;
  let withoutInput = 0;
  let unverifiable = 0;
  let failed = 0;
  const guardDenials: Record<string, number> = {};
  // Guard records reference their session's history (`session.calls_before`) instead of copying
  // it: rebuild each session's calls from its tool_call records, per agent, as each decision
  // found them (outcomes settled later in the log were not known yet).
  const histories = new RecordedHistories(records.map((x) => x.record as unknown as RecordedDecision));
  for (let at = 0; at < records.length; at++) {
    const { index, record: r } = records[at];
    if (r.env !== options.env || typeof r.phase !== "string" || !isPhase(r.phase) || typeof r.decision !== "string" || typeof r.time !== "string") continue;
    // A failed call's settlement decides nothing.
    if (isSettlement(r)) continue;
    const t = Date.parse(r.time);
    if (!(t >= since && t <= now)) continue;
    decisions++;
    const own = guardRule(r);
    if (own !== undefined) {
      guardDenials[own] = (guardDenials[own] ?? 0) + 1;
      continue;
    }
    const input = r.input;
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      withoutInput++;
      continue;
    }
    let matches = false;
    try {
      matches = digest(input as JsonValue) === r.input_digest;
    } catch {
      matches = false;
    }
    if (!matches) {
      unverifiable++;
      continue;
    }
    const session = (input as { session?: { id?: unknown; calls?: unknown; calls_before?: unknown; calls_from?: unknown } }).session;
    let decided: unknown = input;
    if (session !== undefined && session !== null && !Array.isArray(session.calls) && typeof session.calls_before === "number") {
      const n = session.calls_before;
      // The session id used before (ended, then opened again): its calls are numbered on from `calls_from`.
      const from = session.calls_from ?? 0;
      const known = Number.isSafeInteger(n) && n >= 0 && typeof from === "number" && Number.isSafeInteger(from) && from >= 0;
      const calls = !known ? undefined : typeof r.session === "string" ? histories.at(r.agent, r.session, at, n, from) : n === 0 ? [] : undefined;
      if (calls === undefined) {
        unverifiable++;
        continue;
      }
      decided = { ...input, session: { id: session.id ?? null, calls } };
    }
    replayed++;
    let outcome: string;
    let rules: string[] = [];
    try {
      const d = policySet.decide(r.phase, decided);
      outcome = d.decision;
      rules = d.reasons.filter((x) => x.effect === d.decision).map((x) => x.rule);
    } catch (err) {
      failed++;
      outcome = `error: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (outcome === r.decision) continue;
    const key = `${r.decision} -> ${outcome.startsWith("error") ? "error" : outcome}`;
    transitions[key] = (transitions[key] ?? 0) + 1;
    const recordedRules = Array.isArray(r.reasons) ? r.reasons.filter((x): x is { rule: string; effect: string } => typeof x?.rule === "string" && x.effect === r.decision).map((x) => x.rule) : [];
    changes.push({ index, time: r.time, phase: r.phase, tool: toolName(r.tool), input_digest: String(r.input_digest), recorded: r.decision, replayed: outcome, rules, recordedRules });
  }
  const summary: ReplaySummary = { env: options.env, from: new Date(since).toISOString(), to: new Date(now).toISOString(), decisions, replayed, changed: changes.length, withoutInput, unverifiable, failed, guardDenials, transitions };
  return { changes, summary };
}

/** Replays the environment's recorded decisions of the window, read from the audit log at `location`. */
export async function replay(policySet: PolicySet, location: string, options: ReplayOptions): Promise<ReplayResult> {
  const now = options.now ?? Date.now();
  return replayRecords(policySet, await scanRecords(location, now - options.windowMs), { ...options, now });
}

/** A replay as a promotion record keeps it: counts, changes by rule, the first few as examples. */
export function replayReport(result: ReplayResult): ReplayReport {
  const s = result.summary;
  const byRule: Record<string, number> = {};
  const examples: ReplayExample[] = [];
  for (const c of result.changes) {
    const rules = c.rules.length > 0 ? c.rules : c.recordedRules.length > 0 ? c.recordedRules : ["(default)"];
    for (const rule of rules) byRule[rule] = (byRule[rule] ?? 0) + 1;
    if (examples.length < REPLAY_EXAMPLES) examples.push({ index: c.index, time: c.time, phase: c.phase, tool: c.tool, input_digest: c.input_digest, recorded: c.recorded, replayed: c.replayed, rules });
  }
  return { env: s.env, from: s.from, to: s.to, decisions: s.decisions, replayed: s.replayed, changed: s.changed, without_input: s.withoutInput, unverifiable: s.unverifiable, failed: s.failed, ...(Object.keys(s.guardDenials).length > 0 ? { guard_denials: s.guardDenials } : {}), transitions: s.transitions, by_rule: byRule, examples };
}

/** A replay as text: one line per change, then the summary. */
export function formatReplay(result: ReplayResult): string {
  const lines = result.changes.map((c) => `changed  #${c.index} ${c.time} ${c.phase}${c.tool ? ` ${c.tool}` : ""}: ${c.recorded} -> ${c.replayed}${c.rules.length > 0 ? ` (by ${c.rules.join(", ")})` : ""}  ${c.input_digest}`);
  const s = result.summary;
  const t = Object.entries(s.transitions).map(([k, n]) => `${k}: ${n}`).join(", ");
  lines.push(`replayed ${s.replayed} of ${s.decisions} decisions in '${s.env}' from ${s.from} to ${s.to}: ${s.changed} would change${t ? ` (${t})` : ""}`);
  const own = Object.entries(s.guardDenials).map(([rule, n]) => `${n} by ${rule}`);
  if (own.length > 0) lines.push(`refused by the guard itself, not by a policy (not replayed): ${own.join(", ")}`);
  if (s.withoutInput > 0 || s.unverifiable > 0) lines.push(`not replayed: ${s.withoutInput} recorded without their input, ${s.unverifiable} whose input does not match its digest`);
  return `${lines.join("\n")}\n`;
}
