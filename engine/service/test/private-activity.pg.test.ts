// Private data stays private beside the log too: what the service keeps of recent decisions for
// the console (the in-memory ring on SQLite, `palisade_decisions` on PostgreSQL) holds only what
// the audit log keeps in clear, so `audit erase` leaves no plain copy of a subject's principal or
// input anywhere in the database; an admin reads them through the log while the subject's key lives.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { AuditLog, generateKey, openStore } from "../../audit/index.ts";
import { freshDatabase, sql } from "../../audit/test/pg-support.ts";
import { PostgresActivity } from "../activity-pg.ts";
import { PostgresApprovalStore } from "../approval-store-pg.ts";
import { SqliteApprovalStore } from "../approval-store-sqlite.ts";
import { PostgresSessionStore } from "../session-store-pg.ts";
import { SqliteSessionStore } from "../session-store-sqlite.ts";
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

/** Every file of the service's folder: the log, its WAL, and any state beside them (its own WAL too). */
function folderBytes(dir: string): Buffer {
  return Buffer.concat(readdirSync(dir).map((f) => join(dir, f)).filter(existsSync).map((f) => readFileSync(f)));
}

/** Every row of `tables`, as the text a scan for plain strings reads. */
async function rowBytes(db: string, tables: readonly string[]): Promise<Buffer> {
  const all = [];
  for (const t of tables) {
    const rows = await sql(db, `SELECT * FROM ${t}`);
    assert.ok(rows.length > 0, `${t} holds rows (so the check means something)`);
    all.push(rows);
  }
  return Buffer.from(JSON.stringify(all), "utf8");
}

it("on SQLite, erasure leaves no plain principal or input in the files, and the console shows it erased", async () => {
  const h = await startHarness({}, keys);
  try {
    const log = h.service.context.audit;
    await scenario(h, log, async () => {
      await log.flush();
      return folderBytes(h.dir);
    });
  } finally {
    await h.close();
  }
});

const EMAIL = "ann.private@example.org";
const annStep = (phase: string, body: Record<string, unknown>) => ({ phase, session: "s-ann", input: { agent: { id: "shop-bot" }, env: "production", principal: { id: ANN, roles: [] }, ...body } });

/**
 * Ann's session through the service: her message and a tool's result (sources), tool calls with
 * her data in their arguments, one held for approval; then the session rule still counts her
 * calls, an approver reads the request whole, and after `audit erase` no byte of her data is left
 * in what `bytes` reads, while the history still decides by tool names and outcomes.
 */
async function sessionScenario(h: Harness, log: AuditLog, bytes: () => Promise<Buffer>): Promise<void> {
  const decide = async (body: unknown) => (await h.call("POST", "/v1/decide", "agent", body)).body;
  assert.equal((await decide(annStep("input", { input: { text: `write to me at ${EMAIL}` } }))).decision, "allow");
  assert.equal((await decide(annStep("tool_result", { tool: { name: "crm", args: { who: EMAIL }, result: { json: { email: EMAIL, card: CARD } } } }))).decision, "allow");
  for (let i = 0; i < 2; i++) assert.equal((await decide(annStep("tool_call", { tool: { name: "search", args: { q: `${EMAIL} ${CARD}` } } }))).decision, "allow");
  const held = await decide(annStep("tool_call", { tool: { name: "export", args: { to: EMAIL, card: CARD } } }));
  assert.equal(held.decision, "require_approval");
  // The approver reads the request whole while Ann's key lives.
  const pending = await h.call("GET", `/v1/approvals/${held.approval.id}`, "admin");
  assert.equal(pending.body.payload.tool.args.card, CARD);
  assert.equal(pending.body.payload.principal.id, ANN);
  assert.equal((await decide(annStep("tool_call", { tool: { name: "search", args: { q: "third" } } }))).decision, "deny", "the session rule counts her earlier calls");

  await log.erase(ANN);
  const held2 = await h.call("GET", `/v1/approvals/${held.approval.id}`, "admin");
  assert.equal(held2.body.payload, "[erased]");
  assert.ok(!JSON.stringify(held2.body).includes(EMAIL) && !JSON.stringify(held2.body).includes(CARD));
  const all = await bytes();
  for (const plain of [ANN, EMAIL, CARD]) assert.equal(all.indexOf(plain), -1, `no byte of ${plain} is left`);
}

it("on SQLite, the session store and approval requests of `palisade serve` (its state file) hold no plain copy after erasure", async () => {
  const dir = mkdtempSync(join(tmpdir(), "palisade-private-state-"));
  const state = join(dir, "audit.state.db");
  const signingKey = generateKey("test.local/audit").signerKey;
  const node = async () => startHarness({ sessions: SqliteSessionStore.open(state), approvals: SqliteApprovalStore.open(state), audit: await AuditLog.open(join(dir, "audit.db"), { signingKey }) }, keys);
  try {
    const h = await node();
    try {
      const log = h.service.context.audit;
      await sessionScenario(h, log, async () => {
        await log.flush();
        const bytes = folderBytes(dir);
        assert.ok(bytes.includes("s-ann") && bytes.includes("search"), "the state file holds the session (so the check means something)");
        return bytes;
      });
    } finally {
      await h.close();
    }
    // A node that starts afresh on the same files reads the history back: its names still decide.
    const again = await node();
    try {
      const third = await again.call("POST", "/v1/decide", "agent", annStep("tool_call", { tool: { name: "search", args: { q: "again" } } }));
      assert.equal(third.body.decision, "deny");
    } finally {
      await again.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it("on PostgreSQL, the session and approval tables hold no plain copy after erasure", async () => {
  const db = await freshDatabase("private_sessions");
  const log = await AuditLog.open(await openStore(db), { signingKey: generateKey("test.local/audit").signerKey });
  const h = await startHarness({ audit: log, sessions: await PostgresSessionStore.open(db), approvals: await PostgresApprovalStore.open(db) }, keys);
  try {
    await sessionScenario(h, log, () => rowBytes(db, ["palisade_session_calls", "palisade_session_sources", "palisade_approvals"]));
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
