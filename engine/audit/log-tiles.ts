// The log as C2SP tlog-tiles (c2sp.org/tlog-tiles), read from a store: the files of an export,
// with the partial tiles of every signed size, and single tiles for serving. Pure tile layout
// lives in tiles.ts; this is the I/O around it.
import type { NodeReader } from "./merkle.ts";
import { StoreError } from "./store.ts";
import type { AuditStore } from "./store.ts";
import { TILE_HEIGHT, TILE_WIDTH, buildTiles, encodeEntryBundle } from "./tiles.ts";
import type { TileFile } from "./tiles.ts";

/** Reads the stored hashes of every tile level below `size`, and the entries. */
async function tileSource(store: AuditStore, size: number): Promise<{ read: NodeReader; entry: (index: number) => Uint8Array }> {
  const levels = new Map<number, Map<number, Uint8Array>>();
  for (let level = 0, span = 1; Math.floor(size / span) > 0; level++, span *= TILE_WIDTH) {
    levels.set(level * TILE_HEIGHT, await store.levelHashes(level * TILE_HEIGHT, 0, Math.floor(size / span)));
  }
  const data: Uint8Array[] = [];
  for (let from = 0; from < size; from += 16384) for (const e of await store.entries(from, Math.min(size, from + 16384))) data[e.index] = e.data;
  const read: NodeReader = (level, index) => {
    const h = levels.get(level)?.get(index);
    if (!h) throw new StoreError("audit/store-corrupt", `the stored tree lacks node ${level}/${index}`, "run 'palisade audit verify' to find the damage");
    return h;
  };
  const entry = (index: number): Uint8Array => {
    const d = data[index];
    if (!d) throw new StoreError("audit/store-corrupt", `entry ${index} is missing`, "run 'palisade audit verify' to find the damage");
    return d;
  };
  return { read, entry };
}

/**
 * The C2SP tlog-tiles files of the tree at the checkpoint's size: hash tiles and entry bundles,
 * with the partial ones of every smaller stored checkpoint's size too (a client holding an
 * older checkpoint must find them), then the checkpoint itself. `entries: false` leaves out
 * the entry bundles (hashes and checkpoints only). Reads what it needs up front.
 */
export async function exportTiles(store: AuditStore, checkpoint: { readonly size: number; readonly note: string }, options: { entries?: boolean } = {}): Promise<Iterable<TileFile>> {
  const size = checkpoint.size;
  const { read, entry } = await tileSource(store, size);
  const sizes = [...new Set((await store.checkpoints()).map((c) => c.size).filter((s) => s < size)), size].sort((a, b) => a - b);
  const withEntries = options.entries !== false;
  const files = new Map<string, TileFile>();
  for (const s of sizes) {
    for (const f of buildTiles(s, read, entry)) if (withEntries || !f.path.startsWith("tile/entries/")) files.set(f.path, f);
  }
  files.set("checkpoint", { path: "checkpoint", bytes: new TextEncoder().encode(checkpoint.note) });
  return files.values();
}

/**
 * One C2SP tlog-tiles resource below the latest stored checkpoint, for serving: hash tile
 * `level` (or the entry bundle, level "entries") number `index`, `width` wide (256 for a full
 * one). Any partial width up to the tile's width at that checkpoint is served, so a client
 * holding any earlier checkpoint finds its partial tiles. Undefined when no such tile exists.
 */
export async function serveTile(store: AuditStore, level: number | "entries", index: number, width: number): Promise<Uint8Array | undefined> {
  const last = await store.lastCheckpoint();
  const size = last?.size ?? 0;
  if (!Number.isSafeInteger(index) || index < 0 || !Number.isSafeInteger(width) || width < 1 || width > TILE_WIDTH) return undefined;
  const first = index * TILE_WIDTH;
  if (level === "entries") {
    if (first + width > size) return undefined;
    const entries = await store.entries(first, first + width);
    if (entries.length !== width) throw new StoreError("audit/store-corrupt", "the store lacks entries below the checkpoint", "run 'palisade audit verify' to find the damage");
    return encodeEntryBundle(entries.map((e) => e.data));
  }
  if (!Number.isSafeInteger(level) || level < 0 || level > 63) return undefined;
  const nodes = Math.floor(size / TILE_WIDTH ** level);
  if (first + width > nodes) return undefined;
  const hashes = await store.levelHashes(level * TILE_HEIGHT, first, first + width);
  const out = new Uint8Array(width * 32);
  for (let i = 0; i < width; i++) {
    const h = hashes.get(first + i);
    if (!h) throw new StoreError("audit/store-corrupt", `the stored tree lacks node ${level * TILE_HEIGHT}/${first + i}`, "run 'palisade audit verify' to find the damage");
    out.set(h, i * 32);
  }
  return out;
}
