// The one suite every AuditStore must pass, written once and run against SQLite
// (store.test.ts) and PostgreSQL (store.pg.test.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { leafHash } from "../hash.ts";
import { MerkleTree, inclusionProofFromReader, inclusionProofNodes, planNodeIds, rootFromReader, rootNodes } from "../merkle.ts";
import type { NodeReader } from "../merkle.ts";
import { StoreError, nodeKey } from "../store.ts";
import type { AuditStore, NewEntry } from "../store.ts";

const enc = new TextEncoder();

function entry(i: number, subject: string | null = null): NewEntry {
  const data = enc.encode(JSON.stringify({ n: i, tool: "search" }));
  return { data, leafHash: leafHash(data), subject, time: 1_700_000_000_000 + i };
}

function entries(from: number, to: number): NewEntry[] {
  const out: NewEntry[] = [];
  for (let i = from; i < to; i++) out.push(entry(i));
  return out;
}

function popcount(n: number): number {
  let c = 0;
  for (let x = n; x > 0; x = Math.floor(x / 2)) c += x % 2;
  return c;
}

/** A synchronous reader over nodes fetched from a store. */
async function readerFor(store: AuditStore, ids: { level: number; index: number }[]): Promise<NodeReader> {
  const got = await store.nodes(ids);
  return (level, index) => {
    const h = got.get(nodeKey(level, index));
    if (!h) throw new Error(`node ${level}/${index} missing from the store`);
    return h;
  };
}

/** Registers the shared store tests; `open` returns a fresh, empty store each call. */
export function storeSuite(name: string, open: () => Promise<AuditStore>): void {
  test(`${name}: an empty store has no entries, nodes or checkpoints`, async () => {
    const s = await open();
    try {
      assert.equal(await s.size(), 0);
      assert.equal(await s.nodeCount(), 0);
      assert.deepEqual(await s.entries(0, 10), []);
      assert.deepEqual(await s.checkpoints(), []);
      assert.equal((await s.nodes([{ level: 0, index: 0 }])).size, 0);
    } finally {
      await s.close();
    }
  });

  test(`${name}: batches extend one tree whose stored nodes match an in-memory tree`, async () => {
    const s = await open();
    const tree = new MerkleTree();
    try {
      // Batch sizes chosen to cross and land on powers of two.
      let at = 0;
      for (const n of [1, 2, 5, 8, 1, 16, 30]) {
        const batch = entries(at, at + n);
        const r = await s.append(batch);
        assert.deepEqual(r, { first: at, size: at + n });
        for (const e of batch) tree.append(e.data);
        at += n;
        assert.equal(await s.size(), at);
        assert.equal(await s.nodeCount(), at - popcount(at), "one node per completed perfect subtree of height >= 1");
        const ids = rootNodes(at);
        const read = await readerFor(s, ids);
        assert.deepEqual(rootFromReader(at, read), tree.root());
      }
      // Every inclusion proof at every size, read from the store, matches the reference tree.
      for (const size of [1, 7, 16, 33, at]) {
        for (let i = 0; i < size; i += 3) {
          const read = await readerFor(s, planNodeIds(inclusionProofNodes(i, size)));
          assert.deepEqual(inclusionProofFromReader(i, size, read), tree.inclusionProof(i, size));
        }
      }
      const got = await s.entries(10, 14);
      assert.deepEqual(got.map((e) => e.index), [10, 11, 12, 13]);
      assert.deepEqual(got[0].data, entry(10).data);
      assert.deepEqual(got[0].leafHash, tree.leafHash(10));
      assert.equal(got[0].time, entry(10).time);
      assert.equal(got[0].subject, null);
      const level0 = await s.levelHashes(0, 60, 70);
      assert.deepEqual([...level0.keys()], [60, 61, 62]);
      assert.deepEqual(level0.get(60), tree.leafHash(60));
      const level2 = await s.levelHashes(2, 0, 100);
      assert.equal(level2.size, Math.floor(at / 4));
      assert.deepEqual(level2.get(3), tree.reader()(2, 3));
    } finally {
      await s.close();
    }
  });

  test(`${name}: concurrent appends are sequenced without gaps`, async () => {
    const s = await open();
    try {
      const results = await Promise.all([0, 1, 2, 3, 4, 5].map((k) => s.append(entries(100 * k, 100 * k + 7))));
      const firsts = results.map((r) => r.first).sort((a, b) => a - b);
      assert.deepEqual(firsts, [0, 7, 14, 21, 28, 35]);
      assert.equal(await s.size(), 42);
      assert.equal(await s.nodeCount(), 42 - popcount(42));
    } finally {
      await s.close();
    }
  });

  test(`${name}: checkpoints and settings round-trip`, async () => {
    const s = await open();
    try {
      await s.addCheckpoint({ size: 9, root: new Uint8Array(32).fill(9), note: "b\n", time: 2 });
      await s.addCheckpoint({ size: 3, root: new Uint8Array(32).fill(3), note: "a\n", time: 1 });
      const cps = await s.checkpoints();
      assert.deepEqual(cps.map((c) => [c.size, c.note, c.time]), [[3, "a\n", 1], [9, "b\n", 2]]);
      assert.deepEqual(cps[1].root, new Uint8Array(32).fill(9));
      assert.equal(await s.getMeta("origin"), undefined);
      assert.equal(await s.initMeta("origin", "one"), "one");
      assert.equal(await s.initMeta("origin", "two"), "one", "a setting, once set, stays");
      assert.equal(await s.getMeta("origin"), "one");
    } finally {
      await s.close();
    }
  });

  test(`${name}: a subject's entry count is the number of its entries, over batches of any size and mix`, async () => {
    const s = await open();
    try {
      // Batches of 1 to 450 entries (past the multi-row insert sizes), subjects repeating
      // within and across batches, some entries with none.
      const subjects = ["alice", "bob", "carol", "d'ave", "émile"];
      let seed = 7;
      const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
      const want = new Map<string, number>();
      let i = 0;
      for (const size of [1, 3, 450, 41, 8, 200, 1]) {
        const batch: NewEntry[] = [];
        for (let k = 0; k < size; k++, i++) {
          const subject = rand(6) === 5 ? null : subjects[rand(subjects.length)];
          if (subject !== null) want.set(subject, (want.get(subject) ?? 0) + 1);
          batch.push(entry(i, subject));
        }
        await s.append(batch);
      }
      const stored = await s.entries(0, i);
      for (const subject of subjects) {
        assert.equal(await s.subjectEntryCount(subject), want.get(subject) ?? 0, subject);
        assert.equal(stored.filter((e) => e.subject === subject).length, want.get(subject) ?? 0);
      }
      assert.equal(await s.subjectEntryCount("nobody"), 0);
    } finally {
      await s.close();
    }
  });

  test(`${name}: one live key per subject; erasing destroys it and a later key is new`, async () => {
    const s = await open();
    let n = 0;
    const newKey = () => ({ keyId: `k${++n}`, key: new Uint8Array(32).fill(n) });
    try {
      const a = await s.subjectKeys(["alice", "bob", "alice"], newKey);
      assert.equal(a.size, 2);
      const again = await s.subjectKeys(["alice"], newKey);
      assert.equal(again.get("alice")?.keyId, a.get("alice")?.keyId, "an existing live key is reused");
      await s.append([entry(0, "alice"), entry(1, "bob"), entry(2, "alice")]);
      assert.equal(await s.subjectEntryCount("alice"), 2);
      const aliceKey = a.get("alice")?.keyId ?? "";
      assert.deepEqual(await s.eraseSubject("alice", 123), { destroyed: 1, remains: [] });
      assert.deepEqual(await s.eraseSubject("alice", 124), { destroyed: 0, remains: [] }, "nothing left to erase");
      const byId = await s.keysById([aliceKey, "nope"]);
      assert.equal(byId.size, 1);
      assert.equal(byId.get(aliceKey)?.key, null);
      assert.equal(byId.get(aliceKey)?.erasedAt, 123);
      const after = await s.subjectKeys(["alice", "bob"], newKey);
      assert.notEqual(after.get("alice")?.keyId, aliceKey);
      assert.ok(after.get("alice")?.key instanceof Uint8Array);
      assert.equal(after.get("bob")?.keyId, a.get("bob")?.keyId);
      assert.deepEqual(after.get("bob")?.key, a.get("bob")?.key);
    } finally {
      await s.close();
    }
  });

  test(`${name}: a closed store refuses calls with a stable code`, async () => {
    const s = await open();
    await s.close();
    await assert.rejects(s.size(), (e: unknown) => e instanceof StoreError && e.code === "audit/store-closed");
  });
}
