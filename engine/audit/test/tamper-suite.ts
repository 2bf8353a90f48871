// Tampering with a stored log behind its back, once per way an attacker (or a bad restore) can
// change rows, and `palisade audit verify` must fail and name the first bad index. Written once,
// run against SQLite (tamper.test.ts) and PostgreSQL (tamper.pg.test.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { main } from "../../cli/main.ts";
import type { CommandIO } from "../../cli/command.ts";
import { encodeEntry } from "../entry.ts";
import { leafHash } from "../hash.ts";
import { AuditLog } from "../log.ts";
import { MerkleTree } from "../merkle.ts";
import { generateKey } from "../note.ts";
import type { AuditStore } from "../store.ts";
import { decisionRecord } from "./records.ts";

/** Raw SQL on a copy of the log, `?` placeholders, byte strings as Uint8Array. */
export interface RawDb {
  run(sql: string, ...params: unknown[]): Promise<void>;
  all(sql: string, ...params: unknown[]): Promise<Record<string, unknown>[]>;
}

/** How a suite gets at one backend. */
export interface TamperBackend {
  /** A fresh empty store at a new location. */
  fresh(): Promise<{ location: string; store: AuditStore }>;
  /** A copy of the log at `location` (closed), for one case to damage. */
  copy(location: string): Promise<{ location: string; db: RawDb; close(): Promise<void> }>;
  /** SQL for a row of the nodes table's level and index within it (the stores key nodes differently). */
  readonly nodeLevel: string;
  readonly nodeIndex: string;
}

/** Entries in the log each case damages (checkpoints at 10, 25 and 40). */
export const SIZE = 40;
const key = generateKey("palisade.test/tamper");

/** A CommandIO that keeps what the command prints, for assertions. */
export function captureIO(cwd: string): CommandIO & { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    readStdin: async () => "",
    cwd,
    isTTY: false,
    out: () => out,
    err: () => err,
  };
}

const record = (i: number) => decisionRecord(i, { amount: i * 10 });

interface Case {
  readonly name: string;
  readonly first: number;
  /** One past the last entry the damage may lie in, when only a signed root shows it (the report gives a range). */
  readonly to?: number;
  /** `node` is the backend's nodeLevel and nodeIndex. */
  readonly damage: (db: RawDb, node: { level: string; idx: string }) => Promise<void>;
}

async function row(db: RawDb, idx: number): Promise<{ data: Uint8Array; leaf: Uint8Array }> {
  const [r] = await db.all("SELECT data, leaf_hash FROM entries WHERE idx = ?", idx);
  return { data: new Uint8Array(r.data as Uint8Array), leaf: new Uint8Array(r.leaf_hash as Uint8Array) };
}

const forged = encodeEntry(decisionRecord(0, { amount: 1 }));

const cases: Case[] = [
  { name: "an edited entry", first: 17, damage: (db) => db.run("UPDATE entries SET data = ? WHERE idx = ?", forged, 17) },
  {
    name: "an edited entry whose leaf hash was recomputed too",
    first: 26,
    damage: (db) => db.run("UPDATE entries SET data = ?, leaf_hash = ? WHERE idx = ?", forged, leafHash(forged), 26),
  },
  { name: "a deleted entry", first: 12, damage: (db) => db.run("DELETE FROM entries WHERE idx = ?", 12) },
  { name: "the last entry deleted", first: SIZE - 1, damage: (db) => db.run("DELETE FROM entries WHERE idx = ?", SIZE - 1) },
  {
    name: "two entries' data swapped",
    first: 21,
    damage: async (db) => {
      const a = await row(db, 21);
      const b = await row(db, 30);
      await db.run("UPDATE entries SET data = ? WHERE idx = ?", b.data, 21);
      await db.run("UPDATE entries SET data = ? WHERE idx = ?", a.data, 30);
    },
  },
  {
    name: "two whole rows swapped (data and leaf hash)",
    first: 22,
    damage: async (db) => {
      const a = await row(db, 22);
      const b = await row(db, 31);
      await db.run("UPDATE entries SET data = ?, leaf_hash = ? WHERE idx = ?", b.data, b.leaf, 22);
      await db.run("UPDATE entries SET data = ?, leaf_hash = ? WHERE idx = ?", a.data, a.leaf, 31);
    },
  },
  {
    name: "an entry inserted in the middle (later rows renumbered)",
    first: 14,
    damage: async (db) => {
      // Two steps, so the primary key never sees two rows with one index.
      await db.run("UPDATE entries SET idx = -idx - 1000 WHERE idx >= ?", 14);
      await db.run("UPDATE entries SET idx = -idx - 1000 + 1 WHERE idx < 0");
      await db.run("INSERT INTO entries (idx, data, leaf_hash, subject, time) VALUES (?, ?, ?, NULL, 0)", 14, forged, leafHash(forged));
    },
  },
  { name: "an entry appended past a gap", first: SIZE, damage: (db) => db.run("INSERT INTO entries (idx, data, leaf_hash, subject, time) VALUES (?, ?, ?, NULL, 0)", SIZE + 3, forged, leafHash(forged)) },
  { name: "an edited tree node", first: 8, damage: (db, { level, idx }) => db.run(`UPDATE nodes SET hash = ? WHERE ${level} = 3 AND ${idx} = 1`, new Uint8Array(32).fill(7)) },
  {
    name: "an edited entry with every node recomputed (only the signed checkpoints can tell)",
    // The first checkpoint (size 10) no longer matches: the damage lies in entries 0..9, and the
    // report says so as a range (no leaf memory beside this log to pin it).
    first: 0,
    to: 10,
    damage: async (db, { level, idx }) => {
      await db.run("UPDATE entries SET data = ?, leaf_hash = ? WHERE idx = ?", forged, leafHash(forged), 5);
      const t = new MerkleTree();
      for (const r of await db.all("SELECT leaf_hash FROM entries ORDER BY idx")) t.appendLeafHash(new Uint8Array(r.leaf_hash as Uint8Array));
      const read = t.reader();
      for (const n of await db.all(`SELECT ${level} AS level, ${idx} AS idx FROM nodes`)) {
        await db.run(`UPDATE nodes SET hash = ? WHERE ${level} = ? AND ${idx} = ?`, read(Number(n.level), Number(n.idx)), Number(n.level), Number(n.idx));
      }
    },
  },
];

/** Registers the tamper tests for one backend. */
export function tamperSuite(name: string, backend: TamperBackend): void {
  let base: Promise<string> | undefined;
  const build = async () => {
    const { location, store } = await backend.fresh();
    const log = await AuditLog.open(store, { signingKey: key.signerKey });
    for (let i = 0; i < SIZE; i++) {
      void log.append(record(i));
      if (i + 1 === 10 || i + 1 === 25 || i + 1 === SIZE) await log.checkpoint();
    }
    await log.close();
    return location;
  };

  test(`${name}: the untouched log verifies (exit 0)`, async () => {
    base ??= build();
    const copy = await backend.copy(await base);
    try {
      const io = captureIO(process.cwd());
      const code = await main(["audit", "verify", "--db", copy.location, "--vkey", key.verifierKey], io);
      assert.equal(code, 0, io.out() + io.err());
      // 40 leaves complete 40 - popcount(40) = 38 interior nodes.
      assert.match(io.out(), new RegExp(`^ok: ${SIZE} entries, ${SIZE - 2} nodes and 3 checkpoints verify`));
    } finally {
      await copy.close();
    }
  });

  for (const c of cases) {
    test(`${name}: verify detects ${c.name} and names index ${c.first}`, async () => {
      base ??= build();
      const copy = await backend.copy(await base);
      try {
        await c.damage(copy.db, { level: backend.nodeLevel, idx: backend.nodeIndex });
        const io = captureIO(process.cwd());
        const code = await main(["audit", "verify", "--db", copy.location, "--vkey", key.verifierKey], io);
        assert.equal(code, 1, io.out() + io.err());
        assert.match(io.out(), new RegExp(`^verify failed: first bad index ${c.to === undefined ? c.first : `within ${c.first}\\.\\.${c.to - 1}`}\\n`), io.out());
        const json = captureIO(process.cwd());
        assert.equal(await main(["audit", "verify", "--db", copy.location, "--vkey", key.verifierKey, "--json"], json), 1);
        const report = JSON.parse(json.out()) as { ok: boolean; firstBadIndex: number; firstBadTo: number };
        assert.equal(report.ok, false);
        assert.equal(report.firstBadIndex, c.first);
        if (c.to !== undefined) assert.equal(report.firstBadTo, c.to);
      } finally {
        await copy.close();
      }
    });
  }

  test(`${name}: a checkpoint row edited to a different root is caught`, async () => {
    base ??= build();
    const copy = await backend.copy(await base);
    try {
      await copy.db.run("UPDATE checkpoints SET root = ? WHERE size = ?", new Uint8Array(32).fill(1), 25);
      const io = captureIO(process.cwd());
      assert.equal(await main(["audit", "verify", "--db", copy.location, "--vkey", key.verifierKey], io), 1);
      assert.match(io.out(), /^verify failed\n  stored checkpoint #2 \(size 25\): the stored size or root differs from the signed note\n/);
    } finally {
      await copy.close();
    }
  });
}
