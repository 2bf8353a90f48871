// The AuditLog facade on SQLite: group commit, durability of acknowledged appends, proofs that
// verify with the pure verifiers, signed checkpoints, and verification of a clean log.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { AuditError } from "../errors.ts";
import { fromBase64, leafHash } from "../hash.ts";
import { AuditLog } from "../log.ts";
import { MerkleTree } from "../merkle.ts";
import { generateKey, verifyNote } from "../note.ts";
import { SqliteStore } from "../sqlite-store.ts";
import { StoreError } from "../store.ts";
import type { AuditStore, NewEntry } from "../store.ts";
import { verifyConsistency, verifyInclusion } from "../verify.ts";
import type { AuditRecord } from "../entry.ts";
import { decisionRecord } from "./records.ts";

const dir = mkdtempSync(join(tmpdir(), "palisade-log-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => SqliteStore.open(join(dir, `l${++n}.db`));
const key = generateKey("palisade.test/audit");

const decision = (i: number) => decisionRecord(i);

/** A store that counts append transactions and can check durability at resolve time. */
function counting(store: AuditStore): { store: AuditStore; batches: number[] } {
  const batches: number[] = [];
  const proxy = Object.create(store) as AuditStore;
  proxy.append = async (entries: readonly NewEntry[]) => {
    batches.push(entries.length);
    return store.append(entries);
  };
  for (const m of ["size", "entries", "nodes", "levelHashes", "nodeCount", "addCheckpoint", "checkpoints", "getMeta", "initMeta", "subjectKeys", "keysById", "eraseSubject", "subjectEntryCount", "close"] as const) {
    (proxy as unknown as Record<string, unknown>)[m] = (store[m] as (...a: unknown[]) => unknown).bind(store);
  }
  return { store: proxy, batches };
}

test("appends in one tick share one transaction and resolve in order once durable", async () => {
  const base = fresh();
  const { store, batches } = counting(base);
  const log = await AuditLog.open(store);
  const ps = Array.from({ length: 500 }, (_, i) => log.append(decision(i)));
  assert.equal(log.pending, 500, "append only queues");
  const sizes: number[] = [];
  const indices = await Promise.all(ps.map((p) => p.then(async (i) => (sizes.push(await base.size()), i))));
  assert.deepEqual(indices, Array.from({ length: 500 }, (_, i) => i));
  assert.deepEqual(batches, [500], "one batch, one commit");
  assert.ok(sizes.every((s) => s === 500), "every promise resolved after its entry was committed");
  await log.close();
});

test("appends arriving while a batch commits form the next batch", async () => {
  const { store, batches } = counting(fresh());
  const log = await AuditLog.open(store, { maxBatch: 64 });
  const ps: Promise<number>[] = [];
  for (let i = 0; i < 200; i++) ps.push(log.append(decision(i)));
  await Promise.all(ps);
  assert.deepEqual(batches, [64, 64, 64, 8], "maxBatch caps a transaction");
  const more = [log.append(decision(200))];
  await new Promise((r) => setImmediate(r));
  more.push(log.append(decision(201)));
  assert.deepEqual(await Promise.all(more), [200, 201]);
  assert.equal(await log.size(), 202);
  await log.close();
});

test("appends made while a commit is with an ordered store are handed to it before that commit ends", async () => {
  const base = fresh();
  const { store, batches } = counting(base);
  assert.equal(store.ordered, true);
  // The first transaction is applied at once but reported late, as a slow fsync would be.
  let release!: () => void;
  const slow = new Promise<void>((r) => (release = r));
  const append = store.append.bind(store);
  store.append = async (entries) => {
    const done = append(entries);
    if (batches.length === 1) await slow;
    return done;
  };
  const log = await AuditLog.open(store);
  const first = log.append(decision(0));
  while (batches.length === 0) await new Promise((r) => setImmediate(r));
  const second = log.append(decision(1));
  for (let i = 0; i < 5 && batches.length < 2; i++) await new Promise((r) => setImmediate(r));
  assert.deepEqual(batches, [1, 1], "the second append went to the store while the first commit was still out");
  release();
  assert.deepEqual(await Promise.all([first, second]), [0, 1]);
  assert.equal(await log.size(), 2);
  await log.close();
});

test("hurry hands what is queued to the store before the turn of the event loop ends", async () => {
  const { store, batches } = counting(fresh());
  const log = await AuditLog.open(store);
  // The log is idle (its writer gone) and then busy with a commit: hurried either way.
  await log.append(decision(0));
  const first = [1, 2, 3].map((i) => log.append(decision(i)));
  log.hurry();
  // Microtasks only: the event loop's turn cannot end while these run.
  const within = async (n: number) => {
    for (let i = 0; i < 1000 && batches.length < n; i++) await Promise.resolve();
  };
  await within(2);
  assert.deepEqual(batches, [1, 3], "sent within the turn");
  const second = [4, 5].map((i) => log.append(decision(i)));
  log.hurry();
  await within(3);
  assert.deepEqual(batches, [1, 3, 2], "sent while the last commit is out, within the turn");
  assert.deepEqual(await Promise.all([...first, ...second]), [1, 2, 3, 4, 5]);
  // Without hurry, appends wait for the turn to end and go together.
  const later = [6, 7].map((i) => log.append(decision(i)));
  await within(4);
  assert.equal(batches.length, 3, "not sent within the turn");
  assert.deepEqual(await Promise.all(later), [6, 7]);
  assert.deepEqual(batches, [1, 3, 2, 2]);
  await log.close();
});

test("a caller that never yields to the event loop still has its full batches written meanwhile", async () => {
  const { store, batches } = counting(fresh());
  const log = await AuditLog.open(store, { maxBatch: 16 });
  const ps: Promise<number>[] = [];
  let settled = 0;
  // Each append one microtask after the last, as calls to tools that resolve at once are: no
  // turn of the event loop comes until the loop ends.
  for (let i = 0; i < 100; i++) {
    ps.push(log.append(decision(i)).then((x) => (settled++, x)));
    await Promise.resolve();
  }
  for (let i = 0; i < 200; i++) await Promise.resolve();
  assert.ok(settled >= 96, `${settled} of 100 appends durable before the caller yielded`);
  assert.ok(batches.slice(0, 6).every((b) => b === 16), `whole batches first: ${batches.join(",")}`);
  assert.deepEqual(await Promise.all(ps), Array.from({ length: 100 }, (_, i) => i));
  assert.equal(await log.size(), 100);
  await log.close();
});

test("a record JSON cannot hold is rejected alone; its neighbours are written", async () => {
  const log = await AuditLog.open(fresh(), { erasure: false });
  const good1 = log.append(decision(1));
  const bad = log.append(decisionRecord(9, { n: Number.NaN }));
  const notObject = log.append([1, 2] as unknown as AuditRecord);
  const incomplete = log.append({ time: "2026-01-01T00:00:00Z" } as unknown as AuditRecord);
  const good2 = log.append(decision(2));
  assert.equal(await good1, 0);
  await assert.rejects(bad, (e: unknown) => e instanceof AuditError && e.code === "audit/invalid-record");
  await assert.rejects(notObject, (e: unknown) => e instanceof AuditError && e.code === "audit/invalid-record");
  await assert.rejects(incomplete, (e: unknown) => e instanceof AuditError && e.code === "audit/invalid-record");
  assert.equal(await good2, 1);
  const e = await log.read(1);
  assert.deepEqual(e.record, decision(2));
  assert.equal(e.status, "plain");
  assert.match(new TextDecoder().decode(e.data), /^\{"agent":"billing-bot","decision":"allow","env":"production","input_digest":/, "entries are canonical JSON (sorted keys)");
  await log.close();
});

test("roots and proofs read from the store agree with an in-memory tree and verify", async () => {
  const log = await AuditLog.open(fresh());
  const tree = new MerkleTree();
  for (let i = 0; i < 77; i++) await log.append(decision(i));
  for (let i = 0; i < 77; i++) tree.append((await log.read(i)).data);
  assert.deepEqual(await log.root(), tree.root());
  assert.deepEqual(await log.root(13), tree.root(13));
  for (const [index, size] of [[0, 1], [5, 13], [76, 77], [31, 64], [40, 77]] as const) {
    const p = await log.inclusionProof(index, size);
    assert.deepEqual(p.proof, tree.inclusionProof(index, size));
    assert.ok(verifyInclusion(p.leafHash, index, size, p.proof, p.root));
    assert.deepEqual(p.leafHash, leafHash((await log.read(index)).data));
  }
  for (const [a, b] of [[1, 77], [13, 64], [64, 77], [77, 77], [0, 5]] as const) {
    const c = await log.consistencyProof(a, b);
    assert.deepEqual(c.proof, tree.consistencyProof(a, b));
    if (a > 0) assert.ok(verifyConsistency(a, b, c.proof, c.fromRoot, c.toRoot));
  }
  await assert.rejects(log.inclusionProof(3, 78), (e: unknown) => e instanceof AuditError && e.code === "audit/invalid-size");
  await assert.rejects(log.inclusionProof(77), (e: unknown) => e instanceof AuditError && e.code === "audit/index-out-of-range");
  await log.close();
});

test("checkpoints are C2SP signed notes of the current tree head and are kept", async () => {
  const log = await AuditLog.open(fresh(), { signingKey: key.signerKey });
  for (let i = 0; i < 10; i++) void log.append(decision(i));
  const cp = await log.checkpoint();
  assert.equal(cp.size, 10, "queued records are committed before signing");
  assert.equal(cp.origin, "palisade.test/audit");
  const v = verifyNote(cp.note, [key.verifierKey]);
  assert.ok(v.ok);
  const lines = v.text.split("\n");
  assert.deepEqual(lines.slice(0, 2), ["palisade.test/audit", "10"]);
  assert.deepEqual(fromBase64(lines[2]), await log.root(10));
  await log.append(decision(10));
  await log.checkpoint();
  const stored = await log.store.checkpoints();
  assert.deepEqual(stored.map((c) => c.size), [10, 11]);
  assert.equal(await log.store.getMeta("vkey"), key.verifierKey);
  const report = await log.verify();
  assert.ok(report.ok, JSON.stringify(report.problems));
  assert.equal(report.checked.checkpoints, 2);
  assert.equal(report.firstBadIndex, null);
  assert.deepEqual(report.root, await log.root());
  await log.close();
});

test("a checkpoint without a key, a bad key, and appends after close are clear errors", async () => {
  const log = await AuditLog.open(fresh());
  await assert.rejects(log.checkpoint(), (e: unknown) => e instanceof StoreError && e.code === "audit/no-signing-key");
  await assert.rejects(AuditLog.open(fresh(), { signingKey: "PRIVATE+KEY+nope" }), (e: unknown) => e instanceof StoreError && e.code === "audit/bad-key");
  await log.close();
  await assert.rejects(log.append(decision(0)), (e: unknown) => e instanceof StoreError && e.code === "audit/store-closed");
});

test("a checkpoint signed by an unknown key fails verification", async () => {
  const log = await AuditLog.open(fresh(), { signingKey: key.signerKey });
  await log.append(decision(0));
  await log.checkpoint();
  await log.close();
  const other = generateKey("palisade.test/audit");
  const again = await AuditLog.open(SqliteStore.open(join(dir, `l${n}.db`)), { verifierKeys: [other.verifierKey] });
  const report = await again.verify();
  assert.equal(report.ok, false);
  assert.deepEqual(report.problems.map((p) => p.kind), ["unsigned", "signature"]);
  assert.match(report.problems[1].message, /^stored checkpoint #1 \(size 1\): it is not signed by a trusted key$/);
  assert.equal(report.firstBadIndex, null, "a checkpoint nobody trusts says nothing about the entries");
  await again.close();
});
