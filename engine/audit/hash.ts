// RFC 9162 §2.1.1 hashing: domain-separated leaf and node hashes so a leaf can never pose as a node.
import { createHash, hash } from "node:crypto";

/** Length in bytes of every hash in the log (SHA-256). */
export const HASH_SIZE = 32;

/** SHA-256 of the given bytes. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

// Digests are handed out as 32-byte views of a shared slab, as Node's Buffer pool does for
// small buffers: crypto.hash's "buffer" output allocates an ArrayBuffer of its own per digest,
// and that allocation and its collection cost about as much as hashing a kilobyte. A digest
// kept keeps its 8 KiB slab alive, and one posted to another thread takes the slab with it.
// A plain Uint8Array: the console runs this module in the browser, where Buffer is a stand-in.
const SLAB = 8192;
let slab = new Uint8Array(SLAB);
let slabAt = 0;

// One-shot crypto.hash over a single buffer is about a quarter cheaper than a createHash
// object per call, and node hashing is the inner loop of appends, proofs and full verification.
// Its "binary" (latin1) output is the digest's bytes one per character, copied into the slab.
function sha256Of(bytes: Uint8Array): Uint8Array {
  const at = slot();
  const d = hash("sha256", bytes, "binary");
  for (let i = 0; i < HASH_SIZE; i++) slab[at + i] = d.charCodeAt(i);
  return new Uint8Array(slab.buffer, at, HASH_SIZE);
}

/** Where the next 32 bytes of the slab start (a new slab when this one is full). */
function slot(): number {
  if (slabAt + HASH_SIZE > SLAB) {
    slab = new Uint8Array(SLAB);
    slabAt = 0;
  }
  slabAt += HASH_SIZE;
  return slabAt - HASH_SIZE;
}

/** A copy of a hash (HASH_SIZE bytes) that shares no bytes with it, in the digest slab. */
export function copyHash(h: Uint8Array): Uint8Array {
  const at = slot();
  const out = new Uint8Array(slab.buffer, at, HASH_SIZE);
  out.set(h);
  return out;
}

/** Leaf hash: SHA-256(0x00 || data). */
export function leafHash(data: Uint8Array): Uint8Array {
  // Whenever the byte before `data` in its buffer is 0x00 (an entry encoded behind one on
  // purpose: document-entry.ts), that byte and `data` are the hash's input as they lie.
  if (data.byteOffset > 0 && new Uint8Array(data.buffer, data.byteOffset - 1, 1)[0] === 0x00) return sha256Of(new Uint8Array(data.buffer, data.byteOffset - 1, data.length + 1));
  // Every byte is written below, so the scratch copy may come unzeroed from Node's shared pool
  // rather than being an ArrayBuffer of its own per entry for the collector to sweep.
  const buf = Buffer.allocUnsafe(1 + data.length);
  buf[0] = 0x00;
  buf.set(data, 1);
  return sha256Of(buf);
}

// Reused for the common 32+32 case; safe because hashing is synchronous and never re-entered.
const nodeBuf = new Uint8Array(1 + 2 * HASH_SIZE);
nodeBuf[0] = 0x01;

/** Interior node hash: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length === HASH_SIZE && right.length === HASH_SIZE) {
    nodeBuf.set(left, 1);
    nodeBuf.set(right, 1 + HASH_SIZE);
    return sha256Of(nodeBuf);
  }
  const buf = new Uint8Array(1 + left.length + right.length);
  buf[0] = 0x01;
  buf.set(left, 1);
  buf.set(right, 1 + left.length);
  return sha256Of(buf);
}

let empty: Uint8Array | undefined;

/** Root of the empty tree: SHA-256 of the empty string (a fresh copy each call). */
export function emptyRoot(): Uint8Array {
  empty ??= sha256();
  return empty.slice();
}

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Bytes from hex; throws a RangeError on odd length or non-hex characters. */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new RangeError(`invalid hex string`);
  return new Uint8Array(Buffer.from(hex, "hex"));
}

/** Standard (padded) base64 of bytes. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/**
 * Bytes from standard padded base64; throws a RangeError on anything else. `canonical` (the
 * default) also rejects non-zero padding bits; Go's base64.StdEncoding accepts them, so parsers
 * mirroring Go pass false.
 */
export function fromBase64(b64: string, canonical = true): Uint8Array {
  // Buffer.from silently skips junk, so the shape is checked first.
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(b64)) throw new RangeError(`invalid base64 string`);
  const out = Buffer.from(b64, "base64");
  if (canonical && out.toString("base64") !== b64) throw new RangeError(`non-canonical base64 string`);
  return new Uint8Array(out);
}

/** Constant-shape byte equality (not secret-safe timing; hashes here are public). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
