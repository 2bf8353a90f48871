// A signed SQLite log with its key files, copied per case so each attack damages its own copy,
// and the CLI run against it: what an operator (or an attacker with the database) has in hand.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after } from "node:test";
import { main } from "../../cli/main.ts";
import { fileSignerMemory, loadOrCreateSigningKey, logFiles } from "../key-files.ts";
import type { LogFiles } from "../key-files.ts";
import { AuditLog } from "../log.ts";
import type { SignedCheckpoint } from "../log.ts";
import { MerkleTree } from "../merkle.ts";
import { captureIO } from "./tamper-suite.ts";
import { decisionRecord } from "./records.ts";

const root = mkdtempSync(join(tmpdir(), "palisade-attacks-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A directory holding one log and its key files. */
export interface LogDir {
  readonly dir: string;
  readonly db: string;
  readonly files: LogFiles;
}

/** A fresh directory for a log named audit.db. */
export function freshDir(): LogDir {
  const dir = join(root, `log${++n}`);
  mkdirSync(dir);
  const db = join(dir, "audit.db");
  return { dir, db, files: logFiles(db) };
}

/** Opens the log in `d` with its signing key (created on first use) and the signer's memory. */
export async function openSigned(d: LogDir, origin = "palisade.test/attacks"): Promise<AuditLog> {
  const { signerKey } = loadOrCreateSigningKey(d.files, origin);
  return AuditLog.open(d.db, { signingKey: signerKey, signerMemory: fileSignerMemory(d.files.checkpoint, d.files.leaves) });
}

/** Appends records `from`..`to`-1 (with `tag` in each) and returns the log's checkpoint after them. */
export async function grow(log: AuditLog, from: number, to: number, tag = "a"): Promise<SignedCheckpoint> {
  const all: Promise<number>[] = [];
  for (let i = from; i < to; i++) all.push(log.append(decisionRecord(i, { tag })));
  await Promise.all(all);
  return log.checkpoint();
}

/** Copies the log (database, WAL, key files that exist) into a fresh directory; `without` leaves files out. */
export function copyLog(from: LogDir, without: readonly ("key" | "vkey" | "checkpoint" | "leaves")[] = []): LogDir {
  const to = freshDir();
  for (const suffix of ["", "-wal"]) if (existsSync(`${from.db}${suffix}`)) copyFileSync(`${from.db}${suffix}`, `${to.db}${suffix}`);
  for (const k of ["key", "vkey", "checkpoint", "leaves"] as const) if (!without.includes(k) && existsSync(from.files[k])) copyFileSync(from.files[k], join(to.dir, basename(from.files[k])));
  return to;
}

/** Replaces the database (and WAL) of `into` with the one of `from`, as a restore from backup would. */
export function restoreDatabase(from: LogDir, into: LogDir): void {
  rmSync(`${into.db}-wal`, { force: true });
  rmSync(`${into.db}-shm`, { force: true });
  for (const suffix of ["", "-wal"]) if (existsSync(`${from.db}${suffix}`)) copyFileSync(`${from.db}${suffix}`, `${into.db}${suffix}`);
}

/** Runs `palisade audit ...` in the log's directory. */
export async function audit(d: LogDir, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO(d.dir);
  const code = await main(["audit", ...argv, "--db", d.db], io);
  return { code, out: io.out(), err: io.err() };
}

/** Raw SQL on the log's database, for the attacker (who needs no durability). */
export function sql(d: LogDir): DatabaseSync {
  const db = new DatabaseSync(d.db);
  db.exec("PRAGMA synchronous = OFF");
  return db;
}

/** Rewrites entry `index` to `data`, recomputes its leaf hash and every stored node: only signatures can tell. */
export function rewriteEntry(d: LogDir, index: number, data: Uint8Array, leaf: Uint8Array): void {
  const db = sql(d);
  try {
    db.prepare("UPDATE entries SET data = ?, leaf_hash = ? WHERE idx = ?").run(data, leaf, index);
    rebuildNodes(db);
  } finally {
    db.close();
  }
}

/** Recomputes every stored node from the stored leaf hashes (what a careful attacker does). */
export function rebuildNodes(db: DatabaseSync): void {
  const t = new MerkleTree();
  for (const r of db.prepare("SELECT leaf_hash FROM entries ORDER BY idx").all()) t.appendLeafHash(new Uint8Array(r.leaf_hash as Uint8Array));
  const read = t.reader();
  db.exec("BEGIN");
  db.exec("DELETE FROM nodes");
  const ins = db.prepare("INSERT INTO nodes (id, hash) VALUES (?, ?)");
  for (let level = 1, width = 2; width <= t.size; level++, width *= 2) for (let i = 0; (i + 1) * width <= t.size; i++) ins.run(((i + 1) * width - 1) * 64 + level, read(level, i));
  db.exec("COMMIT");
}
