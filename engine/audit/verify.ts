// RFC 9162 §2.1.3.2 and §2.1.4.2 proof verification. Pure, and total: every input, however
// malformed, yields true or false — a verifier that throws is one an attacker can crash.
import { bytesEqual, HASH_SIZE, nodeHash } from "./hash.ts";

/** A tree size or leaf index: a safe integer, or a bigint for the full uint64 range other logs use. */
export type TreeIndex = number | bigint;

const U64_LIMIT = 1n << 64n;

/** A non-negative uint64 as bigint, or undefined for anything else. */
function asU64(v: unknown): bigint | undefined {
  if (typeof v === "bigint") return v >= 0n && v < U64_LIMIT ? v : undefined;
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  return undefined;
}

function isHash(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array && v.length === HASH_SIZE;
}

/** A copy of the proof when it is an array of 32-byte hashes, else undefined. */
function asProof(v: unknown): Uint8Array[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: Uint8Array[] = [];
  for (const h of v as unknown[]) {
    if (!isHash(h)) return undefined;
    out.push(h);
  }
  return out;
}

/**
 * Whether `proof` shows the leaf with hash `leafHash` at `index` in the tree of `treeSize`
 * leaves whose root is `root` (RFC 9162 §2.1.3.2). Fails when index >= treeSize, when the leaf
 * hash or a proof element is not 32 bytes, or when the proof has the wrong length for
 * (index, treeSize). Never throws.
 */
export function verifyInclusion(leafHash: Uint8Array, index: TreeIndex, treeSize: TreeIndex, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  try {
    const fnStart = asU64(index);
    const size = asU64(treeSize);
    const path = asProof(proof);
    if (fnStart === undefined || size === undefined || path === undefined || !isHash(leafHash) || !(root instanceof Uint8Array)) return false;
    if (fnStart >= size) return false;
    let fn = fnStart;
    let sn = size - 1n;
    let r = leafHash;
    for (const p of path) {
      if (sn === 0n) return false;
      if ((fn & 1n) === 1n || fn === sn) {
        r = nodeHash(p, r);
        // Skip the levels where this node has no right sibling (the right edge of the tree).
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      } else {
        r = nodeHash(r, p);
      }
      fn >>= 1n;
      sn >>= 1n;
    }
    return sn === 0n && bytesEqual(r, root);
  } catch {
    return false;
  }
}

/**
 * Whether `proof` shows the tree of `size2` leaves with root `root2` extends the tree of `size1`
 * leaves with root `root1` (RFC 9162 §2.1.4.2). Edge cases as transparency-dev/merkle decides
 * them: fails when size2 < size1 and when size1 is 0 (even with an empty proof); when the sizes
 * are equal the proof must be empty and the roots equal. Never throws.
 */
export function verifyConsistency(size1: TreeIndex, size2: TreeIndex, proof: readonly Uint8Array[], root1: Uint8Array, root2: Uint8Array): boolean {
  try {
    const first = asU64(size1);
    const second = asU64(size2);
    const path = asProof(proof);
    // Roots are compared, never hashed, so any length is merely unequal (transparency-dev agrees).
    if (first === undefined || second === undefined || path === undefined || !(root1 instanceof Uint8Array) || !(root2 instanceof Uint8Array)) return false;
    if (second < first || first === 0n) return false;
    if (first === second) return path.length === 0 && bytesEqual(root1, root2);
    if (path.length === 0) return false;
    // A power-of-two old tree is itself a node of the new one: its root starts the path.
    if ((first & (first - 1n)) === 0n) path.unshift(root1);
    let fn = first - 1n;
    let sn = second - 1n;
    while ((fn & 1n) === 1n) {
      fn >>= 1n;
      sn >>= 1n;
    }
    let fr = path[0];
    let sr = path[0];
    for (let i = 1; i < path.length; i++) {
      const c = path[i];
      if (sn === 0n) return false;
      if ((fn & 1n) === 1n || fn === sn) {
        fr = nodeHash(c, fr);
        sr = nodeHash(c, sr);
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      } else {
        sr = nodeHash(sr, c);
      }
      fn >>= 1n;
      sn >>= 1n;
    }
    return sn === 0n && bytesEqual(fr, root1) && bytesEqual(sr, root2);
  } catch {
    return false;
  }
}
