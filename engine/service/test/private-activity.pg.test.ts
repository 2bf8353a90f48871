// Private data stays private beside the log too: what the service keeps of recent decisions for
// the console (the in-memory ring on SQLite, `palisade_decisions` on PostgreSQL) holds only what
// the audit log keeps in clear, so `audit erase` leaves no plain copy of a subject's principal or
// input anywhere in the database; an admin reads them through the log while the subject's key lives.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { AuditLog, generateKey, openStore } from "../../audit/index.ts";
import { freshDatabase, sql } from "../../audit/test/pg-support.ts";
import { PostgresActivity } from "../activity-pg.ts";
import { hashKey } from "../keys.ts";
import { keyConfigs, startHarness } from "./harness.ts";
import type { Harness } from "./harness.ts";

const ANN = "ann@example.com";
const CARD = "4111111111111111";
const keys = [
  ...keyConfigs,
  { id: "scoped", sha256: hashKey("k-scoped"), agents: ["shop-bot"], environments: ["production"], roles: ["admin"] },
  { id: "elsewhere", sha256: hashKey("k-elsewhere"), agents: ["other-bot"], environments: ["staging"], roles: ["admin"] },
];

const request = { phase: "tool_call", input: { agent: { id: "shop-bot" }, env: "production", tool: { name: "charge", args: { card: CARD } }, principal: { id: ANN, roles: [] } } };

/** Decides Ann's charge, then checks what each key reads before and after erasure; `bytes` gives what the database holds. */
async function scenario(h: Harness, log: AuditLog, bytes: () => Promise<Buffer>): Promise<void> {
  const d = await h.call("POST", "/v1/decide", "agent", request);
  assert.equal(d.status, 200);
  const id = d.body.id as string;
  // The console's list shows the decision, its personal fields sealed.
  let listed: any[] = [];
  for (let i = 0; i < 100 && !listed.some((r) => r.id === id); i++) {
    listed = (await h.call("GET", "/v1/decisions", "admin")).body.decisions;
    if (!listed.some((r) => r.id === id)) await new Promise((r) => setTimeout(r, 20));
  }
  const row = listed.find((r) => r.id === id);
  assert.ok(row, "the decision is listed");
  assert.equal(row.input, "[sealed]");
  assert.equal(row.payload, "[sealed]");
  assert.ok(!JSON.stringify(listed).includes(ANN) && !JSON.stringify(listed).includes(CARD));
  const page = (await h.call("GET", "/v1/console/sessions", "admin")).body;
  assert.ok(!JSON.stringify(page).includes(ANN));

  // Before erasure: an admin (scoped to the decision's agent, or not) reads it through the log.
  for (const key of ["admin", "k-scoped"]) {
    const r = await h.call("GET", `/v1/decisions/${id}/record`, key);
    assert.equal(r.status, 200, key);
    assert.equal(r.body.status, "open");
    assert.equal(r.body.record.principal, ANN);
    assert.equal(r.body.record.input.tool.args.card, CARD);
  }
  // An agent key never does; an admin of other agents learns nothing, not even that it exists.
  assert.equal((await h.call("GET", `/v1/decisions/${id}/record`, "agent")).status, 403);
  assert.equal((await h.call("GET", `/v1/decisions/${id}/record`, "k-elsewhere")).status, 404);
  for (const path of ["/v1/decisions", `/v1/sessions/x`, "/v1/console/sessions"]) assert.equal((await h.call("GET", path, "agent")).status, 403, path);

  const erased = await log.erase(ANN);
  assert.ok(erased.keysDestroyed >= 1);
  const after = await h.call("GET", `/v1/decisions/${id}/record`, "admin");
  assert.equal(after.status, 200);
  assert.equal(after.body.status, "erased");
  assert.equal(after.body.record.principal, "[erased]");
  assert.ok(!JSON.stringify(after.body).includes(ANN) && !JSON.stringify(after.body).includes(CARD));
  const relisted = (await h.call("GET", "/v1/decisions", "admin")).body.decisions;
  assert.ok(relisted.some((r: { id: string }) => r.id === id) && !JSON.stringify(relisted).includes(ANN) && !JSON.stringify(relisted).includes(CARD));

  const held = await bytes();
  assert.equal(held.indexOf(ANN), -1, "no byte of the principal is left");
  assert.equal(held.indexOf(CARD), -1, "no byte of the card number is left");
}

it("on SQLite, erasure leaves no plain principal or input in the files, and the console shows it erased", async () => {
  const h = await startHarness({}, keys);
  try {
    const log = h.service.context.audit;
    await scenario(h, log, async () => {
      await log.flush();
      // Every file of the service's folder: the log, its WAL, and any state beside them.
      return Buffer.concat(readdirSync(h.dir).map((f) => join(h.dir, f)).filter(existsSync).map((f) => readFileSync(f)));
    });
  } finally {
    await h.close();
  }
});

it("on PostgreSQL, the shared decisions table holds no principal or input, before or after erasure", async () => {
  const db = await freshDatabase("private_activity");
  const log = await AuditLog.open(await openStore(db), { signingKey: generateKey("test.local/audit").signerKey });
  const activity = await PostgresActivity.open(db);
  const h = await startHarness({ audit: log, activity }, keys);
  try {
    await scenario(h, log, async () => {
      const rows = await sql(db, "SELECT * FROM palisade_decisions");
      assert.ok(rows.length > 0, "the decision reached the table (so the check means something)");
      return Buffer.from(JSON.stringify(rows), "utf8");
    });
  } finally {
    await h.close();
  }
});
