// Principal and session ids compare exactly on PostgreSQL too (session-principal.test.ts tries the
// memory and SQLite stores): a text key in PostgreSQL compares by its collation, which could fold
// what the service keeps apart. Ids that differ only by case, normal form (NFC against NFD), a
// compatibility form, a trailing space, a zero-width space, U+0000 or U+FFFD are other principals
// and other sessions, across two nodes sharing the store.
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { loadPolicySet } from "../../runtime/index.ts";
import { freshDatabase } from "../../audit/test/pg-support.ts";
import { PostgresSessionStore } from "../session-store-pg.ts";
import { startHarness } from "./harness.ts";
import type { Harness } from "./harness.ts";

const POLICY = `package counting

rule two_searches on tool_call {
  when tool.name == "search" and (count c in session.calls where c.tool.name == "search") >= 2
  then deny "two searches a session"
}
`;
const sources = [{ path: "counting.policy", text: POLICY }];
const RULE = "palisade.session_principal";

let a: Harness;
let b: Harness;
before(async () => {
  const db = await freshDatabase("exact");
  const { policySet } = loadPolicySet(sources);
  assert.ok(policySet);
  // Two nodes over one PostgreSQL session store; their logs keep no salt, so owners are plain ids.
  a = await startHarness({ policySet, sources, sessions: await PostgresSessionStore.open(db) }, undefined, false);
  b = await startHarness({ policySet, sources, sessions: await PostgresSessionStore.open(db) }, undefined, false);
});
after(async () => {
  await a?.close();
  await b?.close();
});

async function search(h: Harness, principal: string, session: string): Promise<string[]> {
  const r = await h.call("POST", "/v1/decide", "agent", { phase: "tool_call", session, input: { agent: { id: "shop-bot" }, env: "production", tool: { name: "search", args: {} }, principal: { id: principal, roles: [] } } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return (r.body.reasons as { rule: string }[]).map((x) => x.rule);
}

it("on PostgreSQL, a variant of a principal is another principal and a variant of a session id another session, on every node", async () => {
  assert.deepEqual(await search(a, "josé", "Séance"), []);
  for (const variant of ["José", "josé ", "jose\u0301", "ｊｏｓé", "jos\u200bé", "jos\u0000é", "jos\ufffdé"]) {
    assert.deepEqual(await search(b, variant, "Séance"), [RULE], JSON.stringify(variant));
  }
  // Look-alike sessions are their own, each owned by its first principal, none joined to Séance.
  for (const [i, other] of ["séance", "Se\u0301ance", "Séance ", "Séa\u200bnce", "Séance\u0000", "Séance\ufffd"].entries()) {
    assert.deepEqual(await search(i % 2 === 0 ? a : b, "mallory", other), [], JSON.stringify(other));
    assert.deepEqual(await search(i % 2 === 0 ? b : a, "josé", other), [RULE], `josé in mallory's ${JSON.stringify(other)}`);
  }
  assert.deepEqual(await search(b, "josé", "Séance"), [], "josé's second search in Séance: none of mallory's counted");
  assert.deepEqual(await search(a, "josé", "Séance"), ["counting.two_searches"]);
});
