// GDPR Art. 17 erasure by key destruction ("crypto-shredding").
//
// The fields an operator declares personal are taken out of the record and sealed with
// AES-256-GCM under a key that belongs to the record's data subject. The stored entry — the
// bytes the Merkle leaf commits to — is the record with those fields replaced by SEALED_MARKER
// (so it stays a valid decision record) plus a `$sealed` object holding the ciphertext; the key lives in the store's subject_keys table. Erasing a subject
// destroys its key: the ciphertext stays (so every leaf, node and checkpoint still verifies) but
// can never be read again, and the fields read back as ERASED_MARKER.
//
// The subject identifier is kept beside the entry, outside the leaf, to find a subject's entries,
// and only as a keyed pseudonym (AuditLog hashes it with a per-log salt), so the database holds
// no plain identifier to begin with. Records without a subject cannot be erased on request
// later, so their personal fields are not kept at all: they are written as the marker.
//
// Private by default: a log created through the library seals DEFAULT_ERASURE unless it is
// given another policy or `erasure: false`. This module's API (seal, unseal, sealedPart,
// subjectOf, DEFAULT_ERASURE) is stable: the SDK seals what it keeps for replay with it.
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, randomBytes } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { canonicalJson } from "./canonical-json.ts";
import { AuditError } from "./errors.ts";

/** Which fields are personal, and which field names the data subject. Paths are dotted (`meta.user_email`). */
export interface ErasurePolicy {
  /** Path of the field naming the data subject, e.g. `principal.id`. */
  readonly subjectField: string;
  /** Paths of the fields sealed under the subject's key, e.g. `principal`, `meta.user_email`. */
  readonly personalFields: readonly string[];
  /**
   * Records without a subject: "drop" (the default) writes their personal fields as
   * ERASED_MARKER; "seal" seals them under the key of ANONYMOUS_SUBJECT, which one erasure of
   * that subject destroys for all of them at once.
   */
  readonly anonymous?: "drop" | "seal";
}

/** The subject records without one are sealed under when the policy says `anonymous: "seal"`. */
export const ANONYMOUS_SUBJECT = "\u0000anonymous";

/**
 * The policy a new log seals with unless told otherwise: the subject is the record's principal
 * (its id when it is an object); the principal, the decided input and the original input a
 * writer keeps for replay (`input_original`, when it records the redacted input as `input`) are
 * personal, and records without a principal are sealed too (under ANONYMOUS_SUBJECT), so replay
 * keeps working for them. What stays clear is the decision itself: agent, environment, phase,
 * tool name, outcome, rules, digests, times.
 */
export const DEFAULT_ERASURE: ErasurePolicy = Object.freeze({ subjectField: "principal", personalFields: Object.freeze(["principal", "input", "input_original"]), anonymous: "seal" });

/**
 * An erasure policy from JSON text (as a log records it, or a configuration holds it). Throws
 * AuditError "audit/invalid-record" naming what is wrong.
 */
export function parseErasurePolicy(text: string): ErasurePolicy {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new AuditError("audit/invalid-record", "the erasure policy is not JSON");
  }
  return erasurePolicyFrom(v, "erasure policy");
}

/** Checks a value is an ErasurePolicy: a non-empty `subjectField` path and a list of `personalFields` paths. */
export function erasurePolicyFrom(v: unknown, where: string): ErasurePolicy {
  const path = (p: unknown) => typeof p === "string" && /^[^.]+(\.[^.]+)*$/.test(p);
  if (!isObj(v) || !path(v.subjectField)) throw new AuditError("audit/invalid-record", `${where}: subjectField must be a dotted field path such as "principal"`);
  if (!Array.isArray(v.personalFields) || !v.personalFields.every(path)) throw new AuditError("audit/invalid-record", `${where}: personalFields must be a list of dotted field paths`);
  if (v.anonymous !== undefined && v.anonymous !== "drop" && v.anonymous !== "seal") throw new AuditError("audit/invalid-record", `${where}: anonymous must be "drop" or "seal"`);
  const policy = { subjectField: v.subjectField as string, personalFields: [...(v.personalFields as string[])] };
  return v.anonymous === undefined ? policy : { ...policy, anonymous: v.anonymous };
}

/** What an erased (or never kept) personal field reads as. */
export const ERASED_MARKER = "[erased]";

/** What a sealed field holds in the stored entry, in place of its value. */
export const SEALED_MARKER = "[sealed]";

/** The envelope field that holds the sealed personal fields. */
export const SEALED_FIELD = "$sealed";

/** The sealed part of an entry, as stored (and committed to by the leaf). */
export interface SealedFields {
  readonly v: 1;
  readonly alg: "A256GCM";
  /** Random id of the subject key (never the subject). */
  readonly kid: string;
  /** The sealed paths, in sealing order. */
  readonly fields: readonly string[];
  /** Base64 96-bit nonce. */
  readonly iv: string;
  /** Base64 ciphertext followed by the 128-bit tag. */
  readonly ct: string;
}

/** A subject key: its id (stored in envelopes) and its 256-bit secret. */
export interface KeyMaterial {
  readonly keyId: string;
  readonly key: Uint8Array;
}

/** How a record read back: its personal fields opened, erased, unreadable (damaged), or it had none. */
export type OpenStatus = "open" | "erased" | "damaged" | "plain";

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The value at a dotted path, or undefined. */
export function getPath(record: unknown, path: string): unknown {
  let at: unknown = record;
  for (const part of path.split(".")) {
    if (!isObj(at) || !Object.hasOwn(at, part)) return undefined;
    at = at[part];
  }
  return at;
}

function setPath(record: Obj, path: string, value: unknown): void {
  const parts = path.split(".");
  let at: Obj = record;
  for (const part of parts.slice(0, -1)) {
    const next = at[part];
    if (!isObj(next)) at[part] = {};
    at = at[part] as Obj;
  }
  at[parts[parts.length - 1]] = value;
}

/**
 * The record's data subject as a string, or null when it has none. The subject field holds a
 * string or a number, or an object whose `id` does (a principal recorded as `{ id, ... }`).
 */
export function subjectOf(record: unknown, policy: ErasurePolicy): string | null {
  let v = getPath(record, policy.subjectField);
  if (isObj(v)) v = v.id;
  if (typeof v === "string" && v !== "") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return null;
}

/** A fresh random subject key. */
export function newSubjectKey(): KeyMaterial {
  return { keyId: randomBytes(16).toString("hex"), key: new Uint8Array(randomBytes(32)) };
}

// The header is authenticated so a ciphertext cannot be moved under another key id or field list.
function aad(kid: string, fields: readonly string[]): Buffer {
  return Buffer.from(JSON.stringify(["palisade-seal-v1", kid, fields]), "utf8");
}

// Headers of recent seals: a log seals entry after entry under the same few keys and field lists.
const aads = new Map<string, Buffer>();
const AAD_CACHE = 10_000;

function aadOf(kid: string, fields: readonly string[]): Buffer {
  const k = fields.length === 1 ? `${kid}\u0000${fields[0]}` : `${kid}\u0000${fields.join("\u0000")}`;
  let a = aads.get(k);
  if (a === undefined) {
    if (aads.size >= AAD_CACHE) aads.clear();
    a = aad(kid, fields);
    aads.set(k, a);
  }
  return a;
}

/** The personal paths present in the record, in policy order. */
export function personalPathsIn(record: unknown, policy: ErasurePolicy): string[] {
  return policy.personalFields.filter((p) => getPath(record, p) !== undefined);
}

/** Sets `path` in `out` to `value`, first copying every object on the way that `out` still shares with its source. */
function setCopying(out: Obj, path: string, value: unknown, fresh: Set<object>): void {
  const parts = path.split(".");
  let at: Obj = out;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    let v: unknown = value;
    if (i < parts.length - 1) {
      const next = at[part];
      const child: Obj = isObj(next) ? (fresh.has(next) ? next : { ...next }) : {};
      fresh.add(child);
      v = child;
    }
    // defineProperty, so that a "__proto__" path part names a member, never the prototype.
    Object.defineProperty(at, part, { value: v, enumerable: true, writable: true, configurable: true });
    if (i < parts.length - 1) at = v as Obj;
  }
}

// GCM nonces drawn from a pool of random bytes: one system call per 4,096 seals, not one each.
const NONCE = 12;
let nonces = Buffer.alloc(0);
let nonceAt = 0;
function freshNonce(): Buffer {
  if (nonceAt + NONCE > nonces.length) {
    nonces = randomBytes(NONCE * 4096);
    nonceAt = 0;
  }
  nonceAt += NONCE;
  return nonces.subarray(nonceAt - NONCE, nonceAt);
}

/**
 * The envelope to store for `record`: a copy whose personal fields read SEALED_MARKER, their
 * values sealed under `key` in `$sealed`. With no key (no subject) the fields are replaced by
 * ERASED_MARKER instead. The input is not modified; the copy shares the input's unchanged nested
 * values, so treat both as read-only. A record with no personal field is returned as a shallow copy.
 */
export function seal(record: Obj, policy: ErasurePolicy, key: KeyMaterial | null): Obj {
  const fields = personalPathsIn(record, policy);
  const out: Obj = { ...record };
  if (fields.length === 0) return out;
  const fresh = new Set<object>([out]);
  if (key === null) {
    for (const f of fields) if (getPath(out, f) !== undefined) setCopying(out, f, ERASED_MARKER, fresh);
    return out;
  }
  const values = Object.create(null) as Obj;
  const sealed: string[] = [];
  for (const f of fields) {
    // An earlier path may have taken this one with it (`principal` before `principal.email`).
    const v = getPath(out, f);
    if (v === undefined || v === SEALED_MARKER) continue;
    values[f] = v;
    sealed.push(f);
    setCopying(out, f, SEALED_MARKER, fresh);
  }
  // Canonical JSON, so a personal value JSON cannot hold is refused as in the clear part, never converted.
  out[SEALED_FIELD] = sealText(canonicalJson(values, "record"), sealed, key);
  return out;
}

// A cipher made from a KeyObject skips importing the raw key on every seal (about a quarter of
// a seal's cost). Held only as long as the caller holds the key bytes.
const keyObjects = new WeakMap<Uint8Array, KeyObject>();

function keyObjectOf(key: Uint8Array): KeyObject {
  let k = keyObjects.get(key);
  if (k === undefined) {
    k = createSecretKey(key);
    keyObjects.set(key, k);
  }
  return k;
}

// Entries hold at most 64 KiB, so larger seals are rare enough for a buffer of their own.
const SCRATCH = 64 * 1024;
const scratch = Buffer.allocUnsafe(SCRATCH);

/** The envelope of `fields` whose values are `plain` (the canonical JSON object of path to value), sealed under `key`. */
export function sealText(plain: string, fields: readonly string[], key: KeyMaterial): SealedFields {
  const iv = freshNonce();
  const cipher = createCipheriv("aes-256-gcm", keyObjectOf(key.key), iv);
  cipher.setAAD(aadOf(key.keyId, fields));
  // Ciphertext and tag are base64-encoded together from a scratch buffer rather than joined into a new one.
  const body = cipher.update(plain, "utf8");
  const tail = cipher.final();
  const tag = cipher.getAuthTag();
  const length = body.length + tail.length + tag.length;
  const out = length <= SCRATCH ? scratch : Buffer.allocUnsafe(length);
  out.set(body, 0);
  out.set(tail, body.length);
  out.set(tag, body.length + tail.length);
  return { v: 1, alg: "A256GCM", kid: key.keyId, fields, iv: iv.toString("base64"), ct: out.toString("base64", 0, length) };
}

/** The pseudonym a subject is stored under: keyed with the log's salt, so the store holds no plain identifier. */
export function pseudonymOf(salt: string | undefined, subject: string): string {
  return salt === undefined ? subject : createHmac("sha256", salt).update(subject, "utf8").digest("hex");
}

/** The sealed part of an envelope, or null when it has none or it is malformed. */
export function sealedPart(envelope: unknown): SealedFields | null {
  if (!isObj(envelope)) return null;
  const s = envelope[SEALED_FIELD];
  if (!isObj(s)) return null;
  if (s.v !== 1 || s.alg !== "A256GCM" || typeof s.kid !== "string" || typeof s.iv !== "string" || typeof s.ct !== "string") return null;
  if (!Array.isArray(s.fields) || !s.fields.every((f) => typeof f === "string")) return null;
  return s as unknown as SealedFields;
}

/**
 * The record an envelope was made from, as far as it can be read: sealed fields opened with the
 * key `lookup` returns, or set to ERASED_MARKER when the key is gone (null/undefined) or the
 * ciphertext does not open. Never throws.
 */
export function unseal(envelope: Obj, lookup: (keyId: string) => Uint8Array | null | undefined): { record: Obj; status: OpenStatus } {
  const s = sealedPart(envelope);
  const record = structuredClone(envelope);
  delete record[SEALED_FIELD];
  if (!s) return { record, status: "plain" };
  const key = lookup(s.kid);
  let status: OpenStatus = key ? "open" : "erased";
  let values: Obj | null = null;
  if (key) {
    try {
      const raw = Buffer.from(s.ct, "base64");
      if (raw.length < 16) throw new Error("short");
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(s.iv, "base64"));
      decipher.setAAD(aad(s.kid, s.fields));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      const plain = Buffer.concat([decipher.update(raw.subarray(0, raw.length - 16)), decipher.final()]).toString("utf8");
      const parsed: unknown = JSON.parse(plain);
      if (!isObj(parsed)) throw new Error("not an object");
      values = parsed;
    } catch {
      status = "damaged";
    }
  }
  for (const f of s.fields) setPath(record, f, values && Object.hasOwn(values, f) ? values[f] : ERASED_MARKER);
  return { record, status };
}
