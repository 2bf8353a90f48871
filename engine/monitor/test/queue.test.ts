// The ring between the decision path and the flusher: FIFO order across wrap-around, a full
// ring drops and counts instead of blocking or growing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { EventQueue } from "../queue.ts";

test("capacity rounds up to a power of two", () => {
  assert.equal(new EventQueue<number>(5).capacity, 8);
  assert.equal(new EventQueue<number>(8).capacity, 8);
});

test("items come out in order across wrap-around", () => {
  const q = new EventQueue<number>(16);
  let next = 0;
  const seen: number[] = [];
  for (let round = 0; round < 10; round++) {
    for (let i = 0; i < 3; i++) assert.equal(q.push(next++), true);
    seen.push(...q.drain(2));
  }
  seen.push(...q.drain());
  assert.deepEqual(seen, Array.from({ length: 30 }, (_, i) => i));
  assert.equal(q.size, 0);
});

test("a full queue drops and counts, and accepts again once drained", () => {
  const q = new EventQueue<string>(2);
  assert.equal(q.push("a"), true);
  assert.equal(q.push("b"), true);
  assert.equal(q.push("c"), false);
  assert.equal(q.dropped, 1);
  assert.deepEqual(q.drain(), ["a", "b"]);
  assert.equal(q.push("d"), true);
  assert.deepEqual(q.drain(), ["d"]);
});
