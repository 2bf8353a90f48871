// A client arriving at any time, holding any checkpoint the log ever signed, reads that tree
// through the C2SP tlog-tiles resources alone: the tiles it needs (full ones, and the partial
// ones of exactly its checkpoint's size, as Go's tlog.TileHashReader asks for them) and the
// entry bundles must be there, from an `audit tiles` export and from the log's tile() server.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { openCheckpoint } from "../checkpoint.ts";
import { leafHash } from "../hash.ts";
import { AuditLog } from "../log.ts";
import type { SignedCheckpoint } from "../log.ts";
import { inclusionProofFromReader, rootFromReader } from "../merkle.ts";
import { generateKey } from "../note.ts";
import { TILE_WIDTH, decodeEntryBundle, entriesPath, readerFromTiles, tilePath } from "../tiles.ts";
import { verifyInclusion } from "../verify.ts";
import { decisionRecord } from "./records.ts";

const dir = mkdtempSync(join(tmpdir(), "palisade-tiles-client-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const key = generateKey("palisade.test/tiles");
const SIZES = [1, 7, 255, 256, 257, 300, 511, 513, 700];
let log: AuditLog;
const signed: SignedCheckpoint[] = [];

before(async () => {
  log = await AuditLog.open(join(dir, "log.db"), { signingKey: key.signerKey, erasure: false });
  let n = 0;
  for (const size of SIZES) {
    const all: Promise<number>[] = [];
    for (; n < size; n++) all.push(log.append(decisionRecord(n)));
    await Promise.all(all);
    signed.push(await log.checkpoint());
  }
});
after(() => log.close());

/** The width of tile `index` at tile level `level` in a tree of `size` entries (256 when full). */
function widthAt(size: number, level: number, index: number): number {
  const hashes = Math.floor(size / TILE_WIDTH ** level);
  return Math.min(TILE_WIDTH, hashes - index * TILE_WIDTH);
}

/** Reads the tree of one checkpoint through `get(path)` and checks it against the signed root. */
async function readAsClient(note: string, get: (path: string) => Promise<Uint8Array | undefined>): Promise<void> {
  const opened = openCheckpoint(note, [key.verifierKey]);
  assert.ok(opened.ok);
  const { size, root } = opened.checkpoint;
  const tiles = new Map<string, Uint8Array>();
  const need = async (level: number, index: number): Promise<void> => {
    const path = tilePath(level, index, widthAt(size, level, index));
    const bytes = await get(path);
    assert.ok(bytes, `${path} is served for the checkpoint of size ${size}`);
    tiles.set(`${level}/${index}`, bytes);
  };
  for (let level = 0; Math.floor(size / TILE_WIDTH ** level) > 0; level++) {
    for (let i = 0; i * TILE_WIDTH < Math.floor(size / TILE_WIDTH ** level); i++) await need(level, i);
  }
  const read = readerFromTiles((level, index) => tiles.get(`${level}/${index}`) ?? new Uint8Array());
  assert.deepEqual(rootFromReader(size, read), root, `the tiles of size ${size} hash to its signed root`);
  const index = Math.floor(size / 2);
  const leaf = read(0, index);
  assert.ok(verifyInclusion(leaf, index, size, inclusionProofFromReader(index, size, read), root));
  for (let b = 0; b * TILE_WIDTH < size; b++) {
    const path = entriesPath(b, widthAt(size, 0, b));
    const bundle = await get(path);
    assert.ok(bundle, `${path} is served for the checkpoint of size ${size}`);
    decodeEntryBundle(bundle).forEach((e, i) => assert.deepEqual(leafHash(e), read(0, b * TILE_WIDTH + i)));
  }
}

test("every signed checkpoint's tree reads back through an export's tiles and entry bundles", async () => {
  const files = new Map<string, Uint8Array>();
  for (const f of await log.tiles(signed[signed.length - 1])) files.set(f.path, f.bytes);
  for (const cp of signed) await readAsClient(cp.note, async (p) => files.get(p));
  // The partial tiles kept are those of signed sizes, not every width.
  assert.ok(files.has("tile/0/001.p/1") && files.has("tile/0/001.p/44") && !files.has("tile/0/001.p/2"));
});

test("every signed checkpoint's tree reads back through the log's tile server", async () => {
  const parse = (p: string): [number | "entries", number, number] => {
    const m = /^tile\/(entries|\d+)\/(\d{3})(?:\.p\/(\d+))?$/.exec(p);
    assert.ok(m, p);
    return [m[1] === "entries" ? "entries" : Number(m[1]), Number(m[2]), m[3] === undefined ? TILE_WIDTH : Number(m[3])];
  };
  for (const cp of signed) await readAsClient(cp.note, (p) => log.tile(...parse(p)));
  assert.equal(await log.tile(0, 2, 189), undefined, "nothing beyond the latest checkpoint");
  assert.equal(await log.tile(1, 0, 3), undefined);
});
