// The files that hold a log's trust outside its database, side by side:
//
//   <base>.key         the Ed25519 signing key (PRIVATE+KEY+...), mode 0600: only the signer reads it
//   <base>.vkey        the verifier key(s), one a line, mode 0644: what anyone verifies with
//   <base>.checkpoint  the latest checkpoint this signer signed, mode 0644: the signer's memory
//   <base>.leaves      the leaf hashes of every entry it signed, 32 bytes each in entry order,
//                      mode 0644: what lets a verifier name the exact entry a rewrite changed
//
// <base> is the SQLite file's path (`audit.db` -> `audit.db.key`), or for a PostgreSQL log the
// `--key` path without its `.key` suffix (default `palisade-audit` in the working folder).
// Nothing here is read from the database: an attacker who can rewrite the database cannot
// rewrite what a verifier trusts or what the signer remembers having signed.
import { closeSync, constants, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname, resolve } from "node:path";
import { generateKey, parseSignerKey, parseVerifierKey } from "./note.ts";
import { StoreError } from "./store.ts";
import type { AuditStore } from "./store.ts";

/** Where one log's signing key, verifier keys and signer memory live. */
export interface LogFiles {
  /** The private signing key (0600). */
  readonly key: string;
  /** The public verifier key file (0644), newest key first. */
  readonly vkey: string;
  /** The latest checkpoint signed with the key (0644). */
  readonly checkpoint: string;
  /** The leaf hashes of the entries the key signed (0644). */
  readonly leaves: string;
}

/** Whether `location` names a PostgreSQL log rather than a SQLite file. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/**
 * The files of the log at `location` (an absolute SQLite path or a postgres:// URL). With
 * `keyPath` the key is there and the other two sit beside it under the same base name.
 */
export function logFiles(location: string, keyPath?: string, cwd: string = process.cwd()): LogFiles {
  let base: string;
  if (keyPath !== undefined) {
    const k = resolve(cwd, keyPath);
    base = k.endsWith(".key") ? k.slice(0, -4) : k;
    return { key: k, vkey: `${base}.vkey`, checkpoint: `${base}.checkpoint`, leaves: `${base}.leaves` };
  }
  base = isPostgresUrl(location) ? resolve(cwd, "palisade-audit") : resolve(cwd, location);
  return { key: `${base}.key`, vkey: `${base}.vkey`, checkpoint: `${base}.checkpoint`, leaves: `${base}.leaves` };
}

/** A unique origin for a new log: its key name and the first line of its checkpoints. */
export function defaultOrigin(): string {
  return `palisade.local/audit/${randomBytes(8).toString("hex")}`;
}

/** Reads the signing key at `path`, or undefined when there is no file. Throws StoreError "audit/bad-key" on a file that holds no key. */
export function readSigningKey(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, "utf8").trim();
  try {
    parseSignerKey(text);
  } catch {
    throw new StoreError("audit/bad-key", `'${path}' does not hold a checkpoint signing key`, "it must hold one PRIVATE+KEY+<name>+<id>+<key> line");
  }
  return text;
}

/** Creates `path` with `text` only if it does not exist, atomically: a racing creator's file wins and is kept. Returns false when it existed. */
function createOnce(path: string, text: string, mode: number): boolean {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const fd = openSync(tmp, "wx", mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    // link() fails when the name exists, so two processes creating the key together keep one.
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}

/** Replaces `path` with `text` atomically (write, fsync, rename). */
export function replaceFile(path: string, text: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const fd = openSync(tmp, "wx", mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/**
 * The signing key at `files.key`, created with `origin` as its name when absent (key 0600,
 * verifier key file 0644). Two processes creating it at once end up with the same key. Returns
 * the key and whether this call made it.
 */
export function loadOrCreateSigningKey(files: LogFiles, origin: string): { signerKey: string; created: boolean } {
  const existing = readSigningKey(files.key);
  if (existing !== undefined) return { signerKey: existing, created: false };
  let made: { signerKey: string; verifierKey: string };
  try {
    made = generateKey(origin);
  } catch {
    throw new StoreError("audit/bad-key", `'${origin}' cannot name a log: use no spaces and no '+'`, "pass --origin with a name such as example.com/audit");
  }
  if (!createOnce(files.key, `${made.signerKey}\n`, 0o600)) return { signerKey: readSigningKey(files.key) as string, created: false };
  writeVerifierKeys(files.vkey, [made.verifierKey, ...readVerifierKeysIfAny(files.vkey).filter((k) => k !== made.verifierKey)]);
  return { signerKey: made.signerKey, created: true };
}

/**
 * The signing key of the log in `store`: the key file when it exists; for a log that has no key
 * yet, a new one named `origin` (created as loadOrCreateSigningKey does). A log that already has
 * a key never gets a second one: StoreError "audit/no-signing-key" names the key it expects.
 */
export async function signingKeyFor(store: AuditStore, files: LogFiles, origin: string): Promise<{ signerKey: string; created: boolean }> {
  const existing = readSigningKey(files.key);
  if (existing !== undefined) return { signerKey: existing, created: false };
  const claimed = await store.getMeta("vkey");
  if (claimed !== undefined) {
    // A node starting beside this one may have made the key between the read above and the
    // store's answer: it writes the key file before the log names the key.
    const made = readSigningKey(files.key);
    if (made !== undefined) return { signerKey: made, created: false };
    throw new StoreError("audit/no-signing-key", `this log's checkpoints are signed by ${claimed}, whose signing key is not at '${files.key}'`, "pass --key with the log's key file (every node of a shared log signs with the same key)");
  }
  return loadOrCreateSigningKey(files, origin);
}

/** Writes the verifier key file (one key a line, newest first), world-readable. */
export function writeVerifierKeys(path: string, keys: readonly string[]): void {
  replaceFile(path, `${keys.join("\n")}\n`, 0o644);
}

/**
 * The verifier keys in a file: one `<name>+<id>+<key>` a line; blank lines and lines starting
 * with `#` are ignored. Throws StoreError "audit/bad-key" when a line is not a verifier key.
 */
export function readVerifierKeys(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new StoreError("audit/bad-key", `cannot read verifier keys from '${path}'`, "pass --vkey with a verifier key or a file holding one a line");
  }
  const keys: string[] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    try {
      keys.push(parseVerifierKey(line).vkey);
    } catch (err) {
      throw new StoreError("audit/bad-key", `${path}:${i + 1} is not a verifier key: ${err instanceof Error ? err.message : String(err)}`, "a verifier key reads <name>+<8 hex digits>+<base64 key>");
    }
  }
  if (keys.length === 0) throw new StoreError("audit/bad-key", `'${path}' holds no verifier key`, "put one <name>+<id>+<key> line in it");
  return keys;
}

function readVerifierKeysIfAny(path: string): string[] {
  return existsSync(path) ? readVerifierKeys(path) : [];
}

/** What a log's signer remembers between runs: the latest checkpoint it signed, and the leaf hashes it signed. */
export interface SignerMemory {
  /** The latest signed checkpoint note, or undefined when nothing was signed yet. */
  read(): string | undefined;
  /** Remembers a newly signed checkpoint; must be durable when it returns. */
  write(note: string): void;
  /** How many leaf hashes it holds (entries 0..n-1), when it keeps them. */
  leafCount?(): number;
  /** Stores the leaf hashes of entries `from`.. (32 bytes each, in order); durable when it returns. */
  writeLeaves?(from: number, hashes: Uint8Array): void;
}

/**
 * A SignerMemory in files: the note written atomically, the leaf hashes (when `leavesPath` is
 * given) written in place at their entries' offsets and fsynced. Writing in place, not appending,
 * makes two signers sharing a folder harmless: they write the same hashes at the same offsets.
 */
export function fileSignerMemory(path: string, leavesPath?: string): SignerMemory {
  const memory: SignerMemory = {
    read: () => (existsSync(path) ? readFileSync(path, "utf8") : undefined),
    write: (note) => replaceFile(path, note, 0o644),
  };
  if (leavesPath === undefined) return memory;
  return {
    ...memory,
    leafCount: () => (existsSync(leavesPath) ? Math.floor(statSync(leavesPath).size / 32) : 0),
    writeLeaves: (from, hashes) => {
      const fd = openSync(leavesPath, constants.O_WRONLY | constants.O_CREAT, 0o644);
      try {
        for (let at = 0; at < hashes.length; ) at += writeSync(fd, hashes, at, hashes.length - at, from * 32 + at);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    },
  };
}
