// The approval records adapters keep are bounded like the session histories, and say when they lost one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SessionRecords } from "../asked.ts";

test("approval records: a million unanswered questions hold at most maxSessions x maxPerSession records; what was dropped is known as lost", () => {
  const r = new SessionRecords<number>({ maxSessions: 3, maxPerSession: 4 });
  for (let i = 0; i < 1_000; i++) r.set(`s${i % 5}`, `c${i}`, i);
  assert.ok(r.size <= 12, `held ${r.size}`);
  assert.equal(r.get("s0", "c0"), undefined);
  assert.equal(r.lost("s0"), true);
  const fresh = new SessionRecords<number>({ maxSessions: 2, maxPerSession: 2 });
  fresh.set("a", "1", 1);
  fresh.set("b", "1", 1);
  fresh.set("a", "2", 2); // a is now the most recently used: b goes first
  fresh.set("c", "1", 1);
  assert.equal(fresh.get("b", "1"), undefined);
  assert.equal(fresh.get("a", "2"), 2);
  assert.equal(fresh.lost("a"), false);
  assert.equal(fresh.lost("b"), true);
  fresh.delete("a", "1");
  fresh.delete("a", "2");
  fresh.delete("c", "1");
  assert.equal(fresh.empty, true);
});
