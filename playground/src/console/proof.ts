// Checking one decision's place in the audit log, in the page, with the audit log's own pure
// modules (the ones `palisade audit` runs): the entry's leaf hash, the checkpoint's signature and
// origin, the RFC 9162 inclusion proof against the signed root, and the witnesses' cosignatures.
// The service supplies bytes; what they are checked against (the log's verifier key, the
// witnesses' keys) is what the operator pinned, and the page says so when it is not.
import { bytesEqual, fromBase64, leafHash, toBase64 } from "../../../engine/audit/hash.ts";
import { openCheckpoint } from "../../../engine/audit/checkpoint.ts";
import { parseNote, parseVerifierKey, verifyNote } from "../../../engine/audit/note.ts";
import type { VerifierKey } from "../../../engine/audit/note.ts";
import { verifyInclusion } from "../../../engine/audit/verify.ts";

/** `GET /v1/decisions/:id/proof`'s answer. */
export interface ProofResponse {
  readonly decision: string;
  readonly index: number;
  readonly entry: string;
  readonly checkpoint: { readonly note: string; readonly size: number } | null;
  readonly proof: { readonly index: number; readonly size: number; readonly leafHash: string; readonly proof: readonly string[]; readonly root: string } | null;
  readonly logKeys?: readonly string[];
}

/** One step of the check; `ok` null when it could not be made yet. */
export interface Check {
  readonly name: string;
  readonly ok: boolean | null;
  readonly detail: string;
}

/** A signature line of the checkpoint other than the log's, and what became of it. */
export interface Cosigner {
  readonly name: string;
  readonly keyId: string;
  readonly status: "verified" | "invalid" | "no key";
  /** Unix seconds the witness stated, for a verified cosignature/v1. */
  readonly timestamp?: number;
}

/** The outcome: every check, the entry as the log holds it, the witnesses. */
export interface ProofResult {
  /** True only when every check passed against log keys the operator pinned (never the service's own word). */
  readonly ok: boolean;
  readonly checks: Check[];
  readonly entry: Record<string, unknown> | null;
  readonly cosigners: Cosigner[];
  /** Where the log key came from: pinned by the operator, or as the service reported it. */
  readonly keySource: "pinned" | "service" | "none";
}

/** What the operator trusts (pinned in the page) and what the page already shows of the decision. */
export interface Trust {
  readonly logKeys: readonly string[];
  readonly witnessKeys: readonly string[];
}

function parseKeys(list: readonly string[]): { keys: VerifierKey[]; bad: string[] } {
  const keys: VerifierKey[] = [];
  const bad: string[] = [];
  for (const k of list) {
    try {
      keys.push(parseVerifierKey(k.trim()));
    } catch (err) {
      bad.push(`${k.slice(0, 40)}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { keys, bad };
}

/** Checks `r` for decision `id` (whose shown fields are `shown`) against the keys in `trust`. */
export function verifyDecisionProof(r: ProofResponse, id: string, trust: Trust, shown: Readonly<Record<string, unknown>> = {}): ProofResult {
  const checks: Check[] = [];
  let bytes: Uint8Array | undefined;
  let entry: Record<string, unknown> | null = null;
  try {
    bytes = fromBase64(r.entry);
    const parsed: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) entry = parsed as Record<string, unknown>;
  } catch {
    entry = null;
  }
  const differs = Object.entries(shown).filter(([k, v]) => entry !== null && JSON.stringify(entry[k]) !== JSON.stringify(v)).map(([k]) => k);
  const isIt = entry !== null && entry.decision_id === id && differs.length === 0;
  checks.push({ name: "entry", ok: isIt, detail: entry === null ? "the entry is not a JSON record" : entry.decision_id !== id ? `the entry records decision ${JSON.stringify(entry.decision_id)}, not ${id}` : differs.length > 0 ? `the entry's ${differs.join(", ")} differ from what the console shows` : `entry ${r.index} records this decision (${String(entry.phase)}, ${String(entry.decision)})` });
  const leaf = bytes === undefined ? undefined : leafHash(bytes);
  checks.push({ name: "leaf hash", ok: leaf !== undefined, detail: leaf === undefined ? "the entry's bytes are not base64" : `SHA-256(0x00 ‖ entry) = ${toBase64(leaf)}` });

  const pinned = parseKeys(trust.logKeys);
  const keySource: ProofResult["keySource"] = trust.logKeys.length > 0 ? "pinned" : (r.logKeys?.length ?? 0) > 0 ? "service" : "none";
  const logKeys = keySource === "pinned" ? pinned.keys : parseKeys(r.logKeys ?? []).keys;
  const cosigners: Cosigner[] = [];
  if (r.checkpoint === null) {
    checks.push({ name: "checkpoint", ok: null, detail: "no checkpoint has been signed yet: the service signs one within a few seconds of new decisions" });
    return { ok: false, checks, entry, cosigners, keySource };
  }
  const opened = openCheckpoint(r.checkpoint.note, logKeys);
  // C2SP: the origin names the log and is the name of the key that signs it.
  const signedByOrigin = opened.ok && opened.signatures.some((s) => s.name === opened.checkpoint.origin && logKeys.some((k) => k.name === s.name && k.keyId === s.keyId));
  const keyWord = keySource === "pinned" ? "the pinned log key" : keySource === "service" ? "the key the service reports" : "no key";
  const signed = opened.ok && signedByOrigin;
  checks.push({
    name: "checkpoint signature",
    // A key the service hands out proves nothing about the service: a tampered one signs its own
    // story. Its signature is checked, but only a key the operator pinned can make this pass.
    ok: signed && keySource !== "pinned" ? null : signed,
    detail: !opened.ok ? `does not verify with ${keyWord}: ${opened.error.message}${pinned.bad.length > 0 ? ` (unusable pinned keys: ${pinned.bad.join("; ")})` : ""}` : !signedByOrigin ? `its origin ${JSON.stringify(opened.checkpoint.origin)} is not the name of the key that signed it` : keySource === "pinned" ? `size ${opened.checkpoint.size}, signed by ${opened.checkpoint.origin}, verified with ${keyWord}` : `size ${opened.checkpoint.size}, signed by ${opened.checkpoint.origin} with ${keyWord}, which is not trusted until you pin the log's verifier key`,
  });
  if (r.proof === null) {
    checks.push({ name: "inclusion", ok: null, detail: `entry ${r.index} is newer than the latest checkpoint (size ${r.checkpoint.size}): it will be provable once the next checkpoint is signed` });
  } else if (opened.ok && leaf !== undefined) {
    const cp = opened.checkpoint;
    let path: Uint8Array[] | undefined;
    try {
      path = r.proof.proof.map((h) => fromBase64(h));
    } catch {
      path = undefined;
    }
    const ok = path !== undefined && r.proof.size === cp.size && verifyInclusion(leaf, r.index, cp.size, path, cp.root);
    checks.push({ name: "inclusion", ok, detail: ok ? `RFC 9162 proof of ${path?.length ?? 0} hashes leads from entry ${r.index} to the signed root ${toBase64(cp.root)}` : r.proof.size !== cp.size ? `the proof is for size ${r.proof.size}, the checkpoint for ${cp.size}` : `the proof does not lead to the signed root${bytesEqual(fromBase64(r.proof.root), cp.root) ? "" : " (the service's root differs from the signed one)"}` });
  } else {
    checks.push({ name: "inclusion", ok: false, detail: "not checked: there is no verified root to check against" });
  }

  try {
    const note = parseNote(r.checkpoint.note);
    const witnesses = parseKeys(trust.witnessKeys).keys;
    const seen = new Set<string>();
    for (const s of note.signatures) {
      if (logKeys.some((k) => k.name === s.name && k.keyId === s.keyId)) continue;
      if (seen.has(`${s.name}+${s.keyId}`)) continue;
      seen.add(`${s.name}+${s.keyId}`);
      const key = witnesses.find((k) => k.name === s.name && k.keyId === s.keyId);
      if (!key) {
        cosigners.push({ name: s.name, keyId: s.keyId, status: "no key" });
        continue;
      }
      const v = verifyNote(r.checkpoint.note, [key]);
      const ts = v.ok ? v.signatures[0]?.timestamp : undefined;
      cosigners.push({ name: s.name, keyId: s.keyId, status: v.ok ? "verified" : "invalid", ...(ts !== undefined ? { timestamp: ts } : {}) });
    }
  } catch {
    // A malformed note failed the signature check above already.
  }
  const bad = cosigners.filter((c) => c.status === "invalid");
  if (cosigners.length > 0) checks.push({ name: "witnesses", ok: bad.length > 0 ? false : cosigners.every((c) => c.status === "verified") ? true : null, detail: bad.length > 0 ? `invalid cosignature by ${bad.map((c) => c.name).join(", ")}` : `${cosigners.filter((c) => c.status === "verified").length} of ${cosigners.length} cosignatures verified with pinned witness keys` });
  const ok = keySource === "pinned" && checks.every((c) => c.ok !== false) && checks.filter((c) => c.name !== "witnesses").every((c) => c.ok === true);
  return { ok, checks, entry, cosigners, keySource };
}
