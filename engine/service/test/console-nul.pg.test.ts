// The cluster-wide console (palisade_decisions in PostgreSQL) shows every decision, whatever its
// ids hold: PostgreSQL text cannot hold U+0000, and a session id with it failed the insert of the
// whole batch, so that decision and every other written with it were missing from the console
// (an agent could hide its steps, and other clients' with them).
import assert from "node:assert/strict";
import { it } from "node:test";
import { AuditLog, generateKey, openStore } from "../../audit/index.ts";
import { freshDatabase } from "../../audit/test/pg-support.ts";
import { PostgresActivity } from "../activity-pg.ts";
import { startHarness, toolCall } from "./harness.ts";

it("shows decisions whose agent, environment or session id holds U+0000, and those written beside them", async () => {
  const db = await freshDatabase("console_nul");
  const errors: unknown[] = [];
  const audit = await AuditLog.open(await openStore(db), { signingKey: generateKey("test.local/audit").signerKey });
  const h = await startHarness({ audit, activity: await PostgresActivity.open(db, (e) => errors.push(e)) });
  try {
    const odd = { phase: "tool_call", input: { agent: { id: "bot\u0000x" }, env: "prod\u0000x", tool: { name: "lookup", args: {} } }, session: "hide\u0000me" };
    // One request, one turn: the three are written to the console in one batch.
    const batch = await h.call("POST", "/v1/decide/batch", "admin", { requests: [toolCall("lookup", { n: 1 }, "plain"), odd, toolCall("lookup", { n: 2 })] });
    assert.deepEqual(batch.body.results.map((r: { decision: string }) => r.decision), ["allow", "allow", "allow"]);
    const ids = batch.body.results.map((r: { id: string }) => r.id);
    let shown: string[] = [];
    for (let i = 0; i < 40 && shown.length < 3; i++) {
      await new Promise((r) => setTimeout(r, 50));
      shown = (await h.call("GET", "/v1/decisions", "admin")).body.decisions.map((d: { id: string }) => d.id);
    }
    assert.deepEqual([...shown].sort(), [...ids].sort(), JSON.stringify(errors.map(String)));
    const session = await h.call("GET", `/v1/sessions/${encodeURIComponent("hide\u0000me")}`, "admin");
    assert.deepEqual(session.body.steps.map((s: { id: string; session: string }) => [s.id, s.session]), [[ids[1], "hide\u0000me"]]);
    assert.equal((await h.call("GET", `/v1/decisions?agent=${encodeURIComponent("bot\u0000x")}`, "admin")).body.decisions.length, 1);
    assert.deepEqual(errors, []);
  } finally {
    await h.close();
  }
});
