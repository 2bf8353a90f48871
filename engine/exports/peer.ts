// The framework adapters use the app's own copy of their framework (an optional peer
// dependency), so each adapter's entry must say clearly when that copy is missing. A static
// import cannot: Node links the whole module graph before any of it runs, and a missing package
// fails there, naming a file deep inside Palisade. So an adapter entry first checks that its
// framework resolves from here, then loads the adapter with require(), which Node 22 runs on an
// ES module synchronously: the entry stays free of top-level await, so CommonJS callers can
// require() it as well.
import { createRequire } from "node:module";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { installCommand } from "../package-root.ts";

const load = createRequire(import.meta.url);
// ".ts" when running from the sources, ".js" from dist/: the adapters are built beside us.
const ext = extname(fileURLToPath(import.meta.url));

/** An adapter's entry was imported but the framework it adapts is not installed. */
export class MissingPeerError extends Error {
  /** Stable code: `package/missing-peer`. */
  readonly code = "package/missing-peer";
  /** The entry that was imported, e.g. `palisade/ai-sdk`. */
  readonly entry: string;
  /** The package to install, e.g. `ai`. */
  readonly peer: string;

  constructor(entry: string, peer: string) {
    super(`${entry} needs the package '${peer}', which is not installed: run ${installCommand(peer)}`);
    this.name = "MissingPeerError";
    this.entry = entry;
    this.peer = peer;
  }
}

/**
 * Loads the adapter module `adapter` (a path from this folder, without extension) once every
 * package in `peers` resolves from the installed package; throws MissingPeerError for the first
 * that does not.
 */
export function loadAdapter<T>(entry: string, peers: readonly string[], adapter: string): T {
  for (const peer of peers) {
    try {
      import.meta.resolve(peer);
    } catch (err) {
      if ((err as { code?: unknown }).code === "ERR_MODULE_NOT_FOUND") throw new MissingPeerError(entry, peer);
      throw err;
    }
  }
  return load(`${adapter}${ext}`) as T;
}
