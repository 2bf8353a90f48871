// `palisade serve` as it ships, then `palisade audit erase --subject`: what serve keeps beside its
// log (each session's calls and sources, the approval requests: the SQLite state file, or the
// PostgreSQL tables) holds no plain byte of the subject's data afterwards, and the approval's
// answer stands in the session's history.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { freshDatabase, sql } from "../../audit/test/pg-support.ts";
import { POLICY } from "../../service/test/harness.ts";
import { serve } from "./serve-support.ts";
import { run, tempTree } from "./support.ts";

const ANN = "ann.subject@example.com";
const EMAIL = "ann.home@example.org";
const CARD = "4111111111111111";

const step = (phase: string, body: Record<string, unknown>) => ({ phase, environment: "production", session: "s-ann", input: { agent: { id: "shop-bot" }, principal: { id: ANN, roles: [] }, ...body } });

/** Ann's session through a running serve at `db`, erased with the CLI; `bytes` reads what serve keeps. */
async function scenario(dir: string, db: string, bytes: () => Promise<Buffer>): Promise<void> {
  const s = await serve(["shop.policy", "--db", db], dir);
  try {
    assert.equal((await s.call("POST", "/v1/decide", step("input", { input: { text: `mail me at ${EMAIL}` } }))).body.decision, "allow");
    assert.equal((await s.call("POST", "/v1/decide", step("tool_result", { tool: { name: "crm", args: { who: EMAIL }, result: { json: { card: CARD } } } }))).body.decision, "allow");
    const held = await s.call("POST", "/v1/decide", step("tool_call", { tool: { name: "export", args: { to: EMAIL, card: CARD } } }));
    assert.equal(held.body.decision, "require_approval", JSON.stringify(held.body));
    assert.equal((await s.call("POST", "/v1/approvals", { id: held.body.approval.id, action: "approve" })).status, 200);
    const next = await s.call("POST", "/v1/decide", { ...step("tool_call", { tool: { name: "search", args: { q: CARD } } }), payload: "history" });
    assert.deepEqual(next.body.payload.session.calls.map((c: { tool: { name: string }; outcome: string }) => [c.tool.name, c.outcome]), [["export", "executed"]]);
  } finally {
    await s.stop();
  }
  const erased = await run(["audit", "erase", "--db", db, "--subject", ANN], dir);
  assert.equal(erased.code, 0, erased.stdout + erased.stderr);
  const held = await bytes();
  assert.ok(held.includes("s-ann"), "serve's copies hold the session (so the scan means something)");
  for (const plain of [ANN, EMAIL, CARD]) assert.equal(held.indexOf(plain), -1, `no byte of ${plain} is left`);
}

it("SQLite: after `audit erase`, the log, the state file and their WALs hold no plain byte of the subject", async () => {
  const dir = tempTree({ "shop.policy": POLICY });
  await scenario(dir, "audit.db", async () => Buffer.concat(readdirSync(dir).filter((f) => f.startsWith("audit.")).map((f) => readFileSync(join(dir, f)))));
});

it("PostgreSQL: after `audit erase`, the session and approval rows hold no plain byte of the subject", async () => {
  const dir = tempTree({ "shop.policy": POLICY });
  const db = await freshDatabase("serve_private");
  await scenario(dir, db, async () => Buffer.from(JSON.stringify(await Promise.all(["palisade_session_calls", "palisade_session_sources", "palisade_approvals"].map((t) => sql(db, `SELECT * FROM ${t}`)))), "utf8"));
});
