// The recorder: O(1) hand-off, batches flushed off the caller's path, minute buckets per agent,
// version and environment, raw-event retention, drops counted when the queue is full.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryMonitorStore } from "../memory-store.ts";
import { Monitor } from "../monitor.ts";

const MIN = 60_000;

test("events land in buckets by minute, agent, version and environment", async () => {
  const m = new Monitor({ flushIntervalMs: 0, retentionMs: 0 });
  m.record({ time: 10, decision: "allow", agent: "a", agentVersion: "1", env: "prod", tool: "x" });
  m.record({ time: MIN - 1, decision: "deny", agent: "a", agentVersion: "1", env: "prod", tool: "x" });
  m.record({ time: MIN, decision: "allow", agent: "a", agentVersion: "1", env: "prod", tool: "x" });
  m.record({ time: 20, decision: "allow", agent: "a", agentVersion: "2", env: "prod", tool: "x" });
  m.record({ time: 30, decision: "allow" });
  const r = await m.flush();
  assert.deepEqual(r, { events: 5, buckets: 4, evaluated: 0, pruned: 0 });
  const buckets = await m.store.buckets({ from: 0, to: 2 * MIN });
  assert.deepEqual(buckets.map((b) => [b.start, b.agent, b.agentVersion, b.env, b.aggregate.count]).sort(), [
    [0, "", "", "", 1],
    [0, "a", "1", "prod", 2],
    [0, "a", "2", "prod", 1],
    [MIN, "a", "1", "prod", 1],
  ]);
  await m.close();
});

test("a full batch schedules a flush by itself, after the caller's turn", async () => {
  const m = new Monitor({ flushIntervalMs: 0, batchSize: 8 });
  for (let i = 0; i < 8; i++) m.record({ time: 0, decision: "allow" });
  assert.equal(m.pending, 8, "recording never flushes inline");
  await new Promise((ok) => setImmediate(ok));
  await m.flush();
  assert.equal(m.pending, 0);
  assert.equal((await m.store.buckets({ from: 0, to: 1 }))[0].aggregate.count, 8);
  await m.close();
});

test("the timer flushes waiting events", async () => {
  const m = new Monitor({ flushIntervalMs: 5 });
  m.record({ time: 0, decision: "allow" });
  for (let i = 0; i < 100 && m.pending > 0; i++) await new Promise((ok) => setTimeout(ok, 5));
  assert.equal(m.pending, 0);
  await m.close();
});

test("a full queue drops, counts and says so, never silently (case 6)", async () => {
  const lines: string[] = [];
  const m = new Monitor({ flushIntervalMs: 0, queueCapacity: 4, batchSize: 4, log: (l) => lines.push(l) });
  const ok = [0, 1, 2, 3, 4, 5].map((i) => m.record({ time: i, decision: "allow" }));
  assert.deepEqual(ok, [true, true, true, true, false, false]);
  assert.equal(m.dropped, 2);
  assert.equal(m.recorded, 4);
  assert.equal(lines.length, 1, "one line for a burst of drops, not one per event");
  assert.match(lines[0], /^palisade monitor: queue full \(4 events waiting for a flush\): dropped 1 event \(1 in all\); raise queueCapacity, flush more often, or use overflow: "backpressure"\n$/);
  await m.close();
});

test("under backpressure a full queue keeps every event, and a producer can wait for room", async () => {
  const m = new Monitor({ flushIntervalMs: 0, queueCapacity: 4, batchSize: 4, overflow: "backpressure", retentionMs: 0 });
  // A burst far past the ring, as a bulk import or the first run produced: nothing is lost.
  let refused = 0;
  for (let i = 0; i < 1000; i++) if (!m.record({ time: i, decision: "allow" })) refused++;
  assert.ok(refused > 0, "record says when the queue is past its ring");
  assert.equal(m.dropped, 0);
  assert.equal(m.pending, 1000);
  await m.drained();
  await m.flush();
  assert.equal(m.pending, 0);
  const [b] = await m.store.buckets({ from: 0, to: 60_000 });
  assert.equal(b.aggregate.count, 1000);
  // A producer that awaits drained() whenever record refuses never holds more than a ring and a batch.
  for (let i = 0; i < 200; i++) if (!m.record({ time: i, decision: "deny" })) await m.drained();
  await m.flush();
  assert.equal((await m.store.buckets({ from: 0, to: 60_000 }))[0].aggregate.count, 1200);
  assert.throws(() => new Monitor({ overflow: "block" as "drop" }), /unknown overflow 'block'/);
  await m.close();
});

test("raw events are kept for the retention period, then pruned", async () => {
  let now = 10 * MIN;
  const store = new MemoryMonitorStore();
  const m = new Monitor({ store, flushIntervalMs: 0, retentionMs: 5 * MIN, now: () => now });
  m.record({ time: MIN, decision: "allow", output: "hi" });
  m.record({ time: 8 * MIN, decision: "allow" });
  const r = await m.flush();
  assert.equal(r.pruned, 1, "the event older than the retention is gone");
  assert.deepEqual((await store.events(0, 20 * MIN)).map((e) => e.event.time), [8 * MIN]);
  now = 20 * MIN;
  m.record({ time: 19 * MIN, decision: "allow" });
  assert.equal((await m.flush()).pruned, 1);
  const none = new Monitor({ flushIntervalMs: 0, retentionMs: 0 });
  none.record({ time: 0, decision: "allow" });
  await none.flush();
  assert.equal((await none.store.events(0, 1)).length, 0, "retention 0 keeps aggregates only");
  await m.close();
  await none.close();
});
