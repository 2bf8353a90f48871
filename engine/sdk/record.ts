// Getting decisions to the audit log and the monitor. A guarded call pushes a small object onto
// a queue; on the next turn of the event loop the queue is drained: each entry becomes an audit
// record (appended, and committed in batches by the log) and a telemetry event.
//
// What a record holds (spec/sdk.md, "Recording"): the input as the policies' transforms left it
// (private by default), with the session's history replaced by how many calls came before it;
// tool_call records carry the call's place in the session and its outcome, so replay rebuilds
// `session.calls` from the log instead of every entry copying it. Nothing a record holds can be
// changed by the application after the decision: inputs are snapshots.
//
// Failures never pass silently: an append that fails (or a record that cannot be encoded) marks
// the recorder failed until a later append succeeds, and the guard refuses actions meanwhile
// (`onAuditFailure: "deny"`, the default); `onError` hears of every failure.
import { createHash } from "node:crypto";
import type { Decision } from "../runtime/index.ts";
import { MAX_ENTRY_SIZE } from "../audit/tiles.ts";
import type { AuditPhase, AuditRecord, DocumentEntry, ErasurePolicy, JsonValue } from "../audit/index.ts";
import { canonicalJson as jcs } from "../audit/canonical-json.ts";
import type { ApprovalOutcome } from "./approval.ts";
import { canonicalJson } from "./canonical.ts";
import type { CallDecision, CallOutcome } from "./history.ts";
import type { OutcomeError, OutcomeEvent } from "../monitor/event.ts";

/** The audit log as the guard uses it (`AuditLog` satisfies it). */
export interface AuditSink {
  /** Queues a record; the promise settles when it is durable or has failed. */
  append(record: AuditRecord): Promise<unknown>;
  /** Resolves when everything appended so far has been written. */
  flush?(): Promise<void>;
  /** The log's erasure policy, when it seals personal fields (`AuditLog` has it). */
  readonly erasure?: ErasurePolicy | undefined;
  /**
   * Like append, for a record given as canonical text around its input (`AuditLog` has it): the
   * input is canonicalised, digested, sealed (when the log seals) and hashed where the store runs
   * (the SQLite store's own thread).
   */
  appendDocument?(doc: DocumentEntry): Promise<unknown>;
}

/** Token use of one model step, as the model reported it. */
export interface TokenUse {
  readonly input?: number;
  readonly output?: number;
}

/**
 * The telemetry event the guard sends for each decision: the fields of the monitor's
 * `DecisionEvent` (engine/monitor/event.ts), so a `Monitor` can be passed as is.
 */
export interface GuardEvent {
  /** Milliseconds since the epoch. */
  readonly time: number;
  readonly agent: string;
  readonly agentVersion?: string;
  readonly env: string;
  readonly session?: string;
  readonly phase: string;
  readonly tool?: string;
  readonly decision: Decision["decision"];
  /** The rules that decided or shaped the outcome, with their effect. */
  readonly rules: readonly { readonly rule: string; readonly effect: string }[];
  /** Time the policy evaluation took, in milliseconds. */
  readonly latencyMs: number;
  /** `mode` (enforce or shadow) and, when a human was asked, `approval` (approved or why not). */
  readonly labels: Readonly<Record<string, string>>;
  /** The output text on the `output` phase, for the monitor's evaluators (never stored). */
  readonly output?: string;
  readonly policyDigest: string;
}

/**
 * Where telemetry goes (`Monitor` satisfies it). Besides one GuardEvent per decision, `record`
 * receives the outcome of each action that ran (`kind: "outcome"`, the monitor's OutcomeEvent:
 * the tool's or model's wall time, error, token use and output size).
 */
export interface MonitorSink {
  record(event: GuardEvent): unknown;
}

/** What happened in the step a decision follows or precedes, reported as an outcome. */
export interface StepOutcome {
  readonly durationMs?: number;
  readonly error?: OutcomeError;
  readonly tokens?: TokenUse;
  /** Characters of the tool's result (as text) or of the model's answer. */
  readonly outputSize?: number;
  readonly model?: string;
  readonly provider?: string;
}

/** One decision waiting to be recorded. */
export interface PendingDecision {
  readonly phase: string;
  /** What was decided on, after the policies' transforms (`session` holds the live history). */
  readonly input: Readonly<Record<string, unknown>>;
  /** The input before transforms, when they changed it (recorded only where the log seals it). */
  readonly original: Readonly<Record<string, unknown>> | undefined;
  readonly decision: Decision;
  readonly ms: number;
  readonly iso: string;
  readonly latencyMs: number;
  readonly session: string | null;
  readonly principal: string | null;
  readonly tool: string | undefined;
  readonly approval: ApprovalOutcome | undefined;
  /** Calls of the session decided before this one. */
  readonly callsBefore: number;
  /** `call_seq` of the first of them (0 unless the session id was used before an `end()`). */
  readonly callsFrom: number;
  /** The tool call's place in its session (tool phases). */
  readonly callSeq: number | undefined;
  /** The tool call's outcome (tool_call). */
  readonly outcome: CallOutcome | undefined;
  readonly step: StepOutcome | undefined;
  /** Set when the caller waits for durability. */
  durable?: { resolve: () => void; reject: (err: unknown) => void };
  readonly settles?: undefined;
}

/**
 * What became of a tool call let run, recorded after its decision: an entry of its own that
 * settles call `callSeq` of its session as `failed` (it ran and failed) or `denied` (the framework
 * stopped it before it ran), so that replay rebuilds the history the guard's later decisions
 * read. It decides nothing (replay skips it).
 */
export interface PendingSettlement extends Omit<SettlementFacts, "agent" | "env"> {
  readonly settles: true;
}

/** What a settlement entry states: its call, and what became of it. */
export interface SettlementFacts {
  readonly iso: string;
  readonly agent: string;
  readonly env: string;
  readonly principal: string | null;
  readonly session: string;
  readonly tool: string;
  readonly callSeq: number;
  /** What the policies decided for the call. */
  readonly decision: CallDecision;
  readonly policyDigest: string;
  /** `failed`: it ran and failed; `denied`: the framework stopped it after the guard let it run. */
  readonly outcome: "failed" | "denied";
  /** The error's type (its name) only, when it failed: a message may hold personal data, which the log keeps private by default. */
  readonly errorType: string | undefined;
}

/**
 * The audit record of a settlement, one shape for the guard and the service (replay reads both):
 * `settles: true`, `call_seq`, `outcome`, `error: { type }` (never the message, which may hold
 * personal data), its statement digested like a decision's input; `extra` names who wrote it.
 */
export function settlementRecord(s: SettlementFacts, extra: Readonly<Record<string, JsonValue>>): AuditRecord {
  const error = s.errorType === undefined ? undefined : { type: s.errorType };
  return {
    time: s.iso,
    agent: s.agent,
    env: s.env,
    principal: s.principal,
    session: s.session,
    phase: "tool_call",
    tool: s.tool,
    decision: s.decision,
    reasons: [],
    policy_digest: s.policyDigest,
    input_digest: inputDigest({ call_seq: s.callSeq, ...(error !== undefined ? { error } : {}), outcome: s.outcome }),
    call_seq: s.callSeq,
    outcome: s.outcome,
    settles: true,
    ...(error !== undefined ? { error } : {}),
    ...extra,
  };
}

/** What the guard does when the audit log fails: refuse actions until it recovers, or carry on. */
export type OnAuditFailure = "deny" | "allow";

/** Who the guard is recording for. */
export interface RecorderContext {
  readonly agentId: string;
  readonly agentVersion: string | undefined;
  readonly env: string;
  readonly mode: "enforce" | "shadow";
  readonly audit: AuditSink | undefined;
  readonly monitor: MonitorSink | undefined;
  readonly onError: (err: unknown) => void;
  /** Whether records keep each decision's input (default true), which replay before a promotion needs. */
  readonly recordInputs?: boolean;
  /** Milliseconds without any acknowledged append, while appends wait, after which the log counts as failing (default 10,000). */
  readonly auditTimeoutMs?: number;
}

/**
 * Inputs larger than this (canonical characters) are recorded by digest only: an audit entry
 * holds at most 64 KiB (the tlog-tiles limit), and the rest of the record needs room too.
 */
export const MAX_RECORDED_INPUT = 48 * 1024;

// Decisions queued before the queue is drained without waiting for the event loop.
const DRAIN_EVERY = 4_096;

/** The field that holds an input's original (before transforms), recorded only where the log seals it. */
export const ORIGINAL_FIELD = "input_original";

/**
 * The input fields of an audit record: `input_digest` always, and `input` itself (as the JSON
 * its digest was taken over) when `keep` and it fits, so that `palisade replay` can decide it
 * again through a candidate bundle.
 */
export function inputFields(input: unknown, keep: boolean): { input_digest: string; input?: JsonValue } {
  const { text, digest } = canonicalInput(input);
  return keep && text.length <= MAX_RECORDED_INPUT ? { input_digest: digest, input: JSON.parse(text) as JsonValue } : { input_digest: digest };
}

function canonicalInput(input: unknown): { text: string; digest: string } {
  const text = canonicalJson(input);
  return { text, digest: `sha256:${createHash("sha256").update(text).digest("hex")}` };
}

/**
 * Bytes an entry keeps for the log's envelope around sealed fields (`$sealed`: algorithm, key id,
 * nonce, field list, tag; the markers left in their places).
 */
const ENVELOPE_BYTES = 1024;

/**
 * Adds the inline documents to `record` in order while the entry stays under the log's 64 KiB
 * once sealed (base64 takes a third more of everything sealed, the rest of the record counted as
 * if it were); a document that would take it past that is left out, its digest (where the record
 * has one) standing for it, as for an input over MAX_RECORDED_INPUT. Without this a redacted
 * input of 30 KB and its sealed original made an entry the log refused, which lost the decision
 * and, under onAuditFailure "deny", refused every later action.
 */
function addWithin(record: Record<string, JsonValue>, docs: readonly (readonly [field: string, text: string])[]): void {
  if (docs.length === 0) return;
  let room = MAX_ENTRY_SIZE - ENVELOPE_BYTES - Math.ceil((Buffer.byteLength(canonicalJson(record)) * 4) / 3);
  for (const [field, text] of docs) {
    const need = Math.ceil(((Buffer.byteLength(text) + field.length + 4) * 4) / 3);
    if (need > room) continue;
    record[field] = JSON.parse(text) as JsonValue;
    room -= need;
  }
}

/** `sha256:<hex>` of the RFC 8785 canonical form of `input`. */
export function inputDigest(input: unknown): string {
  return `sha256:${createHash("sha256").update(canonicalJson(input)).digest("hex")}`;
}

/** Whether the log's erasure policy seals `field` (the field itself or a parent of it is personal). */
function sealsField(erasure: ErasurePolicy | undefined, field: string): boolean {
  return erasure !== undefined && erasure.personalFields.some((p) => p === field || field.startsWith(`${p}.`));
}

/** Queues decisions and records them on the next turn of the event loop. */
export class Recorder {
  readonly #ctx: RecorderContext;
  #queue: (PendingDecision | PendingSettlement)[] = [];
  #scheduled: Promise<void> | null = null;
  // Appends handed to the log and not yet settled, and who waits for there to be none (flush).
  #inflight = 0;
  #idle: PromiseWithResolvers<void> | null = null;
  #failure: Error | null = null;
  // A log that hangs refuses nothing: a watch armed while appends wait finds whether any was
  // acknowledged since it was armed, one timer per period rather than one per append.
  #watch: ReturnType<typeof setTimeout> | undefined;
  #acknowledged = false;
  readonly #timeoutMs: number;
  /** Audit failures seen so far. */
  failures = 0;
  /** The fields every record of this guard writes the same, as canonical text (null: one would need escaping). */
  readonly #fields: { readonly agent: string; readonly decided: Readonly<Record<Decision["decision"], string>>; readonly mode: string } | null;
  readonly #tails = new Map<string, { readonly session: string | null; readonly principal: string | null; readonly outcome: CallOutcome | undefined; readonly digest: string; readonly text: string }>();
  #tool: string | undefined;
  #toolText = "";

  constructor(ctx: RecorderContext) {
    this.#ctx = ctx;
    this.#timeoutMs = ctx.auditTimeoutMs ?? 10_000;
    const env = `,"env":${q(ctx.env)}`;
    const decided = { allow: `,"decision":"allow"${env}`, deny: `,"decision":"deny"${env}`, require_approval: `,"decision":"require_approval"${env}` };
    const fields = { agent: `{"agent":${q(ctx.agentId)}`, decided, mode: `,"mode":${q(ctx.mode)}` };
    this.#fields = ctx.agentId.isWellFormed() && ctx.env.isWellFormed() ? fields : null;
  }

  /** Whether anything records at all (no audit and no monitor: nothing is queued). */
  get active(): boolean {
    return this.#ctx.audit !== undefined || this.#ctx.monitor !== undefined;
  }

  /** Whether there is an audit log to make decisions durable in. */
  get audited(): boolean {
    return this.#ctx.audit !== undefined;
  }

  /** The last audit failure, until an append succeeds again. */
  get failure(): Error | null {
    return this.#failure;
  }

  /** Queues one decision (or a call's settlement). Constant time amortised; no I/O. */
  push(entry: PendingDecision | PendingSettlement): void {
    this.#queue.push(entry);
    // A caller that never yields to the event loop (a burst of calls resolved as microtasks)
    // would otherwise keep every decision's objects alive until it does: hand them on in slices.
    if (this.#queue.length >= DRAIN_EVERY) {
      this.#drain();
      return;
    }
    this.#scheduled ??= new Promise<void>((resolve) => {
      setImmediate(() => {
        this.#scheduled = null;
        this.#drain();
        resolve();
      });
    });
  }

  /** Queues one decision and resolves once the audit log has made it durable (rejects when it could not). */
  pushDurable(entry: PendingDecision): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      entry.durable = { resolve, reject };
      this.push(entry);
    });
  }

  /** Reports the outcome of an action (a tool's run, a model's answer) to the monitor. */
  report(event: OutcomeEvent): void {
    const monitor = this.#ctx.monitor;
    if (monitor === undefined) return;
    try {
      (monitor.record as unknown as (e: OutcomeEvent) => unknown).call(monitor, event);
    } catch (err) {
      this.#ctx.onError(err);
    }
  }

  /** The outcome event of a step. */
  outcome(phase: "tool_call" | "model_call", session: string | null, tool: string | undefined, step: StepOutcome, output?: string): OutcomeEvent {
    const c = this.#ctx;
    // Fields set one by one, in the order they always had: a spread of a conditional object
    // literal per optional field made each event several objects.
    const e: Mutable<OutcomeEvent> = { kind: "outcome", time: Date.now(), agent: c.agentId } as Mutable<OutcomeEvent>;
    if (c.agentVersion !== undefined) e.agentVersion = c.agentVersion;
    e.env = c.env;
    if (session !== null) e.session = session;
    e.phase = phase;
    if (tool !== undefined) e.tool = tool;
    if (step.model !== undefined) e.model = step.model;
    if (step.provider !== undefined) e.provider = step.provider;
    if (step.durationMs !== undefined) e.durationMs = step.durationMs;
    if (step.error !== undefined) e.error = step.error;
    if (step.tokens !== undefined) e.tokens = step.tokens;
    if (step.outputSize !== undefined) e.outputSize = step.outputSize;
    if (output !== undefined) e.output = output;
    return e;
  }

  /** Records everything queued, then waits for the audit log to make it durable. */
  async flush(): Promise<void> {
    while (this.#scheduled) await this.#scheduled;
    this.#drain();
    if (this.#ctx.audit?.flush) await this.#ctx.audit.flush();
    while (this.#inflight > 0) await (this.#idle ??= Promise.withResolvers<void>()).promise;
  }

  #failed(err: unknown): void {
    this.failures++;
    // The guard's own copy of what failed, taken before `onError` is handed the error: what the
    // application does with that error changes nothing the guard records about the failure.
    this.#failure = new Error(messageOf(err));
    this.#ctx.onError(err);
  }

  #drain(): void {
    const batch = this.#queue;
    this.#queue = [];
    const { audit, monitor } = this.#ctx;
    for (const p of batch) {
      if (p.settles === true) {
        if (audit !== undefined) this.#track(this.#appendSettlement(audit, p), undefined);
        continue;
      }
      if (audit !== undefined) {
        let appended: Promise<unknown>;
        try {
          const doc = audit.appendDocument !== undefined ? this.#document(p) : undefined;
          appended = doc !== undefined ? audit.appendDocument!(doc) : audit.append(this.#auditRecord(p));
        } catch (err) {
          appended = Promise.reject(err);
        }
        this.#track(appended, p.durable);
      } else p.durable?.resolve();
      if (monitor !== undefined) {
        try {
          monitor.record(this.#event(p));
        } catch (err) {
          this.#ctx.onError(err);
        }
        // The step this decision followed (a tool's result, a model's answer): its outcome.
        if (p.step !== undefined) {
          const output = p.phase === "output" ? (p.input.output as { text?: unknown } | undefined)?.text : undefined;
          this.report(this.outcome(p.phase === "output" ? "model_call" : "tool_call", p.session, p.tool, p.step, typeof output === "string" ? output : undefined));
        }
      }
    }
  }

  // One handler pair for every append that nobody awaits: a closure per entry would keep its
  // decision (and the whole input it was decided on) alive until the log commits it, which the
  // garbage collector then pays for on this thread.
  readonly #appended = (): void => {
    this.#settled();
    this.#acknowledged = true;
    this.#failure = null;
  };

  readonly #refused = (err: unknown): void => {
    this.#settled();
    this.#acknowledged = true;
    this.#failed(err);
  };

  #arm(): void {
    this.#acknowledged = false;
    this.#watch = setTimeout(this.#stalled, this.#timeoutMs);
    // The watch never keeps a process alive on its own.
    this.#watch.unref();
  }

  readonly #stalled = (): void => {
    this.#watch = undefined;
    if (this.#inflight === 0) return;
    if (!this.#acknowledged) this.#failed(new Error(`the audit log acknowledged no append for ${this.#timeoutMs} ms (${this.#inflight} waiting)`));
    this.#arm();
  };

  #settled(): void {
    if (--this.#inflight === 0 && this.#idle !== null) {
      this.#idle.resolve();
      this.#idle = null;
    }
  }

  #track(appended: Promise<unknown>, durable: PendingDecision["durable"]): void {
    this.#inflight++;
    if (this.#watch === undefined) this.#arm();
    if (durable === undefined) {
      appended.then(this.#appended, this.#refused);
      return;
    }
    appended.then(
      () => {
        this.#appended();
        durable.resolve();
      },
      (err: unknown) => {
        this.#refused(err);
        durable.reject(this.#failure);
      },
    );
  }

  #appendSettlement(audit: AuditSink, p: PendingSettlement): Promise<unknown> {
    const record = settlementRecord({ ...p, agent: this.#ctx.agentId, env: this.#ctx.env }, { mode: this.#ctx.mode });
    try {
      return audit.append(record);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #recordedInput(p: PendingDecision, input: Readonly<Record<string, unknown>>): Record<string, unknown> {
    // `session` keeps its place among the keys (canonical order, see scope.ts), and so do its own.
    // `calls_from` only when the id was used before: the calls this decision read are calls
    // `calls_from` .. `calls_from + calls_before - 1` of its session id (spec/sdk.md, "Recording").
    return { ...input, session: p.callsFrom > 0 ? { calls_before: p.callsBefore, calls_from: p.callsFrom, id: p.session } : { calls_before: p.callsBefore, id: p.session } };
  }

  /**
   * The record as canonical text around its input (keys in RFC 8785 order), for the log to
   * canonicalise and digest the input off this thread. Undefined when the record cannot take that
   * path: inputs are not kept, or a small field holds an escaped surrogate the log would refuse.
   */
  #document(p: PendingDecision): DocumentEntry | undefined {
    if (this.#ctx.recordInputs === false) return undefined;
    // The original input goes with the record only where the log seals it: the record path.
    if (p.original !== undefined && sealsField(this.#ctx.audit?.erasure, ORIGINAL_FIELD)) return undefined;
    const d = p.decision;
    const f = this.#fields;
    if (f === null) return undefined;
    // Written once per guard: the agent, env and mode; the fields written from policy text and
    // answers are checked for escaped surrogates, the ids and names for lone ones. What a
    // session's records repeat (all but the time, when no rule spoke) is written once and shared:
    // an entry waiting for the store then holds little of its own.
    let head: string;
    let checked = "";
    if (p.approval === undefined && d.errors.length === 0) {
      head = p.callSeq !== undefined && p.callSeq >= 0 ? `${f.agent},"call_seq":${p.callSeq}${f.decided[d.decision]}` : f.agent + f.decided[d.decision];
    } else {
      const parts: string[] = [f.agent];
      if (p.approval !== undefined) parts.push(',"approval":', (checked = canonicalJson(p.approval)));
      if (p.callSeq !== undefined && p.callSeq >= 0) parts.push(',"call_seq":', String(p.callSeq));
      parts.push(f.decided[d.decision]);
      if (d.errors.length > 0) {
        const errors = canonicalJson(d.errors.map((e) => ({ message: e.message, rule: e.rule })));
        checked += errors;
        parts.push(',"errors":', errors);
      }
      head = parts.join("");
    }
    let reasons = "[]";
    if (d.reasons.length > 0) checked += reasons = canonicalJson(d.reasons.map(reasonJson));
    let warnings = "";
    if (d.warnings.length > 0) checked += warnings = canonicalJson(d.warnings.map(reasonJson));
    const tail = (d.reasons.length === 0 ? this.#beforeTime(p, d.policy.digest) : this.#tailToTime(p, d.policy.digest, reasons)) + p.iso + (warnings === "" ? this.#afterTime(p.tool) : `${toolText(p.tool)},"warnings":${warnings}}`);
    if (checked.includes("\\ud") || !(p.principal?.isWellFormed() ?? true) || !(p.session?.isWellFormed() ?? true) || !(p.tool?.isWellFormed() ?? true)) return undefined;
    // Canonical here (a walk and JSON.stringify) is cheaper than JSON.stringify here and a parse
    // plus a canonical walk on the store's thread, which bounds recorded throughput. What
    // canonicalJson refuses (not plain JSON) goes as JSON.stringify's text, for the store to judge.
    try {
      return { head, name: "input", json: inputText(p.input, sessionText(p)), tail, maxInline: MAX_RECORDED_INPUT, canonical: true };
    } catch {
      return { head, name: "input", json: JSON.stringify(this.#recordedInput(p, p.input)), tail, maxInline: MAX_RECORDED_INPUT };
    }
  }

  // A tail's text up to the time, for a decision no rule spoke in: one per phase, written again
  // when its session, principal, outcome or policy set changes.
  #beforeTime(p: PendingDecision, digest: string): string {
    const c = this.#tails.get(p.phase);
    if (c !== undefined && c.session === p.session && c.principal === p.principal && c.outcome === p.outcome && c.digest === digest) return c.text;
    const text = this.#tailToTime(p, digest, "[]");
    this.#tails.set(p.phase, { session: p.session, principal: p.principal, outcome: p.outcome, digest, text });
    return text;
  }

  // A tail's text up to the time: the one writer of its fields' order.
  #tailToTime(p: PendingDecision, digest: string, reasons: string): string {
    const outcome = p.outcome === undefined ? "" : `,"outcome":${q(p.outcome)}`;
    return `${this.#fields!.mode}${outcome},"phase":${q(p.phase)},"policy_digest":${q(digest)},"principal":${p.principal === null ? "null" : q(p.principal)},"reasons":${reasons},"session":${p.session === null ? "null" : q(p.session)},"time":"`;
  }

  // A tail's text after the time, for a decision no rule warned in.
  #afterTime(tool: string | undefined): string {
    if (tool !== this.#tool || this.#toolText === "") {
      this.#tool = tool;
      this.#toolText = `${toolText(tool)}}`;
    }
    return this.#toolText;
  }

  #auditRecord(p: PendingDecision): AuditRecord {
    const { decision } = p;
    const keep = this.#ctx.recordInputs !== false;
    const given = canonicalInput(this.#recordedInput(p, p.input));
    const record: Record<string, JsonValue> = {
      time: p.iso,
      agent: this.#ctx.agentId,
      env: this.#ctx.env,
      principal: p.principal,
      session: p.session,
      phase: p.phase as AuditPhase,
      tool: p.tool ?? null,
      decision: decision.decision,
      reasons: decision.reasons.map(reasonJson),
      policy_digest: decision.policy.digest,
      input_digest: given.digest,
      mode: this.#ctx.mode,
    };
    if (p.callSeq !== undefined && p.callSeq >= 0) record.call_seq = p.callSeq;
    if (p.outcome !== undefined) record.outcome = p.outcome;
    if (decision.warnings.length > 0) record.warnings = decision.warnings.map(reasonJson);
    if (decision.errors.length > 0) record.errors = decision.errors.map((e) => ({ rule: e.rule, message: e.message }));
    if (p.approval !== undefined) record.approval = JSON.parse(JSON.stringify(p.approval)) as JsonValue;
    const docs: [string, string][] = [];
    if (keep && given.text.length <= MAX_RECORDED_INPUT) docs.push(["input", given.text]);
    if (keep && p.original !== undefined && sealsField(this.#ctx.audit?.erasure, ORIGINAL_FIELD)) {
      // Kept for replay, never digested: its digest would be no field of the record.
      const original = canonicalJson(this.#recordedInput(p, p.original));
      if (original.length <= MAX_RECORDED_INPUT) docs.push([ORIGINAL_FIELD, original]);
    }
    addWithin(record, docs);
    return record as AuditRecord;
  }

  #event(p: PendingDecision): GuardEvent {
    const c = this.#ctx;
    const labels: Record<string, string> = { mode: c.mode };
    if (p.approval !== undefined) labels.approval = p.approval.approved ? "approved" : (p.approval.cause ?? "refused");
    const reasons = p.decision.reasons;
    const rules: { rule: string; effect: string }[] = [];
    for (let i = 0; i < reasons.length; i++) rules.push({ rule: reasons[i].rule, effect: reasons[i].effect });
    // Fields set one by one, in the order they always had (see `outcome`).
    const e = { time: p.ms, agent: c.agentId } as Mutable<GuardEvent>;
    if (c.agentVersion !== undefined) e.agentVersion = c.agentVersion;
    e.env = c.env;
    if (p.session !== null) e.session = p.session;
    e.phase = p.phase;
    if (p.tool !== undefined) e.tool = p.tool;
    e.decision = p.decision.decision;
    e.rules = rules;
    e.latencyMs = p.latencyMs;
    e.labels = labels;
    if (p.phase === "output") {
      const output = (p.input.output as { text?: unknown } | undefined)?.text;
      if (typeof output === "string") e.output = output;
    }
    e.policyDigest = p.decision.policy.digest;
    return e;
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const q = JSON.stringify;

// Objects every record of a guard or of a session repeats (the agent, a session's principal),
// frozen when registered, with their canonical text once it has been written.
const FIXED = new WeakMap<object, string | null>();

/**
 * Freezes `value` (plain JSON data that only the guard holds) and lets records reuse its canonical
 * text: the agent and a session's principal are in every input the guard records.
 */
export function fixedForRecords<T extends object>(value: T): T {
  freezeDeep(value);
  FIXED.set(value, null);
  return value;
}

function freezeDeep(value: unknown): void {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return;
  for (const k of Object.keys(value)) freezeDeep((value as Record<string, unknown>)[k]);
  Object.freeze(value);
}

/** The canonical text of an object registered with fixedForRecords. */
function fixedText(value: object): string {
  let text = FIXED.get(value);
  if (text === undefined || text === null) FIXED.set(value, (text = jcs(value, "input")));
  return text;
}

// `{"agent":…,"env":…,"principal":…` of the inputs of a session's principal (registered, as its guard's agent is).
const PREFIX = new WeakMap<object, { readonly agent: object; readonly env: string; readonly text: string }>();

/** `"key":` of the fields every input has. */
const KEY_TEXT = new Map(["agent", "env", "principal", "session", "time", "tool", "input", "model", "output", "meta"].map((k) => [k, `${q(k)}:`]));

/** The canonical text of the session object #recordedInput writes: how many calls came before (and from which), and its id. */
function sessionText(p: PendingDecision): string {
  const id = p.session === null ? "null" : q(p.session);
  return p.callsFrom > 0 ? `{"calls_before":${p.callsBefore},"calls_from":${p.callsFrom},"id":${id}}` : `{"calls_before":${p.callsBefore},"id":${id}}`;
}

/**
 * canonicalJson of `input` with `session` replaced by `session` (canonical text already), written
 * field by field so that the fields registered with fixedForRecords are not walked again. Throws
 * what canonicalJson throws, and when a key would need escaping.
 */
function inputText(input: Readonly<Record<string, unknown>>, session: string): string {
  const keys = Object.keys(input);
  if (!Object.hasOwn(input, "session")) keys.push("session");
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1] >= keys[i]) {
      keys.sort();
      break;
    }
  }
  const parts: string[] = ["{"];
  let i = 0;
  let prefix: string | undefined;
  // An input's first fields are its guard's agent and env and its session's principal: written once per principal.
  if (keys.length > 3 && keys[0] === "agent" && keys[1] === "env" && keys[2] === "principal") {
    const { agent, env, principal } = input;
    if (typeof agent === "object" && agent !== null && FIXED.has(agent) && typeof env === "string" && typeof principal === "object" && principal !== null && FIXED.has(principal)) {
      let c = PREFIX.get(principal);
      if (c === undefined || c.agent !== agent || c.env !== env) PREFIX.set(principal, (c = { agent, env, text: `{"agent":${fixedText(agent)},"env":${jcs(env, "input")},"principal":${fixedText(principal)}` }));
      prefix = c.text;
      parts[0] = "";
      i = 3;
    }
  }
  let first = i === 0;
  for (; i < keys.length; i++) {
    const k = keys[i];
    let text: string;
    if (k === "session") text = session;
    else {
      const v = input[k];
      if (v === undefined) continue;
      text = typeof v === "object" && v !== null && FIXED.has(v) ? fixedText(v) : jcs(v, "input");
    }
    let key = KEY_TEXT.get(k);
    if (key === undefined) {
      if (!k.isWellFormed()) throw new Error("a key with a lone surrogate");
      key = `${q(k)}:`;
    }
    if (!first) parts.push(",");
    first = false;
    parts.push(key, text);
  }
  parts.push("}");
  // The shared prefix is not copied into each entry's text: an entry waiting for the store holds only what is its own.
  return prefix === undefined ? parts.join("") : prefix + parts.join("");
}

/** A tail's `","tool":…` after the time's text. */
function toolText(tool: string | undefined): string {
  return `","tool":${tool === undefined ? "null" : q(tool)}`;
}

function messageOf(err: unknown): string {
  try {
    return err instanceof Error ? String(err.message) : String(err);
  } catch {
    return "an error that cannot be read";
  }
}

function reasonJson(r: Decision["reasons"][number]): JsonValue {
  const out: Record<string, JsonValue> = { rule: r.rule, effect: r.effect };
  if (r.message !== undefined) out.message = r.message;
  if (r.severity !== undefined) out.severity = r.severity;
  if (r.controls !== undefined) out.controls = [...r.controls];
  if (r.approver_role !== undefined) out.approver_role = r.approver_role;
  // Compliance reports count a redaction by the matches it replaced (spec/compliance-evidence.md).
  if (r.replacements !== undefined) out.replacements = r.replacements;
  return out;
}
