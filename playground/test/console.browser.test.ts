// The console in real Chromium: a client's refund waits for approval; an operator approves it in
// the console's queue and the waiting client proceeds; the session view shows every step.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { startHarness, toolCall } from "../../engine/service/test/harness.ts";
import type { Harness } from "../../engine/service/test/harness.ts";
import { ensurePlayground } from "../build.ts";
import { launch, screenshots } from "./browser.ts";

let h: Harness;
let browser: Awaited<ReturnType<typeof launch>>;
before(async () => {
  h = await startHarness({ pagesDir: await ensurePlayground() });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await h?.close();
});

it("approves a pending request and the waiting client proceeds", async () => {
  await h.call("POST", "/v1/decide", "agent", toolCall("search", { q: "order" }, "run-7"));
  await h.call("POST", "/v1/decide", "agent", { phase: "output", session: "run-7", input: { output: { text: "mail ann@example.com" } } });
  const asked = await h.call("POST", "/v1/decide", "agent", toolCall("refund", { amount: 900 }, "run-7"));
  assert.equal(asked.body.decision, "require_approval");
  const id = asked.body.approval.id as string;
  await h.service.checkpoint();
  let proceeded = false;
  const waiting = h.call("GET", `/v1/approvals/${id}?wait=30`, "agent").then((r) => {
    proceeded = true;
    return r;
  });

  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${h.url}/console#key=k-admin`);
  await page.waitForSelector(`button.approve[data-id="${id}"]`);
  await page.waitForSelector("#audit-verification.good");
  await page.fill("#session-id", "run-7");
  await page.click("#session-go");
  await page.waitForSelector("#session li");
  assert.match((await page.textContent("#session")) ?? "", /output\.text: "mail ann@example\.com" → "mail \[EMAIL\]"/);
  await page.screenshot({ path: join(screenshots, "console-pending.png"), fullPage: true });
  assert.equal(proceeded, false);

  // The queue re-renders every second: a locator finds the button afresh.
  await page.locator(`button.approve[data-id="${id}"]`).click();
  const outcome = await waiting;
  assert.equal(outcome.body.status, "approved");
  assert.equal(outcome.body.outcome, "allow");
  assert.equal(outcome.body.decidedBy, "alice");
  await page.waitForSelector("#no-approvals");
  assert.match((await page.textContent("#approval-result")) ?? "", /approved/);
  await page.selectOption("#f-decision", "require_approval");
  await page.waitForFunction(() => [...document.querySelectorAll("#decisions tr")].slice(1).every((r) => r.classList.contains("d-require_approval")));
  await page.screenshot({ path: join(screenshots, "console-approved.png"), fullPage: true });
  assert.deepEqual(errors, []);
});
