// Getting decisions to the audit log and the monitor off the hot path. A guarded call only
// pushes a small object onto a queue; on the next turn of the event loop the queue is drained:
// each entry's input is canonicalised and digested, turned into an AuditRecord (appended without
// waiting) and a telemetry event. Failures reach `onError`, never the agent.
import { createHash } from "node:crypto";
import type { Decision } from "../runtime/index.ts";
import type { AuditPhase, AuditRecord, JsonValue } from "../audit/index.ts";
import type { ApprovalOutcome } from "./approval.ts";
import { canonicalJson } from "./canonical.ts";
import type { CanonicalCache } from "./canonical.ts";

/** The audit log as the guard uses it (`AuditLog` satisfies it). */
export interface AuditSink {
  /** Queues a record; the promise settles when it is durable or has failed. */
  append(record: AuditRecord): Promise<unknown>;
  /** Resolves when everything appended so far has been written. */
  flush?(): Promise<void>;
}

/**
 * The telemetry event the guard sends, one per decision. Its fields are those of the monitor's
 * `DecisionEvent` (engine/monitor/event.ts), so a `Monitor` can be passed as is.
 */
export interface GuardEvent {
  /** Milliseconds since the epoch. */
  readonly time: number;
  readonly agent: string;
  readonly agentVersion?: string;
  readonly env: string;
  readonly phase: string;
  readonly tool?: string;
  readonly decision: Decision["decision"];
  /** The rules that decided or shaped the outcome, with their effect. */
  readonly rules: readonly { readonly rule: string; readonly effect: string }[];
  /** Time the policy evaluation took, in milliseconds. */
  readonly latencyMs: number;
  /** `mode` (enforce or shadow) and, when an approver was asked, `approval` (approved or refused). */
  readonly labels: Readonly<Record<string, string>>;
  /** The output text on the `output` phase, for the monitor's evaluators (never stored). */
  readonly output?: string;
  readonly policyDigest: string;
}

/** Where telemetry events go (`Monitor` satisfies it). */
export interface MonitorSink {
  record(event: GuardEvent): unknown;
}

/** One decision waiting to be recorded. */
export interface PendingDecision {
  readonly phase: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly decision: Decision;
  readonly ms: number;
  readonly iso: string;
  readonly latencyMs: number;
  readonly session: string | null;
  readonly principal: string | null;
  readonly tool: string | undefined;
  readonly approval: ApprovalOutcome | undefined;
}

/** Who the guard is recording for. */
export interface RecorderContext {
  readonly agentId: string;
  readonly agentVersion: string | undefined;
  readonly env: string;
  readonly mode: "enforce" | "shadow";
  readonly audit: AuditSink | undefined;
  readonly monitor: MonitorSink | undefined;
  readonly onError: (err: unknown) => void;
  /** Whether records keep the input itself (default true), which replay before a promotion needs. */
  readonly recordInputs?: boolean;
}

/**
 * Inputs larger than this (canonical characters) are recorded by digest only: an audit entry
 * holds at most 64 KiB (the tlog-tiles limit), and the rest of the record needs room too.
 */
export const MAX_RECORDED_INPUT = 48 * 1024;

/**
 * The input fields of an audit record: `input_digest` always, and `input` itself (as the JSON
 * its digest was taken over) when `keep` and it fits, so that `palisade replay` can decide it
 * again through a candidate bundle. Personal fields in it are sealed like any others by the
 * log's erasure configuration.
 */
export function inputFields(input: unknown, keep: boolean, cache?: CanonicalCache): { input_digest: string; input?: JsonValue } {
  const text = canonicalJson(input, cache);
  const input_digest = `sha256:${createHash("sha256").update(text).digest("hex")}`;
  return keep && text.length <= MAX_RECORDED_INPUT ? { input_digest, input: JSON.parse(text) as JsonValue } : { input_digest };
}

/** `sha256:<hex>` of the RFC 8785 canonical form of `input` (session calls' texts reused through `cache`). */
export function inputDigest(input: unknown, cache?: CanonicalCache): string {
  return `sha256:${createHash("sha256").update(canonicalJson(input, cache)).digest("hex")}`;
}

/** Queues decisions and records them on the next turn of the event loop. */
export class Recorder {
  readonly #ctx: RecorderContext;
  #queue: PendingDecision[] = [];
  readonly #canonical: CanonicalCache = new WeakMap();
  #scheduled: Promise<void> | null = null;

  constructor(ctx: RecorderContext) {
    this.#ctx = ctx;
  }

  /** Whether anything records at all (no audit and no monitor: nothing is queued). */
  get active(): boolean {
    return this.#ctx.audit !== undefined || this.#ctx.monitor !== undefined;
  }

  /** Queues one decision. Constant time; no I/O. The input must not be mutated afterwards. */
  push(entry: PendingDecision): void {
    this.#queue.push(entry);
    this.#scheduled ??= new Promise<void>((resolve) => {
      setImmediate(() => {
        this.#scheduled = null;
        this.#drain();
        resolve();
      });
    });
  }

  /** Records everything queued, then waits for the audit log to make it durable. */
  async flush(): Promise<void> {
    while (this.#scheduled) await this.#scheduled;
    this.#drain();
    if (this.#ctx.audit?.flush) await this.#ctx.audit.flush();
  }

  #drain(): void {
    const batch = this.#queue;
    this.#queue = [];
    const { audit, monitor, onError } = this.#ctx;
    for (const p of batch) {
      if (audit !== undefined) {
        try {
          audit.append(this.#auditRecord(p)).catch(onError);
        } catch (err) {
          onError(err);
        }
      }
      if (monitor !== undefined) {
        try {
          monitor.record(this.#event(p));
        } catch (err) {
          onError(err);
        }
      }
    }
  }

  #auditRecord(p: PendingDecision): AuditRecord {
    const { decision } = p;
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
      ...inputFields(p.input, this.#ctx.recordInputs !== false, this.#canonical),
      mode: this.#ctx.mode,
    };
    if (decision.warnings.length > 0) record.warnings = decision.warnings.map(reasonJson);
    if (decision.errors.length > 0) record.errors = decision.errors.map((e) => ({ rule: e.rule, message: e.message }));
    if (p.approval !== undefined) record.approval = JSON.parse(JSON.stringify(p.approval)) as JsonValue;
    return record as AuditRecord;
  }

  #event(p: PendingDecision): GuardEvent {
    const labels: Record<string, string> = { mode: this.#ctx.mode };
    if (p.approval !== undefined) labels.approval = p.approval.approved ? "approved" : (p.approval.cause ?? "refused");
    const output = p.phase === "output" ? (p.input.output as { text?: unknown } | undefined)?.text : undefined;
    return {
      time: p.ms,
      agent: this.#ctx.agentId,
      ...(this.#ctx.agentVersion !== undefined ? { agentVersion: this.#ctx.agentVersion } : {}),
      env: this.#ctx.env,
      phase: p.phase,
      ...(p.tool !== undefined ? { tool: p.tool } : {}),
      decision: p.decision.decision,
      rules: p.decision.reasons.map((r) => ({ rule: r.rule, effect: r.effect })),
      latencyMs: p.latencyMs,
      labels,
      ...(typeof output === "string" ? { output } : {}),
      policyDigest: p.decision.policy.digest,
    };
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
