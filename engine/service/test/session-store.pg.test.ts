// Two nodes appending to the same sessions at once (the cross-node case a session rule relies
// on): every append is answered, won by exactly one node, and never refused as a PostgreSQL
// deadlock, whatever order each node's batch arrives in.
import { it } from "node:test";
import assert from "node:assert/strict";
import { freshDatabase } from "../../audit/test/pg-support.ts";
import { PostgresSessionStore } from "../session-store-pg.ts";
import type { SessionCall } from "../sessions.ts";

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
