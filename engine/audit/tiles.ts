// C2SP tlog-tiles (c2sp.org/tlog-tiles): the log as static files a CDN can serve and standard
// tlog clients can read. Pure: this yields {path, bytes}; writing them is the caller's business.
import { AuditError } from "./errors.ts";
import { HASH_SIZE, nodeHash } from "./hash.ts";
import type { NodeReader } from "./merkle.ts";

/** Hashes (or entries) per full tile. */
export const TILE_WIDTH = 256;
/** Tree levels per tile level: a tile at level L holds nodes of tree level 8L. */
export const TILE_HEIGHT = 8;
/** Largest entry an entry bundle can hold (2-byte length prefix). */
export const MAX_ENTRY_SIZE = 0xffff;

/** One file of a tiled log. */
export interface TileFile {
  /** Path relative to the log's prefix, e.g. "tile/0/x001/234.p/7". */
  readonly path: string;
  /** File contents. */
  readonly bytes: Uint8Array;
}

function checkIndex(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new AuditError("audit/index-out-of-range", `${what} must be a non-negative integer, got ${String(n)}`);
}

function checkWidth(width: number): void {
  if (!Number.isSafeInteger(width) || width < 1 || width > TILE_WIDTH) throw new AuditError("audit/index-out-of-range", `tile width must be 1 to ${TILE_WIDTH}, got ${String(width)}`);
}

/** The tile index path element: 3-digit groups, all but the last prefixed "x" (1234067 -> "x001/x234/067"). */
export function tileIndexPath(n: number): string {
  checkIndex(n, "tile index");
  const groups: string[] = [];
  let rest = n;
  do {
    groups.unshift(String(rest % 1000).padStart(3, "0"));
    rest = Math.floor(rest / 1000);
  } while (rest > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join("/");
}

function withWidth(base: string, width: number): string {
  checkWidth(width);
  return width === TILE_WIDTH ? base : `${base}.p/${width}`;
}

/** Path of hash tile `index` at tile level `level`, full unless `width` < 256. */
export function tilePath(level: number, index: number, width: number = TILE_WIDTH): string {
  checkIndex(level, "tile level");
  return withWidth(`tile/${level}/${tileIndexPath(index)}`, width);
}

/** Path of entry bundle `index`, full unless `width` < 256. */
export function entriesPath(index: number, width: number = TILE_WIDTH): string {
  return withWidth(`tile/entries/${tileIndexPath(index)}`, width);
}

/** An entry bundle: each entry as a 2-byte big-endian length then its bytes. Throws if one exceeds 65535 bytes. */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const e of entries) {
    if (e.length > MAX_ENTRY_SIZE) throw new AuditError("audit/entry-too-large", `entry of ${e.length} bytes exceeds the ${MAX_ENTRY_SIZE}-byte limit of tile entry bundles`);
    total += 2 + e.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const e of entries) {
    out[at] = e.length >> 8;
    out[at + 1] = e.length & 0xff;
    out.set(e, at + 2);
    at += 2 + e.length;
  }
  return out;
}

/** Splits an entry bundle back into entries; throws AuditError when the bytes are truncated. */
export function decodeEntryBundle(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 2 > bytes.length) throw new AuditError("audit/invalid-record", "truncated entry bundle");
    const len = (bytes[at] << 8) | bytes[at + 1];
    if (at + 2 + len > bytes.length) throw new AuditError("audit/invalid-record", "truncated entry bundle");
    out.push(bytes.slice(at + 2, at + 2 + len));
    at += 2 + len;
  }
  return out;
}

/** Width of tile `tile` when `count` items exist at its level (0 when it does not exist yet). */
function widthAt(count: number, tile: number): number {
  return Math.max(0, Math.min(TILE_WIDTH, count - tile * TILE_WIDTH));
}

/** Options of buildTiles. */
export interface BuildTilesOptions {
  /** A signed checkpoint note to emit as the "checkpoint" file. */
  readonly checkpoint?: string;
  /** Skip files an export at this earlier size already wrote unchanged; default 0. */
  readonly fromSize?: number;
}

/**
 * Every file of the tiled log of `size` entries: for each tile level, its full tiles and the
 * rightmost partial tile (if any); then the entry bundles likewise; then the checkpoint if given.
 * Hashes come from `read` (a node at tree level 8L for tile level L), entries from `entry(i)`.
 * With `fromSize`, files that already existed with the same contents at that size are skipped,
 * so an earlier export can be topped up.
 */
export function* buildTiles(size: number, read: NodeReader, entry: (index: number) => Uint8Array, options: BuildTilesOptions = {}): Generator<TileFile> {
  checkIndex(size, "tree size");
  const from = options.fromSize ?? 0;
  checkIndex(from, "fromSize");
  if (from > size) throw new AuditError("audit/invalid-size", `fromSize ${from} is beyond the tree size ${size}`);
  let span = 1; // leaves under one hash of this tile level: 256^level
  for (let level = 0; ; level++) {
    const nodes = Math.floor(size / span);
    if (nodes === 0) break;
    const nodesBefore = Math.floor(from / span);
    for (let tile = Math.floor(nodesBefore / TILE_WIDTH); tile * TILE_WIDTH < nodes; tile++) {
      const width = Math.min(TILE_WIDTH, nodes - tile * TILE_WIDTH);
      // A tile of the same width existed at fromSize, with the same contents: exported then.
      if (width === widthAt(nodesBefore, tile)) continue;
      const bytes = new Uint8Array(width * HASH_SIZE);
      for (let i = 0; i < width; i++) bytes.set(read(level * TILE_HEIGHT, tile * TILE_WIDTH + i), i * HASH_SIZE);
      yield { path: tilePath(level, tile, width), bytes };
    }
    span *= TILE_WIDTH;
  }
  for (let bundle = Math.floor(from / TILE_WIDTH); bundle * TILE_WIDTH < size; bundle++) {
    const width = Math.min(TILE_WIDTH, size - bundle * TILE_WIDTH);
    if (width === widthAt(from, bundle)) continue;
    const entries: Uint8Array[] = [];
    for (let i = 0; i < width; i++) entries.push(entry(bundle * TILE_WIDTH + i));
    yield { path: entriesPath(bundle, width), bytes: encodeEntryBundle(entries) };
  }
  if (options.checkpoint !== undefined) yield { path: "checkpoint", bytes: new TextEncoder().encode(options.checkpoint) };
}

/**
 * A NodeReader over tile contents, for clients: `tile(level, index)` returns the bytes of that
 * hash tile (full or partial). Nodes between tile levels are hashed up from the tile below, so a
 * read costs up to 2^7 - 1 hashes; fine for proofs, not for bulk work.
 */
export function readerFromTiles(tile: (level: number, index: number) => Uint8Array): NodeReader {
  const node = (treeLevel: number, index: number): Uint8Array => {
    if (treeLevel % TILE_HEIGHT !== 0) return nodeHash(node(treeLevel - 1, index * 2), node(treeLevel - 1, index * 2 + 1));
    const level = treeLevel / TILE_HEIGHT;
    const n = Math.floor(index / TILE_WIDTH);
    const bytes = tile(level, n);
    const at = (index % TILE_WIDTH) * HASH_SIZE;
    if (at + HASH_SIZE > bytes.length) throw new AuditError("audit/index-out-of-range", `tile ${level}/${n} does not hold node ${index}`);
    return bytes.slice(at, at + HASH_SIZE);
  };
  return node;
}
