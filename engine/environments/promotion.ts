// Changing what an environment serves, the only three ways there are: a build into the first
// environment, a promotion from one environment into the next, and a rollback to the previous
// distinct bundle. Each attempt — granted, refused by a gate, refused for its order, its bundle,
// its state or its keys, or a no-op — is one audit entry in the target environment's log
// (records.ts), written before the function returns. Only configuration mistakes that leave no
// log to write to (an unknown environment, one without an audit log) throw.
import type { SignerKey } from "../audit/index.ts";
import { approvalId, checkApprovals, promotionRule, rollbackRule } from "./approvals.ts";
import type { ApprovalCheck } from "./approvals.ts";
import { policySetOf, readBundleFile, verifyBundle } from "./bundle.ts";
import type { Bundle, VerifiedBundle } from "./bundle.ts";
import { environment } from "./config.ts";
import type { EnvironmentConfig, EnvironmentsConfig } from "./config.ts";
import { driftGate } from "./drift.ts";
import { EnvironmentError } from "./errors.ts";
import { approvalGate, replayGate, testsGate } from "./gates.ts";
import { readSignerFor } from "./keys.ts";
import { appendGovernanceRecord, environmentLog, scanIfExists } from "./log-io.ts";
import type { ScannedRecord } from "./log-io.ts";
import { changeRecord, isChange } from "./records.ts";
import type { ApprovalEvidence, ChangeEvent, ChangeRecord, GateResult, Refusal, ReplayEvidence } from "./records.ts";
import { currentBundle, install, readState, rollbackState, rollbackTarget, storedBundleFile } from "./state.ts";

/** What every change attempt returns. */
export interface ChangeResult {
  readonly outcome: ChangeEvent["outcome"];
  /** Whether what the environment serves changed. */
  readonly changed: boolean;
  readonly gates: readonly GateResult[];
  /** Why it was refused outside the gates, as the error a command reports; null otherwise. */
  readonly refusal: EnvironmentError | null;
  /** The candidate bundle, when it could be read and verified. */
  readonly bundle: VerifiedBundle | null;
  readonly replay: ReplayEvidence | null;
  readonly record: ChangeRecord;
  /** The audit log the record went to, and its index there. */
  readonly recordedIn: string;
  readonly recordIndex: number;
  /** Why no checkpoint was signed after the record, or null when one was. */
  readonly unsigned: string | null;
}

/** What promote needs. */
export interface PromoteOptions {
  readonly config: EnvironmentsConfig;
  readonly from: string;
  readonly to: string;
  /** Signed approval notes (`palisade promote sign`); names alone count for nothing. */
  readonly approvals: readonly string[];
  /** Allow going past environments, when the approvals were signed for exactly that skip. */
  readonly skip?: boolean;
  /** The target environment's signing key; default: beside its verifier key file. */
  readonly key?: SignerKey;
  /** The instant of the promotion; for tests. */
  readonly now?: Date;
}

/** How far ahead of this machine's clock an approval may be signed, and so how far back used ones are looked up. */
const SKEW_MS = 5 * 60_000;

/** Approvals that already made a change, from a log's change records: note digest -> audit entry. */
export function usedApprovals(records: readonly ScannedRecord[]): Map<string, number> {
  const used = new Map<string, number>();
  for (const { index, record } of records) {
    if ((record.phase !== "promotion" && record.phase !== "rollback") || record.decision !== "allow") continue;
    const approvals = (record.event as { approvals?: unknown } | undefined)?.approvals;
    if (!Array.isArray(approvals)) continue;
    for (const a of approvals as ApprovalEvidence[]) if (a?.counted === true && typeof a.digest === "string") used.set(a.digest, index);
  }
  return used;
}

/**
 * The environments a promotion from `source` to `target` goes past. Throws EnvironmentError
 * "order/same", "order/backwards" (that is a rollback) or "order/skip" (unless `skip`).
 */
export function checkOrder(config: EnvironmentsConfig, source: EnvironmentConfig, target: EnvironmentConfig, skip: boolean): string[] {
  const i = config.environments.indexOf(source);
  const j = config.environments.indexOf(target);
  if (i === j) throw new EnvironmentError("order/same", `cannot promote '${source.name}' into itself`);
  if (j < i) throw new EnvironmentError("order/backwards", `promotions go forward only, and '${target.name}' comes before '${source.name}'`, `to return '${target.name}' to an earlier bundle, roll it back: 'palisade rollback --env ${target.name}'`);
  const skipped = config.environments.slice(i + 1, j).map((e) => e.name);
  if (skipped.length > 0 && !skip) throw new EnvironmentError("order/skip", `'${source.name}' -> '${target.name}' skips ${skipped.map((s) => `'${s}'`).join(", ")}`, `promote to '${config.environments[i + 1].name}' first; a skip needs --skip and approvals signed for it ('palisade promote sign --skip')`);
  return skipped;
}

function refusalOf(err: unknown): Refusal {
  const code = (err as { code?: unknown }).code;
  return { code: typeof code === "string" ? code : "internal/error", message: err instanceof Error ? err.message : String(err) };
}

// What one attempt gathers before it is recorded.
interface Attempt {
  type: ChangeEvent["type"];
  from: string | null;
  /** The bundle as read, before the target's keys judged it (named in the record even when refused). */
  candidate: VerifiedBundle | null;
  verified: VerifiedBundle | null;
  previous: string | null;
  gates: GateResult[];
  check: ApprovalCheck | null;
  replay: ReplayEvidence | null;
  skipped: string[];
  seq: number | null;
  attestedBy: string | null;
  outcome: ChangeEvent["outcome"];
  who: string[];
  /** The approval notes presented, kept in the record even when the attempt is refused before they are judged. */
  presented: readonly string[];
}

function newAttempt(type: ChangeEvent["type"], from: string | null, presented: readonly string[] = []): Attempt {
  return { type, from, candidate: null, verified: null, previous: null, gates: [], check: null, replay: null, skipped: [], seq: null, attestedBy: null, outcome: "blocked", who: [], presented };
}

function unjudged(notes: readonly string[]): ApprovalEvidence[] {
  return notes.map((note) => ({ approver: null, roles: [], role: null, counted: false, rejected: "not judged: the attempt was refused first", digest: approvalId(note), note }));
}

/**
 * Runs `body`, then records the attempt whatever happened. An EnvironmentError is a refusal, kept
 * in the record and the result; any other error is recorded too, then thrown.
 */
async function attempt(target: EnvironmentConfig, a: Attempt, now: Date, body: () => Promise<void>): Promise<ChangeResult> {
  const log = environmentLog(target);
  let refusal: unknown = null;
  try {
    await body();
  } catch (err) {
    refusal = err;
    a.outcome = "blocked";
  }
  const event: ChangeEvent = {
    type: a.type,
    outcome: a.outcome,
    who: a.who,
    from: a.from,
    to: target.name,
    bundle_digest: (a.verified ?? a.candidate)?.digest ?? null,
    previous_digest: a.previous,
    version: (a.verified ?? a.candidate)?.bundle.version ?? null,
    signers: a.verified?.signers ?? [],
    gates: a.gates,
    refusal: refusal === null ? null : refusalOf(refusal),
    approvals: a.check?.evidence ?? unjudged(a.presented),
    skipped: a.skipped,
    replay: a.replay,
    state_seq: a.seq,
    attested_by: a.attestedBy,
  };
  const record = changeRecord(event, (a.verified ?? a.candidate)?.bundle.policy_digest ?? null, now);
  const { index, unsigned } = await appendGovernanceRecord(log, record);
  if (refusal !== null && !(refusal instanceof EnvironmentError)) throw refusal;
  return { outcome: a.outcome, changed: isChange(a), gates: a.gates, refusal: refusal as EnvironmentError | null, bundle: a.verified, replay: a.replay, record, recordedIn: log.location, recordIndex: index, unsigned };
}

function signerOf(env: EnvironmentConfig, given: SignerKey | undefined): SignerKey {
  if (given !== undefined && given.vkey !== env.key.vkey) throw new EnvironmentError("key/invalid", `the key given is ${given.name}, not environment '${env.name}''s key ${env.key.name}`, `pass the signing half of ${env.keyFile ?? env.key.vkey}`);
  return given ?? readSignerFor(env.key, env.keyFile, `environment '${env.name}'`);
}

/**
 * Promotes the bundle serving in `from` into `to` once every gate of `to` passed: signed
 * approvals of this very change, the bundle's tests, a replay of `to`'s own recent traffic within
 * its limit, and no drift alert open in `from`. Promoting the bundle already serving is a no-op.
 */
export async function promote(options: PromoteOptions): Promise<ChangeResult> {
  const { config } = options;
  const now = options.now ?? new Date();
  const target = environment(config, options.to);
  const source = environment(config, options.from);
  environmentLog(target);
  const a = newAttempt("palisade.promotion/1", source.name, options.approvals);
  return attempt(target, a, now, async () => {
    a.skipped = checkOrder(config, source, target, options.skip === true);
    const targetState = readState(target);
    a.previous = targetState.stack.at(-1)?.digest ?? null;
    a.seq = targetState.seq;
    // What the source serves: named by its signed state, attested by its key.
    const served = currentBundle(source);
    a.candidate = served;
    // The target's build signers decide, not the source's: production may accept fewer.
    a.verified = verifyBundle(served.bundle, target.trustedKeys);
    const set = policySetOf(a.verified);
    if (a.verified.digest === a.previous) {
      a.outcome = "unchanged";
      return;
    }
    const key = signerOf(target, options.key);
    const p = target.promotion;
    const log = environmentLog(target);
    const maxAge = p.approval?.maxAgeMs ?? 86_400_000;
    const targetRecords = await scanIfExists(log.location, Math.min(now.getTime() - p.replayWindowMs, now.getTime() - maxAge - SKEW_MS));
    a.check = checkApprovals(options.approvals, config, { action: "promote", from: source.name, to: target.name, bundle: a.verified.digest, replacing: a.previous, change: targetState.seq + 1, skip: a.skipped }, promotionRule(p.approval), usedApprovals(targetRecords), now);
    a.who = a.check.counted.map((c) => c.name);
    const sourceRecords = source.audit === undefined ? null : await scanIfExists(source.audit, now.getTime() - p.replayWindowMs);
    const replayed = replayGate({ max: p.maxReplayChanges, candidate: set, target: { name: target.name, records: targetRecords }, source: { name: source.name, records: sourceRecords }, windowMs: p.replayWindowMs, now: now.getTime(), waiver: a.check.waiver });
    a.replay = replayed.evidence;
    a.gates = [approvalGate(a.check), testsGate(p.requireTests, set), replayed.result, await driftGate(p.noOpenDriftAlert, source, source.audit)];
    if (!a.gates.every((g) => g.passed)) return;
    const done = install(target, a.verified, { key, by: a.who, action: "promotion", from: source.name, now, expectSeq: targetState.seq });
    a.seq = done.state.seq;
    a.attestedBy = key.name;
    a.outcome = "promoted";
  });
}

/** What rollback needs. */
export interface RollbackOptions {
  readonly config: EnvironmentsConfig;
  readonly env: string;
  /** Signed approval notes (`palisade rollback sign`). */
  readonly approvals: readonly string[];
  /** The environment's signing key; default: beside its verifier key file. */
  readonly key?: SignerKey;
  readonly now?: Date;
}

/**
 * Returns the environment to the previous distinct bundle, once someone who may approve
 * promotions into it signed this very rollback. Recorded either way.
 */
export async function rollback(options: RollbackOptions): Promise<ChangeResult> {
  const env = environment(options.config, options.env);
  const now = options.now ?? new Date();
  environmentLog(env);
  const a = newAttempt("palisade.rollback/1", env.name, options.approvals);
  return attempt(env, a, now, async () => {
    const state = readState(env);
    a.seq = state.seq;
    a.previous = state.stack.at(-1)?.digest ?? null;
    const { from, to } = rollbackTarget(env, state);
    a.verified = verifyBundle(readBundleFile(storedBundleFile(env, to.digest)), [env.key]);
    const key = signerOf(env, options.key);
    const rule = rollbackRule(env.promotion.approval);
    const records = await scanIfExists(environmentLog(env).location, now.getTime() - rule.maxAgeMs - SKEW_MS);
    a.check = checkApprovals(options.approvals, options.config, { action: "rollback", from: null, to: env.name, bundle: to.digest, replacing: from.digest, change: state.seq + 1, skip: [] }, rule, usedApprovals(records), now);
    a.who = a.check.counted.map((c) => c.name);
    a.gates = [approvalGate(a.check)];
    if (!a.check.satisfied) return;
    const r = rollbackState(env, key, a.who, now, state.seq);
    a.seq = r.state.seq;
    a.attestedBy = key.name;
    a.outcome = "rolled_back";
  });
}

/** What buildInto needs. */
export interface BuildIntoOptions {
  readonly config: EnvironmentsConfig;
  readonly env: string;
  /** Makes the bundle (signed by a build key); a bundle that cannot be made is a refused build. */
  readonly make: () => Bundle;
  /** The environment's signing key; default: beside its verifier key file. */
  readonly key?: SignerKey;
  /** Set when the bundle was aimed at the environment's bundle file by path: always refused. */
  readonly direct?: boolean;
  readonly now?: Date;
}

/**
 * Builds into the first environment: the bundle must be signed by one of its trusted build keys;
 * the environment attests it and its signed state records the build. Anything else — another
 * environment, a bundle written over an environment's bundle file — is refused and recorded.
 */
export async function buildInto(options: BuildIntoOptions): Promise<ChangeResult> {
  const { config } = options;
  const env = environment(config, options.env);
  const now = options.now ?? new Date();
  environmentLog(env);
  const a = newAttempt("palisade.build/1", null);
  return attempt(env, a, now, async () => {
    const state = readState(env);
    a.seq = state.seq;
    a.previous = state.stack.at(-1)?.digest ?? null;
    const first = config.environments[0];
    if (options.direct === true) throw new EnvironmentError("env/direct-write", `${env.bundle} is environment '${env.name}''s bundle: only promote and rollback change it`, env === first ? `build into it with 'palisade bundle build --env ${env.name}'` : `build into '${first.name}' with 'palisade bundle build --env ${first.name}', then promote`);
    if (env !== first) throw new EnvironmentError("env/not-first", `bundles enter '${env.name}' only by promotion`, `build into '${first.name}', then promote through ${config.environments.slice(1, config.environments.indexOf(env) + 1).map((e) => `'${e.name}'`).join(", ")}`);
    const bundle = options.make();
    a.verified = verifyBundle(bundle, env.trustedKeys);
    policySetOf(a.verified);
    a.who = [...a.verified.signers];
    if (a.verified.digest === a.previous) {
      a.outcome = "unchanged";
      return;
    }
    const key = signerOf(env, options.key);
    const done = install(env, a.verified, { key, by: a.who, action: "build", from: null, now, expectSeq: state.seq });
    a.seq = done.state.seq;
    a.attestedBy = key.name;
    a.outcome = "built";
  });
}
