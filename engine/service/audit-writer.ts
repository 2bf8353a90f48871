// Decisions reach the audit log off the hot path: a handler only pushes a small object; on the
// next turn of the event loop the queue is turned into audit records (input digest, canonical
// JSON) and handed to the log, which commits them in batches. Failures are counted, never sent
// to the client whose decision was already answered.
import type { AuditLog, AuditRecord, JsonValue } from "../audit/index.ts";
import type { Decision, Reason } from "../runtime/index.ts";
import { inputDigest, inputFields } from "../sdk/record.ts";
import type { ApprovalV1, PhaseV1 } from "./wire.ts";

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
  readonly decision: Decision;
  /** The key that asked, recorded so the log says who called. */
  readonly caller: string;
}

function reasonJson(r: Reason): JsonValue {
  return { rule: r.rule, effect: r.effect, ...(r.message !== undefined ? { message: r.message } : {}), ...(r.severity !== undefined ? { severity: r.severity } : {}), ...(r.controls !== undefined ? { controls: [...r.controls] } : {}) };
}

/** Queues records for an AuditLog and drains them a turn later. */
export class AuditWriter {
  readonly log: AuditLog;
  #queue: PendingRecord[] = [];
  #scheduled = false;
  #failures = 0;
  #written = 0;
  readonly #onError: (err: unknown) => void;

  constructor(log: AuditLog, onError: (err: unknown) => void = () => {}) {
    this.log = log;
    this.#onError = onError;
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

  /** Queues one decision; constant time, no I/O. The input must not be mutated afterwards. */
  push(p: PendingRecord): void {
    this.#queue.push(p);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#drain());
    }
  }

  /** Records an approval's outcome as its own entry, beside the decision that asked for it. */
  pushApproval(a: ApprovalV1, caller: string): void {
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
      approval: { id: a.id, decision_id: a.decisionId, status: a.status, outcome: a.outcome, ...(a.note !== undefined ? { note: a.note } : {}) },
      caller,
    };
    this.#append(record);
  }

  #append(record: AuditRecord): void {
    this.#written++;
    this.log.append(record).catch((err: unknown) => {
      this.#failures++;
      this.#onError(err);
    });
  }

  #drain(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    for (const p of batch) {
      try {
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
        };
        if (d.warnings.length > 0) record.warnings = d.warnings.map(reasonJson);
        if (d.errors.length > 0) record.errors = d.errors.map((e) => ({ rule: e.rule, message: e.message }));
        this.#append(record as AuditRecord);
      } catch (err) {
        this.#failures++;
        this.#onError(err);
      }
    }
  }

  /** Hands everything queued to the log and waits until it is durable. */
  async flush(): Promise<void> {
    this.#drain();
    await this.log.flush();
  }
}
