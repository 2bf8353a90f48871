// The cluster-wide console (palisade_decisions in PostgreSQL) shows every decision, whatever its
// ids hold: PostgreSQL text cannot hold U+0000, and a session id with it failed the insert of the
// whole batch, so that decision and every other written with it were missing from the console
// (an agent could hide its steps, and other clients' with them).
import assert from "node:assert/strict";
import { it } from "node:test";
import { AuditLog, generateKey, openStore } from "../../audit/index.ts";
import { freshDatabase, sql } from "../../audit/test/pg-support.ts";
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

// The column showed U+0000 as U+FFFD, so "s\0" and "s\uFFFD" (and agents, environments alike)
// were one session in the console: one principal's steps listed under another's session, and a
// session opened by id showed both. The columns now hold an escaped form, read back exactly.
it("keeps ids that differ only by U+0000 and U+FFFD apart in every console view", async () => {
  const db = await freshDatabase("console_nul_fffd");
  const errors: unknown[] = [];
  const audit = await AuditLog.open(await openStore(db), { signingKey: generateKey("test.local/audit").signerKey });
  const h = await startHarness({ audit, activity: await PostgresActivity.open(db, (e) => errors.push(e)) });
  try {
    const step = (agent: string, env: string, session: string, principal: string) => ({ phase: "tool_call", input: { agent: { id: agent }, env, tool: { name: "lookup", args: {} }, principal: { id: principal, roles: [] } }, session });
    const ids = ["s\u0000", "s\ufffd", "s\ufffd0", "s\ufffd\ufffd", "s\u0000\ufffd"];
    const batch = await h.call("POST", "/v1/decide/batch", "admin", { requests: ids.map((s, i) => step(i === 1 ? "a\ufffd" : "a\u0000", i === 2 ? "e\ufffd" : "e\u0000", s, `p${i}`)) });
    assert.deepEqual(batch.body.results.map((r: { decision: string }) => r.decision), ids.map(() => "allow"), JSON.stringify(batch.body));
    const decided = batch.body.results.map((r: { id: string }) => r.id);
    let listed: string[] = [];
    for (let i = 0; i < 40 && listed.length < ids.length; i++) {
      await new Promise((r) => setTimeout(r, 50));
      listed = (await h.call("GET", "/v1/sessions", "admin")).body.sessions;
    }
    assert.deepEqual([...listed].sort(), [...ids].sort());
    for (const [i, s] of ids.entries()) {
      const opened = await h.call("GET", `/v1/sessions/${encodeURIComponent(s)}`, "admin");
      assert.deepEqual(opened.body.steps.map((r: { id: string }) => r.id), [decided[i]], `session ${JSON.stringify(s)}`);
    }
    const page = (await h.call("GET", "/v1/console/sessions?limit=50", "admin")).body;
    const rows = page.sessions.map((x: { id: string; agent: string; env: string; steps: number }) => [x.id, x.agent, x.env, x.steps]);
    assert.deepEqual(rows.sort(), ids.map((s, i) => [s, i === 1 ? "a\ufffd" : "a\u0000", i === 2 ? "e\ufffd" : "e\u0000", 1]).sort());
    // Filters by agent and environment, and the text search, match the exact id only.
    const byAgent = (await h.call("GET", `/v1/console/sessions?agent=${encodeURIComponent("a\ufffd")}`, "admin")).body.sessions;
    assert.deepEqual(byAgent.map((x: { id: string }) => x.id), ["s\ufffd"]);
    const byEnv = (await h.call("GET", `/v1/console/sessions?env=${encodeURIComponent("e\ufffd")}`, "admin")).body.sessions;
    assert.deepEqual(byEnv.map((x: { id: string }) => x.id), ["s\ufffd0"]);
    assert.equal((await h.call("GET", `/v1/decisions?agent=${encodeURIComponent("a\ufffd")}`, "admin")).body.decisions.length, 1);
    assert.equal((await h.call("GET", `/v1/decisions?session=${encodeURIComponent("s\u0000")}`, "admin")).body.decisions.length, 1);
    const search = (await h.call("GET", `/v1/console/sessions?q=${encodeURIComponent("s\ufffd\ufffd")}`, "admin")).body.sessions;
    assert.deepEqual(search.map((x: { id: string }) => x.id), ["s\ufffd\ufffd"]);
    assert.deepEqual(errors, []);
  } finally {
    await h.close();
  }
});

// Rows an older node wrote kept U+0000 as U+FFFD and U+FFFD bare: its "s\uFFFD" row was not found
// by opening "s\uFFFD" (the filter is escaped), "n\0" showed as "n\uFFFD", and "x\uFFFD0" read back
// as "x\0". A node that starts mends them from their documents, which hold the ids exactly.
it("mends the id columns of rows an older node wrote, from their documents", async () => {
  const db = await freshDatabase("console_old_rows");
  await (await PostgresActivity.open(db)).close();
  const old = (i: number, agent: string, env: string, session: string) => {
    const doc = { id: `old-${i}`, time: `2026-12-07T10:00:0${i}.000Z`, agent, env, phase: "tool_call", session, tool: "lookup", decision: "allow", reasons: [], warnings: [], input: {}, payload: null };
    const bare = (s: string) => s.replaceAll("\u0000", "\ufffd");
    return sql(db, "INSERT INTO palisade_decisions (id, agent, env, phase, session, decision, doc, at) VALUES ($1, $2, $3, 'tool_call', $4, 'allow', $5, $6)", [doc.id, bare(agent), bare(env), bare(session), JSON.stringify(doc), doc.time]);
  };
  const ids = [["a\ufffd", "e", "s\ufffd"], ["a", "e\u0000", "n\u0000"], ["a", "e", "x\ufffd0"], ["a", "e", "plain"]] as const;
  for (const [i, [a, e, s]] of ids.entries()) await old(i, a, e, s);
  const h = await startHarness({ activity: await PostgresActivity.open(db) });
  try {
    assert.deepEqual([...(await h.call("GET", "/v1/sessions", "admin")).body.sessions].sort(), ids.map((x) => x[2]).sort());
    for (const [i, [a, e, s]] of ids.entries()) {
      const opened = await h.call("GET", `/v1/sessions/${encodeURIComponent(s)}`, "admin");
      assert.deepEqual(opened.body.steps.map((r: { id: string }) => r.id), [`old-${i}`], JSON.stringify(s));
      const rows = (await h.call("GET", `/v1/console/sessions?agent=${encodeURIComponent(a)}&env=${encodeURIComponent(e)}`, "admin")).body.sessions;
      assert.ok(rows.some((x: { id: string; agent: string; env: string }) => x.id === s && x.agent === a && x.env === e), JSON.stringify([a, e, s]));
    }
    // Mended once: the columns are what a new node writes.
    assert.deepEqual((await sql(db, "SELECT session FROM palisade_decisions ORDER BY seq")).map((r) => r.session), ["s\ufffd\ufffd", "n\ufffd0", "x\ufffd\ufffd0", "plain"]);
  } finally {
    await h.close();
  }
});
