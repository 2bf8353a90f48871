// Two nodes appending to the same sessions at once (the cross-node case a session rule relies
// on): every append is answered, won by exactly one node, and never refused as a PostgreSQL
// deadlock, whatever order each node's batch arrives in.
import { it } from "node:test";
import assert from "node:assert/strict";
import { freshDatabase } from "../../audit/test/pg-support.ts";
import { PostgresActivity } from "../activity-pg.ts";
import { PostgresSessionStore } from "../session-store-pg.ts";
import { Sessions } from "../sessions.ts";
import type { SessionCall } from "../sessions.ts";
import type { DecisionRecordV1 } from "../wire.ts";

const call: SessionCall = { tool: { name: "lookup", args: {} }, time: "2026-12-07T00:00:00.000Z", decision: "allow", outcome: "executed" };

it("two nodes appending the same sessions in opposite orders both get answers, one winner per item", async () => {
  const db = await freshDatabase("session-order");
  const [a, b] = await Promise.all([PostgresSessionStore.open(db), PostgresSessionStore.open(db)]);
  try {
    for (let round = 0; round < 8; round++) {
      const keys = Array.from({ length: 200 }, (_, i) => `r${round}-s${i}`);
      // Queued in one tick, each node's appends go to PostgreSQL as one statement.
      const fromA = keys.map((k) => a.append(k, 0, call));
      const fromB = [...keys].reverse().map((k) => b.append(k, 0, call));
      const [wonA, wonB] = await Promise.all([Promise.all(fromA), Promise.all(fromB)]);
      const wonBByKey = [...wonB].reverse();
      keys.forEach((k, i) => assert.equal(Number(wonA[i]) + Number(wonBByKey[i]), 1, k));
    }
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

it("two nodes claiming the same new sessions at once: one owner each, and both nodes agree on it", async () => {
  const db = await freshDatabase("session-owner");
  const [a, b] = await Promise.all([PostgresSessionStore.open(db), PostgresSessionStore.open(db)]);
  const [na, nb] = [new Sessions(a), new Sessions(b)];
  const actor = { key: "agent", env: "production" };
  try {
    const keys = Array.from({ length: 200 }, (_, i) => `claim-${i}`);
    const fromA = keys.map((k) => a.claim(k, "p:a"));
    const fromB = [...keys].reverse().map((k) => b.claim(k, "p:b"));
    const [ownerA, ownerB] = await Promise.all([Promise.all(fromA), Promise.all(fromB.reverse())]);
    assert.deepEqual(ownerA, ownerB);
    for (const o of ownerA) assert.ok(o === "p:a" || o === "p:b", o);
    // Whole decisions on two nodes, each for its own principal, in the same new sessions: in
    // each, exactly one reads a history (the owner's) and the other is foreign.
    const step = (state: { foreign?: true }) => ({ result: state.foreign === true ? "foreign" : "owner", call: state.foreign === true ? undefined : call });
    const runs = keys.map((k) => Promise.all([na.run(`run-${k}`, step, "ann", actor), nb.run(`run-${k}`, step, "bob", actor)]));
    for (const pair of await Promise.all(runs)) assert.deepEqual([...pair].sort(), ["foreign", "owner"]);
    // The session holds the owner's call alone.
    for (const k of keys) assert.equal((await a.read(`run-${k}`, 0)).length, 1, k);
    // The same principal through another key (or in another environment) on the other node is foreign too.
    for (const other of [{ key: "twin", env: "production" }, { key: "agent", env: "staging" }]) {
      assert.equal(await na.run(`key-${other.key}`, step, "ann", actor), "owner");
      assert.equal(await nb.run(`key-${other.key}`, step, "ann", other), "foreign");
    }
    assert.equal(await nb.mayAct("key-twin", "ann", { key: "twin", env: "production" }), false);
    assert.equal(await nb.mayAct("key-twin", "ann", actor), true);
  } finally {
    await Promise.all([na.close(), nb.close()]);
  }
});

it("the cluster-wide console names a session by its owner (its first step's principal), not by one denied in it", async () => {
  const db = await freshDatabase("session-owner-console");
  const writer = await PostgresActivity.open(db);
  const step = (i: number, principal: string): DecisionRecordV1 => ({ id: `d-${i}`, time: `2026-12-07T10:00:0${i}.000Z`, agent: "shop-bot", env: "production", phase: "tool_call", session: "S", tool: "search", decision: i === 1 ? "deny" : "allow", reasons: [], warnings: [], changes: [], input: { principal: { id: principal } }, payload: null });
  // "a-attacker" sorts before "u1": min() named the session after it.
  for (const [i, p] of [[0, "u1"], [1, "a-attacker"], [2, "u1"]] as const) writer.add(step(i, p));
  await writer.close();
  const reader = await PostgresActivity.open(db);
  try {
    const page = await reader.summaries({ offset: 0, limit: 10 });
    assert.deepEqual(page.sessions.map((s) => [s.id, s.principal, s.steps]), [["S", "u1", 3]]);
  } finally {
    await reader.close();
  }
});
