// C2SP signed notes (c2sp.org/signed-note), byte-compatible with golang.org/x/mod/sumdb/note:
// the same key strings, key IDs, signature lines and acceptance rules, so checkpoints signed here
// verify with the Go tooling and the reverse. Ed25519 through node:crypto, nothing else.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as cryptoSign, verify as cryptoVerify } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { fromBase64, sha256, toBase64, toHex } from "./hash.ts";

/** Stable codes of NoteError. */
export type NoteErrorCode =
  | "note/malformed"
  | "note/invalid-signature"
  | "note/unverified"
  | "note/invalid-verifier-key"
  | "note/invalid-signer-key"
  | "note/invalid-name"
  | "note/invalid-text";

/** A signed-note failure: a stable `code`, a lowercase message (Go's wording), an optional hint. */
export class NoteError extends Error {
  /** Stable machine-readable code. */
  readonly code: NoteErrorCode;
  /** One-line advice, when there is any. */
  readonly hint: string | undefined;

  constructor(code: NoteErrorCode, message: string, hint?: string) {
    super(message);
    this.name = "NoteError";
    this.code = code;
    this.hint = hint;
  }
}

/** Signature types of C2SP signed-note keys that this module can parse. */
export const SIG_ED25519 = 0x01;
/** transparency-dev's ECDSA P-256 note signature (key ID is SHA-256 of the key only). */
export const SIG_ECDSA = 0x02;
/** c2sp.org/tlog-cosignature: Ed25519 over "cosignature/v1\ntime T\n" + checkpoint. */
export const SIG_COSIGNATURE_V1 = 0x04;
/** c2sp.org/static-ct-api: an RFC 6962 tree head signature over the checkpoint. */
export const SIG_RFC6962_STH = 0x05;

/** A public key a note may be verified against, parsed from a `vkey` string. */
export interface VerifierKey {
  /** Key name, as in signature lines. */
  readonly name: string;
  /** Key ID as 8 lowercase hex digits. */
  readonly keyId: string;
  /** Signature type byte (SIG_*). */
  readonly type: number;
  /** The key bytes after the type byte (raw Ed25519 key or DER SPKI). */
  readonly publicKey: Uint8Array;
  /** The canonical `<name>+<id>+<base64(type||key)>` string. */
  readonly vkey: string;
  /** Checks one signature (its 4-byte key ID already removed) over a note's text. */
  verify(text: Uint8Array, signature: Uint8Array): boolean;
}

/** An Ed25519 signing key, parsed from a `PRIVATE+KEY+...` string. */
export interface SignerKey {
  /** Key name, as in signature lines. */
  readonly name: string;
  /** Key ID as 8 lowercase hex digits. */
  readonly keyId: string;
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** The matching `vkey` string. */
  readonly vkey: string;
  /** Ed25519 signature (64 bytes) of `message`. */
  sign(message: Uint8Array): Uint8Array;
}

/** One signature line of a note. */
export interface NoteSignature {
  /** Key name. */
  readonly name: string;
  /** Key ID as 8 lowercase hex digits. */
  readonly keyId: string;
  /** The base64 text of the line (key ID and signature). */
  readonly base64: string;
  /** For a verified cosignature/v1, the time it attests (seconds since the epoch). */
  readonly timestamp?: number;
}

/** Outcome of verifyNote: the text and its signatures, or why the note was refused. */
export type NoteVerification =
  | { readonly ok: true; readonly text: string; readonly signatures: NoteSignature[]; readonly unverified: NoteSignature[] }
  | { readonly ok: false; readonly error: NoteError };

const EM_DASH_PREFIX = "\u2014 ";
const MAX_SIGNATURES = 100; // Go's limit; C2SP asks verifiers to accept at least 16.
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
// unicode.IsSpace in Go: ASCII spaces, U+0085, U+00A0 and the Unicode White_Space characters.
const SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
// With the u flag a surrogate class only matches unpaired halves: text that has no UTF-8 form.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Whether `name` can name a key: non-empty, no spaces, no "+". */
export function isValidKeyName(name: string): boolean {
  return name !== "" && !LONE_SURROGATE.test(name) && !SPACE.test(name) && !name.includes("+");
}

/** Valid note text: well-formed Unicode with no control characters other than newline. */
function isValidText(text: string): boolean {
  if (LONE_SURROGATE.test(text)) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && c !== 0x0a) return false;
  }
  return true;
}

function u32hex(b: Uint8Array): string {
  return toHex(b.subarray(0, 4));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Key ID of a (name, type||key) pair, per signature type. */
function keyIdFor(name: string, typedKey: Uint8Array): Uint8Array {
  const type = typedKey[0];
  const key = typedKey.subarray(1);
  if (type === SIG_ECDSA) return sha256(key).subarray(0, 4);
  if (type === SIG_RFC6962_STH) return sha256(utf8.encode(name), Uint8Array.of(0x0a, type), sha256(key)).subarray(0, 4);
  return sha256(utf8.encode(name), Uint8Array.of(0x0a), typedKey).subarray(0, 4);
}

function b64url(b: Uint8Array): string {
  return Buffer.from(b).toString("base64url");
}

function ed25519Public(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: b64url(raw) }, format: "jwk" });
}

// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410): node:crypto takes seeds only this way or as JWK with x.
const PKCS8_ED25519_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

function ed25519Private(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.from(concat(PKCS8_ED25519_PREFIX, seed)), format: "der", type: "pkcs8" });
}

function rawPublicOf(priv: KeyObject): Uint8Array {
  const jwk = createPublicKey(priv).export({ format: "jwk" });
  return new Uint8Array(Buffer.from(jwk.x as string, "base64url"));
}

function ed25519Verify(key: KeyObject, message: Uint8Array, sig: Uint8Array): boolean {
  return sig.length === 64 && cryptoVerify(null, message, key, sig);
}

/** The message a cosignature/v1 signs: a header line pair, then the checkpoint text. */
function cosignedMessage(timestamp: bigint, text: Uint8Array): Uint8Array {
  return concat(utf8.encode(`cosignature/v1\ntime ${timestamp}\n`), text);
}

/** RFC 6962 TreeHeadSignature input for a checkpoint text, or undefined if the text is not one. */
function treeHeadInput(text: Uint8Array, timestamp: Uint8Array): Uint8Array | undefined {
  const lines = new TextDecoder().decode(text).split("\n");
  if (lines.length < 4 || !/^(0|[1-9][0-9]{0,19})$/.test(lines[1])) return undefined;
  const size = BigInt(lines[1]);
  if (size >= 1n << 64n) return undefined;
  let root: Uint8Array;
  try {
    root = fromBase64(lines[2], false);
  } catch {
    return undefined;
  }
  if (root.length !== 32) return undefined;
  const sizeBytes = new Uint8Array(8);
  new DataView(sizeBytes.buffer).setBigUint64(0, size);
  return concat(Uint8Array.of(0, 1), timestamp, sizeBytes, root);
}

function makeVerifier(name: string, typedKey: Uint8Array): (text: Uint8Array, sig: Uint8Array) => boolean {
  const type = typedKey[0];
  const key = typedKey.subarray(1);
  if (type === SIG_ED25519) {
    const k = ed25519Public(key);
    return (text, sig) => ed25519Verify(k, text, sig);
  }
  if (type === SIG_COSIGNATURE_V1) {
    const k = ed25519Public(key);
    return (text, sig) => {
      if (sig.length !== 8 + 64) return false;
      const t = new DataView(sig.buffer, sig.byteOffset, 8).getBigUint64(0);
      return ed25519Verify(k, cosignedMessage(t, text), sig.subarray(8));
    };
  }
  const spki = createPublicKey({ key: Buffer.from(key), format: "der", type: "spki" });
  if (type === SIG_ECDSA) return (text, sig) => cryptoVerify("sha256", text, spki, sig);
  // SIG_RFC6962_STH: u64 timestamp || TLS DigitallySigned { hash alg, sig alg, u16 length, signature }.
  return (text, sig) => {
    if (sig.length < 12 || sig[8] !== 4) return false;
    const len = (sig[10] << 8) | sig[11];
    if (sig.length !== 12 + len) return false;
    const input = treeHeadInput(text, sig.subarray(0, 8));
    return input !== undefined && cryptoVerify("sha256", input, spki, sig.subarray(12));
  };
}

/**
 * Parses a verifier key `<name>+<hex key id>+<base64(type || key)>`. Types: 0x01 Ed25519, 0x02
 * ECDSA, 0x04 cosignature/v1, 0x05 RFC 6962. Throws NoteError "note/invalid-verifier-key" when
 * the syntax, the key length, the type or the key ID is wrong.
 */
export function parseVerifierKey(vkey: string): VerifierKey {
  const bad = (why: string): NoteError => new NoteError("note/invalid-verifier-key", `invalid verifier key: ${why}`, "a verifier key reads <name>+<8 hex digits>+<base64 key>");
  if (typeof vkey !== "string") throw bad("not a string");
  const parts = /^([^+]*)\+([^+]*)\+(.*)$/s.exec(vkey);
  if (!parts) throw bad("wrong number of parts");
  const [, name, idHex, key64] = parts;
  if (!isValidKeyName(name)) throw bad("invalid key name");
  if (!/^[0-9a-fA-F]{8}$/.test(idHex)) throw bad("key id is not 8 hex digits");
  let typedKey: Uint8Array;
  try {
    typedKey = fromBase64(key64, false);
  } catch {
    throw bad("key is not base64");
  }
  if (typedKey.length === 0) throw bad("empty key");
  const type = typedKey[0];
  if (type !== SIG_ED25519 && type !== SIG_ECDSA && type !== SIG_COSIGNATURE_V1 && type !== SIG_RFC6962_STH) throw bad(`unknown signature type 0x${type.toString(16).padStart(2, "0")}`);
  if ((type === SIG_ED25519 || type === SIG_COSIGNATURE_V1) && typedKey.length !== 33) throw bad("ed25519 key is not 32 bytes");
  if (u32hex(keyIdFor(name, typedKey)) !== idHex.toLowerCase()) throw bad("key id does not match the key");
  let verify: (text: Uint8Array, sig: Uint8Array) => boolean;
  try {
    verify = makeVerifier(name, typedKey);
  } catch {
    throw bad("the key does not parse");
  }
  const keyId = idHex.toLowerCase();
  return {
    name,
    keyId,
    type,
    publicKey: typedKey.slice(1),
    vkey: `${name}+${keyId}+${toBase64(typedKey)}`,
    verify(text, signature) {
      try {
        return verify(text, signature);
      } catch {
        return false;
      }
    },
  };
}

function signerFromSeed(name: string, seed: Uint8Array): SignerKey {
  const priv = ed25519Private(seed);
  const publicKey = rawPublicOf(priv);
  const typed = concat(Uint8Array.of(SIG_ED25519), publicKey);
  const keyId = u32hex(keyIdFor(name, typed));
  return {
    name,
    keyId,
    publicKey,
    vkey: `${name}+${keyId}+${toBase64(typed)}`,
    sign: (message) => new Uint8Array(cryptoSign(null, message, priv)),
  };
}

/**
 * Parses a signer key `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>` as Go's note
 * package writes it. Throws NoteError "note/invalid-signer-key" when it is malformed or its key
 * ID does not match the derived public key.
 */
export function parseSignerKey(skey: string): SignerKey {
  const bad = (why: string): NoteError => new NoteError("note/invalid-signer-key", `invalid signer key: ${why}`, "a signer key reads PRIVATE+KEY+<name>+<8 hex digits>+<base64 seed>");
  if (typeof skey !== "string") throw bad("not a string");
  const parts = /^PRIVATE\+KEY\+([^+]*)\+([^+]*)\+(.*)$/s.exec(skey);
  if (!parts) throw bad("wrong format");
  const [, name, idHex, key64] = parts;
  if (!isValidKeyName(name)) throw bad("invalid key name");
  if (!/^[0-9a-fA-F]{8}$/.test(idHex)) throw bad("key id is not 8 hex digits");
  let typed: Uint8Array;
  try {
    typed = fromBase64(key64, false);
  } catch {
    throw bad("key is not base64");
  }
  if (typed.length !== 33 || typed[0] !== SIG_ED25519) throw bad("not an ed25519 seed");
  const signer = signerFromSeed(name, typed.subarray(1));
  if (signer.keyId !== idHex.toLowerCase()) throw bad("key id does not match the key");
  return signer;
}

/** A fresh Ed25519 key pair as Go's note.GenerateKey writes it: the signer and verifier key strings. */
export function generateKey(name: string): { signerKey: string; verifierKey: string } {
  if (!isValidKeyName(name)) throw new NoteError("note/invalid-name", `invalid key name ${JSON.stringify(name)}`, "key names are non-empty, without spaces or \"+\"");
  const { privateKey } = generateKeyPairSync("ed25519");
  const d = privateKey.export({ format: "jwk" }).d as string;
  const seed = new Uint8Array(Buffer.from(d, "base64url"));
  const signer = signerFromSeed(name, seed);
  return {
    signerKey: `PRIVATE+KEY+${name}+${signer.keyId}+${toBase64(concat(Uint8Array.of(SIG_ED25519), seed))}`,
    verifierKey: signer.vkey,
  };
}

function checkText(text: string): void {
  if (typeof text !== "string" || !text.endsWith("\n") || !isValidText(text)) {
    throw new NoteError("note/invalid-text", "malformed note text", "note text must end with a newline and hold no control characters other than newlines");
  }
}

function sigLine(name: string, sigWithId: Uint8Array): string {
  return `${EM_DASH_PREFIX}${name} ${toBase64(sigWithId)}\n`;
}

/**
 * Signs `text` (which must end with a newline) with every signer, in order, and returns the note:
 * text, a blank line, one signature line per signer. Throws NoteError "note/invalid-text".
 */
export function signNote(text: string, signers: SignerKey | readonly SignerKey[]): string {
  checkText(text);
  const list = Array.isArray(signers) ? (signers as readonly SignerKey[]) : [signers as SignerKey];
  const msg = utf8.encode(text);
  let out = `${text}\n`;
  for (const s of list) out += sigLine(s.name, concat(Buffer.from(s.keyId, "hex"), s.sign(msg)));
  return out;
}

/** The cosignature/v1 verifier key (type 0x04) belonging to an Ed25519 signer key. */
export function cosignatureVerifierKey(signer: SignerKey): string {
  const typed = concat(Uint8Array.of(SIG_COSIGNATURE_V1), signer.publicKey);
  return `${signer.name}+${u32hex(keyIdFor(signer.name, typed))}+${toBase64(typed)}`;
}

/**
 * A c2sp.org/tlog-cosignature v1 signature line by `signer` over a checkpoint's text, attesting
 * `timestamp` (whole seconds since the epoch); append it to the checkpoint's signature lines.
 */
export function cosignatureLine(checkpointText: string, signer: SignerKey, timestamp: number): string {
  checkText(checkpointText);
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new NoteError("note/invalid-text", `invalid cosignature timestamp ${String(timestamp)}`);
  const t = BigInt(timestamp);
  const keyId = cosignatureVerifierKey(signer).split("+")[1];
  const ts = new Uint8Array(8);
  new DataView(ts.buffer).setBigUint64(0, t);
  return sigLine(signer.name, concat(Buffer.from(keyId, "hex"), ts, signer.sign(cosignedMessage(t, utf8.encode(checkpointText)))));
}

/** One signature line as parsed, before any key is consulted. */
export interface NoteSignatureLine {
  /** Key name. */
  readonly name: string;
  /** Key ID as 8 lowercase hex digits. */
  readonly keyId: string;
  /** The base64 text of the line (key ID and signature). */
  readonly base64: string;
  /** The signature bytes after the 4-byte key ID. */
  readonly signature: Uint8Array;
}

/** A note split into its text and signature lines, nothing verified. */
export interface ParsedNote {
  /** The signed text, ending with its newline. */
  readonly text: string;
  /** Signature lines in order, duplicates included. */
  readonly signatures: NoteSignatureLine[];
}

function malformedError(): NoteError {
  return new NoteError("note/malformed", "malformed note", "a signed note is text, a blank line, then lines \"\u2014 <name> <base64>\"");
}

/** The split note, or undefined when it breaks the signed-note grammar. */
function split(note: unknown): ParsedNote | undefined {
  let msg: string;
  if (typeof note === "string") msg = note;
  else if (note instanceof Uint8Array) {
    try {
      msg = strictUtf8.decode(note);
    } catch {
      return undefined;
    }
  } else return undefined;
  if (!isValidText(msg)) return undefined;
  const at = msg.lastIndexOf("\n\n");
  if (at < 0) return undefined;
  const text = msg.slice(0, at + 1);
  let rest = msg.slice(at + 2);
  if (rest === "" || !rest.endsWith("\n")) return undefined;
  const signatures: NoteSignatureLine[] = [];
  while (rest.length > 0) {
    const nl = rest.indexOf("\n");
    const line = rest.slice(0, nl);
    rest = rest.slice(nl + 1);
    if (!line.startsWith(EM_DASH_PREFIX)) return undefined;
    const body = line.slice(EM_DASH_PREFIX.length);
    const sp = body.indexOf(" ");
    const name = sp < 0 ? body : body.slice(0, sp);
    const b64 = sp < 0 ? "" : body.slice(sp + 1);
    let raw: Uint8Array;
    try {
      raw = fromBase64(b64, false);
    } catch {
      return undefined;
    }
    if (!isValidKeyName(name) || b64 === "" || raw.length < 5) return undefined;
    if (signatures.length === MAX_SIGNATURES) return undefined;
    signatures.push({ name, keyId: u32hex(raw), base64: b64, signature: raw.slice(4) });
  }
  return { text, signatures };
}

/**
 * Splits a signed note into text and signature lines without verifying anything. Throws
 * NoteError "note/malformed" on invalid UTF-8, control characters, a missing blank line or final
 * newline, no signatures, a bad signature line, or more than 100 signatures.
 */
export function parseNote(note: string | Uint8Array): ParsedNote {
  const parsed = split(note);
  if (!parsed) throw malformedError();
  return parsed;
}

/**
 * Opens a signed note as Go's note.Open does, and never throws: ignores signatures by keys not
 * in `verifierKeys` (matched by name and key ID), rejects the note when a known key's signature
 * fails ("note/invalid-signature"), and accepts only when at least one known signature verified
 * ("note/unverified" otherwise). Notes parseNote refuses give "note/malformed"; key strings that
 * do not parse give "note/invalid-verifier-key".
 */
export function verifyNote(note: string | Uint8Array, verifierKeys: readonly (VerifierKey | string)[]): NoteVerification {
  try {
    let keys: VerifierKey[];
    try {
      keys = verifierKeys.map((k) => (typeof k === "string" ? parseVerifierKey(k) : k));
    } catch (e) {
      if (e instanceof NoteError) return { ok: false, error: e };
      throw e;
    }
    const parsed = split(note);
    if (!parsed) return { ok: false, error: malformedError() };
    const textBytes = utf8.encode(parsed.text);
    const signatures: NoteSignature[] = [];
    const unverified: NoteSignature[] = [];
    const seen = new Set<string>();
    for (const { name, keyId, base64, signature } of parsed.signatures) {
      const id = `${name}+${keyId}`;
      const key = keys.find((k) => k.name === name && k.keyId === keyId);
      if (!key) {
        // Go drops repeats of an identical unknown line.
        if (!unverified.some((u) => u.name === name && u.base64 === base64)) unverified.push({ name, keyId, base64 });
        continue;
      }
      // Go drops a repeated signature by one key without looking at it again.
      if (seen.has(id)) continue;
      seen.add(id);
      if (!key.verify(textBytes, signature)) {
        return { ok: false, error: new NoteError("note/invalid-signature", `invalid signature for key ${id}`) };
      }
      const timestamp = key.type === SIG_COSIGNATURE_V1 ? Number(new DataView(signature.buffer, signature.byteOffset, 8).getBigUint64(0)) : undefined;
      signatures.push(timestamp === undefined ? { name, keyId, base64 } : { name, keyId, base64, timestamp });
    }
    if (signatures.length === 0) {
      return { ok: false, error: new NoteError("note/unverified", "note has no verifiable signatures", "configure the verifier key of the log that signed it") };
    }
    return { ok: true, text: parsed.text, signatures, unverified };
  } catch {
    return { ok: false, error: malformedError() };
  }
}
