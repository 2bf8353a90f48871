// The console loaded as an operator's would be: 3,000 sessions (about 14,000 decisions from a
// seeded generator, sent through the decision API) in the cluster-wide decisions table on
// PostgreSQL. The sessions list pages through all of them, searches and filters in SQL, opens a
// session; the overview charts them; nothing overflows.
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import pg from "pg";
import type { Page } from "playwright-core";
import { freshDatabase } from "../../engine/audit/test/pg-support.ts";
import { PostgresActivity } from "../../engine/service/activity-pg.ts";
import { hashKey } from "../../engine/service/keys.ts";
import { keyConfigs, startHarness } from "../../engine/service/test/harness.ts";
import type { Harness } from "../../engine/service/test/harness.ts";
import { ensurePlayground } from "../build.ts";
import { checkPage, launch, watch } from "./browser.ts";
import { send, sessionRequests } from "./seed.ts";

const SESSIONS = 3000;
let h: Harness;
let browser: Awaited<ReturnType<typeof launch>>;
let page: Page;
let problems: string[];

// An admin for one agent in one environment: its console is cut to them in SQL.
const BILLING = "k-billing-staging";
const requests = sessionRequests(SESSIONS, "load", 11);

let db = "";

before(async () => {
  const t0 = performance.now();
  db = await freshDatabase("console_load");
  const activity = await PostgresActivity.open(db);
  h = await startHarness({ pagesDir: await ensurePlayground(), activity }, [...keyConfigs, { id: "billing", sha256: hashKey(BILLING), agents: ["billing-bot"], environments: ["staging"], roles: ["admin"] }], false);
  browser = await launch();
  const t1 = performance.now();
  await send(h.call, "admin", requests);
  // The table is written a turn after each answer: wait until every session is there.
  for (let i = 0; i < 100 && (await h.call("GET", "/v1/console/sessions?limit=1", "admin")).body.total < SESSIONS; i++) await new Promise((r) => setTimeout(r, 100));
  console.log(`# set up in ${Math.round(t1 - t0)} ms, ${requests.length} decisions seeded in ${Math.round(performance.now() - t1)} ms`);
  page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
  problems = await watch(page);
});
after(async () => {
  await browser?.close();
  await h?.close();
});

const check = (name: string): Promise<void> => checkPage(page, problems, name);

it("pages, searches and filters 3,000 sessions, and opens one", async () => {
  await page.goto(`${h.url}/console#key=k-admin`);
  await page.goto(`${h.url}/console#/sessions`);
  await page.waitForSelector("#page-info:text('1–50 of 3,000 sessions')");
  assert.equal(await page.locator("#sessions tbody tr").count(), 50);
  assert.equal(await page.isDisabled("#prev-page"), true);
  await check("console-sessions-3000");
  await page.click("#next-page");
  await page.waitForSelector("#page-info:text('51–100 of 3,000 sessions')");
  assert.match(page.url(), /offset=50/);
  await page.goBack();
  await page.waitForSelector("#page-info:text('1–50 of 3,000 sessions')");
  // The last page, straight from the address.
  await page.goto(`${h.url}/console#/sessions?offset=2950`);
  await page.waitForSelector("#page-info:text('2,951–3,000 of 3,000 sessions')");
  assert.equal(await page.isDisabled("#next-page"), true);

  // Search: ten ids share the prefix; the filter keeps the outcome across pages.
  await page.goto(`${h.url}/console#/sessions`);
  await page.fill("#s-q", "load-0004");
  await page.waitForSelector("#page-info:text('1–10 of 10 sessions')");
  const ids = await page.locator("#sessions tbody tr").evaluateAll((rs) => rs.map((r) => (r as HTMLElement).dataset.session));
  assert.deepEqual([...ids].sort(), Array.from({ length: 10 }, (_, i) => `load-0004${i}`));
  await page.fill("#s-q", "");
  await page.selectOption("#s-outcome", "deny");
  const denied = (await h.call("GET", "/v1/console/sessions?outcome=deny&limit=1", "admin")).body.total as number;
  assert.ok(denied > 200 && denied < 400, String(denied));
  await page.waitForSelector(`#page-info:text('1–50 of ${denied.toLocaleString("en-US")} sessions')`);
  assert.ok((await page.locator("#sessions tbody .badge").allTextContents()).every((t) => t === "deny"));
  await page.fill("#s-q", "no-such-thing");
  await page.waitForSelector("#no-sessions");
  assert.match((await page.textContent("#no-sessions")) ?? "", /clear the search/);

  await page.goto(`${h.url}/console#/sessions?q=load-02999`);
  await page.click('#sessions tr[data-session="load-02999"] a');
  await page.waitForSelector("ol.timeline > li");
  assert.ok((await page.locator("ol.timeline > li").count()) >= 4);
  assert.match((await page.textContent("#session-head")) ?? "", /principal\s*u-\d+/);
});

it("an admin key for one agent and environment lists only its sessions, counted and searched in SQL", async () => {
  const own = new Set<string>();
  for (const r of requests as { session: string; environment: string; input: { agent: { id: string } } }[]) if (r.input.agent.id === "billing-bot" && r.environment === "staging") own.add(r.session);
  const all = await h.call("GET", "/v1/console/sessions?limit=500", BILLING);
  assert.equal(all.body.total, own.size);
  assert.ok(own.size > 200 && own.size < SESSIONS / 2, String(own.size));
  assert.ok(all.body.sessions.every((x: { id: string; agent: string; env: string }) => own.has(x.id) && x.agent === "billing-bot" && x.env === "staging"));
  const found = await h.call("GET", "/v1/console/sessions?q=load-0004&limit=50", BILLING);
  assert.deepEqual(found.body.sessions.map((x: { id: string }) => x.id).sort(), [...own].filter((x) => x.startsWith("load-0004")).sort());
});

it("charts the outcomes of the latest decisions and ranks the rules", async () => {
  await page.goto(`${h.url}/console#/overview`);
  await page.waitForSelector("#outcomes svg.outcome-chart rect");
  assert.match((await page.textContent("#totals")) ?? "", /5,000 decisions/);
  assert.match((await page.textContent("#top-rules")) ?? "", /shop\.no_shell/);
  await page.waitForSelector("#approvals .more");
  assert.equal(await page.locator("#approvals [data-approval]").count(), 4);
  await check("console-overview-loaded");
});

it("lists rows written before the table had its time and principal columns, and principals holding \\u0000", async () => {
  // What an older node wrote: the document only (its principal holds a \u0000, which text cannot).
  const client = new pg.Client({ connectionString: db });
  await client.connect();
  try {
    const doc = { id: "old-1", time: "2020-01-02T03:04:05.000Z", agent: "shop-bot", env: "production", phase: "input", session: "legacy-1", tool: null, decision: "deny", reasons: [], warnings: [], changes: [], input: { principal: { id: "old\u0000timer" } }, payload: null };
    await client.query("INSERT INTO palisade_decisions (id, agent, env, phase, session, decision, doc) VALUES ('old-1', 'shop-bot', 'production', 'input', 'legacy-1', 'deny', $1)", [JSON.stringify(doc)]);
  } finally {
    await client.end();
  }
  const r = await h.call("GET", "/v1/console/sessions?q=legacy", "admin");
  assert.deepEqual(r.body.sessions.map((x: { id: string; principal: string; first: string; outcome: string }) => [x.id, x.principal, x.first, x.outcome]), [["legacy-1", null, "2020-01-02T03:04:05.000Z", "deny"]]);
  // A principal with \u0000 sent today is listed and found (PostgreSQL's JSON operators refuse such a document).
  const sent = await h.call("POST", "/v1/decide", "admin", { phase: "input", environment: "production", session: "nul-1", input: { agent: { id: "shop-bot" }, principal: { id: "nul\u0000user" }, input: { text: "a\u0000b", attachments: [] } } });
  assert.equal(sent.status, 200);
  let found: { id: string; principal: string }[] = [];
  for (let i = 0; i < 50 && found.length === 0; i++) {
    found = (await h.call("GET", "/v1/console/sessions?q=nul", "admin")).body.sessions ?? [];
    if (found.length === 0) await new Promise((res) => setTimeout(res, 100));
  }
  assert.deepEqual(found.map((x) => [x.id, x.principal]), [["nul-1", "nul\u0000user"]]);
  assert.equal((await h.call("GET", "/v1/console/sessions?limit=1", "admin")).status, 200);
});
