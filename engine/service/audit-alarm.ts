// The audit log's alarm: raised when the log refuses to sign a checkpoint (the store no longer
// extends what its key signed: rolled back, truncated or forked) or a witness reports a conflict
// (it cosigned a history this log contradicts). Either means the log a verifier will check is not
// the one this node has been appending to, so the node stops reporting ready and says why on
// /readyz, /v1/status, /metrics and its error log. The alarm latches until a restart: what raised
// it is evidence an operator must look at, not a condition that heals itself.
import { StoreError } from "../audit/index.ts";
import type { SignedCheckpoint } from "../audit/index.ts";

/** Why the audit log is alarmed. */
export type AuditAlarmCode = "audit/signing-refused" | "audit/witness-conflict";

/** One alarm as /v1/status reports it. */
export interface AuditAlarmV1 {
  readonly code: AuditAlarmCode;
  readonly message: string;
  /** ISO-8601 instant it was first raised. */
  readonly since: string;
  /** How many signings raised it since. */
  readonly count: number;
}

/** The alarms of one node's audit log, by code. */
export class AuditAlarms {
  readonly #raised = new Map<AuditAlarmCode, { message: string; since: string; count: number }>();
  readonly #report: (err: Error) => void;
  #refused = 0;
  #conflicts = 0;

  constructor(report: (err: Error) => void) {
    this.#report = report;
  }

  /** Signings the log refused so far. */
  get refused(): number {
    return this.#refused;
  }

  /** Witness conflicts reported so far. */
  get conflicts(): number {
    return this.#conflicts;
  }

  /** The alarms raised, oldest first; empty when the log is sound. */
  list(): AuditAlarmV1[] {
    return [...this.#raised].map(([code, a]) => ({ code, ...a }));
  }

  /** Signs through `sign`, raising the alarm on a refusal (rethrown) or on a witness's conflict. */
  async watch(sign: () => Promise<SignedCheckpoint>): Promise<SignedCheckpoint> {
    let cp: SignedCheckpoint;
    try {
      cp = await sign();
    } catch (err) {
      if (err instanceof StoreError && err.code === "audit/signing-refused") {
        this.#refused++;
        this.#raise("audit/signing-refused", `checkpoint signing refused: ${err.message}`);
      }
      throw err;
    }
    for (const w of cp.witnesses ?? []) {
      if (w.conflict !== true) continue;
      this.#conflicts++;
      this.#raise("audit/witness-conflict", `witness ${w.name} (${w.url}) reports a conflict at size ${cp.size}: ${w.error ?? "it holds another history of this log"}`);
    }
    return cp;
  }

  #raise(code: AuditAlarmCode, message: string): void {
    const held = this.#raised.get(code);
    if (held) held.count++;
    else this.#raised.set(code, { message, since: new Date().toISOString(), count: 1 });
    // Every occurrence is logged: a repeat says the condition persists.
    this.#report(new Error(`AUDIT ALARM ${code}: ${message}; this node reports not ready until restarted`));
  }
}
