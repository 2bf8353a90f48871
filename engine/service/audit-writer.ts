// Decisions reach the audit log in batches: a handler pushes a small object and gets a promise
// that resolves once the decision's entry is durable (committed by the store, many decisions to a
// commit). The service answers only then: a 200 is a record. On the next turn of the event loop
// the queue is turned into audit entries and handed to the log, which commits them as one batch.
//
// Encoding is most of the per-decision cost of auditing, and nearly all of it is the input: its
// RFC 8785 text, that text's digest, then the leaf hash over the entry. So the handler's thread
// writes only the record's small fields, as canonical text around the input's JSON, and the log
// canonicalises, digests and hashes where its store runs: the SQLite store's own thread. What
// this cannot vouch for (a lone surrogate in a small field, which the log refuses) takes the
// record path, which encodes and checks as before. A log that seals personal fields seals the
// document's on that thread too. Request bodies are checked before deciding (body.ts), so a refusal here is a store
// failure or a bug, and it reaches the client as audit/unavailable.
import type { AuditLog, AuditRecord, DocumentEntry, JsonValue } from "../audit/index.ts";
import type { Decision, Reason } from "../runtime/index.ts";
import { MAX_RECORDED_INPUT, inputDigest, inputFields, settlementRecord } from "../sdk/record.ts";
import type { SettlementFacts } from "../sdk/record.ts";
import type { ApprovalV1, PhaseV1 } from "./wire.ts";

/** A tool call's settlement, as `POST /v1/settlements` records it (no principal: the key speaks). */
export interface Settlement extends Omit<SettlementFacts, "principal"> {
  /** The key that settled it (the one whose decision made the call). */
  readonly caller: string;
}

/** One decision waiting to be recorded. */
export interface PendingRecord {
  readonly id: string;
  readonly iso: string;
  readonly agent: string;
  readonly env: string;
  readonly phase: PhaseV1;
  readonly session: string | null;
  readonly principal: string | null;
  readonly tool: string | null;
  readonly input: unknown;
  /** JSON.stringify(input), when the caller has it already. */
  readonly inputJson?: string;
  readonly decision: Decision;
  /** The key that asked, recorded so the log says who called. */
  readonly caller: string;
  /** `shadow` when the client applies nothing (recorded as `mode`); absent for enforce. */
  readonly mode?: "shadow";
  /** A tool call's place in its session's history (recorded as `call_seq`, as the SDK does). */
  readonly callSeq?: number;
  /** What became of that call when decided (recorded as `outcome`). */
  readonly outcome?: string;
}

/** The record of a decision, for the log to encode (and seal) itself. */
export function decisionRecord(p: PendingRecord): AuditRecord {
  const d = p.decision;
  const record: Record<string, JsonValue> = {
    time: p.iso,
    agent: p.agent,
    env: p.env,
    principal: p.principal,
    session: p.session,
    phase: p.phase,
    tool: p.tool,
    decision: d.decision,
    reasons: d.reasons.map(reasonJson),
    policy_digest: d.policy.digest,
    ...inputFields(p.input, true),
    decision_id: p.id,
    caller: p.caller,
    ...(p.mode !== undefined ? { mode: p.mode } : {}),
    ...(p.callSeq !== undefined ? { call_seq: p.callSeq } : {}),
    ...(p.outcome !== undefined ? { outcome: p.outcome } : {}),
  };
  if (d.warnings.length > 0) record.warnings = d.warnings.map(reasonJson);
  if (d.errors.length > 0) record.errors = d.errors.map((e) => ({ rule: e.rule, message: e.message }));
  return record as AuditRecord;
}

function reasonJson(r: Reason): JsonValue {
  return {
    rule: r.rule,
    effect: r.effect,
    ...(r.message !== undefined ? { message: r.message } : {}),
    ...(r.severity !== undefined ? { severity: r.severity } : {}),
    ...(r.controls !== undefined ? { controls: [...r.controls] } : {}),
    // Compliance reports count a redaction by the matches it replaced (spec/compliance-evidence.md).
    ...(r.replacements !== undefined ? { replacements: r.replacements } : {}),
  };
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
let lastDigest = "";
const q = JSON.stringify;

// Keys in code-unit order (RFC 8785): controls, effect, message, rule, severity.
function reasonText(r: Reason): string {
  let out = "{";
  if (r.controls !== undefined) {
    out += '"controls":[';
    for (let i = 0; i < r.controls.length; i++) out += (i === 0 ? "" : ",") + q(r.controls[i]);
    out += "],";
  }
  out += `"effect":${q(r.effect)}`;
  if (r.message !== undefined) out += `,"message":${q(r.message)}`;
  if (r.replacements !== undefined) out += `,"replacements":${r.replacements}`;
  out += `,"rule":${q(r.rule)}`;
  if (r.severity !== undefined) out += `,"severity":${q(r.severity)}`;
  return `${out}}`;
}

function reasonsText(list: readonly Reason[]): string {
  let out = "[";
  for (let i = 0; i < list.length; i++) out += (i === 0 ? "" : ",") + reasonText(list[i]);
  return `${out}]`;
}

function orNull(s: string | null): string {
  return s === null ? "null" : q(s);
}

/**
 * A decision's entry as canonical text around its input (see DocumentEntry): what encodeEntry
 * gives for the record decisionRecord builds, once the log has canonicalised and digested the
 * input. Undefined when this cannot be vouched for (see the top of the file).
 */
export function decisionDocument(p: PendingRecord): DocumentEntry | undefined {
  const d = p.decision;
  if (d.policy.digest !== lastDigest) {
    if (!DIGEST.test(d.policy.digest)) return undefined;
    // The policy set changes rarely: its digest is checked once, not once per decision.
    lastDigest = d.policy.digest;
  }
  // Keys in code-unit order (RFC 8785).
  let head = `{"agent":${q(p.agent)}${p.callSeq !== undefined ? `,"call_seq":${p.callSeq}` : ""},"caller":${q(p.caller)},"decision":${q(d.decision)},"decision_id":${q(p.id)},"env":${q(p.env)}`;
  if (d.errors.length > 0) {
    head += ',"errors":[';
    for (let i = 0; i < d.errors.length; i++) head += `${i === 0 ? "" : ","}{"message":${q(d.errors[i].message)},"rule":${q(d.errors[i].rule)}}`;
    head += "]";
  }
  let tail = `${p.mode !== undefined ? `,"mode":${q(p.mode)}` : ""}${p.outcome !== undefined ? `,"outcome":${q(p.outcome)}` : ""},"phase":${q(p.phase)},"policy_digest":${q(d.policy.digest)},"principal":${orNull(p.principal)},"reasons":${reasonsText(d.reasons)},"session":${orNull(p.session)},"time":${q(p.iso)},"tool":${orNull(p.tool)}`;
  if (d.warnings.length > 0) tail += `,"warnings":${reasonsText(d.warnings)}`;
  tail += "}";
  // JSON.stringify writes a lone surrogate as a \udXXX escape and never escapes a paired one; the
  // log refuses lone surrogates, so any such escape (or a literal "\ud") takes the checked path.
  // The input's own are refused where it is canonicalised, as the checked path would.
  if (head.includes("\\ud") || tail.includes("\\ud")) return undefined;
  return { head, name: "input", json: p.inputJson ?? JSON.stringify(p.input) ?? "null", tail, maxInline: MAX_RECORDED_INPUT };
}

interface Queued {
  readonly p: PendingRecord;
  readonly resolve: (index: number) => void;
  readonly reject: (err: unknown) => void;
  /** Settled already (committed, refused, or past the deadline). */
  done: boolean;
}

/** Decisions handed to the log together: settled one by one, released as a whole. */
interface Batch {
  readonly items: readonly Queued[];
  /** Items not settled yet. */
  open: number;
  timer: NodeJS.Timeout | undefined;
  /** Holds one of the IN_FLIGHT places. */
  held: boolean;
}

/**
 * Batches with the store at once; more decisions wait and then go together (group commit). Two,
 * not one: with one, the event loop encoding the next batch and the store's thread committing
 * the last never overlapped (quiet serve bench, one run each: 7,064 against 5,552 decisions/s,
 * batched 14,105 against 10,364).
 */
const IN_FLIGHT = 2;

/**
 * Decisions that go to a pipelining store as soon as they are queued, while a place is free,
 * rather than at the end of the event loop's turn. Under load a turn decides every request that
 * arrived together (64 connections: about 3 ms of work); handed over only at its end, the batch
 * left the store's thread idle while they were decided and then the event loop idle while it was
 * committed, in lockstep, each thread busy about half the time. The first HANDOVER are committed
 * while the rest are decided, and their answers leave sooner.
 */
const HANDOVER = 16;

/** A record the store did not commit within the writer's deadline. */
export class AuditTimeoutError extends Error {
  override readonly name = "AuditTimeoutError";
}

/** Queues records for an AuditLog and drains them a turn later. */
export class AuditWriter {
  readonly log: AuditLog;
  #queue: Queued[] = [];
  #scheduled = false;
  readonly #failed = (err: unknown): void => {
    this.#failures++;
    this.#onError(err);
  };
  #failures = 0;
  #written = 0;
  /** Batches handed to the log and not yet settled. */
  #inflight = 0;
  readonly #onError: (err: unknown) => void;
  readonly #timeoutMs: number;
  /** The log's store applies appends in call order, so a batch handed over early commits early. */
  readonly #pipelined: boolean;

  /**
   * `timeoutMs`: how long a decision waits for its entry to be committed before its promise
   * rejects with AuditTimeoutError (default 10 s; 0: no deadline). The entry may still land
   * later: the log can then hold a decision whose client was refused, never the reverse.
   */
  constructor(log: AuditLog, onError: (err: unknown) => void = () => {}, timeoutMs = 10_000) {
    this.log = log;
    this.#onError = onError;
    this.#timeoutMs = timeoutMs;
    this.#pipelined = log.store.ordered;
  }

  /** Appends failed so far. */
  get failures(): number {
    return this.#failures;
  }

  /** Records handed to the log so far. */
  get written(): number {
    return this.#written;
  }

  /** Records not yet handed to the log. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Queues one decision; constant time, no I/O. The promise resolves with the entry's index once
   * it is durable and rejects when it could not be recorded (the failure is counted and reported
   * too). The input must not be mutated afterwards.
   */
  push(p: PendingRecord): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.#queue.push({ p, resolve, reject, done: false });
      this.#schedule();
    });
  }

  /**
   * Records an approval's outcome as its own entry, beside the decision that asked for it;
   * resolves once durable. `call`: the call it settles in its session's history (`call_seq`,
   * `outcome`), so that replay rebuilds the history the service decided on.
   */
  pushApproval(a: ApprovalV1, caller: string, call?: { readonly callSeq: number; readonly outcome: string }): Promise<number> {
    const record: AuditRecord = {
      time: a.decidedAt ?? new Date().toISOString(),
      agent: a.agent,
      env: a.env,
      principal: a.decidedBy ?? null,
      session: a.session,
      phase: a.phase,
      tool: a.tool,
      decision: "require_approval",
      reasons: a.reasons.map(reasonJson) as unknown as AuditRecord["reasons"],
      policy_digest: a.policy,
      input_digest: inputDigest(a.payload),
      approval: { id: a.id, decision_id: a.decisionId, status: a.status, outcome: a.outcome, ...(a.note !== undefined ? { note: a.note } : {}), ...(a.via !== undefined ? { via: a.via } : {}) },
      caller,
      ...(call !== undefined ? { call_seq: call.callSeq, outcome: call.outcome } : {}),
    };
    this.#written++;
    const appended = this.log.append(record);
    appended.catch(this.#failed);
    return appended;
  }

  /**
   * Records a tool call's settlement (it ran and failed, or the framework stopped it) as an entry
   * of its own after the call's decision, as the SDK's guard writes it: `settles: true`,
   * `call_seq`, `outcome`, `error: { type }` (never the message, which may hold personal data).
   * Replay reads no decision in it. Resolves once durable.
   */
  pushSettlement(s: Settlement): Promise<number> {
    const record = settlementRecord({ ...s, principal: null }, { caller: s.caller });
    this.#written++;
    const appended = this.log.append(record);
    appended.catch(this.#failed);
    return appended;
  }

  // Group commit: while IN_FLIGHT batches are with the store, new decisions wait for one of
  // them to settle and then go as one batch. Handing over a batch every turn of the event loop
  // made half the batches under load (15 decisions on average against 31), each paying a
  // message to the store's thread, waking it, and a commit with its fsync there. The waiting
  // adds at most one commit to a decision's latency. HANDOVER decisions waiting for a place go
  // at once, whether the place was free or has just been freed.
  #schedule(): void {
    if (this.#inflight >= IN_FLIGHT || this.#queue.length === 0) return;
    if (this.#pipelined && this.#queue.length >= HANDOVER) {
      this.#drain();
      this.log.hurry();
      return;
    }
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#drainNow);
  }

  readonly #drainNow = (): void => {
    this.#scheduled = false;
    // Batches handed over early since this was scheduled may have taken the places.
    if (this.#inflight < IN_FLIGHT) this.#drain();
  };

  #release(b: Batch): void {
    if (!b.held) return;
    b.held = false;
    clearTimeout(b.timer);
    this.#inflight--;
    this.#schedule();
  }

  #committed(q: Queued, b: Batch, index: number): void {
    if (!q.done) {
      q.done = true;
      q.resolve(index);
    }
    if (--b.open === 0) this.#release(b);
  }

  #refused(q: Queued, b: Batch, err: unknown): void {
    // Past the deadline it was rejected, and counted, already.
    if (!q.done) {
      q.done = true;
      this.#failed(err);
      q.reject(err);
    }
    if (--b.open === 0) this.#release(b);
  }

  // One timer per batch rather than per decision. The batch holds its place until it settles or
  // its deadline passes: a store that never answers must not keep later decisions from being
  // handed over (and timing out in their turn).
  readonly #expire = (b: Batch): void => {
    const late = new AuditTimeoutError(`the audit store did not commit within ${this.#timeoutMs} ms`);
    let n = 0;
    for (const q of b.items) {
      if (q.done) continue;
      q.done = true;
      n++;
      q.reject(late);
    }
    this.#failures += n;
    this.#onError(late);
    this.#release(b);
  };

  #drain(): void {
    const items = this.#queue;
    if (items.length === 0) return;
    this.#queue = [];
    const b: Batch = { items, open: items.length, timer: undefined, held: true };
    this.#inflight++;
    for (const q of items) {
      let appended: Promise<number>;
      try {
        const doc = decisionDocument(q.p);
        appended = doc !== undefined ? this.log.appendDocument(doc) : this.log.append(decisionRecord(q.p));
      } catch (err) {
        this.#refused(q, b, err);
        continue;
      }
      this.#written++;
      appended.then(
        (index) => this.#committed(q, b, index),
        (err: unknown) => this.#refused(q, b, err),
      );
    }
    if (b.held && this.#timeoutMs > 0) b.timer = setTimeout(this.#expire, this.#timeoutMs, b);
  }

  /** Hands everything queued to the log and waits until it is durable. */
  async flush(): Promise<void> {
    this.#drain();
    await this.log.flush();
  }
}
