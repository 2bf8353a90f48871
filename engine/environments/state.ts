// What an environment serves: its signed state. The state folder holds `state.json` (the install
// stack, its sequence number, and a C2SP signed note by the environment's own key over both) and
// a copy of every bundle installed (`bundles/<hex>.json`, each attested by that key).
//
// Invariants relied on by serving nodes and by promote/rollback:
// - Only install() and rollbackState() write state.json, and they sign it with the environment's
//   key; an edited, unsigned or foreign state is refused ("env/state-unsigned").
// - The bundle an environment serves is the one whose digest the state names as current, carrying
//   the environment's attestation; any other bundle file is refused ("env/not-promoted"), however
//   it is signed, so writing the bundle file by hand changes nothing that serves.
// - `seq` grows by one with every change, so a node that has seen seq n refuses an older state
//   put back in place ("env/state-stale").
// The bundle file engines load is only ever replaced by rename, so a reader sees the old file or
// the new one, never a mix; the state is written first (see install()).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { digest, signNote, verifyNote } from "../audit/index.ts";
import type { JsonValue, SignerKey } from "../audit/index.ts";
import { attestBundle, bundleDigest, readBundleFile, serializeBundle, verifyBundle } from "./bundle.ts";
import type { Bundle, VerifiedBundle } from "./bundle.ts";
import type { EnvironmentConfig } from "./config.ts";
import { EnvironmentError } from "./errors.ts";

/** The layout tag of state.json. */
export const STATE_FORMAT = "palisade.env-state/2";

/** Most installs the stack keeps (the oldest fall off): how far back rollbacks can go. */
export const STACK_LIMIT = 100;

/** One install of a bundle into an environment. */
export interface Installed {
  /** Bundle digest. */
  readonly digest: string;
  readonly policy_digest: string;
  readonly version: string | null;
  /** ISO-8601 instant of the install. */
  readonly time: string;
  /** Whose signatures made it: the approvers (promotion, rollback) or the build signers (build). */
  readonly by: readonly string[];
  readonly action: "build" | "promotion" | "rollback";
  /** The environment a promotion came from; null for builds and rollbacks. */
  readonly from: string | null;
}

/** An environment's state as stored and signed. */
export interface EnvironmentState {
  readonly format: typeof STATE_FORMAT;
  readonly env: string;
  /** Changes so far; 0 for an environment nothing was installed into. */
  readonly seq: number;
  /** Installs, oldest first: the last is current, the one below it previous. */
  readonly stack: readonly Installed[];
  /** C2SP signed note by the environment's key (empty for the unwritten state). */
  readonly signature: string;
}

/** Writes `text` to `file` by rename from a sibling temporary file, so no reader sees a partial file. */
export function writeAtomically(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

function stateFile(env: EnvironmentConfig): string {
  return join(env.state, "state.json");
}

/** Where the environment keeps its copy of the bundle with `digest`. */
export function storedBundleFile(env: EnvironmentConfig, bundleDigestValue: string): string {
  return join(env.state, "bundles", `${bundleDigestValue.replace(/^sha256:/, "")}.json`);
}

type StateBody = Omit<EnvironmentState, "signature">;

function noteText(body: StateBody): string {
  const top = body.stack.at(-1)?.digest ?? "none";
  const below = body.stack.at(-2)?.digest ?? "none";
  return `${STATE_FORMAT}\nenv ${body.env}\nseq ${body.seq}\ncurrent ${top}\nprevious ${below}\nstate ${digest(body as unknown as JsonValue)}\n`;
}

function damaged(env: EnvironmentConfig, why: string): EnvironmentError {
  return new EnvironmentError("env/state-damaged", `the state of environment '${env.name}' (${stateFile(env)}) is damaged: ${why}`, "restore it from version control or backup; the audit log records every change");
}

function isInstalled(v: unknown): v is Installed {
  const i = v as Installed;
  return typeof i === "object" && i !== null && typeof i.digest === "string" && typeof i.policy_digest === "string" && (i.version === null || typeof i.version === "string") && typeof i.time === "string" && Array.isArray(i.by) && i.by.every((b) => typeof b === "string") && (i.action === "build" || i.action === "promotion" || i.action === "rollback") && (i.from === null || typeof i.from === "string");
}

/**
 * The environment's state, its signature checked against the environment's key; seq 0 and an
 * empty stack when nothing was installed yet. Throws EnvironmentError "env/state-unsigned" (not
 * signed by this environment's key, or changed since) or "env/state-damaged" (not a state).
 */
export function readState(env: EnvironmentConfig): EnvironmentState {
  const file = stateFile(env);
  if (!existsSync(file)) {
    if (existsSync(join(env.state, "history.json"))) throw new EnvironmentError("env/state-unsigned", `environment '${env.name}' has an unsigned state from an older palisade (${join(env.state, "history.json")})`, "promote the bundle it should serve again: promotions now sign the state");
    return { format: STATE_FORMAT, env: env.name, seq: 0, stack: [], signature: "" };
  }
  let value: EnvironmentState;
  try {
    value = JSON.parse(readFileSync(file, "utf8")) as EnvironmentState;
  } catch (err) {
    throw damaged(env, err instanceof Error ? err.message : String(err));
  }
  if (typeof value !== "object" || value === null || value.format !== STATE_FORMAT || !Number.isSafeInteger(value.seq) || value.seq < 0 || !Array.isArray(value.stack) || !value.stack.every(isInstalled) || typeof value.signature !== "string" || typeof value.env !== "string") throw damaged(env, `it is not a ${STATE_FORMAT} state`);
  const opened = verifyNote(value.signature, [env.key]);
  const unsigned = (why: string) => new EnvironmentError("env/state-unsigned", `the state of environment '${env.name}' ${why}`, "only 'palisade promote' and 'palisade rollback' write it: restore it from version control, or promote again");
  if (!opened.ok) throw unsigned(`is not signed by its key ${env.key.name}: ${opened.error.message}`);
  const body: StateBody = { format: value.format, env: value.env, seq: value.seq, stack: value.stack };
  if (value.env !== env.name) throw unsigned(`is the state of '${value.env}'`);
  if (opened.text !== noteText(body)) throw unsigned("was changed after it was signed");
  return { ...body, signature: value.signature };
}

function writeState(env: EnvironmentConfig, stack: readonly Installed[], seq: number, key: SignerKey): EnvironmentState {
  if (key.vkey !== env.key.vkey) throw new EnvironmentError("key/invalid", `the key given to sign environment '${env.name}' is ${key.name}, not its own key ${env.key.name}`);
  const body: StateBody = { format: STATE_FORMAT, env: env.name, seq, stack: stack.slice(-STACK_LIMIT) };
  const state: EnvironmentState = { ...body, signature: signNote(noteText(body), key) };
  writeAtomically(stateFile(env), `${JSON.stringify(state, null, 2)}\n`);
  return state;
}

/** The bundle serving in an environment: verified, attested, named by the signed state. */
export interface ServedBundle extends VerifiedBundle {
  /** The signed state that names it. */
  readonly state: EnvironmentState;
  /** The install that put it there (the top of the stack). */
  readonly installed: Installed;
}

/** Whether `signers` holds the environment's own signature (its attestation). */
function attested(env: EnvironmentConfig, bundle: Bundle): boolean {
  const opened = verifyNote(bundle.signature, [env.key]);
  return opened.ok && opened.signatures.some((s) => s.name === env.key.name && s.keyId === env.key.keyId);
}

/**
 * The bundle an environment serves now: its bundle file, which must be the one its signed state
 * names as current and carry the environment's attestation. Throws EnvironmentError: "env/no-state"
 * (nothing installed), "env/no-bundle", "env/not-promoted" (any other bundle), the state's
 * refusals, or the bundle's own (malformed, tampered).
 */
export function currentBundle(env: EnvironmentConfig): ServedBundle {
  const state = readState(env);
  const top = state.stack.at(-1);
  if (top === undefined) throw new EnvironmentError("env/no-state", `nothing was installed in environment '${env.name}' yet`, "build into the first environment with 'palisade bundle build --env', then promote");
  if (!existsSync(env.bundle)) throw new EnvironmentError("env/no-bundle", `environment '${env.name}' has no bundle at ${env.bundle}, though its state names ${top.digest}`, `restore it from ${storedBundleFile(env, top.digest)}, or roll back`);
  const bundle = readBundleFile(env.bundle);
  const d = bundleDigest(bundle);
  if (d !== top.digest) throw new EnvironmentError("env/not-promoted", `the bundle at ${env.bundle} (${d}) is not the one environment '${env.name}' was given: its signed state names ${top.digest}`, "only 'palisade promote' and 'palisade rollback' change what an environment serves");
  const verified = verifyBundle(bundle, [env.key, ...env.trustedKeys]);
  if (!attested(env, bundle)) throw new EnvironmentError("env/not-promoted", `the bundle at ${env.bundle} is not attested by environment '${env.name}''s key ${env.key.name}`, "only 'palisade promote' and 'palisade rollback' change what an environment serves");
  // `signers` names who built it; the environment's own attestation is implied by serving.
  return { ...verified, signers: verified.signers.filter((n) => n !== env.key.name), state, installed: top };
}

/** What install() needs besides the bundle. */
export interface InstallOptions {
  /** The environment's own signing key: attests the bundle and signs the new state. */
  readonly key: SignerKey;
  readonly by: readonly string[];
  readonly action: "build" | "promotion";
  readonly from: string | null;
  /** The state's sequence number the caller's checks were made against: a change in between refuses the install. */
  readonly expectSeq?: number;
  readonly now?: Date;
}

/** What an install did. */
export interface InstallResult {
  readonly installed: Installed;
  readonly state: EnvironmentState;
  /** The bundle as installed (with the environment's attestation). */
  readonly bundle: Bundle;
}

/**
 * Installs a verified bundle: attests it with the environment's key, keeps a copy, pushes it on
 * the signed stack, and replaces the bundle file. The caller has run the gates and recorded the
 * attempt; installing the digest already current is the caller's no-op to detect (see promote()).
 */
export function install(env: EnvironmentConfig, verified: VerifiedBundle, options: InstallOptions): InstallResult {
  const state = readState(env);
  checkSeq(env, state, options.expectSeq);
  const bundle = attestBundle(verified.bundle, options.key);
  const text = serializeBundle(bundle);
  writeAtomically(storedBundleFile(env, verified.digest), text);
  const installed: Installed = { digest: verified.digest, policy_digest: verified.bundle.policy_digest, version: verified.bundle.version, time: (options.now ?? new Date()).toISOString(), by: [...options.by], action: options.action, from: options.from };
  // The state is written before the bundle file: an install cut short leaves a state naming a
  // bundle not yet in place, which nodes refuse (keeping the old one) until a repeated promote or
  // a rollback repairs it; the reverse order would let an unrecorded bundle serve.
  const next = writeState(env, [...state.stack, installed], state.seq + 1, options.key);
  writeAtomically(env.bundle, text);
  return { installed, state: next, bundle };
}

// Two changes racing (two promote processes): the approvals and gates of the slower one were
// judged against a state that is gone, so it must not land on top of the other.
function checkSeq(env: EnvironmentConfig, state: EnvironmentState, expected: number | undefined): void {
  if (expected !== undefined && state.seq !== expected) throw new EnvironmentError("env/state-stale", `environment '${env.name}' changed (change ${state.seq}, not ${expected}) while this change was being checked`, "run it again: its approvals and gates must be judged against what serves now");
}

/** What a rollback did. */
export interface RollbackResult {
  /** The install that was serving. */
  readonly from: Installed;
  /** The install serving now. */
  readonly to: Installed;
  readonly bundle: Bundle;
  readonly state: EnvironmentState;
}

/**
 * The install a rollback would return to: the newest one below the top whose digest differs from
 * the serving one. Throws EnvironmentError "env/no-previous".
 */
export function rollbackTarget(env: EnvironmentConfig, state: EnvironmentState): { readonly from: Installed; readonly to: Installed; readonly below: number } {
  const from = state.stack.at(-1);
  if (from === undefined) throw new EnvironmentError("env/no-previous", `environment '${env.name}' has no bundle to roll back from: nothing was installed in it yet`, "build into the first environment, then promote");
  let i = state.stack.length - 2;
  while (i >= 0 && state.stack[i].digest === from.digest) i--;
  if (i < 0) throw new EnvironmentError("env/no-previous", `environment '${env.name}' has no earlier bundle to return to: ${from.digest} is the oldest left on its install stack (each rollback takes one off)`, "to serve another bundle, promote it through the gates");
  return { from, to: state.stack[i], below: i };
}

/**
 * Returns the environment to the previous distinct bundle (its stored copy, verified again against
 * the environment's key, so a state folder edited by hand cannot slip a bundle in). The entries
 * above it leave the stack. Throws EnvironmentError "env/no-previous".
 */
export function rollbackState(env: EnvironmentConfig, key: SignerKey, by: readonly string[], now: Date = new Date(), expectSeq?: number): RollbackResult {
  const state = readState(env);
  checkSeq(env, state, expectSeq);
  const { from, to: target, below } = rollbackTarget(env, state);
  const bundle = readBundleFile(storedBundleFile(env, target.digest));
  const verified = verifyBundle(bundle, [env.key]);
  if (verified.digest !== target.digest || !attested(env, bundle)) throw new EnvironmentError("env/state-damaged", `the stored copy of ${target.digest} in environment '${env.name}' is not the bundle it installed`, "restore the state folder from version control");
  const to: Installed = { ...target, time: now.toISOString(), by: [...by], action: "rollback", from: null };
  const next = writeState(env, [...state.stack.slice(0, below), to], state.seq + 1, key);
  writeAtomically(env.bundle, serializeBundle(bundle));
  return { from, to, bundle, state: next };
}
