// `palisade audit <verify|checkpoint|prove|consistency|tiles|erase>`: the audit log from the
// command line. Each subcommand parses its flags, calls the log, and maps the outcome to an exit
// code here at the edge: 0 ok, 1 verification failed, 2 bad arguments or an unusable log.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { AuditError } from "../audit/errors.ts";
import { toHex } from "../audit/hash.ts";
import { AuditLog } from "../audit/log.ts";
import { NoteError, generateKey, parseSignerKey } from "../audit/note.ts";
import { StoreError, openStore } from "../audit/store.ts";
import { verifyConsistency, verifyInclusion } from "../audit/verify.ts";
import { UsageError, intFlag, parseArgs, stringFlag } from "./args.ts";
import type { FlagSpec, ParsedArgs } from "./args.ts";
import type { Command, CommandIO } from "./command.ts";

const DEFAULT_DB = "palisade-audit.db";
const DEFAULT_ORIGIN = "palisade.local/audit";

const common = `  --db LOCATION   the log: a SQLite file or a postgres:// URL (default: ${DEFAULT_DB} here)
  -h, --help      show this help`;

const keyHelp = `  --key FILE      checkpoint signing key (PRIVATE+KEY+...); default: <db>.key beside a
                  SQLite file, palisade-audit.key here for PostgreSQL`;

const subHelp: Record<string, string> = {
  verify: `usage: palisade audit verify [options]

Recomputes every leaf hash from the stored entries, rebuilds the Merkle tree, and checks every
stored node and every signed checkpoint against it. Names the first bad index.

options:
${common}
${keyHelp}
                  (its verifier key is the one checkpoints must be signed with)
  --vkey KEY      verifier key checkpoints must verify with (repeatable; overrides --key)
  --json          print the report as JSON

exit status: 0 the log verifies, 1 it does not (the first bad index is named), 2 bad arguments
or no usable log`,
  checkpoint: `usage: palisade audit checkpoint [options]

Signs the current tree head as a C2SP tlog-checkpoint (an Ed25519 signed note), stores it in
the log and prints it. Creates the signing key file when it does not exist yet.

options:
${common}
${keyHelp}
  --origin NAME   key name and checkpoint origin for a new key (default: ${DEFAULT_ORIGIN})

exit status: 0 printed, 2 bad arguments or no usable log`,
  prove: `usage: palisade audit prove --index N [--size M] [options]

Prints the inclusion proof of entry N in the tree of the first M entries (default: all) as
JSON — leaf hash, proof hashes and root, in hex — and checks it.

options:
  --index N       the entry
  --size M        the tree size (default: the log's size)
${common}

exit status: 0 the proof verifies, 1 it does not, 2 bad arguments or no usable log`,
  consistency: `usage: palisade audit consistency --from A [--to B] [options]

Prints the consistency proof between the trees of the first A and first B entries (default:
all) as JSON — proof hashes and both roots, in hex — and checks it.

options:
  --from A        the older tree size
  --to B          the newer tree size (default: the log's size)
${common}

exit status: 0 the proof verifies, 1 it does not, 2 bad arguments or no usable log`,
  tiles: `usage: palisade audit tiles --out DIR [options]

Writes the log as a C2SP tlog-tiles tree under DIR: checkpoint, tile/<L>/<N>[.p/<W>] and
tile/entries/<N>[.p/<W>], ready to be served as static files. Signs a fresh checkpoint when
the signing key is available, otherwise exports the tree of the latest stored checkpoint.

options:
  --out DIR       where to write (created if needed)
${common}
${keyHelp}

exit status: 0 written, 2 bad arguments or no usable log`,
  erase: `usage: palisade audit erase --subject ID [options]

GDPR Art. 17: destroys the data subject's encryption key, so the personal fields of every
entry recorded for ID read as "[erased]" from now on. The tree and every checkpoint still
verify, since leaves commit to the ciphertext.

options:
  --subject ID    the data subject (the value of the log's subject field, e.g. principal.id)
${common}

exit status: 0 done (also when nothing was left to erase), 2 bad arguments or no usable log`,
};

const help = `usage: palisade audit <subcommand> [options]

Verifies, proves, signs, exports and erases the tamper-evident audit log.

subcommands:
  verify                         check every entry, node and checkpoint; name the first bad index
  checkpoint                     sign and print the current tree head (C2SP tlog-checkpoint)
  prove --index N [--size M]     print an inclusion proof as JSON and check it
  consistency --from A [--to B]  print a consistency proof as JSON and check it
  tiles --out DIR                write the log as C2SP tlog-tiles
  erase --subject ID             destroy a data subject's key (GDPR Art. 17)

options (all subcommands):
${common}
${keyHelp}

run 'palisade audit <subcommand> --help' for a subcommand's options (also printed below)

${Object.values(subHelp).join("\n\n")}
`;

const flags: Record<string, Record<string, FlagSpec>> = {
  verify: { db: { type: "string" }, key: { type: "string" }, vkey: { type: "string", multiple: true }, json: { type: "boolean" } },
  checkpoint: { db: { type: "string" }, key: { type: "string" }, origin: { type: "string" } },
  prove: { db: { type: "string" }, index: { type: "string" }, size: { type: "string" } },
  consistency: { db: { type: "string" }, from: { type: "string" }, to: { type: "string" } },
  tiles: { db: { type: "string" }, out: { type: "string" }, key: { type: "string" } },
  erase: { db: { type: "string" }, subject: { type: "string" } },
};

function isUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

function dbOf(args: ParsedArgs, io: CommandIO): string {
  const db = stringFlag(args, "db") ?? DEFAULT_DB;
  if (db === "") throw new UsageError("option '--db' must not be empty");
  return isUrl(db) ? db : resolve(io.cwd, db);
}

function keyPathOf(args: ParsedArgs, db: string, io: CommandIO): string {
  const k = stringFlag(args, "key");
  if (k !== undefined) return resolve(io.cwd, k);
  return isUrl(db) ? resolve(io.cwd, "palisade-audit.key") : `${db}.key`;
}

/** Reads the signer key at `path`; with `create`, makes a new one (mode 0600) when absent. */
function loadKey(path: string, create: boolean, origin: string, io: CommandIO): string | undefined {
  if (existsSync(path)) {
    const text = readFileSync(path, "utf8").trim();
    try {
      parseSignerKey(text);
    } catch {
      throw new StoreError("audit/bad-key", `'${path}' does not hold a checkpoint signing key`, "it must hold one PRIVATE+KEY+<name>+<id>+<key> line");
    }
    return text;
  }
  if (!create) return undefined;
  let key: { signerKey: string; verifierKey: string };
  try {
    key = generateKey(origin);
  } catch {
    throw new UsageError(`'${origin}' cannot name a key: use no spaces and no '+'`);
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${key.signerKey}\n`, { mode: 0o600, flag: "wx" });
  io.stderr(`palisade audit: created checkpoint signing key ${path}\n  verifier key: ${key.verifierKey}\n`);
  return key.signerKey;
}

async function openLog(db: string, signingKey: string | undefined, verifierKeys?: string[]): Promise<AuditLog> {
  const store = await openStore(db, { create: false });
  try {
    return await AuditLog.open(store, { signingKey, verifierKeys });
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

const run: Record<string, (args: ParsedArgs, io: CommandIO) => Promise<number>> = {
  async verify(args, io) {
    const db = dbOf(args, io);
    const vkeys = args.flags.vkey as string[] | undefined;
    const key = vkeys ? undefined : loadKey(keyPathOf(args, db, io), false, DEFAULT_ORIGIN, io);
    const log = await openLog(db, key, vkeys);
    const r = await withLog(log, (l) => l.verify());
    if (args.flags.json === true) {
      io.stdout(json({ ok: r.ok, size: r.size, root: toHex(r.root), firstBadIndex: r.firstBadIndex, checked: r.checked, problemCount: r.problemCount, problems: r.problems }));
    } else if (r.ok) {
      io.stdout(`ok: ${count(r.checked.entries, "entry", "entries")}, ${count(r.checked.nodes, "node", "nodes")} and ${count(r.checked.checkpoints, "checkpoint", "checkpoints")} verify\nroot: ${toHex(r.root)} (size ${r.size})\n`);
    } else {
      const shown = r.problems.filter((p) => p.rootCause).slice(0, 10);
      const lines = shown.map((p) => `  ${p.message}`);
      const more = r.problemCount - shown.length;
      io.stdout(`verify failed: first bad index ${r.firstBadIndex}\n${lines.join("\n")}\n${more > 0 ? `  (and ${more} more problem(s) that follow from these)\n` : ""}`);
    }
    return r.ok ? 0 : 1;
  },

  async checkpoint(args, io) {
    const db = dbOf(args, io);
    const origin = stringFlag(args, "origin") ?? DEFAULT_ORIGIN;
    // Open the log first, so that a mistyped --db is reported before a signing key is made for it.
    const store = await openStore(db, { create: false });
    let log: AuditLog;
    try {
      log = await AuditLog.open(store, { signingKey: loadKey(keyPathOf(args, db, io), true, origin, io) });
    } catch (err) {
      await store.close();
      throw err;
    }
    const cp = await withLog(log, (l) => l.checkpoint());
    io.stdout(cp.note);
    return 0;
  },

  async prove(args, io) {
    const index = required(args, "index", "the entry to prove");
    const size = intFlag(args, "size");
    const p = await withLog(await openLog(dbOf(args, io), undefined), (l) => l.inclusionProof(index, size));
    const verified = verifyInclusion(p.leafHash, p.index, p.size, p.proof, p.root);
    io.stdout(json({ index: p.index, size: p.size, leafHash: toHex(p.leafHash), proof: p.proof.map(toHex), root: toHex(p.root), verified }));
    return verified ? 0 : 1;
  },

  async consistency(args, io) {
    const from = required(args, "from", "the older tree size");
    const to = intFlag(args, "to");
    const c = await withLog(await openLog(dbOf(args, io), undefined), (l) => l.consistencyProof(from, to));
    // RFC 9162 proves nothing from an empty tree (any tree extends it); such a request is trivially consistent.
    const verified = c.from === 0 || verifyConsistency(c.from, c.to, c.proof, c.fromRoot, c.toRoot);
    io.stdout(json({ from: c.from, to: c.to, proof: c.proof.map(toHex), fromRoot: toHex(c.fromRoot), toRoot: toHex(c.toRoot), verified }));
    return verified ? 0 : 1;
  },

  async tiles(args, io) {
    const out = stringFlag(args, "out");
    if (out === undefined || out === "") throw new UsageError("option '--out' is required (the folder to write the tiles to)");
    const db = dbOf(args, io);
    const key = loadKey(keyPathOf(args, db, io), false, DEFAULT_ORIGIN, io);
    const dir = resolve(io.cwd, out);
    const written = await withLog(await openLog(db, key), async (l) => {
      const cp = key ? await l.checkpoint() : await l.latestCheckpoint();
      if (!cp) throw new StoreError("audit/no-signing-key", "the log has no checkpoint to export and no signing key to make one", "run 'palisade audit checkpoint' first, or pass --key");
      let n = 0;
      for (const f of await l.tiles(cp)) {
        const p = join(dir, f.path);
        mkdirSync(dirname(p), { recursive: true });
        writeFileSync(p, f.bytes);
        n++;
      }
      return { n, size: cp.size };
    });
    io.stdout(`wrote ${written.n} files for tree size ${written.size} to ${dir}\n`);
    return 0;
  },

  async erase(args, io) {
    const subject = stringFlag(args, "subject");
    if (subject === undefined || subject === "") throw new UsageError("option '--subject' is required (the data subject's id)");
    const r = await withLog(await openLog(dbOf(args, io), undefined), (l) => l.erase(subject));
    const entries = count(r.entries, "entry", "entries");
    if (r.keysDestroyed === 0) io.stdout(`subject '${subject}' has no live key: nothing to erase (${entries} recorded)\n`);
    else io.stdout(`erased subject '${subject}': ${count(r.keysDestroyed, "key", "keys")} destroyed; the personal fields of ${entries} now read as erased\n`);
    return 0;
  },
};

/** `palisade audit`. */
export const command: Command = {
  name: "audit",
  summary: "verify, prove, sign, export and erase the audit log",
  help,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === undefined) throw new UsageError("a subcommand is required: verify, checkpoint, prove, consistency, tiles or erase");
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
        return 2;
      }
      throw err;
    }
  },
};
