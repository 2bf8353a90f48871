// Shared fixtures: a temporary copy of the example environments with every key made (release,
// one per environment, one per approver), policy versions, signed approvals, and recorded traffic.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { AuditLog, digest, generateKey, parseSignerKey, parseVerifierKey } from "../../audit/index.ts";
import type { AuditRecord, JsonValue, SignerKey, VerifierKey } from "../../audit/index.ts";
import { repoRoot } from "../../../test/support.ts";
import { signApproval } from "../approvals.ts";
import { buildBundle, policySetOf, serializeBundle } from "../bundle.ts";
import type { Bundle } from "../bundle.ts";
import { environment, loadEnvironmentsConfig } from "../config.ts";
import type { EnvironmentsConfig } from "../config.ts";
import { buildInto, checkOrder } from "../promotion.ts";
import type { ChangeResult } from "../promotion.ts";
import { currentBundle, readState, rollbackTarget } from "../state.ts";
import type { PolicySet } from "../../runtime/policy-set.ts";
import { SqliteStore } from "../../audit/sqlite-store.ts";

/** A refunds policy whose limit is `limit`, with tests that hold for any limit in 50..800. */
export function refundsPolicy(limit: number, extraTest = ""): string {
  return `package acme.refunds

default allow
on_error deny

const MAX_REFUND = ${limit}

rule large_refund on tool_call {
  when tool.name == "refund" and tool.args.amount > MAX_REFUND
  then deny "refund over {MAX_REFUND} (v${limit})"
}

test "a huge refund is refused" {
  on tool_call { tool: { name: "refund", args: { amount: 900 } } }
  expect deny by large_refund
}

test "a tiny refund goes through" {
  on tool_call { tool: { name: "refund", args: { amount: 10 } } }
  expect allow
}
${extraTest}`;
}

/** A fresh key pair. */
export function newKey(name = "release"): { signer: SignerKey; verifier: VerifierKey; signerText: string; vkey: string } {
  const k = generateKey(name);
  return { signer: parseSignerKey(k.signerKey), verifier: parseVerifierKey(k.verifierKey), signerText: k.signerKey, vkey: k.verifierKey };
}

/** A temporary folder. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "palisade-env-"));
}

/** Writes a key pair as `<prefix>.key` and `<prefix>.vkey` under `dir`. */
export function writeKey(dir: string, prefix: string, key: ReturnType<typeof newKey>): void {
  mkdirSync(dirname(join(dir, prefix)), { recursive: true });
  writeFileSync(join(dir, `${prefix}.key`), `${key.signerText}\n`, { mode: 0o600 });
  writeFileSync(join(dir, `${prefix}.vkey`), `${key.vkey}\n`);
}

/** Every key of the example: the build key, one per environment, one per approver. */
export interface ExampleKeys {
  readonly release: ReturnType<typeof newKey>;
  readonly development: ReturnType<typeof newKey>;
  readonly staging: ReturnType<typeof newKey>;
  readonly production: ReturnType<typeof newKey>;
  readonly alice: ReturnType<typeof newKey>;
  readonly bob: ReturnType<typeof newKey>;
  readonly carol: ReturnType<typeof newKey>;
}

/** The files the repository ships in examples/environments, copied to a fresh folder (no keys). */
export function exampleFiles(): string {
  const dir = tempDir();
  // Only the files the repository ships: a walk-through run in the example folder leaves bundles,
  // state and logs there that must not leak into the tests.
  const example = join(repoRoot, "examples", "environments");
  for (const f of ["palisade.environments.json", "policies", "traffic"]) cpSync(join(example, f), join(dir, f), { recursive: true });
  return dir;
}

/** A temporary copy of examples/environments with every key written where its config names it. */
export function exampleCopy(): { dir: string; keys: ExampleKeys; key: ReturnType<typeof newKey>; config: () => EnvironmentsConfig } {
  const dir = exampleFiles();
  const keys: ExampleKeys = { release: newKey("release"), development: newKey("development"), staging: newKey("staging"), production: newKey("production"), alice: newKey("alice"), bob: newKey("bob"), carol: newKey("carol") };
  for (const k of ["release", "development", "staging", "production"] as const) writeKey(dir, `keys/${k}`, keys[k]);
  for (const k of ["alice", "bob", "carol"] as const) writeKey(dir, `approvers/${k}`, keys[k]);
  return { dir, keys, key: keys.release, config: () => loadEnvironmentsConfig(join(dir, "palisade.environments.json")) };
}

/** Rewrites the config of `dir` through `edit`. */
export function editConfig(dir: string, edit: (config: { environments: Record<string, unknown>[]; approvers?: Record<string, unknown> }) => void): void {
  const file = join(dir, "palisade.environments.json");
  const config = JSON.parse(readFileSync(file, "utf8"));
  edit(config);
  writeFileSync(file, JSON.stringify(config, null, 2));
}

/** A signed bundle of `text`. */
export function bundleOf(text: string, signer: SignerKey, version?: string): Bundle {
  return buildBundle({ sources: [{ path: "refunds.policy", text }], key: signer, ...(version ? { version } : {}) });
}

/** Writes a signed bundle of `text` to `file`. */
export function writeBundle(file: string, text: string, signer: SignerKey, version?: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, serializeBundle(bundleOf(text, signer, version)));
}

/** Builds `refundsPolicy(limit)` into development, as `palisade bundle build --env development` does. */
export async function buildDev(config: EnvironmentsConfig, keys: ExampleKeys, limit: number, extraTest = ""): Promise<ChangeResult> {
  return buildInto({ config, env: "development", make: () => bundleOf(refundsPolicy(limit, extraTest), keys.release.signer, `v${limit}`) });
}

/** `who` signs the promotion `from` -> `to` of what `from` serves now, as `palisade promote sign` does. */
export function approve(config: EnvironmentsConfig, keys: ExampleKeys, who: "alice" | "bob" | "carol", from: string, to: string, options: { waiveReplay?: string; now?: Date; skip?: boolean } = {}): string {
  const source = environment(config, from);
  const target = environment(config, to);
  const skip = checkOrder(config, source, target, options.skip === true);
  const state = readState(target);
  return signApproval({ action: "promote", from, to, bundle: currentBundle(source).digest, replacing: state.stack.at(-1)?.digest ?? null, change: state.seq + 1, skip }, who, keys[who].signer, options);
}

/** `who` signs the rollback of `env` to the bundle it would return to. */
export function approveRollback(config: EnvironmentsConfig, keys: ExampleKeys, who: "alice" | "bob" | "carol", env: string): string {
  const e = environment(config, env);
  const state = readState(e);
  const { from, to } = rollbackTarget(e, state);
  return signApproval({ action: "rollback", from: null, to: env, bundle: to.digest, replacing: from.digest, change: state.seq + 1, skip: [] }, who, keys[who].signer);
}

/** A refund tool_call input. */
export function refund(amount: number): Record<string, JsonValue> {
  return { tool: { name: "refund", args: { amount } } };
}

/**
 * Records `set`'s decisions on the inputs into the audit log at `db`, as the guard does, with
 * the `input` field replay needs. `withInput: false` leaves it out.
 */
export async function recordTraffic(db: string, env: string, set: PolicySet, inputs: readonly Record<string, JsonValue>[], options: { time?: Date; withInput?: boolean } = {}): Promise<void> {
  mkdirSync(dirname(db), { recursive: true });
  const log = await AuditLog.open(SqliteStore.open(db));
  const time = (options.time ?? new Date()).toISOString();
  for (const input of inputs) {
    const d = set.decide("tool_call", input);
    const record: Record<string, JsonValue> = {
      time,
      agent: "support-bot",
      env,
      principal: null,
      session: null,
      phase: "tool_call",
      tool: "refund",
      decision: d.decision,
      reasons: d.reasons.map((r) => ({ rule: r.rule, effect: r.effect })),
      policy_digest: set.digest,
      input_digest: digest(input),
    };
    if (options.withInput !== false) record.input = input;
    void log.append(record as AuditRecord);
  }
  await log.close();
}

/** The policy set environment `name` serves now. */
export function served(config: EnvironmentsConfig, name: string): PolicySet {
  return policySetOf(currentBundle(environment(config, name)));
}

/** Where environment `name` of the example copy in `dir` keeps its audit log. */
export function auditOf(dir: string, name: string): string {
  return join(dir, "audit", `${name}.db`);
}

/** Five refunds: 50, 200, 300, 900, 20. */
export const TRAFFIC = [50, 200, 300, 900, 20].map(refund);

/**
 * The example with v500 built into development and its traffic recorded, then promoted as far as
 * `upTo` (first promotions carry a signed replay waiver: nothing ran there yet), each
 * environment's traffic recorded as it starts serving.
 */
export async function pipeline(upTo: "development" | "staging" | "production" = "development") {
  const ex = exampleCopy();
  const config = ex.config();
  const built = await buildDev(config, ex.keys, 500);
  if (!built.changed) throw new Error(`build failed: ${built.refusal?.message}`);
  await recordTraffic(auditOf(ex.dir, "development"), "development", served(config, "development"), TRAFFIC);
  const { promote } = await import("../promotion.ts");
  const order = ["development", "staging", "production"];
  for (let i = 1; i <= order.indexOf(upTo); i++) {
    const [from, to] = [order[i - 1], order[i]];
    const who = to === "production" ? (["alice", "bob"] as const) : (["alice"] as const);
    const r = await promote({ config, from, to, approvals: who.map((w) => approve(config, ex.keys, w, from, to, { waiveReplay: `first release into ${to}` })) });
    if (!r.changed) throw new Error(`promotion to ${to} failed: ${JSON.stringify(r.gates)} ${r.refusal?.message}`);
    await recordTraffic(auditOf(ex.dir, to), to, served(config, to), TRAFFIC);
  }
  return { ...ex, config, reload: ex.config };
}
