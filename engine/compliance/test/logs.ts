// Small audit logs written record by record for the compliance tests: a decision record with
// sensible defaults, and a log on a temporary SQLite file with its signing key beside it
// (`<db>.key`) and a signed checkpoint.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLog, digest, generateKey } from "../../audit/index.ts";
import type { AuditRecord, JsonValue } from "../../audit/index.ts";
import { appendGovernanceRecord } from "../../environments/log-io.ts";
import type { GovernanceRecord } from "../../environments/records.ts";
import type { Report } from "../report.ts";
import { palisade } from "./support.ts";

/** A digest standing for policy version `n`. */
export const policy = (n: number): string => digest({ policy: n });

/** A decision record: `over` replaces any default field. */
export function decision(time: string, over: Record<string, JsonValue> = {}): AuditRecord {
  return {
    time,
    agent: "clinic-assistant",
    env: "production",
    principal: "dr-ng",
    session: null,
    phase: "tool_call",
    tool: "read_record",
    decision: "allow",
    reasons: [],
    policy_digest: policy(1),
    input_digest: digest({ time }),
    mode: "enforce",
    ...over,
  } as AuditRecord;
}

/**
 * The record of a change to what serves, shaped as engine/environments/records.ts writes it
 * (`phase` "promotion", details under `event` whose `type` names the shape); `writeLog` appends
 * it through the store, as the environments do.
 */
export function changeEvent(time: string, policyDigest: string, event: Record<string, JsonValue>): AuditRecord {
  const type = event.type as string;
  return {
    time,
    agent: "palisade",
    env: (event.to as string | undefined) ?? "production",
    principal: Array.isArray(event.who) ? ((event.who[0] as string | undefined) ?? null) : null,
    session: null,
    phase: (type === "palisade.rollback/1" ? "rollback" : "promotion") as "input",
    tool: null,
    decision: event.outcome === "blocked" ? "deny" : "allow",
    reasons: [],
    policy_digest: policyDigest,
    input_digest: digest(event),
    event: { bundle_digest: digest({ bundle: policyDigest }), version: null, gates: [], who: [], ...event, type },
  } as AuditRecord;
}

const DECISION_PHASES = new Set(["input", "model_call", "tool_call", "tool_result", "output"]);

/**
 * A log in a fresh folder holding `records` in order, its key beside it, and a signed checkpoint.
 * Records of other phases (the environments' promotions and drift alerts) go through the store
 * the way engine/environments appends them.
 */
export async function writeLog(records: readonly AuditRecord[], name = "audit.db", options: { readonly sealed?: boolean } = {}): Promise<{ dir: string; db: string; verifierKey: string }> {
  const dir = mkdtempSync(join(tmpdir(), "palisade-compliance-case-"));
  const db = join(dir, name);
  const key = generateKey("clinic.example/audit");
  writeFileSync(`${db}.key`, `${key.signerKey}\n`, { mode: 0o600 });
  for (let i = 0; i < records.length; ) {
    if (!DECISION_PHASES.has(records[i].phase)) {
      await appendGovernanceRecord(db, records[i++] as unknown as GovernanceRecord);
      continue;
    }
    // Most cases read principals and approvers from the entries as written: a log that seals
    // nothing; `sealed` writes them as a log does by default, principals sealed.
    const log = await AuditLog.open(db, options.sealed === true ? {} : { erasure: false });
    const appends: Promise<number>[] = [];
    for (; i < records.length && DECISION_PHASES.has(records[i].phase); i++) appends.push(log.append(records[i]));
    await Promise.all(appends);
    await log.close();
  }
  const log = await AuditLog.open(db, { signingKey: key.signerKey });
  await log.checkpoint();
  await log.close();
  return { dir, db, verifierKey: key.verifierKey };
}

/** Builds a JSON report of `framework` over November 2026 from `db` through the command. */
export async function reportOf(db: string, framework: string, extra: readonly string[] = []): Promise<Report> {
  const r = await palisade(["report", "--framework", framework, "--from", "2026-11-01", "--to", "2026-12-01", "--format", "json", "--db", db, ...extra]);
  if (r.code !== 0) throw new Error(`palisade report failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Report;
}
