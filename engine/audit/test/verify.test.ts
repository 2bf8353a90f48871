import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { readVectors } from "../../../test/support.ts";
import { fromHex, leafHash, nodeHash } from "../hash.ts";
import { MerkleTree, consistencyProofNodes, inclusionProofNodes } from "../merkle.ts";
import { verifyConsistency, verifyInclusion } from "../verify.ts";
import type { TreeIndex } from "../verify.ts";

type U64 = number | string;
interface Probes {
  inclusion: { desc: string; file: string; leaf_index: U64; tree_size: U64; leaf_hash: string; root: string; path: string[]; want_error: boolean }[];
  consistency: { desc: string; file: string; size1: U64; size2: U64; root1: string; root2: string; path: string[]; want_error: boolean }[];
}
interface Rfc6962 {
  inclusion_proofs: { index: number; size: number; leaf_hash: string; root: string; path: string[] }[];
  consistency_proofs: { size1: number; size2: number; root1: string; root2: string; path: string[] }[];
}

// uint64 values above 2^53 arrive as decimal strings: keep them exact as bigints.
const u64 = (x: U64): TreeIndex => (typeof x === "string" ? BigInt(x) : x);

test("every transparency-dev inclusion probe: success iff want_error is false", () => {
  const probes = readVectors<Probes>("merkle-verifier-probes.json");
  assert.equal(probes.inclusion.length, 98);
  let ok = 0;
  for (const p of probes.inclusion) {
    const got = verifyInclusion(fromHex(p.leaf_hash), u64(p.leaf_index), u64(p.tree_size), p.path.map(fromHex), fromHex(p.root));
    assert.equal(got, !p.want_error, `${p.file}: ${p.desc}`);
    if (got) ok++;
  }
  assert.equal(ok, 6);
});

test("every transparency-dev consistency probe: success iff want_error is false", () => {
  const probes = readVectors<Probes>("merkle-verifier-probes.json");
  assert.equal(probes.consistency.length, 98);
  let ok = 0;
  for (const p of probes.consistency) {
    const got = verifyConsistency(u64(p.size1), u64(p.size2), p.path.map(fromHex), fromHex(p.root1), fromHex(p.root2));
    assert.equal(got, !p.want_error, `${p.file}: ${p.desc}`);
    if (got) ok++;
  }
  assert.equal(ok, 6);
});

test("the RFC 6962 vector proofs verify", () => {
  const v = readVectors<Rfc6962>("merkle-rfc6962.json");
  assert.equal(v.inclusion_proofs.length + v.consistency_proofs.length, 10);
  for (const p of v.inclusion_proofs) assert.ok(verifyInclusion(fromHex(p.leaf_hash), p.index, p.size, p.path.map(fromHex), fromHex(p.root)));
  for (const p of v.consistency_proofs) assert.ok(verifyConsistency(p.size1, p.size2, p.path.map(fromHex), fromHex(p.root1), fromHex(p.root2)));
});

// Trees are shared across runs: building one per run would dominate the time.
const trees = new Map<number, MerkleTree>();
function tree(n: number): MerkleTree {
  let t = trees.get(n);
  if (!t) {
    t = new MerkleTree();
    for (let i = 0; i < n; i++) t.append(new TextEncoder().encode(`leaf ${i}`));
    trees.set(n, t);
  }
  return t;
}

function flip(proof: Uint8Array[], which: number, bit: number): Uint8Array[] {
  const out = proof.map((h) => h.slice());
  out[which][bit >> 3] ^= 1 << (bit & 7);
  return out;
}

test("property: every generated inclusion proof verifies, and every mutation fails without throwing", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 300 }), fc.nat(), fc.nat(), fc.nat(255), (n, a, b, bit) => {
      const t = tree(n);
      const index = a % n;
      const proof = t.inclusionProof(index);
      const leaf = t.leafHash(index);
      const root = t.root();
      assert.ok(verifyInclusion(leaf, index, n, proof, root));
      if (proof.length > 0) {
        assert.equal(verifyInclusion(leaf, index, n, flip(proof, b % proof.length, bit), root), false, "flipped bit");
        assert.equal(verifyInclusion(leaf, index, n, proof.slice(0, -1), root), false, "dropped element");
        assert.equal(verifyInclusion(leaf, index, n, proof.slice(1), root), false, "dropped first element");
      }
      assert.equal(verifyInclusion(leaf, index, n, [...proof, root], root), false, "extra element");
      assert.equal(verifyInclusion(flip([leaf], 0, bit)[0], index, n, proof, root), false, "wrong leaf");
      assert.equal(verifyInclusion(leaf, index, n, proof, flip([root], 0, bit)[0]), false, "wrong root");
      if (n > 1) {
        assert.equal(verifyInclusion(leaf, (index + 1 + (b % (n - 1))) % n, n, proof, root), false, "wrong index");
      }
      assert.equal(verifyInclusion(leaf, index + n, n, proof, root), false, "index beyond size");
      // A proof binds the size only through its shape (the checkpoint signs size and root together),
      // so a wrong size must fail whenever it calls for a proof of another length.
      const other = 1 + ((n + (b % 300)) % 300);
      if (index < other && inclusionProofNodes(index, other).length !== proof.length) {
        assert.equal(verifyInclusion(leaf, index, other, proof, root), false, "wrong size");
      }
    }),
    { numRuns: 300 },
  );
});

test("property: every generated consistency proof verifies, and every mutation fails without throwing", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 300 }), fc.nat(), fc.nat(), fc.nat(255), (n, a, b, bit) => {
      const t = tree(n);
      const size1 = 1 + (a % n);
      const proof = t.consistencyProof(size1);
      const r1 = t.root(size1);
      const r2 = t.root();
      assert.ok(verifyConsistency(size1, n, proof, r1, r2));
      if (proof.length > 0) {
        assert.equal(verifyConsistency(size1, n, flip(proof, b % proof.length, bit), r1, r2), false, "flipped bit");
        assert.equal(verifyConsistency(size1, n, proof.slice(0, -1), r1, r2), false, "dropped element");
        assert.equal(verifyConsistency(size1, n, proof.slice(1), r1, r2), false, "dropped first element");
      }
      assert.equal(verifyConsistency(size1, n, [...proof, r2], r1, r2), false, "extra element");
      if (size1 !== n) {
        assert.equal(verifyConsistency(size1, n, proof, r2, r1), false, "swapped roots");
        assert.equal(verifyConsistency(n, size1, proof, r2, r1), false, "swapped sizes");
        assert.equal(verifyConsistency(size1, n, proof, flip([r1], 0, bit)[0], r2), false, "wrong old root");
      }
      assert.equal(verifyConsistency(size1, n, proof, r1, flip([r2], 0, bit)[0]), false, "wrong new root");
      assert.equal(verifyConsistency(0, n, [], r1, r2), false, "size1 0");
      const other = 1 + ((n + (b % 300)) % 300);
      if (other > size1 && consistencyProofNodes(size1, other).length !== proof.length) {
        assert.equal(verifyConsistency(size1, other, proof, r1, r2), false, "wrong size2");
      }
    }),
    { numRuns: 300 },
  );
});

test("property: arbitrary junk never throws", () => {
  const junk = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.integer(),
    fc.double(),
    fc.bigInt(),
    fc.string(),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(fc.uint8Array({ minLength: 31, maxLength: 33 }), { maxLength: 5 }),
    fc.array(fc.anything(), { maxLength: 3 }),
  );
  fc.assert(
    fc.property(junk, junk, junk, junk, junk, (a, b, c, d, e) => {
      // The casts are the point: callers from JavaScript can pass anything.
      const r1 = verifyInclusion(a as Uint8Array, b as number, c as number, d as Uint8Array[], e as Uint8Array);
      const r2 = verifyConsistency(a as number, b as number, c as Uint8Array[], d as Uint8Array, e as Uint8Array);
      assert.equal(typeof r1, "boolean");
      assert.equal(typeof r2, "boolean");
    }),
    { numRuns: 500 },
  );
});

test("edge cases: sizes 0, bad lengths, non-arrays, huge sizes", () => {
  const h = leafHash(new Uint8Array());
  assert.equal(verifyInclusion(h, 0, 0, [], h), false);
  assert.equal(verifyInclusion(h, 0, 1, [], h), true);
  assert.equal(verifyInclusion(h, 0n, 1n, [], h), true);
  assert.equal(verifyInclusion(h.subarray(1), 0, 1, [], h.subarray(1)), false);
  assert.equal(verifyInclusion(h, 0, 1, "nope" as unknown as Uint8Array[], h), false);
  assert.equal(verifyInclusion(h, 0, 1, [new Uint8Array(31)], h), false);
  assert.equal(verifyInclusion(h, 0, 2n ** 64n, [], h), false);
  assert.equal(verifyInclusion(h, -1, 1, [], h), false);
  assert.equal(verifyInclusion(h, 0.5, 1, [], h), false);
  assert.equal(verifyInclusion(h, 2n ** 64n - 2n, 2n ** 64n - 1n, [], h), false);
  assert.equal(verifyConsistency(0, 0, [], h, h), false);
  assert.equal(verifyConsistency(1, 1, [], h, h), true);
  assert.equal(verifyConsistency(1, 1, [h], h, h), false);
  assert.equal(verifyConsistency(1, 2, [], h, h), false);
  assert.equal(verifyConsistency(2, 1, [h], h, h), false);
});

test("sizes and indexes outside uint64, and roots that are not bytes, fail even where the arithmetic would pass", () => {
  const leaf = leafHash(Uint8Array.of(1));
  const sibling = leafHash(Uint8Array.of(2));
  // Index -1 of a one-leaf tree: the path is empty and the leaf is the root, so only the range check refuses it.
  assert.equal(verifyInclusion(leaf, 0n, 1n, [], leaf), true);
  assert.equal(verifyInclusion(leaf, -1n, 1n, [], leaf), false);
  // The last leaf of a tree of 2^64 + 1 leaves: one sibling makes its root, but no uint64 log has that size.
  const top = nodeHash(sibling, leaf);
  assert.equal(verifyInclusion(leaf, 2n ** 64n, 2n ** 64n + 1n, [sibling], top), false);
  // The last leaf of a tree of exactly 2^64 leaves: 64 left siblings.
  const path = Array.from({ length: 64 }, (_, i) => leafHash(Uint8Array.of(i, 9)));
  const root64 = path.reduce((r, p) => nodeHash(p, r), leaf);
  assert.equal(verifyInclusion(leaf, 2n ** 64n - 1n, 2n ** 64n, path, root64), false);
  assert.equal(verifyInclusion(leaf, 2n ** 63n - 1n, 2n ** 63n, path.slice(0, 63), path.slice(0, 63).reduce((r, p) => nodeHash(p, r), leaf)), true, "the same shape within uint64 verifies");
  // Consistency: roots given as plain arrays of the right bytes are not roots.
  const t = new MerkleTree();
  for (let i = 0; i < 5; i++) t.append(Uint8Array.of(i));
  const [r3, r5, proof] = [t.root(3), t.root(5), t.consistencyProof(3, 5)];
  assert.equal(verifyConsistency(3, 5, proof, r3, r5), true);
  assert.equal(verifyConsistency(3, 5, proof, Array.from(r3) as unknown as Uint8Array, r5), false);
  assert.equal(verifyConsistency(3, 5, proof, r3, Array.from(r5) as unknown as Uint8Array), false);
  assert.equal(verifyInclusion(t.leafHash(1), 1, 5, t.inclusionProof(1), Array.from(r5) as unknown as Uint8Array), false);
});

test("a proof whose elements throw when read fails verification instead of crashing the verifier", () => {
  const t = new MerkleTree();
  for (let i = 0; i < 4; i++) t.append(Uint8Array.of(i));
  const trap = (proof: Uint8Array[]): Uint8Array[] => {
    const p = [...proof];
    Object.defineProperty(p, 0, { get: () => { throw new Error("trap"); } });
    return p;
  };
  assert.equal(verifyInclusion(t.leafHash(1), 1, 4, trap(t.inclusionProof(1)), t.root()), false);
  assert.equal(verifyConsistency(2, 4, trap(t.consistencyProof(2)), t.root(2), t.root()), false);
});
