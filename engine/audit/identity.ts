// A log's identity and settings, as its store records them at creation: the verifier key and
// origin of the key it took first (and the keys rotations retired), and the erasure policy it
// seals with. Read by AuditLog.open; nothing here is trusted by a verifier (see trust.ts).
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

/** The erasure policy in force: the option, else the one recorded at creation, else (new log) the default. */
export async function erasurePolicyOf(store: AuditStore, option: ErasurePolicy | false | undefined, empty: boolean): Promise<ErasurePolicy | null> {
  const text = (p: ErasurePolicy | null) => (p === null ? "none" : JSON.stringify({ subjectField: p.subjectField, personalFields: p.personalFields, ...(p.anonymous ? { anonymous: p.anonymous } : {}) }));
  if (option !== undefined) {
    const p = option === false ? null : option;
    if (empty) await store.initMeta(META.erasure, text(p));
    return p;
  }
  const stored = await store.getMeta(META.erasure);
  if (stored !== undefined) return stored === "none" ? null : parseErasurePolicy(stored);
  // A log written before policies were recorded keeps sealing nothing; a new one is private.
  if (!empty) return null;
  const inForce = await store.initMeta(META.erasure, text(DEFAULT_ERASURE));
  return inForce === "none" ? null : parseErasurePolicy(inForce);
}
