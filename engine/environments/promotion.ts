// Promotion and rollback: move the bundle serving in one environment into the next once every
// gate passed, or return an environment to its previous bundle, and record either (or a blocked
// attempt) in the audit log as change-management evidence.
import { policySetOf, verifyBundle } from "./bundle.ts";
import type { VerifiedBundle } from "./bundle.ts";
import { environment } from "./config.ts";
import type { EnvironmentConfig, EnvironmentsConfig } from "./config.ts";
import { EnvironmentError } from "./errors.ts";
import { approvalGate, driftGate, replayGate, testsGate } from "./gates.ts";
import { appendGovernanceRecord } from "./log-io.ts";
import { changeRecord } from "./records.ts";
import type { ChangeRecord, GateResult } from "./records.ts";
import type { ReplayResult } from "./replay.ts";
import { currentBundle, install, readState, rollbackState } from "./state.ts";

/** What promote needs. */
export interface PromoteOptions {
  readonly config: EnvironmentsConfig;
  readonly from: string;
  readonly to: string;
  /** Names of the approvers, as configured under `approvers`. */
  readonly approvedBy: readonly string[];
  /** The audit log to replay and to read drift alerts from, instead of the source environment's. */
  readonly auditDb?: string;
  /** The instant of the promotion; for tests. */
  readonly now?: Date;
}

/** What a promotion attempt did. */
export interface PromotionResult {
  readonly promoted: boolean;
  readonly gates: readonly GateResult[];
  readonly bundle: VerifiedBundle;
  readonly replay: ReplayResult | null;
  readonly record: ChangeRecord;
  /** The audit log the record went to, and its index there. */
  readonly recordedIn: string;
  readonly recordIndex: number;
}

// Change records go to the target's log (its evidence), else to the one the gates read.
function recordLocation(target: EnvironmentConfig, fallback: string | undefined): string {
  const at = target.audit ?? fallback;
  if (at === undefined) throw new EnvironmentError("config/invalid", `environment '${target.name}' has no audit log to record the change in`, `set "audit" for '${target.name}' in the config, or pass --audit-db`);
  return at;
}

/**
 * Runs every gate of the target environment on the source's current bundle, installs it when all
 * passed, and records the attempt either way. Throws EnvironmentError when the bundle cannot be
 * considered at all (missing, unsigned, untrusted by the target, tampered, does not check).
 */
export async function promote(options: PromoteOptions): Promise<PromotionResult> {
  const { config } = options;
  if (options.from === options.to) throw new EnvironmentError("env/unknown", `cannot promote '${options.from}' into itself`);
  const source = environment(config, options.from);
  const target = environment(config, options.to);
  const audit = options.auditDb ?? source.audit;
  const location = recordLocation(target, audit);
  const now = options.now ?? new Date();
  const fromSource = currentBundle(source);
  // The target's keys decide, not the source's: production may trust fewer signers than development.
  const verified = verifyBundle(fromSource.bundle, target.trustedKeys);
  const set = policySetOf(verified);
  const p = target.promotion;
  const replayed = await replayGate(p.maxReplayChanges, set, audit, source.name, p.replayWindowMs, now.getTime());
  const gates: GateResult[] = [
    approvalGate(p.approval, config.approvers, options.approvedBy),
    testsGate(p.requireTests, set),
    replayed.result,
    await driftGate(p.noOpenDriftAlert, source, audit),
  ];
  const promoted = gates.every((g) => g.passed);
  const previous = readState(target).stack.at(-1)?.digest ?? null;
  if (promoted) install(target, verified, options.approvedBy, now);
  const record = changeRecord(
    {
      type: "palisade.promotion/1",
      outcome: promoted ? "promoted" : "blocked",
      who: [...options.approvedBy],
      from: source.name,
      to: target.name,
      bundle_digest: verified.digest,
      previous_digest: previous,
      version: verified.bundle.version,
      signers: verified.signers,
      gates,
    },
    verified.bundle.policy_digest,
    now,
  );
  const recordIndex = await appendGovernanceRecord(location, record);
  return { promoted, gates, bundle: verified, replay: replayed.replay, record, recordedIn: location, recordIndex };
}

/** What rollback needs. */
export interface RollbackOptions {
  readonly config: EnvironmentsConfig;
  readonly env: string;
  /** Who rolls back. */
  readonly by: string;
  /** The audit log to record in when the environment has none configured. */
  readonly auditDb?: string;
  readonly now?: Date;
}

/** What a rollback did. */
export interface RollbackOutcome {
  readonly from: string;
  readonly to: string;
  readonly record: ChangeRecord;
  readonly recordedIn: string;
  readonly recordIndex: number;
}

/** Returns the environment to its previous bundle and records it. Throws EnvironmentError "env/no-previous" when there is none. */
export async function rollback(options: RollbackOptions): Promise<RollbackOutcome> {
  const env = environment(options.config, options.env);
  const location = recordLocation(env, options.auditDb);
  const now = options.now ?? new Date();
  const r = rollbackState(env, [options.by], now);
  const record = changeRecord(
    {
      type: "palisade.rollback/1",
      outcome: "rolled_back",
      who: [options.by],
      from: env.name,
      to: env.name,
      bundle_digest: r.to.digest,
      previous_digest: r.from.digest,
      version: r.bundle.version,
      signers: [],
      gates: [],
    },
    r.bundle.policy_digest,
    now,
  );
  const recordIndex = await appendGovernanceRecord(location, record);
  return { from: r.from.digest, to: r.to.digest, record, recordedIn: location, recordIndex };
}
