// Inclusion and consistency proofs at 1 and 10 million entries, from a NodeReader over
// precomputed full-size level arrays (what a store's node table holds), plus the verifiers and
// the O(log n) append. Leaf hashes are derived from the index modulo 2^16, so every level is a
// repetition of one block and building the 10M tree costs 2^16 hashes and some copying instead
// of 10M hashes (over a minute on a loaded machine). Proof and verification costs do not depend
// on hash values, and the arrays are full size, so the figures are those of a real 10M tree; the
// tree is checked against MerkleTree at a small size, and every sampled proof must verify.
import { hash } from "node:crypto";
import { CompactRange, MerkleTree, consistencyProofFromReader, inclusionProofFromReader, rootFromReader } from "../engine/audit/merkle.ts";
import type { NodeReader } from "../engine/audit/merkle.ts";
import { bytesEqual } from "../engine/audit/hash.ts";
import { verifyConsistency, verifyInclusion } from "../engine/audit/verify.ts";
import { seededRandom } from "../engine/monitor/random.ts";

const H = 32;
const PERIOD = 1 << 16;

/** A deterministic stand-in for leaf hash i: 32 bytes, distinct within each period. */
function derivedLeaf(i: number): Uint8Array {
  const j = i % PERIOD;
  const b = new Uint8Array(H);
  const v = new DataView(b.buffer);
  v.setUint32(0, j);
  v.setUint32(4, Math.imul(j, 2654435761) >>> 0);
  v.setUint32(8, (0x9e3779b9 ^ j) >>> 0);
  return b;
}

/** `count` hashes: `block` (its length divides the period) repeated, in one flat array. */
function tile(block: Uint8Array, count: number): Uint8Array {
  const arr = new Uint8Array(count * H);
  const n = Math.min(block.length, arr.length);
  arr.set(block.subarray(0, n));
  // Doubling copies: log(count) memcpy calls instead of count / period.
  for (let filled = n; filled < arr.length; filled *= 2) arr.copyWithin(filled, 0, Math.min(filled, arr.length - filled));
  return arr;
}

/**
 * Every perfect-subtree hash above the leaves of a `size`-leaf tree, one flat array per level.
 * Node (L, k) depends only on k modulo the level's block length, so each level is its block
 * (hashed from the block below, pairwise) tiled to full length.
 */
function buildLevels(size: number): Uint8Array[] {
  const levels: Uint8Array[] = [new Uint8Array(0)];
  const buf = new Uint8Array(1 + 2 * H);
  buf[0] = 0x01;
  let block = new Uint8Array(PERIOD * H);
  for (let i = 0; i < PERIOD; i++) block.set(derivedLeaf(i), i * H);
  for (let level = 1, count = Math.floor(size / 2); count >= 1; level++, count = Math.floor(count / 2)) {
    const below = block.length / H;
    const n = Math.max(1, below / 2);
    const next = new Uint8Array(n * H);
    for (let i = 0; i < n; i++) {
      // A one-hash block stands for a level of identical nodes: its parent pairs it with itself.
      const l = below === 1 ? 0 : 2 * i;
      const r = below === 1 ? 0 : 2 * i + 1;
      buf.set(block.subarray(l * H, (l + 1) * H), 1);
      buf.set(block.subarray(r * H, (r + 1) * H), 1 + H);
      next.set(hash("sha256", buf, "buffer"), i * H);
    }
    block = next;
    levels.push(tile(block, count));
  }
  return levels;
}

function readerOver(levels: Uint8Array[]): NodeReader {
  return (level, index) => (level === 0 ? derivedLeaf(index) : levels[level].subarray(index * H, (index + 1) * H));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeNs(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t);
}

/** Median nanoseconds for inclusion/consistency proof generation and verification at 1M and 10M, and per append. */
export async function benchAuditCore(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const big = 10_000_000;
  const buildStart = performance.now();
  const levels = buildLevels(big);
  out.build_10m_levels_ms = Math.round(performance.now() - buildStart);
  const read = readerOver(levels);
  // The shortcut must build the same tree as the real thing: compare with MerkleTree past one period.
  const check = new MerkleTree();
  for (let i = 0; i < 3 * PERIOD + 1234; i++) check.appendLeafHash(derivedLeaf(i));
  for (const n of [1, 2, 3, 1000, PERIOD, PERIOD + 1, 3 * PERIOD + 1234]) {
    if (!bytesEqual(rootFromReader(n, read), check.root(n))) throw new Error(`bench tree differs from MerkleTree at size ${n}`);
  }
  const samples = 2000;
  for (const [label, size] of [["1m", 1_000_000], ["10m", big]] as const) {
    const rand = seededRandom(size);
    const root = rootFromReader(size, read);
    const gen: number[] = [];
    const ver: number[] = [];
    let failures = 0;
    for (let s = 0; s < samples; s++) {
      const index = Math.floor(rand() * size);
      let proof: Uint8Array[] = [];
      gen.push(timeNs(() => (proof = inclusionProofFromReader(index, size, read))));
      const leaf = derivedLeaf(index);
      ver.push(timeNs(() => (verifyInclusion(leaf, index, size, proof, root) ? 0 : failures++)));
    }
    const cgen: number[] = [];
    const cver: number[] = [];
    for (let s = 0; s < samples; s++) {
      const size1 = 1 + Math.floor(rand() * (size - 1));
      let proof: Uint8Array[] = [];
      cgen.push(timeNs(() => (proof = consistencyProofFromReader(size1, size, read))));
      const root1 = rootFromReader(size1, read);
      cver.push(timeNs(() => (verifyConsistency(size1, size, proof, root1, root) ? 0 : failures++)));
    }
    // A benchmark of proofs that do not verify would measure the wrong thing.
    if (failures > 0) throw new Error(`${failures} generated proofs failed to verify at ${label}`);
    out[`inclusion_proof_gen_${label}_ns`] = median(gen);
    out[`inclusion_proof_verify_${label}_ns`] = median(ver);
    out[`consistency_proof_gen_${label}_ns`] = median(cgen);
    out[`consistency_proof_verify_${label}_ns`] = median(cver);
  }
  // Appends: a compact range resumed at 10M, reporting nodes to a sink as a store would.
  const range = new CompactRange();
  for (let i = 0; i < 100_000; i++) range.append(derivedLeaf(i));
  const appends: number[] = [];
  let reported = 0;
  const sink = (): void => {
    reported++;
  };
  for (let i = 0; i < 20; i++) {
    const n = 5000;
    const leaves = Array.from({ length: n }, (_, j) => derivedLeaf(i * n + j));
    appends.push(timeNs(() => leaves.forEach((l) => range.append(l, sink))) / n);
  }
  if (reported < 20 * 5000) throw new Error("compact range reported too few nodes");
  out.compact_range_append_ns = Math.round(median(appends));
  return out;
}

// Run directly: `npx node bench/audit-core.ts`.
if (import.meta.main) console.log(await benchAuditCore());
