// Reading and writing the audit log for environments: scanning recorded decisions (for replay,
// approvals already used and the drift convention) and appending governance records, each
// followed by a signed checkpoint so an environment's log is signed from its first entry.
//
// Why governance records bypass AuditLog.append: its record check admits only the five decision
// phases, and these records carry `phase` "promotion", "rollback", "bundle_refused" or
// "drift_alert". They are appended through the store with the very encoding the log uses (RFC 8785
// bytes, RFC 9162 leaf hash), so proofs, checkpoints and `palisade audit verify` treat them like
// any entry.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { AuditLog, generateKey, leafHash, openStore } from "../audit/index.ts";
import { canonicalJson } from "../audit/canonical-json.ts";
import type { AuditStore } from "../audit/index.ts";
import { SqliteStore } from "../audit/sqlite-store.ts";
import { EnvironmentError } from "./errors.ts";
import type { EnvironmentConfig } from "./config.ts";
import type { GovernanceRecord } from "./records.ts";

const utf8 = new TextEncoder();
const CHUNK = 1000;

function isFile(location: string): boolean {
  return !/^postgres(ql)?:\/\//i.test(location) && location !== ":memory:";
}

async function open(location: string, create: boolean): Promise<AuditStore> {
  // A new SQLite log may sit in a folder nobody made yet (e.g. audit/ beside the config).
  if (create && isFile(location)) mkdirSync(dirname(location), { recursive: true });
  try {
    // A promotion reads and writes a few entries and is gone: SQLite in this thread opens in well
    // under a millisecond, where the store thread a service uses takes a worker's start-up.
    return isFile(location) ? SqliteStore.open(location, { create }) : await openStore(location, { create });
  } catch (err) {
    throw new EnvironmentError("audit/unreadable", `cannot open the audit log at ${location}: ${err instanceof Error ? err.message : String(err)}`, create ? undefined : "name an existing audit database (a SQLite file or a postgres:// URL)");
  }
}

/** Where an environment's audit log is and the file of its checkpoint signing key. */
export interface LogLocation {
  readonly location: string;
  /** The checkpoint signing key (PRIVATE+KEY+...); created with its `.vkey` when the log has no signer yet. */
  readonly keyFile: string | undefined;
  /** Key name and checkpoint origin for a key made here. */
  readonly origin: string;
}

/** What an append did. */
export interface Appended {
  readonly index: number;
  /** Why no checkpoint was signed after the entry, or null when one was. */
  readonly unsigned: string | null;
}

/**
 * The checkpoint signer: the key file's key, or a new one (mode 0600, verifier key beside it as
 * `.vkey`) when the log has never been signed. A log signed by a key kept elsewhere is left to it.
 */
async function signerFor(at: LogLocation, store: AuditStore): Promise<{ key: string } | { unsigned: string }> {
  if (at.keyFile === undefined) return { unsigned: `no checkpoint key is configured for ${at.location} (set "auditKey")` };
  if (existsSync(at.keyFile)) return { key: readFileSync(at.keyFile, "utf8").trim() };
  const vkey = await store.getMeta("vkey");
  if (vkey !== undefined) return { unsigned: `its checkpoints are signed by ${vkey.split("+")[0]}, whose key is not at ${at.keyFile}` };
  const pair = generateKey(at.origin);
  mkdirSync(dirname(at.keyFile), { recursive: true });
  writeFileSync(at.keyFile, `${pair.signerKey}\n`, { mode: 0o600, flag: "wx" });
  writeFileSync(`${at.keyFile.replace(/\.key$/, "")}.vkey`, `${pair.verifierKey}\n`);
  return { key: pair.signerKey };
}

/**
 * Opens an environment's log with its checkpoint signer (see signerFor); `unsigned` says why it
 * has none. The caller closes the log.
 */
export async function openSignedLog(at: LogLocation): Promise<{ readonly log: AuditLog; readonly unsigned: string | null }> {
  const store = await open(at.location, true);
  try {
    const signer = await signerFor(at, store);
    if ("unsigned" in signer) return { log: await AuditLog.open(store), unsigned: signer.unsigned };
    return { log: await AuditLog.open(store, { signingKey: signer.key }), unsigned: null };
  } catch (err) {
    await store.close();
    throw new EnvironmentError("audit/unreadable", `cannot sign the audit log at ${at.location}: ${err instanceof Error ? err.message : String(err)}`, at.keyFile === undefined ? undefined : `check the checkpoint key at ${at.keyFile}`);
  }
}

/** Signs a checkpoint over everything the log holds; the reason when it cannot. */
export async function signCheckpoint(log: AuditLog, unsigned: string | null): Promise<string | null> {
  if (unsigned !== null) return unsigned;
  try {
    await log.checkpoint();
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * Appends one governance record to a log another part holds open (the service's), leaving the
 * checkpoints to it. Resolves with the index once durable.
 */
export async function appendGovernanceTo(log: AuditLog, record: GovernanceRecord): Promise<number> {
  const data = utf8.encode(canonicalJson(record, "record"));
  return (await log.store.append([{ data, leafHash: leafHash(data), subject: null, time: Date.parse(record.time) }])).first;
}

/** Appends one governance record, then signs a checkpoint over the log; resolves once both are durable. */
export async function appendGovernanceRecord(at: LogLocation | string, record: GovernanceRecord): Promise<Appended> {
  const where: LogLocation = typeof at === "string" ? { location: at, keyFile: isFile(at) ? `${at}.key` : undefined, origin: "palisade.local/audit" } : at;
  const { log, unsigned } = await openSignedLog(where);
  try {
    const index = await appendGovernanceTo(log, record);
    return { index, unsigned: await signCheckpoint(log, unsigned) };
  } finally {
    await log.close();
  }
}

/** One record read back with its position. */
export interface ScannedRecord {
  readonly index: number;
  readonly record: Readonly<Record<string, unknown>>;
}

/**
 * Every record of the log whose `time` is at or after `since` (ms), in log order. Entries with
 * sealed personal fields are opened where their key still exists; damaged entries are skipped.
 */
export async function scanRecords(location: string, since: number): Promise<ScannedRecord[]> {
  const store = await open(location, false);
  const log = await AuditLog.open(store);
  try {
    const size = await store.size();
    const out: ScannedRecord[] = [];
    for (let from = 0; from < size; from += CHUNK) {
      for (const e of await store.entries(from, Math.min(size, from + CHUNK))) {
        let record: unknown;
        try {
          record = JSON.parse(new TextDecoder().decode(e.data));
        } catch {
          continue;
        }
        if (typeof record !== "object" || record === null || Array.isArray(record)) continue;
        let r = record as Record<string, unknown>;
        if (typeof r.time !== "string" || !(Date.parse(r.time) >= since)) continue;
        if (Object.hasOwn(r, "$sealed")) r = (await log.read(e.index)).record;
        out.push({ index: e.index, record: r });
      }
    }
    return out;
  } finally {
    await log.close();
  }
}

/** Like scanRecords, but an empty list when the log does not exist yet (nothing was recorded there). */
export async function scanIfExists(location: string, since: number): Promise<ScannedRecord[]> {
  if (isFile(location) && !existsSync(location)) return [];
  return scanRecords(location, since);
}

/** An environment's audit log and its checkpoint key. Throws EnvironmentError "env/no-audit" when it has none. */
export function environmentLog(env: EnvironmentConfig): LogLocation {
  if (env.audit === undefined) throw new EnvironmentError("env/no-audit", `environment '${env.name}' has no audit log to record changes in`, `set "audit" for '${env.name}' in the config: every attempt to change what it serves is recorded there`);
  return { location: env.audit, keyFile: env.auditKey, origin: `palisade.local/audit/${env.name}` };
}
