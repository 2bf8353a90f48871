// Reading and writing the audit log for environments: scanning recorded decisions (for replay
// and the drift convention) and appending governance records.
//
// Why governance records bypass AuditLog.append: its record check admits only the five decision
// phases, and these records carry `phase` "promotion", "rollback" or "drift_alert". They are
// appended through the store with the very encoding the log uses (RFC 8785 bytes, RFC 9162 leaf
// hash), so proofs, checkpoints and `palisade audit verify` treat them like any entry.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { AuditLog, leafHash, openStore } from "../audit/index.ts";
import { canonicalJson } from "../audit/canonical-json.ts";
import type { AuditStore } from "../audit/index.ts";
import { EnvironmentError } from "./errors.ts";
import type { GovernanceRecord } from "./records.ts";

const utf8 = new TextEncoder();
const CHUNK = 1000;

async function open(location: string, create: boolean): Promise<AuditStore> {
  // A new SQLite log may sit in a folder nobody made yet (e.g. audit/ beside the config).
  if (create && !/^postgres(ql)?:\/\//i.test(location) && location !== ":memory:") mkdirSync(dirname(location), { recursive: true });
  try {
    return await openStore(location, { create });
  } catch (err) {
    throw new EnvironmentError("audit/unreadable", `cannot open the audit log at ${location}: ${err instanceof Error ? err.message : String(err)}`, create ? undefined : "name an existing audit database (a SQLite file or a postgres:// URL)");
  }
}

/** Appends one governance record; resolves with its index once durable. */
export async function appendGovernanceRecord(location: string, record: GovernanceRecord): Promise<number> {
  const store = await open(location, true);
  try {
    const data = utf8.encode(canonicalJson(record, "record"));
    const { first } = await store.append([{ data, leafHash: leafHash(data), subject: null, time: Date.parse(record.time) }]);
    return first;
  } finally {
    await store.close();
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
