// A log's identity and settings, as its store records them at creation: the verifier key and
// origin of the key it took first (and the keys rotations retired), and the erasure policy it
// seals with. Read by AuditLog.open; nothing here is trusted by a verifier (see trust.ts).
import { randomBytes } from "node:crypto";
import { DEFAULT_ERASURE, parseErasurePolicy } from "./erasure.ts";
import type { ErasurePolicy } from "./erasure.ts";
import type { SignerKey } from "./note.ts";
import { StoreError } from "./store.ts";
import type { AuditStore } from "./store.ts";

/** Names of the store's meta rows. */
export const META = { origin: "origin", vkey: "vkey", retired: "retired_vkeys", erasure: "erasure", salt: "subject_salt" } as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function mismatch(signer: SignerKey, stored: string, retired: boolean): StoreError {
  const why = retired ? "was retired when the log's key was rotated" : "is not this log's";
  return new StoreError("audit/key-mismatch", `the signing key ${signer.vkey} ${why}: the log's checkpoints are signed by ${stored}`, "sign with the log's own key file, or rotate keys with 'palisade audit rotate-key'");
}

/** Records the log's identity on first use of a key, and refuses any other key later (StoreError "audit/key-mismatch"). */
export async function claimIdentity(store: AuditStore, signer: SignerKey | undefined, origin: string | undefined): Promise<void> {
  if (signer === undefined) {
    if (origin !== undefined) {
      const inForce = await store.initMeta(META.origin, origin);
      if (inForce !== origin) throw new StoreError("audit/bad-key", `the log's origin is '${inForce}', not '${origin}'`, "an origin is chosen when the log is created; rotate keys to change it");
    }
    return;
  }
  if (origin !== undefined && origin !== signer.name) {
    throw new StoreError("audit/bad-key", `the origin '${origin}' is not the signing key's name '${signer.name}'`, "a log's origin is its key's name: make the key with that name");
  }
  const stored = await store.getMeta(META.vkey);
  const retired = (await retiredKeys(store)).some((r) => r.vkey === signer.vkey);
  if (stored !== undefined) {
    if (stored !== signer.vkey) throw mismatch(signer, stored, retired);
    return;
  }
  if (retired) throw mismatch(signer, "a newer key", true);
  // Two processes claiming an empty log at once: the first write wins, the other is refused.
  const vkey = await store.initMeta(META.vkey, signer.vkey);
  if (vkey !== signer.vkey) throw mismatch(signer, vkey, false);
  const inForce = await store.initMeta(META.origin, signer.name);
  if (inForce !== signer.name) {
    throw new StoreError("audit/bad-key", `the log's origin is '${inForce}', but the signing key is named '${signer.name}'`, "a log's origin is its key's name: make the key with that name");
  }
}

/** Verifier keys retired by rotations, oldest first, with the size each last signed. */
export async function retiredKeys(store: AuditStore): Promise<{ vkey: string; size: number }[]> {
  const text = await store.getMeta(META.retired);
  if (text === undefined) return [];
  try {
    const list = JSON.parse(text) as unknown;
    if (Array.isArray(list)) return list.filter((r): r is { vkey: string; size: number } => isRecord(r) && typeof r.vkey === "string" && typeof r.size === "number");
  } catch {
    // A damaged list retires nothing; verification does not read it anyway.
  }
  return [];
}

/** A log's erasure settings: the policy in force, the pseudonym salt, and what a new log still has to record. */
export interface LogSettings {
  readonly erasure: ErasurePolicy | null;
  readonly salt: string | undefined;
  /** Meta rows a new log records with its first entry (so that merely opening a log writes nothing). */
  readonly pending: readonly (readonly [name: string, value: string])[];
  /** Whether `erasure` came from the caller's option (kept even if another process recorded otherwise). */
  readonly configured: boolean;
}

/** The text a policy is recorded as. */
export function policyText(p: ErasurePolicy | null): string {
  return p === null ? "none" : JSON.stringify({ subjectField: p.subjectField, personalFields: p.personalFields, ...(p.anonymous ? { anonymous: p.anonymous } : {}) });
}

/**
 * The erasure settings in force, read without writing: the option, else the policy recorded at
 * creation, else (a new, empty log) DEFAULT_ERASURE with a fresh salt, to be recorded with the
 * first entry. A log written before policies were recorded keeps sealing nothing.
 */
export async function settingsOf(store: AuditStore, option: ErasurePolicy | false | undefined, empty: boolean): Promise<LogSettings> {
  const stored = await store.getMeta(META.erasure);
  const storedSalt = await store.getMeta(META.salt);
  const configured = option !== undefined;
  let erasure: ErasurePolicy | null;
  if (configured) erasure = option === false ? null : option;
  else if (stored !== undefined) erasure = stored === "none" ? null : parseErasurePolicy(stored);
  else erasure = empty ? DEFAULT_ERASURE : null;
  const pending: [string, string][] = [];
  if (empty && stored === undefined) pending.push([META.erasure, policyText(erasure)]);
  let salt = storedSalt;
  if (salt === undefined && empty && erasure !== null) {
    salt = randomBytes(32).toString("hex");
    pending.push([META.salt, salt]);
  }
  return { erasure, salt, pending, configured };
}
