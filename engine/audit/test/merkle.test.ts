import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { readVectors } from "../../../test/support.ts";
import { fromHex, leafHash, toHex } from "../hash.ts";
import {
  CompactRange,
  MerkleTree,
  consistencyProofFromReader,
  consistencyProofNodes,
  inclusionProofFromReader,
  inclusionProofNodes,
  planNodeIds,
  rootFromReader,
  rootNodes,
} from "../merkle.ts";
import type { NodeReader } from "../merkle.ts";
import { AuditError } from "../errors.ts";
import { refConsistency, refPath, refRoot } from "./reference.ts";

interface Rfc6962 {
  leaves: { index: number; input_hex: string; leaf_hash: string }[];
  node_hashes: { level: number; hashes: string[] }[];
  roots: { tree_size: number; root: string }[];
  inclusion_proofs: { index: number; size: number; leaf_hash: string; root: string; path: string[] }[];
  consistency_proofs: { size1: number; size2: number; root1: string; root2: string; path: string[] }[];
}
const v = readVectors<Rfc6962>("merkle-rfc6962.json");

function vectorTree(): MerkleTree {
  const t = new MerkleTree();
  for (const l of v.leaves) assert.equal(t.append(fromHex(l.input_hex)), l.index);
  return t;
}

function data(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => new TextEncoder().encode(`entry ${i}`));
}

test("the RFC 6962 leaves, node hashes and roots of every size", () => {
  assert.equal(v.leaves.length, 8);
  assert.equal(v.roots.length, 9);
  assert.equal(v.node_hashes.length, 4);
  const t = vectorTree();
  for (const l of v.leaves) assert.equal(toHex(t.leafHash(l.index)), l.leaf_hash);
  for (const r of v.roots) assert.equal(toHex(t.root(r.tree_size)), r.root, `root of ${r.tree_size}`);
  const read = t.reader();
  let nodes = 0;
  for (const level of v.node_hashes) {
    level.hashes.forEach((h, i) => {
      assert.equal(toHex(read(level.level, i)), h);
      nodes++;
    });
  }
  assert.equal(nodes, 15);
});

test("the RFC 6962 inclusion and consistency proofs", () => {
  assert.equal(v.inclusion_proofs.length, 5);
  assert.equal(v.consistency_proofs.length, 5);
  const t = vectorTree();
  for (const p of v.inclusion_proofs) {
    assert.deepEqual(t.inclusionProof(p.index, p.size).map(toHex), p.path, `inclusion ${p.index}/${p.size}`);
    assert.equal(toHex(t.root(p.size)), p.root);
  }
  for (const p of v.consistency_proofs) {
    assert.deepEqual(t.consistencyProof(p.size1, p.size2).map(toHex), p.path, `consistency ${p.size1}->${p.size2}`);
  }
});

test("property: roots and proofs equal the naive RFC 9162 reference", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 300 }), fc.nat(), fc.nat(), (n, a, b) => {
      const d = data(n);
      const t = new MerkleTree();
      for (const x of d) t.append(x);
      assert.deepEqual(t.root(), refRoot(d));
      const size = n === 0 ? 0 : 1 + (a % n);
      assert.deepEqual(t.root(size), refRoot(d.slice(0, size)));
      if (size > 0) {
        const index = b % size;
        assert.deepEqual(t.inclusionProof(index, size), refPath(index, d.slice(0, size)));
      }
      const size1 = size === 0 ? 0 : b % (size + 1);
      assert.deepEqual(t.consistencyProof(size1, size), refConsistency(size1, d.slice(0, size)));
    }),
    { numRuns: 150 },
  );
});

test("exhaustive over small trees: every index and every pair of sizes", () => {
  const d = data(33);
  const t = new MerkleTree();
  for (const x of d) t.append(x);
  for (let n = 0; n <= 33; n++) {
    assert.deepEqual(t.root(n), refRoot(d.slice(0, n)));
    for (let i = 0; i < n; i++) assert.deepEqual(t.inclusionProof(i, n), refPath(i, d.slice(0, n)));
    for (let m = 0; m <= n; m++) assert.deepEqual(t.consistencyProof(m, n), refConsistency(m, d.slice(0, n)));
  }
});

test("CompactRange reports every perfect subtree once and resumes from its saved state", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }), (n, cut) => {
      const d = data(n);
      const leaves = d.map(leafHash);
      const stop = Math.min(cut, n);
      const seen = new Map<string, Uint8Array>();
      const sink = (level: number, index: number, h: Uint8Array): void => {
        const key = `${level}/${index}`;
        assert.ok(!seen.has(key), `node ${key} reported twice`);
        seen.set(key, h);
      };
      let r = new CompactRange();
      leaves.forEach((l, i) => {
        if (i === stop) r = new CompactRange(r.size, r.hashes());
        r.append(l, sink);
      });
      assert.equal(r.size, n);
      assert.deepEqual(r.root(), refRoot(d));
      // Exactly the complete subtrees: sum over levels of floor(n / 2^level).
      let expected = 0;
      for (let w = 1; w <= n; w *= 2) expected += Math.floor(n / w);
      assert.equal(seen.size, expected);
      for (const [key, h] of seen) {
        const [level, index] = key.split("/").map(Number);
        const w = 2 ** level;
        assert.deepEqual(h, refRoot(d.slice(index * w, (index + 1) * w)), key);
      }
    }),
    { numRuns: 60 },
  );
});

test("CompactRange rejects a state that cannot belong to its size", () => {
  const r = new CompactRange();
  for (const l of data(5).map(leafHash)) r.append(l);
  assert.equal(r.hashes().length, 2);
  assert.throws(() => new CompactRange(5, r.hashes().slice(1)), (e: unknown) => e instanceof AuditError && e.code === "audit/invalid-range-state");
  assert.throws(() => new CompactRange(4, [new Uint8Array(31)]), AuditError);
  assert.throws(() => new CompactRange(-1, []), AuditError);
  assert.throws(() => new CompactRange(1.5, []), AuditError);
  assert.throws(() => r.append(new Uint8Array(31)), (e: unknown) => e instanceof AuditError && e.code === "audit/invalid-hash");
  assert.throws(() => r.append("x" as unknown as Uint8Array), AuditError);
  assert.equal(r.size, 5, "a refused append changes nothing");
  const resumed = new CompactRange(5, r.hashes());
  assert.deepEqual(resumed.root(), r.root());
});

test("reader-based functions read only complete subtrees below the size, O(log n) of them", () => {
  const n = 1000;
  const t = new MerkleTree();
  for (const x of data(n)) t.append(x);
  for (const size of [1, 2, 3, 7, 8, 255, 256, 257, 999, 1000]) {
    let reads = 0;
    const read: NodeReader = (level, index) => {
      reads++;
      assert.ok((index + 1) * 2 ** level <= size, `read ${level}/${index} beyond size ${size}`);
      return t.reader()(level, index);
    };
    assert.deepEqual(rootFromReader(size, read), t.root(size));
    for (const index of [0, Math.floor(size / 2), size - 1]) {
      reads = 0;
      assert.deepEqual(inclusionProofFromReader(index, size, read), t.inclusionProof(index, size));
      assert.ok(reads <= 2 * Math.ceil(Math.log2(size) + 1), `${reads} reads for inclusion in ${size}`);
    }
    for (const size1 of [1, Math.floor(size / 3), size - 1]) {
      if (size1 < 1) continue;
      reads = 0;
      assert.deepEqual(consistencyProofFromReader(size1, size, read), t.consistencyProof(size1, size));
      assert.ok(reads <= 2 * Math.ceil(Math.log2(size) + 1), `${reads} reads for consistency ${size1}->${size}`);
    }
  }
});

test("proof plans name each node once for a single batched fetch", () => {
  const t = new MerkleTree();
  for (const x of data(77)) t.append(x);
  const plan = inclusionProofNodes(76, 77);
  const ids = planNodeIds(plan);
  const fetched = new Map(ids.map((id) => [`${id.level}/${id.index}`, t.reader()(id.level, id.index)]));
  const read: NodeReader = (level, index) => {
    const h = fetched.get(`${level}/${index}`);
    assert.ok(h, `node ${level}/${index} not in the plan`);
    return h;
  };
  assert.deepEqual(inclusionProofFromReader(76, 77, read), t.inclusionProof(76, 77));
  assert.deepEqual(rootNodes(77), [{ level: 6, index: 0 }, { level: 3, index: 8 }, { level: 2, index: 18 }, { level: 0, index: 76 }]);
  assert.deepEqual(planNodeIds([[{ level: 0, index: 1 }], [{ level: 0, index: 1 }, { level: 1, index: 1 }]]), [{ level: 0, index: 1 }, { level: 1, index: 1 }]);
  assert.deepEqual(consistencyProofNodes(4, 8), [[{ level: 2, index: 1 }]]);
  assert.deepEqual(consistencyProofNodes(0, 8), []);
  assert.deepEqual(consistencyProofNodes(8, 8), []);
});

test("out-of-range requests throw AuditError with stable codes", () => {
  const t = new MerkleTree();
  for (const x of data(4)) t.append(x);
  const code = (c: string) => (e: unknown) => e instanceof AuditError && e.code === c && /^[a-z]/.test(e.message);
  assert.throws(() => t.inclusionProof(4), code("audit/index-out-of-range"));
  assert.throws(() => t.inclusionProof(-1), code("audit/index-out-of-range"));
  assert.throws(() => t.inclusionProof(0, 5), code("audit/invalid-size"));
  assert.throws(() => t.consistencyProof(3, 2), code("audit/invalid-size"));
  assert.throws(() => t.root(5), code("audit/invalid-size"));
  assert.throws(() => t.leafHash(4), code("audit/index-out-of-range"));
  assert.throws(() => inclusionProofNodes(0, 0), code("audit/index-out-of-range"));
  assert.throws(() => rootNodes(Number.NaN), code("audit/invalid-size"));
});

test("sizes beyond 2^32 are handled without 32-bit truncation", () => {
  const size = 2 ** 40 + 5;
  const ids = rootNodes(size);
  assert.deepEqual(ids, [{ level: 40, index: 0 }, { level: 2, index: 2 ** 38 }, { level: 0, index: 2 ** 40 + 4 }]);
  const plan = inclusionProofNodes(2 ** 40 + 4, size);
  assert.equal(plan.length, 2);
  assert.deepEqual(plan[0], [{ level: 2, index: 2 ** 38 }]);
  assert.deepEqual(plan[1], [{ level: 40, index: 0 }]);
  const r = new CompactRange(2 ** 33 - 1, Array.from({ length: 33 }, () => new Uint8Array(32)));
  const reported: string[] = [];
  r.append(new Uint8Array(32), (l, i) => reported.push(`${l}/${i}`));
  assert.equal(reported.length, 34);
  assert.equal(reported[33], "33/0");
  assert.equal(r.hashes().length, 1);
});

test("the in-memory tree hands out copies", () => {
  const t = new MerkleTree();
  for (const x of data(3)) t.append(x);
  const root = toHex(t.root());
  t.root()[0] ^= 1;
  t.leafHash(0)[0] ^= 1;
  t.inclusionProof(0)[0][0] ^= 1;
  assert.equal(toHex(t.root()), root);
  assert.deepEqual(t.root(), refRoot(data(3)));
  assert.deepEqual(t.root(1), refRoot(data(1)));
  t.root(1)[0] ^= 1;
  assert.deepEqual(t.root(1), refRoot(data(1)));
});

test("what a tree hands out is a copy: changing a returned root, leaf or proof changes nothing inside", () => {
  for (const size of [1, 2, 5]) {
    const t = new MerkleTree();
    for (let i = 0; i < size; i++) t.append(Uint8Array.of(i));
    const root = toHex(t.root());
    const proof = t.inclusionProof(0).map(toHex);
    const cons = t.consistencyProof(1).map(toHex);
    const leaf = toHex(t.leafHash(0));
    t.root().fill(0);
    t.leafHash(0).fill(0);
    for (const h of t.inclusionProof(0)) h.fill(0);
    for (const h of t.consistencyProof(1)) h.fill(0);
    assert.deepEqual([toHex(t.root()), t.inclusionProof(0).map(toHex), t.consistencyProof(1).map(toHex), toHex(t.leafHash(0))], [root, proof, cons, leaf], `size ${size}`);
  }
});

test("out-of-range leaves and sizes are refused with AuditError, not a TypeError", () => {
  const t = new MerkleTree();
  for (let i = 0; i < 3; i++) t.append(Uint8Array.of(i));
  const code = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      return e instanceof AuditError ? e.code : String(e);
    }
    return "passed";
  };
  assert.equal(code(() => t.leafHash(-1)), "audit/index-out-of-range");
  assert.equal(code(() => t.leafHash(3)), "audit/index-out-of-range");
  assert.equal(code(() => t.consistencyProof(1, 5)), "audit/invalid-size");
  assert.equal(code(() => t.inclusionProof(0, 4)), "audit/invalid-size");
  assert.throws(() => consistencyProofNodes(3, 2), { message: "first tree size 3 is larger than second tree size 2" }, );
  assert.throws(() => consistencyProofNodes(3, 2), (e: AuditError) => e.hint === "a log only grows: pass the older size first");
  assert.throws(() => new CompactRange(3, []), (e: AuditError) => e.code === "audit/invalid-range-state" && e.message === "a tree of size 3 needs 2 right-edge hashes of 32 bytes" && e.hint === "pass the hashes() saved with that size");
  assert.throws(() => new CompactRange().append(new Uint8Array(31)), (e: AuditError) => e.code === "audit/invalid-hash" && e.message === "a leaf hash must be 32 bytes" && e.hint === "hash entries with leafHash() before appending");
});

test("a compact range's saved hashes are copies: changing them changes neither the range nor one resumed from them", () => {
  const r = new CompactRange();
  for (let i = 0; i < 3; i++) r.append(leafHash(Uint8Array.of(i)));
  const root = toHex(r.root());
  const saved = r.hashes();
  const resumed = new CompactRange(3, saved);
  for (const h of r.hashes()) h.fill(0);
  for (const h of saved) h.fill(0);
  assert.deepEqual([toHex(r.root()), toHex(resumed.root())], [root, root]);
});
