// The console loaded as an operator's would be: 3,000 sessions (about 14,000 decisions from a
// seeded generator, sent through the decision API) in the cluster-wide decisions table on
// PostgreSQL. The sessions list pages through all of them, searches and filters in SQL, opens a
// session; the overview charts them; nothing overflows.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, it } from "node:test";
import type { Page } from "playwright-core";
import { freshDatabase } from "../../engine/audit/test/pg-support.ts";
import { PostgresActivity } from "../../engine/service/activity-pg.ts";
import { startHarness } from "../../engine/service/test/harness.ts";
import type { Harness } from "../../engine/service/test/harness.ts";
import { ensurePlayground } from "../build.ts";
import { launch, layoutProblems, screenshots, watch } from "./browser.ts";
import { send, sessionRequests } from "./seed.ts";

const SESSIONS = 3000;
let h: Harness;
let browser: Awaited<ReturnType<typeof launch>>;
let page: Page;
let problems: string[];

before(async () => {
  const activity = await PostgresActivity.open(await freshDatabase("console_load"));
  h = await startHarness({ pagesDir: await ensurePlayground(), activity });
  browser = await launch();
  await send(h.call, "admin", sessionRequests(SESSIONS, "load", 11));
  // The table is written a turn after each answer: wait until every session is there.
  for (let i = 0; i < 100 && (await h.call("GET", "/v1/console/sessions?limit=1", "admin")).body.total < SESSIONS; i++) await new Promise((r) => setTimeout(r, 100));
  page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
  problems = await watch(page);
});
after(async () => {
  await browser?.close();
  await h?.close();
});

async function check(name: string): Promise<void> {
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
  assert.deepEqual(await layoutProblems(page), [], name);
  assert.deepEqual(problems, [], name);
}

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

it("charts the outcomes of the latest decisions and ranks the rules", async () => {
  await page.goto(`${h.url}/console#/overview`);
  await page.waitForSelector("#outcomes svg.outcome-chart rect");
  assert.match((await page.textContent("#totals")) ?? "", /5,000 decisions/);
  assert.match((await page.textContent("#top-rules")) ?? "", /shop\.no_shell/);
  await page.waitForSelector("#approvals .more");
  assert.equal(await page.locator("#approvals [data-approval]").count(), 4);
  await check("console-overview-loaded");
});
