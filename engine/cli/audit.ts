// `palisade audit <verify|checkpoint|prove|consistency|tiles|erase|rotate-key>`: the audit log
// from the command line. Each subcommand parses its flags, calls the log, and maps the outcome to
// an exit code here at the edge: 0 ok, 1 verification failed (or an erasure is unfinished), 2 bad
// arguments or an unusable log, 3 signing refused because the log does not extend what was signed.
//
// Trust comes from outside the database: the verifier keys from --vkey, else the log's `.vkey`
// file, else the signing key file's own; the signer's memory (`.checkpoint`) and any --checkpoint
// a client holds must be consistent with the log. See engine/audit/key-files.ts for the files.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { ANONYMOUS_SUBJECT } from "../audit/erasure.ts";
import { AuditError } from "../audit/errors.ts";
import { toHex } from "../audit/hash.ts";
import { TILE_WIDTH, tilePath } from "../audit/tiles.ts";
import { defaultOrigin, fileSignerMemory, isPostgresUrl, logFiles, readSigningKey, readVerifierKeys, replaceFile, signingKeyFor, writeVerifierKeys } from "../audit/key-files.ts";
import type { LogFiles } from "../audit/key-files.ts";
import { AuditLog } from "../audit/log.ts";
import type { LogVerifyOptions } from "../audit/log.ts";
import { NoteError, generateKey, parseSignerKey, parseVerifierKey } from "../audit/note.ts";
import { StoreError, openStore } from "../audit/store.ts";
import type { VerifierKey } from "../audit/note.ts";
import { openTrusted, parseTrustedKeys } from "../audit/trust.ts";
import type { TrustedCheckpoint } from "../audit/trust.ts";
import { verifyConsistency, verifyInclusion } from "../audit/verify.ts";
import type { WitnessConfig } from "../audit/witness.ts";
import { UsageError, intFlag, parseArgs, stringFlag } from "./args.ts";
import type { FlagSpec, ParsedArgs } from "./args.ts";
import type { Command, CommandIO } from "./command.ts";

const DEFAULT_DB = "palisade-audit.db";
/** Exit status when the log refuses to sign (rollback or fork). */
const EXIT_REFUSED = 3;

const common = `  --db LOCATION   the log: a SQLite file or a postgres:// URL (default: ${DEFAULT_DB} here)
  -h, --help      show this help`;

const keyHelp = `  --key FILE      checkpoint signing key (PRIVATE+KEY+...); default: <db>.key beside a
                  SQLite file, palisade-audit.key here for PostgreSQL; the verifier key
                  file (.vkey) and the signer's memory (.checkpoint) sit beside it`;

const trustHelp = `  --vkey KEY      a verifier key to trust, or a file holding one a line (repeatable);
                  default: the log's .vkey file, else the signing key's own
  --checkpoint FILE
                  a checkpoint you hold: the log must contain it (repeatable); the
                  signer's memory (.checkpoint beside the key) is always checked too`;

const subHelp: Record<string, string> = {
  verify: `usage: palisade audit verify [options]

Recomputes every leaf hash from the stored entries, rebuilds the Merkle tree, and checks every
stored node, every stored checkpoint and every checkpoint you hold against it. Checkpoints count
only when signed by a key you trust, never by the key the database names. Names the first bad
index, or the checkpoint that fails.

options:
${common}
${keyHelp}
${trustHelp}
  --allow-unsigned
                  accept a log that no trusted checkpoint vouches for
  --witness VKEY  a witness whose cosignatures count (repeatable; VKEY@URL also accepted)
  --quorum K      cosignatures the latest checkpoint needs (default: every --witness)
  --tiles DIR     tiles published earlier (an 'audit tiles' export or a mirror): damage that
                  only a signed root shows is then pinned to the exact entry
  --json          print the report as JSON

exit status: 0 the log verifies, 1 it does not, 2 bad arguments or no usable log`,
  checkpoint: `usage: palisade audit checkpoint [options]

Proves the current tree consistent with what was signed before, signs it as a C2SP
tlog-checkpoint (an Ed25519 signed note), asks the witnesses to cosign it, stores it and prints
it. A new log's first run creates its signing key (.key, 0600) and verifier key (.vkey, 0644).

options:
${common}
${keyHelp}
  --origin NAME   a new log's origin and key name (default: palisade.local/audit/<random>)
  --witness VKEY@URL
                  a witness to ask for a cosignature (repeatable; URL is its submission prefix)

exit status: 0 printed, 2 bad arguments or no usable log, 3 refused: the log does not extend
the checkpoints already signed (its store was rolled back or forked)`,
  prove: `usage: palisade audit prove --index N [--size M | --checkpoint FILE] [options]

Prints the inclusion proof of entry N in the tree of a signed checkpoint (the latest stored, the
stored one of size M, or the one in FILE) as JSON, and checks it against the signed root.

options:
  --index N       the entry
  --size M        prove against the stored checkpoint of this size
${common}
${keyHelp}
${trustHelp.replace("the log must contain it (repeatable); the\n                  signer's memory (.checkpoint beside the key) is always checked too", "prove against it")}

exit status: 0 the proof verifies, 1 it does not (or no trusted checkpoint), 2 bad arguments`,
  consistency: `usage: palisade audit consistency --from A [--to B] [options]

Prints the consistency proof between the trees of the first A and first B entries as JSON and
checks it against signed roots: B's checkpoint (the latest stored by default, or one given with
--checkpoint) and A's when one is stored or given; the output says which.

options:
  --from A        the older tree size
  --to B          the newer tree size (default: the latest trusted checkpoint's)
${common}
${keyHelp}
${trustHelp.replace("the log must contain it (repeatable); the\n                  signer's memory (.checkpoint beside the key) is always checked too", "use it for its size (repeatable)")}

exit status: 0 the proof verifies, 1 it does not (or no trusted checkpoint), 2 bad arguments`,
  tiles: `usage: palisade audit tiles --out DIR [options]

Writes the log as a C2SP tlog-tiles tree under DIR: checkpoint, tile/<L>/<N>[.p/<W>] and
tile/entries/<N>[.p/<W>], ready to be served as static files, with the partial tiles of every
stored checkpoint's size. Exports the latest stored checkpoint; signs a new one only with --sign.

options:
  --out DIR       where to write (created if needed)
  --sign          sign a checkpoint of the whole log first (needs the signing key)
  --no-entries    leave the entry bundles out (hashes and the checkpoint only)
  --gzip          write entry bundles gzip-compressed, to serve with Content-Encoding: gzip
${common}
${keyHelp}

exit status: 0 written, 2 bad arguments or no usable log, 3 signing refused`,
  erase: `usage: palisade audit erase --subject ID [options]

GDPR Art. 17: destroys the data subject's encryption key, so the personal fields of every
entry recorded for ID read as "[erased]" from now on, and makes sure no copy of the key is left
in the database file, its WAL or free pages. The tree and every checkpoint still verify.

options:
  --subject ID    the data subject (the value of the log's subject field, e.g. principal)
  --anonymous     instead: the personal fields of every record without a subject
${common}

exit status: 0 erased (or nothing to erase), 1 key destroyed but a copy remains (named; run it
again once that is resolved), 2 bad arguments or no usable log`,
  "rotate-key": `usage: palisade audit rotate-key [options]

Key rotation: signs a last checkpoint with the current key, replaces the key file with a new key
under a new origin, adds the new verifier key to the .vkey file (old keys kept below it, so old
checkpoints keep verifying), and signs the new origin's first checkpoint.

options:
  --origin NAME   the new origin and key name (default: palisade.local/audit/<random>)
${common}
${keyHelp}

exit status: 0 rotated, 2 bad arguments or no usable log, 3 signing refused`,
};

const help = `usage: palisade audit <subcommand> [options]

Verifies, proves, signs, exports and erases the tamper-evident audit log.

subcommands:
  verify                         check every entry, node and checkpoint; name the first bad index
  checkpoint                     sign and print the current tree head (C2SP tlog-checkpoint)
  prove --index N                print an inclusion proof as JSON and check it
  consistency --from A [--to B]  print a consistency proof as JSON and check it
  tiles --out DIR                write the log as C2SP tlog-tiles
  erase --subject ID             destroy a data subject's key (GDPR Art. 17)
  rotate-key                     move the log to a new signing key and origin

options (all subcommands):
${common}
${keyHelp}

run 'palisade audit <subcommand> --help' for a subcommand's options (also printed below)

${Object.values(subHelp).join("\n\n")}
`;

const trustFlags: Record<string, FlagSpec> = { key: { type: "string" }, vkey: { type: "string", multiple: true }, checkpoint: { type: "string", multiple: true } };
const flags: Record<string, Record<string, FlagSpec>> = {
  verify: { db: { type: "string" }, ...trustFlags, tiles: { type: "string" }, "allow-unsigned": { type: "boolean" }, witness: { type: "string", multiple: true }, quorum: { type: "string" }, json: { type: "boolean" } },
  checkpoint: { db: { type: "string" }, key: { type: "string" }, origin: { type: "string" }, witness: { type: "string", multiple: true } },
  prove: { db: { type: "string" }, index: { type: "string" }, size: { type: "string" }, ...trustFlags },
  consistency: { db: { type: "string" }, from: { type: "string" }, to: { type: "string" }, ...trustFlags },
  tiles: { db: { type: "string" }, out: { type: "string" }, key: { type: "string" }, sign: { type: "boolean" }, "no-entries": { type: "boolean" }, gzip: { type: "boolean" } },
  erase: { db: { type: "string" }, subject: { type: "string" }, anonymous: { type: "boolean" } },
  "rotate-key": { db: { type: "string" }, key: { type: "string" }, origin: { type: "string" } },
};

function dbOf(args: ParsedArgs, io: CommandIO): string {
  const db = stringFlag(args, "db") ?? DEFAULT_DB;
  if (db === "") throw new UsageError("option '--db' must not be empty");
  return isPostgresUrl(db) ? db : resolve(io.cwd, db);
}

function filesOf(args: ParsedArgs, db: string, io: CommandIO): LogFiles {
  return logFiles(db, stringFlag(args, "key"), io.cwd);
}

async function openLog(db: string, options: Parameters<typeof AuditLog.open>[1] = {}): Promise<AuditLog> {
  const store = await openStore(db, { create: false });
  try {
    return await AuditLog.open(store, options);
  } catch (err) {
    await store.close();
    throw err;
  }
}

async function withLog<T>(log: AuditLog, body: (log: AuditLog) => Promise<T>): Promise<T> {
  try {
    return await body(log);
  } finally {
    await log.close();
  }
}

function required(args: ParsedArgs, name: string, what: string): number {
  const v = intFlag(args, name);
  if (v === undefined) throw new UsageError(`option '--${name}' is required (${what})`);
  return v;
}

const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/** A --vkey value: a verifier key itself, or a file of them. */
function keysFrom(value: string, io: CommandIO): string[] {
  try {
    return [parseVerifierKey(value.trim()).vkey];
  } catch {
    const path = resolve(io.cwd, value);
    if (!existsSync(path)) throw new UsageError(`--vkey '${value}' is neither a verifier key nor a file`);
    return readVerifierKeys(path);
  }
}

/** The keys to trust and where they came from: --vkey, else the .vkey file, else the signing key's own. */
function trustedKeys(args: ParsedArgs, files: LogFiles, io: CommandIO): { keys: string[]; from: string } {
  const given = args.flags.vkey as string[] | undefined;
  if (given) return { keys: given.flatMap((v) => keysFrom(v, io)), from: "--vkey" };
  if (existsSync(files.vkey)) return { keys: readVerifierKeys(files.vkey), from: files.vkey };
  const signer = readSigningKey(files.key);
  if (signer !== undefined) return { keys: [parseSignerKey(signer).vkey], from: files.key };
  return { keys: [], from: "" };
}

/** The checkpoints given with --checkpoint, as files read. */
function heldFiles(args: ParsedArgs, io: CommandIO): { label: string; note: string }[] {
  return ((args.flags.checkpoint as string[] | undefined) ?? []).map((f) => {
    const path = resolve(io.cwd, f);
    try {
      return { label: f, note: readFileSync(path, "utf8") };
    } catch {
      throw new UsageError(`cannot read checkpoint file '${f}'`);
    }
  });
}

/** A --witness value: `VKEY@URL` (the URL optional when only the key is needed). */
function witnessOf(value: string, needUrl: boolean): { vkey: string; url: string | undefined } {
  const at = value.search(/@https?:\/\//i);
  const vkey = at < 0 ? value : value.slice(0, at);
  const url = at < 0 ? undefined : value.slice(at + 1);
  try {
    parseVerifierKey(vkey.trim());
  } catch (err) {
    throw new UsageError(`--witness '${value}': ${err instanceof Error ? err.message : String(err)}`);
  }
  if (needUrl && url === undefined) throw new UsageError(`--witness '${value}' needs the witness's URL: VKEY@https://witness.example/`);
  return { vkey: vkey.trim(), url };
}

/** Opens the log at `db` with its signing key, created (with `origin`) for a log that has none yet. */
async function openSigning(db: string, files: LogFiles, origin: string | undefined, io: CommandIO, witnesses: readonly WitnessConfig[] = []): Promise<AuditLog> {
  const store = await openStore(db, { create: false });
  try {
    const { signerKey, created } = await signingKeyFor(store, files, origin ?? defaultOrigin());
    if (created) io.stderr(`palisade audit: created checkpoint signing key ${files.key}\n  verifier key: ${parseSignerKey(signerKey).vkey} (in ${files.vkey})\n`);
    return await AuditLog.open(store, { signingKey: signerKey, signerMemory: fileSignerMemory(files.checkpoint, files.leaves), witnesses });
  } catch (err) {
    await store.close();
    throw err;
  }
}

/** The checkpoints of the log that trusted keys vouch for, by size (the last stored of each size). */
async function trustedStored(log: AuditLog, keys: readonly VerifierKey[]): Promise<Map<number, TrustedCheckpoint>> {
  const out = new Map<number, TrustedCheckpoint>();
  for (const cp of await log.store.checkpoints()) {
    const t = openTrusted(cp.note, keys);
    if (t.ok && t.checkpoint.size === cp.size) out.set(cp.size, t.checkpoint);
  }
  return out;
}

/** Opens the held checkpoint files against trusted keys; a file no trusted key signed is a usage error. */
function openHeld(held: readonly { label: string; note: string }[], keys: readonly VerifierKey[]): { label: string; cp: TrustedCheckpoint }[] {
  return held.map(({ label, note }) => {
    const t = openTrusted(note, keys);
    if (!t.ok) throw new StoreError("audit/no-trusted-key", `checkpoint ${label} cannot be trusted: ${t.reason}`, "pass --vkey with the verifier key of the log that signed it");
    return { label, cp: t.checkpoint };
  });
}

function requireKeys(keys: readonly string[]): void {
  if (keys.length === 0) throw new StoreError("audit/no-trusted-key", "no verifier key to trust", "pass --vkey with the log's verifier key (or its .vkey file), or --allow-unsigned to check entries and nodes only");
}

/** `audit verify` on an open log. */
async function verify(log: AuditLog, db: string, args: ParsedArgs, io: CommandIO): Promise<number> {
  const files = filesOf(args, db, io);
  const allowUnsigned = args.flags["allow-unsigned"] === true;
  const trust = trustedKeys(args, files, io);
  if (!allowUnsigned) requireKeys(trust.keys);
  const witnesses = ((args.flags.witness as string[] | undefined) ?? []).map((w) => witnessOf(w, false).vkey);
  const quorum = intFlag(args, "quorum");
  if (quorum !== undefined && quorum > witnesses.length) throw new UsageError(`--quorum ${quorum} needs at least ${quorum} --witness keys`);
  const held = heldFiles(args, io);
  // The signer's own memory is a checkpoint the operator holds: a rolled-back store contradicts it.
  const memory = fileSignerMemory(files.checkpoint).read();
  const keys = parseTrustedKeys(trust.keys);
  if (memory !== undefined && openTrusted(memory, keys).ok) held.push({ label: files.checkpoint, note: memory });
  const tiles = stringFlag(args, "tiles");
  const referenceLeaf = tiles === undefined ? undefined : publishedLeaves(resolve(io.cwd, tiles));
  // The signer's leaf memory names the exact entry a rewrite changed; verify checks it against the signed roots first.
  const signerLeaves = existsSync(files.leaves) ? { label: files.leaves, hashes: new Uint8Array(readFileSync(files.leaves)) } : undefined;
  const options: LogVerifyOptions = { verifierKeys: trust.keys, checkpoints: held, allowUnsigned, witnesses, ...(quorum !== undefined ? { quorum } : {}), ...(referenceLeaf ? { referenceLeaf } : {}), ...(signerLeaves ? { signerLeaves } : {}) };
  const r = await log.verify(options);
  if (args.flags.json === true) {
    io.stdout(json({ ok: r.ok, size: r.size, root: toHex(r.root), firstBadIndex: r.firstBadIndex, firstBadTo: r.firstBadTo, trustedKeys: trust.keys, latestTrusted: r.latestTrusted && { size: r.latestTrusted.size, origin: r.latestTrusted.origin }, checked: r.checked, problemCount: r.problemCount, problems: r.problems }));
  } else if (r.ok) {
    const heldLine = r.checked.held > 0 ? `, and the log contains ${count(r.checked.held, "held checkpoint", "held checkpoints")}` : "";
    const signed = r.latestTrusted ? `latest trusted checkpoint: size ${r.latestTrusted.size} (${r.latestTrusted.origin})` : "no trusted checkpoint (--allow-unsigned)";
    io.stdout(`ok: ${count(r.checked.entries, "entry", "entries")}, ${count(r.checked.nodes, "node", "nodes")} and ${count(r.checked.checkpoints, "checkpoint", "checkpoints")} verify${heldLine}\nroot: ${toHex(r.root)} (size ${r.size})\n${signed}\n`);
  } else {
    const shown = r.problems.filter((p) => p.rootCause).slice(0, 10);
    const lines = shown.map((p) => `  ${p.message}`);
    const more = r.problemCount - shown.length;
    // A range only when a signed root alone shows the damage (a node names its subtree's first leaf, as the spec says).
    const first = r.problems.find((p) => p.rootCause && p.index === r.firstBadIndex);
    const exact = r.firstBadTo === null || r.firstBadTo <= r.firstBadIndex! + 1 || (first?.kind !== "checkpoint" && first?.kind !== "fork");
    const head = r.firstBadIndex === null ? "verify failed" : exact ? `verify failed: first bad index ${r.firstBadIndex}` : `verify failed: first bad index within ${r.firstBadIndex}..${r.firstBadTo! - 1}`;
    // Only signed roots showed it: say so, and what would pin it down.
    const why = exact ? "" : `  (only signed roots show this damage, so it is bounded, not pinned: the signer's leaf memory ${basename(files.leaves)} or --tiles DIR names the entry)\n`;
    io.stdout(`${head}\n${lines.join("\n")}\n${why}${more > 0 ? `  (and ${more} more problem(s) that follow from these)\n` : ""}`);
  }
  return r.ok ? 0 : 1;
}

const run: Record<string, (args: ParsedArgs, io: CommandIO) => Promise<number>> = {
  async verify(args, io) {
    const db = dbOf(args, io);
    return withLog(await openLog(db), (log) => verify(log, db, args, io));
  },

  async checkpoint(args, io) {
    const db = dbOf(args, io);
    const files = filesOf(args, db, io);
    const witnesses: WitnessConfig[] = ((args.flags.witness as string[] | undefined) ?? []).map((w) => {
      const { vkey, url } = witnessOf(w, true);
      return { vkey, url: url as string };
    });
    const cp = await withLog(await openSigning(db, files, stringFlag(args, "origin"), io, witnesses), (l) => l.checkpoint());
    for (const w of cp.witnesses ?? []) io.stderr(w.ok ? `palisade audit: witness ${w.name} cosigned\n` : `palisade audit: witness ${w.name} did not cosign: ${w.error}\n`);
    io.stdout(cp.note);
    return 0;
  },

  async prove(args, io) {
    const index = required(args, "index", "the entry to prove");
    const db = dbOf(args, io);
    const files = filesOf(args, db, io);
    const trust = trustedKeys(args, files, io);
    requireKeys(trust.keys);
    const keys = parseTrustedKeys(trust.keys);
    const held = openHeld(heldFiles(args, io), keys);
    if (held.length > 1) throw new UsageError("prove takes one --checkpoint");
    const size = intFlag(args, "size");
    return withLog(await openLog(db), async (l) => {
      const stored = await trustedStored(l, keys);
      const chosen = held[0] ? { cp: held[0].cp, source: held[0].label } : pick(stored, size);
      if (!chosen) {
        io.stderr(`palisade audit prove: no checkpoint signed by a trusted key${size !== undefined ? ` has size ${size}` : ""} to prove against\n`);
        return 1;
      }
      const { cp, source } = chosen;
      if (index >= cp.size) throw new UsageError(`entry ${index} is not within the checkpoint's ${cp.size} entries`);
      const p = await l.inclusionProof(index, cp.size);
      const verified = verifyInclusion(p.leafHash, p.index, p.size, p.proof, cp.root);
      io.stdout(json({ index: p.index, size: p.size, leafHash: toHex(p.leafHash), proof: p.proof.map(toHex), root: toHex(cp.root), checkpoint: { origin: cp.origin, size: cp.size, source }, verified }));
      return verified ? 0 : 1;
    });
  },

  async consistency(args, io) {
    const from = required(args, "from", "the older tree size");
    const db = dbOf(args, io);
    const files = filesOf(args, db, io);
    const trust = trustedKeys(args, files, io);
    requireKeys(trust.keys);
    const keys = parseTrustedKeys(trust.keys);
    const held = openHeld(heldFiles(args, io), keys);
    const to = intFlag(args, "to");
    return withLog(await openLog(db), async (l) => {
      const stored = await trustedStored(l, keys);
      const find = (size: number | undefined) => {
        const h = held.find((x) => x.cp.size === size);
        return h ? { cp: h.cp, source: h.label } : size === undefined ? undefined : pick(stored, size);
      };
      const newer = find(to) ?? (to === undefined ? (held.length > 0 ? { cp: held.reduce((a, b) => (b.cp.size > a.cp.size ? b : a)).cp, source: "--checkpoint" } : pick(stored, undefined)) : undefined);
      if (!newer) {
        io.stderr(`palisade audit consistency: no checkpoint signed by a trusted key${to !== undefined ? ` has size ${to}` : ""} to check against\n`);
        return 1;
      }
      if (from > newer.cp.size) throw new UsageError(`--from ${from} is beyond the checkpoint's ${newer.cp.size} entries`);
      const older = find(from);
      const c = await l.consistencyProof(from, newer.cp.size);
      const fromRoot = older?.cp.root ?? c.fromRoot;
      // RFC 9162 proves nothing from an empty tree (any tree extends it): trivially consistent.
      const verified = from === 0 || verifyConsistency(from, newer.cp.size, c.proof, fromRoot, newer.cp.root);
      const end = (e: { cp: TrustedCheckpoint; source: string } | undefined, root: Uint8Array) => (e ? { root: toHex(e.cp.root), signed: true, origin: e.cp.origin, source: e.source } : { root: toHex(root), signed: false, source: "computed from the store" });
      io.stdout(json({ from: c.from, to: c.to, proof: c.proof.map(toHex), fromRoot: toHex(fromRoot), toRoot: toHex(newer.cp.root), checkpoints: { from: end(older, c.fromRoot), to: end(newer, newer.cp.root) }, verified }));
      return verified ? 0 : 1;
    });
  },

  async tiles(args, io) {
    const out = stringFlag(args, "out");
    if (out === undefined || out === "") throw new UsageError("option '--out' is required (the folder to write the tiles to)");
    const db = dbOf(args, io);
    const files = filesOf(args, db, io);
    const sign = args.flags.sign === true;
    const gzip = args.flags.gzip === true;
    const dir = resolve(io.cwd, out);
    const signingKey = sign ? readSigningKey(files.key) : undefined;
    if (sign && signingKey === undefined) throw new StoreError("audit/no-signing-key", `--sign needs the signing key, and there is none at '${files.key}'`, "pass --key with the log's key file");
    const log = await openLog(db, signingKey === undefined ? {} : { signingKey, signerMemory: fileSignerMemory(files.checkpoint, files.leaves) });
    const written = await withLog(log, async (l) => {
      const cp = sign ? await l.checkpoint() : await l.latestCheckpoint();
      if (!cp) throw new StoreError("audit/no-signing-key", "the log has no checkpoint to export", "run 'palisade audit checkpoint' first, or pass --sign");
      let n = 0;
      for (const f of await l.tiles(cp, { entries: args.flags["no-entries"] !== true })) {
        const p = join(dir, f.path);
        mkdirSync(dirname(p), { recursive: true });
        writeFileSync(p, gzip && f.path.startsWith("tile/entries/") ? gzipSync(f.bytes) : f.bytes);
        n++;
      }
      return { n, size: cp.size };
    });
    io.stdout(`wrote ${written.n} files for tree size ${written.size} to ${dir}\n`);
    return 0;
  },

  async erase(args, io) {
    const anonymous = args.flags.anonymous === true;
    const given = stringFlag(args, "subject");
    if (anonymous === (given !== undefined) || given === "") throw new UsageError("option '--subject' is required (the data subject's id), or --anonymous");
    const subject = anonymous ? "(anonymous)" : (given as string);
    const r = await withLog(await openLog(dbOf(args, io)), (l) => l.erase(anonymous ? ANONYMOUS_SUBJECT : subject));
    const entries = count(r.entries, "entry", "entries");
    if (!r.complete) {
      const what = r.keysDestroyed > 0 ? `${count(r.keysDestroyed, "key", "keys")} destroyed for subject '${subject}'` : `subject '${subject}': an earlier erasure`;
      io.stdout(`erasure unfinished: ${what}, but a copy of the key bytes remains:\n${r.remains.map((x) => `  ${x}\n`).join("")}run 'palisade audit erase' again once that is resolved\n`);
      return 1;
    }
    if (r.keysDestroyed === 0) io.stdout(`subject '${subject}' has no live key: nothing to erase, and no copy of a destroyed key remains in the database files (${entries} recorded)\n`);
    else io.stdout(`erased subject '${subject}': ${count(r.keysDestroyed, "key", "keys")} destroyed and gone from the database files; the personal fields of ${entries} now read as erased\n`);
    return 0;
  },

  async "rotate-key"(args, io) {
    const db = dbOf(args, io);
    const files = filesOf(args, db, io);
    const current = readSigningKey(files.key);
    if (current === undefined) throw new StoreError("audit/no-signing-key", `rotating needs the current signing key, and there is none at '${files.key}'`, "pass --key with the log's key file");
    const origin = stringFlag(args, "origin") ?? defaultOrigin();
    let next: { signerKey: string; verifierKey: string };
    try {
      next = generateKey(origin);
    } catch {
      throw new UsageError(`'${origin}' cannot name a log: use no spaces and no '+'`);
    }
    const oldVkey = parseSignerKey(current).vkey;
    const log = await openLog(db, { signingKey: current, signerMemory: fileSignerMemory(files.checkpoint, files.leaves) });
    const { last, first } = await withLog(log, (l) => l.rotateKey(next.signerKey));
    // The log now answers to the new key only: replace the private key, keep every verifier key.
    replaceFile(files.key, `${next.signerKey}\n`, 0o600);
    const previous = existsSync(files.vkey) ? readVerifierKeys(files.vkey) : [oldVkey];
    writeVerifierKeys(files.vkey, [next.verifierKey, ...previous.filter((k) => k !== next.verifierKey)]);
    io.stderr(`palisade audit: rotated the log from ${oldVkey} (last checkpoint: size ${last.size}) to ${next.verifierKey}\n  ${files.vkey} lists both; old checkpoints keep verifying with the old key\n`);
    io.stdout(first.note);
    return 0;
  },
};

/**
 * Leaf hashes from a tiles directory: level-0 tile N is the full file if present, else its widest
 * partial. Nothing there is trusted: a leaf that differs only narrows down where damage lies.
 */
function publishedLeaves(dir: string): (index: number) => Uint8Array | undefined {
  if (!existsSync(dir)) throw new UsageError(`--tiles '${dir}' does not exist`);
  const cache = new Map<number, Uint8Array | null>();
  const load = (tile: number): Uint8Array | null => {
    const base = join(dir, tilePath(0, tile));
    if (existsSync(base)) return new Uint8Array(readFileSync(base));
    for (let w = TILE_WIDTH - 1; w > 0; w--) {
      const p = join(dir, tilePath(0, tile, w));
      if (existsSync(p)) return new Uint8Array(readFileSync(p));
    }
    return null;
  };
  return (index) => {
    const tile = Math.floor(index / TILE_WIDTH);
    let bytes = cache.get(tile);
    if (bytes === undefined) {
      cache.clear();
      bytes = load(tile);
      cache.set(tile, bytes);
    }
    const at = (index % TILE_WIDTH) * 32;
    return bytes !== null && at + 32 <= bytes.length ? bytes.subarray(at, at + 32) : undefined;
  };
}

/** The trusted stored checkpoint of `size`, or the largest one. */
function pick(stored: Map<number, TrustedCheckpoint>, size: number | undefined): { cp: TrustedCheckpoint; source: string } | undefined {
  if (size !== undefined) {
    const cp = stored.get(size);
    return cp ? { cp, source: "stored" } : undefined;
  }
  let best: TrustedCheckpoint | undefined;
  for (const cp of stored.values()) if (!best || cp.size > best.size) best = cp;
  return best ? { cp: best, source: "stored (latest)" } : undefined;
}

/** `palisade audit`. */
export const command: Command = {
  name: "audit",
  summary: "verify, prove, sign, export and erase the audit log",
  help,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === undefined) throw new UsageError("a subcommand is required: verify, checkpoint, prove, consistency, tiles, erase or rotate-key");
    const spec = Object.hasOwn(flags, sub) ? flags[sub] : undefined;
    const body = Object.hasOwn(run, sub) ? run[sub] : undefined;
    if (!spec || !body) throw new UsageError(`unknown subcommand '${sub}'`);
    let args: ParsedArgs;
    try {
      args = parseArgs(rest, spec);
    } catch (err) {
      if (err instanceof UsageError) {
        io.stderr(`palisade audit ${sub}: ${err.message}\n\n${subHelp[sub]}\n`);
        return 2;
      }
      throw err;
    }
    if (args.flags.help === true) {
      io.stdout(`${subHelp[sub]}\n`);
      return 0;
    }
    if (args.positionals.length > 0) {
      io.stderr(`palisade audit ${sub}: unexpected argument '${args.positionals[0]}'\n\n${subHelp[sub]}\n`);
      return 2;
    }
    try {
      return await body(args, io);
    } catch (err) {
      if (err instanceof UsageError) {
        io.stderr(`palisade audit ${sub}: ${err.message}\n\n${subHelp[sub]}\n`);
        return 2;
      }
      if (err instanceof StoreError || err instanceof AuditError || err instanceof NoteError) {
        io.stderr(`palisade audit ${sub}: error: ${err.message}\n${err.hint ? `  help: ${err.hint}\n` : ""}`);
        return err instanceof StoreError && err.code === "audit/signing-refused" ? EXIT_REFUSED : 2;
      }
      throw err;
    }
  },
};
