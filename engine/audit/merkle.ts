// RFC 9162 §2.1 Merkle tree algorithms over a reader of perfect-subtree hashes.
//
// Every hash the algorithms need is the root of a perfect subtree (2^level leaves, aligned at
// index * 2^level) or a right fold of such roots, so a store that keeps only those nodes can
// compute any root or proof from O(log n) reads. "Which nodes" (the *Nodes functions) is kept
// apart from "hash them" (hashPlan) so a store can fetch everything in one query.
import { AuditError } from "./errors.ts";
// leafHash is imported under another name so MerkleTree.leafHash (a method) reads clearly.
import { copyHash, emptyRoot, HASH_SIZE, leafHash as leafHashOf, nodeHash } from "./hash.ts";

/**
 * Hash of the perfect subtree of 2^level leaves starting at leaf index * 2^level (level 0 = leaf
 * hashes). The algorithms only ever ask for complete subtrees lying below the tree size in use.
 */
export type NodeReader = (level: number, index: number) => Uint8Array;

/** Address of one perfect subtree: 2^level leaves starting at leaf index * 2^level. */
export interface NodeId {
  /** Height of the subtree (0 = a leaf). */
  readonly level: number;
  /** Position among the subtrees of that height, counted from the left. */
  readonly index: number;
}

/**
 * What a proof (or root) is made of: one entry per output hash, each the list of perfect
 * subtrees (left to right) whose right fold — h = last; h = nodeHash(prev, h) … — is that hash.
 * Most entries hold a single node; only the right edge of a non-perfect tree holds several.
 */
export type ProofPlan = readonly (readonly NodeId[])[];

/** Largest power of two strictly below n (n >= 2). Arithmetic, not bit ops, so sizes past 2^31 work. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function checkSize(size: number, what: string): void {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new AuditError("audit/invalid-size", `${what} must be a non-negative integer, got ${String(size)}`);
  }
}

/**
 * Perfect subtrees covering leaves [begin, end), left to right, largest first. Relies on the
 * invariant of every range RFC 9162's recursion produces: begin is a multiple of the smallest
 * power of two >= end - begin, so the binary decomposition of the length is aligned.
 */
function rangeNodes(begin: number, end: number): NodeId[] {
  const out: NodeId[] = [];
  let width = 1;
  let level = 0;
  while (width * 2 <= end - begin) {
    width *= 2;
    level++;
  }
  let at = begin;
  while (at < end) {
    if (at + width <= end) {
      out.push({ level, index: at / width });
      at += width;
    }
    width /= 2;
    level--;
  }
  return out;
}

/** The perfect subtrees whose right fold is the root of a tree of `size` leaves (empty for size 0). */
export function rootNodes(size: number): NodeId[] {
  checkSize(size, "tree size");
  return rangeNodes(0, size);
}

/**
 * Nodes of the RFC 9162 §2.1.3.1 inclusion proof for leaf `index` in a tree of `size` leaves,
 * in proof order (nearest the leaf first). Throws AuditError unless 0 <= index < size.
 */
export function inclusionProofNodes(index: number, size: number): ProofPlan {
  checkSize(size, "tree size");
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new AuditError("audit/index-out-of-range", `leaf index ${String(index)} is not below tree size ${size}`, "ask for an index below the tree size");
  }
  const topDown: NodeId[][] = [];
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index < lo + k) {
      topDown.push(rangeNodes(lo + k, hi));
      hi = lo + k;
    } else {
      topDown.push(rangeNodes(lo, lo + k));
      lo += k;
    }
  }
  return topDown.reverse();
}

/**
 * Nodes of the RFC 9162 §2.1.4.1 consistency proof from `size1` to `size2`, in proof order.
 * Empty when size1 is 0 or equals size2. Throws AuditError when size1 > size2.
 */
export function consistencyProofNodes(size1: number, size2: number): ProofPlan {
  checkSize(size1, "first tree size");
  checkSize(size2, "second tree size");
  if (size1 > size2) {
    throw new AuditError("audit/invalid-size", `first tree size ${size1} is larger than second tree size ${size2}`, "a log only grows: pass the older size first");
  }
  if (size1 === 0 || size1 === size2) return [];
  // SUBPROOF(m, D[lo:hi], b), unrolled: each step records the sibling range, top-down.
  const topDown: NodeId[][] = [];
  let m = size1;
  let lo = 0;
  let hi = size2;
  let whole = true;
  while (m !== hi - lo) {
    const k = splitPoint(hi - lo);
    if (m <= k) {
      topDown.push(rangeNodes(lo + k, hi));
      hi = lo + k;
    } else {
      topDown.push(rangeNodes(lo, lo + k));
      m -= k;
      lo += k;
      whole = false;
    }
  }
  // When the old tree is a left subtree of the new one the verifier already holds its root.
  if (!whole) topDown.push(rangeNodes(lo, hi));
  return topDown.reverse();
}

/** Every distinct node a plan refers to, in first-seen order: the set a store fetches in one query. */
export function planNodeIds(plan: ProofPlan): NodeId[] {
  const seen = new Set<string>();
  const out: NodeId[] = [];
  for (const group of plan) {
    for (const id of group) {
      const key = `${id.level}/${id.index}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push(id);
      }
    }
  }
  return out;
}

/** Right fold of perfect-subtree hashes into one hash (RFC 9162's MTH over their concatenation). */
function foldRight(nodes: readonly NodeId[], read: NodeReader): Uint8Array {
  let h = read(nodes[nodes.length - 1].level, nodes[nodes.length - 1].index);
  for (let i = nodes.length - 2; i >= 0; i--) h = nodeHash(read(nodes[i].level, nodes[i].index), h);
  return h;
}

/** Turns a plan into hashes, reading each perfect subtree through `read`. */
export function hashPlan(plan: ProofPlan, read: NodeReader): Uint8Array[] {
  return plan.map((group) => foldRight(group, read));
}

/** Root of the tree of `size` leaves (size 0: SHA-256 of the empty string). */
export function rootFromReader(size: number, read: NodeReader): Uint8Array {
  const nodes = rootNodes(size);
  return nodes.length === 0 ? emptyRoot() : foldRight(nodes, read);
}

/** Inclusion proof for leaf `index` in the tree of `size` leaves. Throws AuditError unless 0 <= index < size. */
export function inclusionProofFromReader(index: number, size: number, read: NodeReader): Uint8Array[] {
  return hashPlan(inclusionProofNodes(index, size), read);
}

/** Consistency proof from `size1` to `size2` leaves. Throws AuditError when size1 > size2. */
export function consistencyProofFromReader(size1: number, size2: number, read: NodeReader): Uint8Array[] {
  return hashPlan(consistencyProofNodes(size1, size2), read);
}

/** Called with every perfect subtree an append completes, leaf (level 0) first. */
export type NodeSink = (level: number, index: number, hash: Uint8Array) => void;

/** Number of set bits of a safe integer, without 32-bit truncation. */
function popcount(n: number): number {
  let c = 0;
  for (let x = n; x > 0; x = Math.floor(x / 2)) c += x % 2;
  return c;
}

/**
 * The right edge of a tree: the roots of its maximal perfect subtrees, left to right (one per set
 * bit of the size). Appending costs O(log n) hashes and reports each completed node, so a store
 * persists exactly the nodes NodeReader serves; the state resumes from (size, hashes) after a restart.
 */
export class CompactRange {
  #size: number;
  readonly #hashes: Uint8Array[];

  /** An empty range, or one resumed from a size and its right-edge hashes (as returned by hashes()). */
  constructor(size = 0, hashes: readonly Uint8Array[] = []) {
    checkSize(size, "tree size");
    if (hashes.length !== popcount(size) || hashes.some((h) => !(h instanceof Uint8Array) || h.length !== HASH_SIZE)) {
      throw new AuditError("audit/invalid-range-state", `a tree of size ${size} needs ${popcount(size)} right-edge hashes of ${HASH_SIZE} bytes`, "pass the hashes() saved with that size");
    }
    this.#size = size;
    this.#hashes = hashes.map((h) => h.slice());
  }

  /** Number of leaves appended so far. */
  get size(): number {
    return this.#size;
  }

  /** Appends one leaf hash; `onNode` hears the leaf and every perfect subtree it completes, bottom-up. */
  append(leafHash: Uint8Array, onNode?: NodeSink): void {
    if (!(leafHash instanceof Uint8Array) || leafHash.length !== HASH_SIZE) {
      throw new AuditError("audit/invalid-hash", `a leaf hash must be ${HASH_SIZE} bytes`, "hash entries with leafHash() before appending");
    }
    const at = this.#size;
    let h: Uint8Array = copyHash(leafHash);
    let level = 0;
    let width = 1;
    onNode?.(0, at, h);
    // Each trailing 1 bit of the old size is a subtree of equal height waiting for a right sibling.
    while (Math.floor(at / width) % 2 === 1) {
      h = nodeHash(this.#hashes.pop() as Uint8Array, h);
      level++;
      width *= 2;
      onNode?.(level, Math.floor(at / width), h);
    }
    this.#hashes.push(h);
    this.#size = at + 1;
  }

  /** Root of the tree so far (SHA-256 of the empty string when empty). */
  root(): Uint8Array {
    const hs = this.#hashes;
    if (hs.length === 0) return emptyRoot();
    let h = hs[hs.length - 1];
    for (let i = hs.length - 2; i >= 0; i--) h = nodeHash(hs[i], h);
    return h.slice();
  }

  /** The right-edge hashes (copies), largest subtree first: with `size`, all a restart needs. */
  hashes(): Uint8Array[] {
    return this.#hashes.map((h) => h.slice());
  }
}

/** An in-memory Merkle tree keeping every perfect-subtree node: for tests, tools and small logs. */
export class MerkleTree {
  readonly #levels: Uint8Array[][] = [];
  readonly #range = new CompactRange();
  readonly #read: NodeReader = (level, index) => this.#levels[level][index];

  /** Number of leaves. */
  get size(): number {
    return this.#range.size;
  }

  /** Appends one entry's data (hashed as a leaf) and returns its index. */
  append(data: Uint8Array): number {
    return this.appendLeafHash(leafHashOf(data));
  }

  /** Appends an already computed leaf hash and returns its index. */
  appendLeafHash(hash: Uint8Array): number {
    const index = this.#range.size;
    this.#range.append(hash, (level, i, h) => {
      (this.#levels[level] ??= [])[i] = h;
    });
    return index;
  }

  /** Leaf hash at `index`. Throws AuditError when out of range. */
  leafHash(index: number): Uint8Array {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size) {
      throw new AuditError("audit/index-out-of-range", `leaf index ${String(index)} is not below tree size ${this.size}`);
    }
    return this.#levels[0][index].slice();
  }

  /** Root of the first `size` leaves (default: all). */
  root(size: number = this.size): Uint8Array {
    this.#checkWithin(size);
    return size === this.size ? this.#range.root() : rootFromReader(size, this.#read).slice();
  }

  /** Inclusion proof for leaf `index` in the tree of the first `size` leaves (default: all). */
  inclusionProof(index: number, size: number = this.size): Uint8Array[] {
    this.#checkWithin(size);
    return inclusionProofFromReader(index, size, this.#read).map((h) => h.slice());
  }

  /** Consistency proof from the first `size1` leaves to the first `size2` (default: all). */
  consistencyProof(size1: number, size2: number = this.size): Uint8Array[] {
    this.#checkWithin(size2);
    return consistencyProofFromReader(size1, size2, this.#read).map((h) => h.slice());
  }

  /** The reader over this tree's stored nodes (valid for sizes up to `size`). */
  reader(): NodeReader {
    return this.#read;
  }

  #checkWithin(size: number): void {
    checkSize(size, "tree size");
    if (size > this.size) throw new AuditError("audit/invalid-size", `tree size ${size} is larger than the tree (${this.size} leaves)`);
  }
}
