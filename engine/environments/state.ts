// What is installed in an environment: its state folder keeps a copy of every bundle it has run
// (`bundles/<hex>.json`) and a stack of installs (`history.json`), the last being current and
// the one below it previous. The bundle file engines load is only ever replaced by rename, so a
// reader sees the old file or the new one, never a mix.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { readBundleFile, serializeBundle, verifyBundle } from "./bundle.ts";
import type { Bundle, VerifiedBundle } from "./bundle.ts";
import type { EnvironmentConfig } from "./config.ts";
import { EnvironmentError } from "./errors.ts";

/** One install of a bundle into an environment. */
export interface Installed {
  /** Bundle digest. */
  readonly digest: string;
  readonly policy_digest: string;
  readonly version: string | null;
  /** ISO-8601 instant of the install. */
  readonly time: string;
  /** Who installed it (approvers, or the operator who rolled back). */
  readonly by: readonly string[];
  readonly action: "promotion" | "rollback";
}

/** An environment's install stack, oldest first. */
export interface EnvironmentState {
  readonly format: "palisade.env-state/1";
  readonly stack: readonly Installed[];
}

/** Writes `text` to `file` by rename from a sibling temporary file, so no reader sees a partial file. */
export function writeAtomically(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

function historyFile(env: EnvironmentConfig): string {
  return join(env.state, "history.json");
}

function storedFile(env: EnvironmentConfig, digest: string): string {
  return join(env.state, "bundles", `${digest.replace(/^sha256:/, "")}.json`);
}

/** The environment's install stack (empty when nothing was installed yet). Throws EnvironmentError "env/state-damaged". */
export function readState(env: EnvironmentConfig): EnvironmentState {
  const file = historyFile(env);
  if (!existsSync(file)) return { format: "palisade.env-state/1", stack: [] };
  try {
    const value = JSON.parse(readFileSync(file, "utf8")) as EnvironmentState;
    if (value.format !== "palisade.env-state/1" || !Array.isArray(value.stack)) throw new Error("unknown layout");
    return value;
  } catch (err) {
    throw new EnvironmentError("env/state-damaged", `the state of environment '${env.name}' (${file}) is damaged: ${err instanceof Error ? err.message : String(err)}`, "restore it from backup; the audit log records every install");
  }
}

/** The bundle serving in the environment now: its file, verified against the environment's keys. */
export function currentBundle(env: EnvironmentConfig): VerifiedBundle {
  if (!existsSync(env.bundle)) throw new EnvironmentError("env/no-bundle", `environment '${env.name}' has no bundle at ${env.bundle}`, "build one there with 'palisade bundle build', or promote one into it");
  return verifyBundle(readBundleFile(env.bundle), env.trustedKeys);
}

/** Installs a verified bundle: keeps a copy, pushes it on the stack, and replaces the bundle file. */
export function install(env: EnvironmentConfig, verified: VerifiedBundle, by: readonly string[], now: Date = new Date()): Installed {
  const state = readState(env);
  writeAtomically(storedFile(env, verified.digest), serializeBundle(verified.bundle));
  const entry: Installed = { digest: verified.digest, policy_digest: verified.bundle.policy_digest, version: verified.bundle.version, time: now.toISOString(), by, action: "promotion" };
  // The stack is written before the bundle file: an install cut short leaves a current entry
  // whose file was not yet swapped in, which a repeated promote repairs; the reverse order would
  // leave a serving bundle with no record to roll back from.
  writeAtomically(historyFile(env), `${JSON.stringify({ format: "palisade.env-state/1", stack: [...state.stack, entry] }, null, 2)}\n`);
  writeAtomically(env.bundle, serializeBundle(verified.bundle));
  return entry;
}

/** What a rollback did. */
export interface RollbackResult {
  /** The bundle that was serving. */
  readonly from: Installed;
  /** The bundle serving now. */
  readonly to: Installed;
  readonly bundle: Bundle;
}

/**
 * Returns the environment to its previous bundle (the stored copy, verified again so a state
 * folder edited by hand cannot slip a bundle in). Throws EnvironmentError "env/no-previous".
 */
export function rollbackState(env: EnvironmentConfig, by: readonly string[], now: Date = new Date()): RollbackResult {
  const state = readState(env);
  if (state.stack.length < 2) throw new EnvironmentError("env/no-previous", `environment '${env.name}' has no previous bundle to return to`, state.stack.length === 0 ? "nothing was promoted into it yet" : "only one bundle was ever promoted into it");
  const from = state.stack[state.stack.length - 1];
  const target = state.stack[state.stack.length - 2];
  const verified = verifyBundle(readBundleFile(storedFile(env, target.digest)), env.trustedKeys);
  const to: Installed = { ...target, time: now.toISOString(), by, action: "rollback" };
  writeAtomically(historyFile(env), `${JSON.stringify({ format: "palisade.env-state/1", stack: [...state.stack.slice(0, -2), to] }, null, 2)}\n`);
  writeAtomically(env.bundle, serializeBundle(verified.bundle));
  return { from, to, bundle: verified.bundle };
}
