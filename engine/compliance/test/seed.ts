// A seeded run of a sample agent for the compliance tests: the inputs of the packs' own test
// blocks are decided by a policy set of five packs (so every rule gets to fire), a few hundred
// times over three days, and recorded in an audit log on a temporary SQLite file the way the SDK
// records them — with approvals (who approved, some refused), a build into staging and a
// promotion to production that changes the policy version, a drift alert and its handling, and a
// pack test run. A checkpoint is signed.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLog, digest, generateKey } from "../../audit/index.ts";
import type { AuditRecord, JsonValue } from "../../audit/index.ts";
import { loadPolicySet, runTests } from "../../runtime/index.ts";
import type { PolicySet, PolicySource } from "../../runtime/index.ts";
import { REPO_ROOT } from "../catalogue.ts";
import { driftAlertRecord, driftHandlingRecord, packTestRunRecord, promotionRecord } from "../evidence.ts";

/** The five main frameworks, as `--framework` names them. */
export const MAIN_FRAMEWORKS = ["soc2", "hipaa", "gdpr", "pci-dss", "sox"] as const;

/** Reads a pack's sources. */
export function packSources(pack: string): PolicySource[] {
  const dir = join(REPO_ROOT, "stdlib-policies", pack);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".policy"))
    .sort()
    .map((f) => ({ path: join("stdlib-policies", pack, f), text: readFileSync(join(dir, f), "utf8") }));
}

function load(packs: readonly string[]): PolicySet {
  const { policySet, diagnostics } = loadPolicySet(packs.flatMap(packSources));
  if (!policySet) throw new Error(`the packs do not load: ${diagnostics.map((d) => d.message).join("; ")}`);
  return policySet;
}

/** A seeded log and what the tests need to know about it. */
export interface SeededLog {
  readonly dir: string;
  readonly db: string;
  readonly keyFile: string;
  readonly verifierKey: string;
  /** The period covering every seeded record (end exclusive). */
  readonly from: string;
  readonly to: string;
  readonly decisions: number;
  readonly policyDigests: readonly string[];
}

const plain = (v: unknown): JsonValue => JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? Number(x) : x instanceof RegExp ? String(x) : x))) as JsonValue;
const idOf = (v: unknown, key: string): string | null => (typeof v === "string" ? v : typeof v === "object" && v !== null && typeof (v as Record<string, unknown>)[key] === "string" ? ((v as Record<string, unknown>)[key] as string) : null);

/** Seeds an audit log in a fresh temporary folder; `rounds` passes over the test inputs. */
export async function seedLog(rounds = 3): Promise<SeededLog> {
  const dir = mkdtempSync(join(tmpdir(), "palisade-compliance-"));
  const db = join(dir, "audit.db");
  const keyFile = `${db}.key`;
  const key = generateKey("compliance.test/audit");
  writeFileSync(keyFile, `${key.signerKey}\n`, { mode: 0o600 });
  const log = await AuditLog.open(db, { signingKey: key.signerKey });

  // Version 1 runs without the SOX pack; the promotion on day 2 brings in version 2 with it.
  const v1 = load(["soc2", "hipaa", "gdpr", "pci-dss"]);
  const v2 = load(["soc2", "hipaa", "gdpr", "pci-dss", "sox"]);
  const start = Date.parse("2026-11-02T08:00:00Z");
  const at = (ms: number) => new Date(ms).toISOString();
  const appends: Promise<number>[] = [];
  const append = (r: AuditRecord) => appends.push(log.append(r));
  let decisions = 0;
  let clock = start;
  const promotionAt = start + 26 * 3_600_000;
  // Version 1 enters the pipeline by a build into staging, the first environment.
  append({
    time: at(start),
    agent: "palisade",
    env: "staging",
    principal: "carol@acme.example",
    session: null,
    phase: "input",
    tool: null,
    decision: "allow",
    reasons: [],
    policy_digest: v1.digest,
    input_digest: digest({ bundle: "v1" }),
    event: { type: "palisade.build/1", to: "staging", bundle_digest: digest({ bundle: "v1" }), version: "2026.11.1", pipeline_entry: true },
  });

  let promoted = false;
  const promote = () => {
    promoted = true;
    const ctx = (ms: number, principal: string | null = null) => ({ time: at(ms), agent: "palisade-ops", env: "production", principal });
    const tested = runTests(load(["sox"]));
    append(
      packTestRunRecord(
        { pack: "stdlib-policies/sox", policy_digest: load(["sox"]).digest, passed: tested.filter((r) => r.passed).length, failed: tested.filter((r) => !r.passed).length, failures: tested.filter((r) => !r.passed).map((r) => r.name) },
        ctx(promotionAt - 3_600_000),
      ),
    );
    append(
      promotionRecord(
        {
          from: "staging",
          to: "production",
          action: "promotion",
          bundle_digest: digest({ bundle: "v2" }),
          policy_digest: v2.digest,
          version: "2026.11.2",
          approvers: [{ id: "carol@acme.example", role: "change_manager" }],
          gates: [
            { name: "tests", passed: true },
            { name: "no-open-drift-alert", passed: true },
          ],
        },
        ctx(promotionAt, "carol@acme.example"),
      ),
    );
  };
  for (let round = 0; round < rounds; round++) {
    for (const t of v2.program.tests) {
      clock += 10 * 60_000;
      if (clock >= promotionAt && !promoted) promote();
      const set = clock < promotionAt ? v1 : v2;
      let input: unknown;
      try {
        input = set.reference.evalClosed(t.decl.input);
      } catch {
        continue;
      }
      const d = set.decide(t.phase, input);
      const i = input as Record<string, unknown>;
      const record: Record<string, JsonValue> = {
        time: at(clock),
        agent: idOf(i.agent, "id") ?? "claims-assistant",
        env: clock < promotionAt ? "staging" : "production",
        principal: idOf(i.principal, "id"),
        session: `s-${round}-${decisions % 17}`,
        phase: t.phase,
        tool: idOf(i.tool, "name"),
        decision: d.decision,
        reasons: plain(d.reasons),
        policy_digest: d.policy.digest,
        input_digest: digest(plain(input)),
        mode: "enforce",
      };
      if (d.warnings.length > 0) record.warnings = plain(d.warnings);
      if (d.decision === "require_approval") {
        // Most approvals are granted by a named approver; every fifth one is refused.
        record.approval = decisions % 5 === 0 ? { approved: false, cause: "approval_refused", by: "bob@acme.example" } : { approved: true, by: "alice@acme.example" };
      }
      append(record as AuditRecord);
      decisions++;
    }
  }

  if (!promoted) promote();
  const ctx = (ms: number, principal: string | null = null) => ({ time: at(ms), agent: "palisade-ops", env: "production", principal });
  const alertAt = promotionAt + 5 * 3_600_000;
  append(driftAlertRecord({ key: "refusals:production", monitor: "refusals", metric: "deny_rate", test: "chi2", value: 0.001, threshold: 0.01, baseline: "week-45", message: "deny rate rose from 8% to 21%" }, ctx(alertAt)));
  append(driftHandlingRecord({ key: "refusals:production", by: "dave@acme.example", action: "acknowledged", note: "new SOX rules deny unticketed changes, as intended" }, ctx(alertAt + 40 * 60_000)));
  await Promise.all(appends);
  await log.checkpoint();
  await log.close();
  return {
    dir,
    db,
    keyFile,
    verifierKey: key.verifierKey,
    from: "2026-11-02T00:00:00Z",
    to: at(Math.max(clock, alertAt) + 86_400_000).slice(0, 10) + "T00:00:00Z",
    decisions,
    policyDigests: [v1.digest, v2.digest],
  };
}
