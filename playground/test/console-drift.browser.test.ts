// The console's drift and environment panels in real Chromium: before a baseline the Drift panel
// says how to make one; with a baseline of earlier traffic and a shifted tool mix since, it
// charts the tool mix against the baseline and marks it drifted; the Environments panel lists
// each environment with its bundle and who promoted it.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { createBaseline } from "../../engine/monitor/index.ts";
import { environmentSource } from "../../engine/service/environment-source.ts";
import { environmentsFixture, startMonitored } from "../../engine/service/test/sources-support.ts";
import type { MonitoredHarness } from "../../engine/service/test/sources-support.ts";
import { ensurePlayground } from "../build.ts";
import { launch, layoutProblems, screenshots } from "./browser.ts";

let h: MonitoredHarness;
let envs: ReturnType<typeof environmentsFixture>;
let browser: Awaited<ReturnType<typeof launch>>;
before(async () => {
  envs = environmentsFixture();
  h = await startMonitored({ extra: { pagesDir: await ensurePlayground(), environments: environmentSource(envs.config) } });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await h?.close();
  envs?.close();
});

it("charts drift against the baseline and lists the environments", async () => {
  await h.traffic({ search: 160, refund: 40 });
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${h.url}/console#key=k-admin`);
  await page.waitForSelector("#drift-status");
  assert.match((await page.textContent("#drift")) ?? "", /no baseline yet.*palisade baseline create normal --from -1h --db /s);

  const staging = page.locator('#environments tr[data-env="staging"]');
  await staging.waitFor();
  const row = (await staging.textContent()) ?? "";
  assert.match(row, /2\.1\.0/);
  assert.match(row, /alice, bob/);
  assert.ok(row.includes(envs.digest.slice(0, 19)), row);
  assert.match((await page.textContent('#environments tr[data-env="production"]')) ?? "", /never promoted.*env\/no-state/s);

  await h.monitor.flush();
  await createBaseline(h.monitor.store, "normal", {});
  await h.traffic({ lookup: 300 });
  await page.click("#drift-refresh");
  const tools = page.locator('#drift .metric[data-metric="tools"][data-window="1h"]');
  await tools.locator("svg.drift-chart").waitFor();
  assert.equal(await tools.getAttribute("data-verdict"), "drift");
  const card = (await tools.textContent()) ?? "";
  assert.match(card, /tool mix/);
  assert.match(card, /drifted/);
  assert.match(card, /last 1h/);
  assert.match(card, /chi2: statistic [\d.e+]+ · p [\d.e+-]+ · q [\d.e+-]+ \(drift when q ≤ 0\.001\)/);
  assert.match(card, /baseline n=200, current n=500/);
  // The new tool has no baseline bar and a current bar of 300 / 500.
  const lookup = tools.locator('g.drift-row[data-label="lookup"]');
  assert.match((await lookup.textContent()) ?? "", /lookup: 0\.0% in the baseline.*lookup: 60\.0% in the current window/);
  assert.equal(Number(await lookup.locator("rect").first().getAttribute("width")), 0);
  assert.match((await page.textContent("#drift-status")) ?? "", /drifted: baseline 'normal' \(200 decisions/);
  // Drifted metrics come first.
  assert.equal(await page.locator("#drift .metric").first().getAttribute("data-verdict"), "drift");
  // The open alert names the metric that moved.
  assert.match((await page.textContent("#drift-alerts")) ?? "", /tools.*moved: chi2/s);
  await page.screenshot({ path: join(screenshots, "console-drift.png"), fullPage: true });
  assert.deepEqual(await layoutProblems(page), []);
  assert.deepEqual(errors, []);
});
