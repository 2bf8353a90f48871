// Reports an auditor reads and prints, in real Chromium: for every framework's HTML report of the
// seeded sample agent, a screenshot (test-output/screenshots/report-<framework>.png) and layout
// checks at a desktop and a narrow width — no text spilling out of its box, no word broken
// across lines, counts with thousands separators — then a long list of exceptions paged on
// screen and printed whole.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { launch, screenshots } from "../../../playground/test/browser.ts";
import type { AuditRecord } from "../../audit/index.ts";
import { FRAMEWORK_NAMES } from "../catalogue.ts";
import { toHtml } from "../html.ts";
import { decision, reportOf, writeLog } from "./logs.ts";
import { seedLog } from "./seed.ts";
import type { SeededLog } from "./seed.ts";
import { palisade } from "./support.ts";

let seed: SeededLog;
let browser: Awaited<ReturnType<typeof launch>>;
const dirs: string[] = [];
before(async () => {
  seed = await seedLog(1);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  rmSync(seed.dir, { recursive: true, force: true });
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** What the page's layout gets wrong: boxes whose text spills out, words split across lines, counts without separators. */
async function layoutProblems(page: Page, wide: boolean): Promise<string[]> {
  return page.evaluate((wide) => {
    const out: string[] = [];
    const name = (el: Element) => `${el.tagName.toLowerCase()}${el.className ? `.${String(el.className).split(" ")[0]}` : ""} "${(el.textContent ?? "").trim().slice(0, 40)}"`;
    for (const el of document.querySelectorAll("td, th, p, li, h1, h2, h3, .card, .badge, summary")) {
      if (el.scrollWidth > el.clientWidth + 1) out.push(`overflows its box: ${name(el)} (${el.scrollWidth} > ${el.clientWidth})`);
    }
    if (document.documentElement.scrollWidth > window.innerWidth + 1) out.push(`the page scrolls sideways (${document.documentElement.scrollWidth} > ${window.innerWidth})`);
    if (wide) for (const w of document.querySelectorAll(".wrap")) if (w.scrollWidth > w.clientWidth + 1) out.push(`a table needs sideways scrolling at full width: ${name(w)}`);
    // A word is broken when its letters sit on more than one line.
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const parent = n.parentElement;
      if (!parent || parent.closest("pre, script, style, svg, details:not([open])") || parent.offsetParent === null) continue;
      const text = n.textContent ?? "";
      for (const m of text.matchAll(/\S+/g)) {
        const range = document.createRange();
        range.setStart(n, m.index);
        range.setEnd(n, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (tops.size > 1) out.push(`word broken across lines: "${m[0]}" in ${name(parent)}`);
      }
    }
    for (const td of document.querySelectorAll("td.n, .card b")) if (/\d{4,}/.test(td.textContent ?? "")) out.push(`count without thousands separators: ${name(td)}`);
    return out;
  }, wide);
}

describe("HTML reports in Chromium", () => {
  for (const framework of FRAMEWORK_NAMES) {
    test(`${framework}: screenshot, nothing spills, no broken words, separators`, async () => {
      const out = join(seed.dir, `${framework}.html`);
      const r = await palisade(["report", "--framework", framework, "--from", seed.from, "--to", seed.to, "--db", seed.db, "--out", out]);
      assert.equal(r.code, 0, r.stderr);
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      try {
        await page.goto(pathToFileURL(out).href);
        assert.deepEqual(await layoutProblems(page, true), []);
        await page.screenshot({ path: join(screenshots, `report-${framework}.png`), fullPage: true });
        await page.setViewportSize({ width: 760, height: 900 });
        assert.deepEqual(await layoutProblems(page, false), [], "at a narrow width");
        assert.deepEqual(errors, []);
      } finally {
        await page.close();
      }
    });
  }

  test("every exception is reachable: paged on screen, all of them in print", async () => {
    const records: AuditRecord[] = [];
    for (let i = 0; i < 1_234; i++) records.push(decision(new Date(Date.parse("2026-11-10T08:00:00Z") + i * 60_000).toISOString(), { decision: "deny", reasons: [{ rule: "palisade.hipaa.phi_access_by_role", effect: "deny", controls: ["hipaa:164.312(a)(1)"] }] }));
    for (let i = 0; i < 123; i++) records.push(decision(new Date(Date.parse("2026-11-12T08:00:00Z") + i * 60_000).toISOString(), { errors: [{ rule: "palisade.hipaa.phi_access_by_role", message: "type error" }] }));
    const l = await writeLog(records);
    dirs.push(l.dir);
    const report = await reportOf(l.db, "hipaa");
    const file = join(l.dir, "hipaa.html");
    writeFileSync(file, toHtml(report));
    const page = await browser.context.newPage();
    try {
      await page.goto(pathToFileURL(file).href);
      const table = page.locator("table.paged").first();
      const visible = () => table.locator("tbody tr:visible").count();
      assert.equal(await visible(), 50);
      const pager = page.locator(".pager").first();
      assert.match((await pager.textContent()) ?? "", /page 1 of 3 \(123 rows\)/);
      const seen = new Set<string>();
      for (let p = 0; p < 3; p++) {
        for (const t of await table.locator("tbody tr:visible td.entry").allTextContents()) seen.add(t);
        if (p < 2) await pager.getByRole("button", { name: "next ›" }).click();
      }
      assert.equal(seen.size, 123, "every exception is on some page");
      assert.deepEqual(await layoutProblems(page, true), []);
      await page.screenshot({ path: join(screenshots, "report-hipaa-exceptions.png"), fullPage: true });
      await page.emulateMedia({ media: "print" });
      assert.equal(await visible(), 123, "print shows every row");
      assert.equal(await page.locator(".pager:visible").count(), 0);
      await page.pdf({ path: join(screenshots, "report-hipaa-exceptions.pdf"), format: "A4" });
    } finally {
      await page.close();
    }
  });
});
