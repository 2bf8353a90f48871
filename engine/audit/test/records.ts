// Decision records for the log's tests: valid AuditRecords with a counter and optional extras.
import type { AuditRecord } from "../entry.ts";
import type { JsonValue } from "../entry.ts";

const D = `sha256:${"ab".repeat(32)}`;

/** Decision record number `i`, with `extra` application fields merged in. */
export function decisionRecord(i: number, extra: Record<string, JsonValue> = {}): AuditRecord {
  return {
    time: `2026-02-01T10:00:${String(i % 60).padStart(2, "0")}.000Z`,
    agent: "billing-bot",
    env: "production",
    principal: `user-${i % 7}`,
    session: `s-${Math.floor(i / 10)}`,
    phase: "tool_call",
    tool: "refund",
    decision: i % 3 === 0 ? "deny" : "allow",
    reasons: [{ rule: "billing.refund_limit", effect: i % 3 === 0 ? "deny" : "allow" }],
    policy_digest: D,
    input_digest: D,
    n: i,
    ...extra,
  };
}
