// Shared fixtures: a temporary copy of the example environments, keys, policy versions, and a
// recorded audit log of decisions with their inputs.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { AuditLog, digest, parseSignerKey, parseVerifierKey } from "../../audit/index.ts";
import type { AuditRecord, JsonValue, SignerKey, VerifierKey } from "../../audit/index.ts";
import { generateKey } from "../../audit/index.ts";
import { repoRoot } from "../../../test/support.ts";
import { buildBundle, serializeBundle } from "../bundle.ts";
import type { PolicySet } from "../../runtime/policy-set.ts";

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

/** A temporary copy of examples/environments with `release.key`/`release.vkey` in it; returns the folder. */
export function exampleCopy(): { dir: string; key: ReturnType<typeof newKey> } {
  const dir = tempDir();
  // Only the files the repository ships: a walk-through run in the example folder leaves bundles,
  // state and logs there that must not leak into the tests.
  const example = join(repoRoot, "examples", "environments");
  cpSync(join(example, "palisade.environments.json"), join(dir, "palisade.environments.json"));
  cpSync(join(example, "policies"), join(dir, "policies"), { recursive: true });
  const key = newKey("release");
  writeFileSync(join(dir, "release.key"), `${key.signerText}\n`, { mode: 0o600 });
  writeFileSync(join(dir, "release.vkey"), `${key.vkey}\n`);
  return { dir, key };
}

/** Rewrites the config of `dir` through `edit`. */
export function editConfig(dir: string, edit: (config: { environments: Record<string, unknown>[]; approvers?: Record<string, string[]> }) => void): void {
  const file = join(dir, "palisade.environments.json");
  const config = JSON.parse(readFileSync(file, "utf8"));
  edit(config);
  writeFileSync(file, JSON.stringify(config, null, 2));
}

/** Writes a signed bundle of `text` to `file`. */
export function writeBundle(file: string, text: string, signer: SignerKey, version?: string): void {
  writeFileSync(file, serializeBundle(buildBundle({ sources: [{ path: "refunds.policy", text }], key: signer, ...(version ? { version } : {}) })));
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
  const log = await AuditLog.open(db);
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
