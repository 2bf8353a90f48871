// Inclusion and consistency proofs at 1 and 10 million entries, from a NodeReader over
// precomputed level arrays (what a store's node table holds), plus the verifiers and the
// O(log n) append. Leaf hashes are derived from their index rather than hashed, so building the
// 10M tree costs its ~10M interior hashes and nothing else; the 1M tree is its prefix.
import { CompactRange, consistencyProofFromReader, inclusionProofFromReader, rootFromReader } from "../engine/audit/merkle.ts";
import type { NodeReader } from "../engine/audit/merkle.ts";
import { hash } from "node:crypto";
import { verifyConsistency, verifyInclusion } from "../engine/audit/verify.ts";

const H = 32;

/** Writes a deterministic stand-in for leaf hash i (32 bytes, distinct per index) at `at`. */
function writeLeaf(i: number, into: Uint8Array, at: number): void {
  const v = new DataView(into.buffer, into.byteOffset + at, H);
  v.setFloat64(0, i);
  v.setUint32(8, Math.imul(i, 2654435761) >>> 0);
  v.setUint32(12, (0x9e3779b9 ^ i) >>> 0);
  for (let k = 16; k < H; k++) into[at + k] = 0;
}

function derivedLeaf(i: number): Uint8Array {
  const b = new Uint8Array(H);
  writeLeaf(i, b, 0);
  return b;
}

/**
 * Every perfect-subtree hash above the leaves of a `size`-leaf tree, one flat array per level.
 * The inner loop hashes one reused 65-byte buffer with crypto.hash: node:crypto's per-call
 * overhead, not SHA-256, is what building 10M nodes costs.
 */
function buildLevels(size: number): Uint8Array[] {
  const levels: Uint8Array[] = [new Uint8Array(0)];
  const buf = new Uint8Array(1 + 2 * H);
  buf[0] = 0x01;
  let count = size;
  let below: Uint8Array | undefined;
  for (let level = 1; count >= 2; level++) {
    const n = Math.floor(count / 2);
    const arr = new Uint8Array(n * H);
    for (let i = 0; i < n; i++) {
      if (below === undefined) {
        writeLeaf(2 * i, buf, 1);
        writeLeaf(2 * i + 1, buf, 1 + H);
      } else {
        buf.set(below.subarray(2 * i * H, (2 * i + 2) * H), 1);
      }
      arr.set(hash("sha256", buf, "buffer"), i * H);
    }
    levels.push(arr);
    below = arr;
    count = n;
  }
  return levels;
}

function readerOver(levels: Uint8Array[]): NodeReader {
  return (level, index) => (level === 0 ? derivedLeaf(index) : levels[level].subarray(index * H, (index + 1) * H));
}

/** A small deterministic PRNG (mulberry32), so runs pick the same indices. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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
  const samples = 2000;
  for (const [label, size] of [["1m", 1_000_000], ["10m", big]] as const) {
    const rand = prng(size);
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
