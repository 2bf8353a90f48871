// The audit log over HTTP. Checkpoints and proofs need a key; the C2SP tlog-tiles paths under
// /tlog/ are public, so a witness or an auditor can verify the log without database access and
// without credentials. Hash tiles and checkpoints always are; entry bundles (the records, sealed
// or redacted as the log's erasure policy leaves them) only with `publicEntries`.
import { gzipSync } from "node:zlib";
import { documented } from "./openapi.ts";
import { ref } from "./schemas.ts";
import type { FastifyInstance, FastifyReply } from "fastify";
import { StoreError, TILE_WIDTH, openCheckpoint, readVerifierKeys, toBase64 } from "../audit/index.ts";
import type { ServiceContext } from "./context.ts";
import { ServiceError, invalid } from "./errors.ts";
import { requireAdmin } from "./keys.ts";
import { queryInt } from "./validate.ts";
import type { AuditStatusV1, InclusionProofV1 } from "./wire.ts";

/** Parses a tile index path element ("x001/x234/067") to its number; undefined when malformed. */
export function parseTileIndex(parts: readonly string[]): number | undefined {
  if (parts.length === 0) return undefined;
  let n = 0;
  for (let i = 0; i < parts.length; i++) {
    const last = i === parts.length - 1;
    const m = (last ? /^(\d{3})$/ : /^x(\d{3})$/).exec(parts[i]);
    if (!m) return undefined;
    n = n * 1000 + Number(m[1]);
  }
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A tile request: hash tile (level) or entry bundle (level "entries"), its index and width. */
export function parseTilePath(path: string): { level: number | "entries"; index: number; width: number } | undefined {
  let rest = path;
  let width = TILE_WIDTH;
  const partial = /\.p\/(\d{1,3})$/.exec(rest);
  if (partial) {
    width = Number(partial[1]);
    if (width < 1 || width >= TILE_WIDTH) return undefined;
    rest = rest.slice(0, partial.index);
  }
  const parts = rest.split("/");
  const levelPart = parts.shift();
  if (levelPart === undefined) return undefined;
  const level = levelPart === "entries" ? "entries" : /^\d{1,2}$/.test(levelPart) ? Number(levelPart) : undefined;
  if (level === undefined) return undefined;
  const index = parseTileIndex(parts);
  return index === undefined ? undefined : { level, index, width };
}

function notFound(reply: FastifyReply, what: string): FastifyReply {
  return reply.code(404).send(new ServiceError("request/not-found", what).toJSON());
}

/**
 * Registers the audit routes; `publicEntries` serves entry bundles to anyone (default: not);
 * `verifierKeyFile` is the log's `<db>.vkey`, served as is (default: the signing key's public half).
 */
export function auditRoutes(app: FastifyInstance, ctx: ServiceContext, options: { publicEntries?: boolean; verifierKeyFile?: string } = {}): void {
  const log = ctx.audit;

  // The keys a verifier should be given, from the file beside the log (newest first, retired ones
  // below), never from the database: whoever rewrites the store must not choose what is served here.
  app.get("/v1/audit/vkey", documented({
    summary: "The log's verifier keys (C2SP note keys, newest first), public",
    tag: "audit",
    auth: "public",
    responses: {
      200: { description: "One <name>+<id>+<base64 key> line per key: the current key first, then keys retired by rotation. Pass them to 'palisade audit verify --vkey'.", type: "text/plain" },
      404: { description: "The log has no signing key.", schema: ref("Error") },
      503: { description: "audit/unavailable: the verifier key file cannot be read.", schema: ref("Error") },
    },
  }), async (_req, reply) => {
    let keys: string[];
    if (options.verifierKeyFile !== undefined) {
      try {
        keys = readVerifierKeys(options.verifierKeyFile);
      } catch (err) {
        if (!(err instanceof StoreError)) throw err;
        throw new ServiceError("audit/unavailable", `the log's verifier key file cannot be served: ${err.message}`);
      }
    } else {
      const own = log.signerVerifierKey;
      if (own === undefined) return notFound(reply, "this log has no checkpoint signing key");
      keys = [own];
    }
    return reply.type("text/plain; charset=utf-8").header("cache-control", "no-cache").send(`${keys.join("\n")}\n`);
  });

  app.get("/v1/audit/checkpoint", documented({
    summary: "The latest signed checkpoint (C2SP signed note)",
    tag: "audit",
    auth: "key",
    responses: { 200: { description: "The signed note.", type: "text/plain" }, 404: { description: "No checkpoint yet.", schema: ref("Error") } },
  }), async (req, reply) => {
    ctx.caller(req);
    const cp = await log.latestCheckpoint();
    if (!cp) throw new ServiceError("request/not-found", "no checkpoint has been signed yet: the service signs one within checkpointEveryMs of the first decision");
    return reply.type("text/plain; charset=utf-8").send(cp.note);
  });

  app.get("/v1/audit/proof", documented({
    summary: "An RFC 9162 inclusion proof",
    tag: "audit",
    auth: "key",
    query: { index: { description: "The entry to prove.", schema: { type: "integer", minimum: 0 }, required: true }, size: { description: "The tree size (default: the latest checkpoint's).", schema: { type: "integer", minimum: 0 } } },
    responses: { 200: { description: "The proof, hashes in base64.", schema: ref("InclusionProof") } },
  }), async (req): Promise<InclusionProofV1> => {
    ctx.caller(req);
    const q = req.query as Record<string, unknown>;
    const index = queryInt(q, "index");
    if (index === undefined) throw invalid("/index", "query parameter 'index' is required: the entry to prove");
    const size = queryInt(q, "size") ?? (await log.latestCheckpoint())?.size ?? (await log.size());
    if (index >= size) throw new ServiceError("audit/invalid-range", `entry ${index} is not within a tree of size ${size}`, "/index");
    if (size > (await log.size())) throw new ServiceError("audit/invalid-range", `size ${size} is beyond the log`, "/size");
    const p = await log.inclusionProof(index, size);
    return { index, size, leafHash: toBase64(p.leafHash), proof: p.proof.map(toBase64), root: toBase64(p.root) };
  });

  app.get("/v1/audit/status", documented({
    summary: "The log's size, latest checkpoint and whether it verifies (admin)",
    tag: "audit",
    auth: "key",
    responses: { 200: { description: "The status.", schema: ref("AuditStatus") } },
  }), async (req): Promise<AuditStatusV1> => {
    requireAdmin(ctx.caller(req));
    const size = await log.size();
    const cp = await log.latestCheckpoint();
    if (!cp) return { size, pending: log.pending + ctx.writer.queued, checkpoint: null, verification: { ok: false, detail: "no checkpoint has been signed yet" } };
    const checkpoint = { origin: cp.origin, size: cp.size, root: toBase64(cp.root), note: cp.note };
    const opened = openCheckpoint(cp.note, await log.verifierKeys(), cp.origin);
    if (!opened.ok) return { size, pending: log.pending, checkpoint, verification: { ok: false, detail: `the signature does not verify: ${opened.error.message}` } };
    const root = await log.root(cp.size);
    const same = toBase64(root) === checkpoint.root;
    return { size, pending: log.pending + ctx.writer.queued, checkpoint, verification: same ? { ok: true, detail: `signature valid; the stored tree of ${cp.size} entries has the signed root` } : { ok: false, detail: `the stored tree of ${cp.size} entries does not have the signed root` } };
  });

  // C2SP tlog-tiles: everything at or below the latest signed checkpoint, public, cacheable.
  app.get("/tlog/checkpoint", documented({
    summary: "C2SP tlog-tiles: the latest checkpoint",
    tag: "tiles",
    auth: "public",
    responses: { 200: { description: "The signed note.", type: "text/plain" }, 404: { description: "No checkpoint yet.", schema: ref("Error") } },
  }), async (_req, reply) => {
    const cp = await log.latestCheckpoint();
    if (!cp) return notFound(reply, "no checkpoint yet");
    return reply.type("text/plain; charset=utf-8").header("cache-control", "no-store").send(cp.note);
  });

  app.get("/tlog/tile/*", documented({
    summary: "C2SP tlog-tiles: a hash tile or an entry bundle",
    tag: "tiles",
    auth: "public",
    params: { path: { description: "<L>/<N>[.p/<W>] or entries/<N>[.p/<W>], N in x001/x234/067 form." } },
    responses: { 200: { description: "The tile's bytes.", type: "application/octet-stream" }, 403: { description: "Entry bundles are not public on this log (setting audit.publicEntries).", schema: ref("Error") }, 404: { description: "No such tile at the latest checkpoint.", schema: ref("Error") } },
  }), async (req, reply) => {
    const t = parseTilePath((req.params as { "*": string })["*"]);
    if (!t) return notFound(reply, "not a tile path");
    if (t.level === "entries" && options.publicEntries !== true) throw new ServiceError("auth/forbidden", "entry bundles are not public on this log: an operator may publish them with the setting audit.publicEntries");
    // Every partial width up to the latest checkpoint's is served: a client holding any older checkpoint needs its own.
    const bytes = await log.tile(t.level, t.index, t.width);
    if (!bytes) return notFound(reply, "no such tile at the latest checkpoint");
    reply.type("application/octet-stream").header("cache-control", t.width === TILE_WIDTH ? "public, max-age=31536000, immutable" : "public, max-age=60");
    // C2SP tlog-tiles: entry bundles SHOULD be compressed at the HTTP layer.
    if (t.level === "entries" && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))) return reply.header("content-encoding", "gzip").header("vary", "accept-encoding").send(gzipSync(bytes));
    return reply.send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });
}
