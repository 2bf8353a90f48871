import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { readVectors } from "../../../test/support.ts";
import { AuditError } from "../errors.ts";
import { fromHex, toHex } from "../hash.ts";
import { MerkleTree, inclusionProofFromReader, rootFromReader } from "../merkle.ts";
import { parseSignerKey } from "../note.ts";
import { openCheckpoint, signCheckpoint } from "../checkpoint.ts";
import { verifyConsistency, verifyInclusion } from "../verify.ts";
import { buildTiles, decodeEntryBundle, encodeEntryBundle, entriesPath, readerFromTiles, tileIndexPath, tilePath } from "../tiles.ts";
import type { TileFile } from "../tiles.ts";

interface Tessera {
  origin: string;
  verifier_key: string;
  signing_key: string;
  entries: string[];
  leaf_hashes: string[];
  checkpoints: { path: string; tree_size: number; root_hash: string; note: string }[];
  level0_tiles: { path: string; width: number; hex: string }[];
  entry_bundles: { path: string; width: number; hex: string }[];
  derived_inclusion_proofs: { index: number; size: number; path: string[] }[];
  derived_consistency_proofs: { size1: number; size2: number; path: string[] }[];
}
const t = readVectors<Tessera>("tlog-tiles-tessera-testdata.json");
const enc = new TextEncoder();

function tesseraTree(): { tree: MerkleTree; entries: Uint8Array[] } {
  const tree = new MerkleTree();
  const entries = t.entries.map((e) => enc.encode(e));
  for (const e of entries) tree.append(e);
  return { tree, entries };
}

test("tile paths encode indices in x-prefixed 3-digit groups", () => {
  assert.equal(tileIndexPath(0), "000");
  assert.equal(tileIndexPath(67), "067");
  assert.equal(tileIndexPath(999), "999");
  assert.equal(tileIndexPath(1000), "x001/000");
  assert.equal(tileIndexPath(1234067), "x001/x234/067");
  assert.equal(tilePath(0, 1234067), "tile/0/x001/x234/067");
  assert.equal(tilePath(1, 5, 7), "tile/1/005.p/7");
  assert.equal(tilePath(2, 0, 256), "tile/2/000");
  assert.equal(entriesPath(1234067, 1), "tile/entries/x001/x234/067.p/1");
  for (const [l, n, w] of [[-1, 0, 1], [0, 0.5, 1], [0, 0, 0], [0, 0, 257]]) {
    assert.throws(() => tilePath(l, n, w), AuditError);
  }
});

test("the Tessera log: leaves, 15 partial tiles, 15 entry bundles and 16 signed checkpoints", () => {
  assert.equal(t.entries.length, 15);
  assert.equal(t.level0_tiles.length, 15);
  assert.equal(t.entry_bundles.length, 15);
  assert.equal(t.checkpoints.length, 16);
  const { tree, entries } = tesseraTree();
  t.leaf_hashes.forEach((h, i) => assert.equal(toHex(tree.leafHash(i)), h));
  const signer = parseSignerKey(t.signing_key);
  // Tessera kept the partial tiles of every size it passed through: build each size's files.
  const files = new Map<string, string>();
  for (let size = 0; size <= 15; size++) {
    const checkpoint = signCheckpoint({ origin: t.origin, size, root: tree.root(size) }, signer);
    for (const f of buildTiles(size, tree.reader(), (i) => entries[i], { checkpoint })) {
      files.set(f.path === "checkpoint" ? `checkpoint.${size}` : f.path, toHex(f.bytes));
    }
  }
  for (const tile of [...t.level0_tiles, ...t.entry_bundles]) assert.equal(files.get(tile.path), tile.hex, tile.path);
  for (const c of t.checkpoints) {
    const note = Buffer.from(files.get(c.path) as string, "hex").toString("utf8");
    assert.equal(note, c.note, c.path);
    const r = openCheckpoint(note, [t.verifier_key], t.origin);
    assert.ok(r.ok && toHex(r.checkpoint.root) === c.root_hash);
  }
  assert.equal(files.size, 15 + 15 + 16);
});

test("the Tessera derived proofs: 15 inclusion and 30 consistency, generated and verified", () => {
  assert.equal(t.derived_inclusion_proofs.length, 15);
  assert.equal(t.derived_consistency_proofs.length, 30);
  const { tree } = tesseraTree();
  for (const p of t.derived_inclusion_proofs) {
    assert.deepEqual(tree.inclusionProof(p.index, p.size).map(toHex), p.path);
    assert.ok(verifyInclusion(tree.leafHash(p.index), p.index, p.size, p.path.map(fromHex), tree.root(p.size)));
  }
  for (const p of t.derived_consistency_proofs) {
    assert.deepEqual(tree.consistencyProof(p.size1, p.size2).map(toHex), p.path);
    assert.ok(verifyConsistency(p.size1, p.size2, p.path.map(fromHex), tree.root(p.size1), tree.root(p.size2)));
  }
});

function filesOf(size: number, tree: MerkleTree, entries: Uint8Array[], fromSize = 0): Map<string, Uint8Array> {
  return new Map([...buildTiles(size, tree.reader(), (i) => entries[i], { fromSize })].map((f: TileFile) => [f.path, f.bytes]));
}

const big = (() => {
  const tree = new MerkleTree();
  const entries: Uint8Array[] = [];
  for (let i = 0; i < 66_000; i++) {
    entries.push(enc.encode(`e${i}`));
    tree.append(entries[i]);
  }
  return { tree, entries };
})();

test("tiles past one level: every root and proof can be recomputed from the tiles alone", () => {
  const { tree, entries } = big;
  for (const size of [255, 256, 257, 256 * 3 + 5, 65_535, 65_536, 65_537, 66_000]) {
    const files = filesOf(size, tree, entries);
    const tile = (level: number, index: number): Uint8Array => {
      const full = files.get(tilePath(level, index));
      if (full) return full;
      for (const [p, b] of files) if (p.startsWith(`${tilePath(level, index)}.p/`)) return b;
      throw new Error(`missing tile ${level}/${index}`);
    };
    const read = readerFromTiles(tile);
    assert.deepEqual(rootFromReader(size, read), tree.root(size), `root ${size}`);
    assert.deepEqual(inclusionProofFromReader(size - 1, size, read), tree.inclusionProof(size - 1, size));
    const levels = new Set([...files.keys()].filter((p) => !p.startsWith("tile/entries")).map((p) => p.split("/")[1]));
    assert.equal(levels.size, size >= 65_536 ? 3 : size >= 256 ? 2 : 1, `tile levels at ${size}`);
    // Every entry comes back from the bundles, in order.
    const back: Uint8Array[] = [];
    for (let b = 0; b * 256 < size; b++) {
      const w = Math.min(256, size - b * 256);
      back.push(...decodeEntryBundle(files.get(entriesPath(b, w)) as Uint8Array));
    }
    assert.equal(back.length, size);
    assert.deepEqual(back[size - 1], entries[size - 1]);
  }
});

test("an incremental export from an older size yields exactly the files that changed", () => {
  const { tree, entries } = big;
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 5000 }), (a, b) => {
      const [from, size] = a <= b ? [a, b] : [b, a];
      const before = filesOf(from, tree, entries);
      const after = filesOf(size, tree, entries);
      const delta = filesOf(size, tree, entries, from);
      for (const [p, bytes] of after) {
        const unchanged = before.has(p) && Buffer.compare(before.get(p) as Uint8Array, bytes) === 0;
        assert.equal(delta.has(p), !unchanged, p);
      }
      for (const p of delta.keys()) assert.ok(after.has(p));
    }),
    { numRuns: 40 },
  );
});

test("entry bundles: length-prefixed, size limited, truncation detected", () => {
  const bundle = encodeEntryBundle([enc.encode("one"), new Uint8Array(), enc.encode("two")]);
  assert.equal(toHex(bundle), "00036f6e650000000374776f");
  assert.deepEqual(decodeEntryBundle(bundle).map((e) => new TextDecoder().decode(e)), ["one", "", "two"]);
  assert.equal(encodeEntryBundle([new Uint8Array(0xffff)]).length, 0x10001);
  assert.throws(() => encodeEntryBundle([new Uint8Array(0x10000)]), (e: unknown) => e instanceof AuditError && e.code === "audit/entry-too-large");
  assert.throws(() => decodeEntryBundle(bundle.subarray(0, bundle.length - 1)), AuditError);
  assert.throws(() => decodeEntryBundle(Uint8Array.of(0)), AuditError);
  assert.throws(() => [...buildTiles(3, big.tree.reader(), (i) => big.entries[i], { fromSize: 4 })], AuditError);
});
