// What a verifier trusts, and nothing else: the log's verifier keys it was given (never the key a
// database says it has), checkpoints it already holds, and the witnesses it names. A checkpoint
// counts only when a trusted key signed it under that key's own name as origin; a witness counts
// only with a valid cosignature from a key it was given.
import { openCheckpoint } from "./checkpoint.ts";
import type { Checkpoint } from "./checkpoint.ts";
import { SIG_COSIGNATURE_V1, SIG_ED25519, parseVerifierKey, verifyNote } from "./note.ts";
import type { VerifierKey } from "./note.ts";
import { StoreError } from "./store.ts";

/** A checkpoint whose signature a trusted key vouches for. */
export interface TrustedCheckpoint extends Checkpoint {
  /** The note as given. */
  readonly note: string;
  /** The verifier key (`name+id+key`) that signed it. */
  readonly signedBy: string;
}

/** The outcome of opening a checkpoint against trusted keys. */
export type TrustResult = { readonly ok: true; readonly checkpoint: TrustedCheckpoint } | { readonly ok: false; readonly reason: string };

/** Parses verifier keys given by a user; throws StoreError "audit/bad-key" naming the bad one. */
export function parseTrustedKeys(keys: readonly string[], what = "verifier key"): VerifierKey[] {
  return keys.map((k) => {
    try {
      return parseVerifierKey(k.trim());
    } catch (err) {
      throw new StoreError("audit/bad-key", `${what} '${k}' is not valid: ${err instanceof Error ? err.message : String(err)}`, "a verifier key reads <name>+<8 hex digits>+<base64 key>");
    }
  });
}

/**
 * Opens `note` as a checkpoint of a log whose keys are `logKeys`: it must carry a valid
 * signature by one of them, and its origin must be that key's name (C2SP: the origin names the
 * log, the key name is the origin). Never throws.
 */
export function openTrusted(note: string, logKeys: readonly VerifierKey[]): TrustResult {
  if (logKeys.length === 0) return { ok: false, reason: "no verifier key is trusted" };
  const v = openCheckpoint(note, logKeys);
  if (!v.ok) {
    const why = v.error.code === "note/unverified" ? "it is not signed by a trusted key" : v.error.message;
    return { ok: false, reason: why };
  }
  const cp = v.checkpoint;
  for (const s of v.signatures) {
    const key = logKeys.find((k) => k.name === s.name && k.keyId === s.keyId);
    if (key && key.type === SIG_ED25519 && key.name === cp.origin) return { ok: true, checkpoint: { ...cp, note, signedBy: key.vkey } };
  }
  return { ok: false, reason: `its origin ${JSON.stringify(cp.origin)} is not the name of the key that signed it` };
}

/** The witnesses among `witnessKeys` with a valid cosignature on `note`; undefined when a known witness's signature is bad. */
export function cosigners(note: string, witnessKeys: readonly VerifierKey[]): { names: string[] } | { error: string } {
  const cosigning = witnessKeys.filter((k) => k.type === SIG_COSIGNATURE_V1 || k.type === SIG_ED25519);
  if (cosigning.length === 0) return { names: [] };
  const v = verifyNote(note, cosigning);
  if (!v.ok) return v.error.code === "note/unverified" ? { names: [] } : { error: v.error.message };
  return { names: [...new Set(v.signatures.map((s) => `${s.name}+${s.keyId}`))] };
}
