// The browser stand-in for node:crypto. The engine's policy digest needs
// `createHash("sha256").update(text).digest("hex")`; the audit log's pure modules, which the
// console runs to check proofs and checkpoints with the CLI's own code, need SHA-256 as bytes
// (`hash`, `digest()`) and Ed25519 verification (`createPublicKey` from a JWK, `verify`), given
// by @noble/curves. Everything is synchronous, as in Node (WebCrypto is not), because the note
// verifier is. Signing and other key types are not offered in the page: they throw.
import { ed25519 } from "@noble/curves/ed25519.js";

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** SHA-256 of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const len = data.length;
  const padded = new Uint8Array(((len + 9 + 63) >> 6) << 6);
  padded.set(data);
  padded[len] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(len / 0x20000000));
  view.setUint32(padded.length - 4, (len << 3) >>> 0);
  const w = new Uint32Array(64);
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4);
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15], b = w[i - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (hh + S1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) >>> 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      hh = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
  const out = new Uint8Array(32);
  const ov = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) ov.setUint32(i * 4, h[i]);
  return out;
}

/** What `createHash` returns: text or bytes in, a hex digest (or the bytes) out. */
export interface Hash {
  update(data: string | Uint8Array): Hash;
  digest(encoding: "hex"): string;
  digest(): Uint8Array;
}

/** `createHash("sha256")`, the one algorithm the engine asks for. */
export function createHash(algorithm: string): Hash {
  if (algorithm !== "sha256") throw new Error(`the browser build only hashes sha256, not ${algorithm}`);
  const parts: Uint8Array[] = [];
  const enc = new TextEncoder();
  const hash: Hash = {
    update(data) {
      parts.push(typeof data === "string" ? enc.encode(data) : data);
      return hash;
    },
    digest(encoding?: "hex") {
      const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        all.set(p, at);
        at += p.length;
      }
      const out = sha256(all);
      return (encoding === "hex" ? [...out].map((b) => b.toString(16).padStart(2, "0")).join("") : out) as string & Uint8Array;
    },
  };
  return hash;
}

/** `crypto.hash("sha256", bytes, "buffer")`. */
export function hash(algorithm: string, data: Uint8Array, encoding?: "binary"): Uint8Array | string {
  if (algorithm !== "sha256") throw new Error(`the browser build only hashes sha256, not ${algorithm}`);
  const d = sha256(data);
  // "binary" (latin1): one character per byte, as Node gives it (the audit log's hash.ts asks so).
  return encoding === "binary" ? String.fromCharCode(...d) : d;
}

/** A public key as the page holds it: raw Ed25519 bytes. */
export interface KeyObject {
  readonly type: "public";
  readonly raw: Uint8Array;
}

function fromB64url(s: string): Uint8Array {
  const std = s.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(std + "=".repeat((4 - (std.length % 4)) % 4)), (c) => c.charCodeAt(0));
}

/** `createPublicKey` for an Ed25519 JWK, the form the note module gives; other forms throw. */
export function createPublicKey(spec: { key: { kty?: string; crv?: string; x?: string } | Uint8Array; format?: string }): KeyObject {
  const k = spec.key as { kty?: string; crv?: string; x?: string };
  if (spec.format !== "jwk" || k.kty !== "OKP" || k.crv !== "Ed25519" || typeof k.x !== "string") throw new Error("the page verifies Ed25519 keys only");
  const raw = fromB64url(k.x);
  if (raw.length !== 32) throw new Error("an Ed25519 key is 32 bytes");
  return { type: "public", raw };
}

/**
 * `crypto.verify(null, message, key, signature)` for Ed25519: RFC 8032's strict rules, as
 * OpenSSL applies them under Node (not ZIP 215's looser ones), so the page and the CLI agree.
 */
export function verify(algorithm: string | null, message: Uint8Array, key: KeyObject, signature: Uint8Array): boolean {
  if (algorithm !== null) throw new Error("the page verifies Ed25519 signatures only");
  try {
    return ed25519.verify(signature, message, key.raw, { zip215: false });
  } catch {
    return false;
  }
}

function noSigning(): never {
  throw new Error("signing is not available in the page");
}

/** Not in the page. */
export const createPrivateKey = noSigning;
/** Not in the page. */
export const generateKeyPairSync = noSigning;
/** Not in the page. */
export const sign = noSigning;
