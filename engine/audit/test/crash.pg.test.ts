// Crash safety and many writers on a real PostgreSQL server.
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertLogHolds, startWriter } from "./crash-support.ts";
import { freshDatabase, sql } from "./pg-support.ts";

test("postgres: every acknowledged entry survives SIGKILL and the tree verifies", async () => {
  const db = await freshDatabase("audit_crash");
  for (let round = 0; round < 2; round++) {
    const w = startWriter(db, `r${round}`, "inf");
    await w.until(1500);
    w.child.kill("SIGKILL");
    const exit = await w.exited;
    assert.equal(exit.signal, "SIGKILL", exit.stderr);
    await assertLogHolds(db, w.acks);
  }
});

test("postgres: two writer processes append into one consistent tree", async () => {
  const db = await freshDatabase("audit_writers");
  const per = 1500;
  // Both are released together once both have connected, so their appends really contend.
  const writers = [startWriter(db, "w1", per, true), startWriter(db, "w2", per, true)];
  await Promise.all(writers.map((w) => w.ready));
  for (const w of writers) w.release();
  const exits = await Promise.all(writers.map((w) => w.exited));
  for (const e of exits) assert.equal(e.code, 0, e.stderr);
  const acks = writers.flatMap((w) => w.acks);
  assert.equal(acks.length, 2 * per);
  const indices = acks.map((a) => a.index).sort((a, b) => a - b);
  assert.deepEqual(indices, Array.from({ length: 2 * per }, (_, i) => i), "every index used once, no gap");
  const { size } = await assertLogHolds(db, acks);
  assert.equal(size, 2 * per);
  // Both processes really interleaved: neither wrote all of its entries in one run.
  const order = acks.sort((a, b) => a.index - b.index).map((a) => a.tag);
  const switches = order.filter((t, i) => i > 0 && t !== order[i - 1]).length;
  assert.ok(switches >= 2, `the writers' batches interleave (${switches} switches)`);
  // Each process's own records keep their append order.
  for (const tag of ["w1", "w2"]) {
    const ns = acks.filter((a) => a.tag === tag).map((a) => a.n);
    assert.deepEqual(ns, [...ns].sort((a, b) => a - b));
  }
  const keys = await sql(db, "SELECT subject, count(*)::int AS n FROM subject_keys WHERE erased_at IS NULL GROUP BY subject");
  assert.equal(keys.length, 7);
  assert.ok(keys.every((k) => k.n === 1), "racing writers still share one live key per subject");
});
