import assert from "node:assert/strict";
// Chromium for the browser suites: Debian's binary (test/run.ts finds it), the flags that keep
// it off the network, a fresh profile per launch, and where screenshots go.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import type { BrowserContext, Page } from "playwright-core";
import { chromiumPath, repoRoot } from "../../test/support.ts";

/** test-output/screenshots (gitignored). */
export const screenshots = join(repoRoot, "test-output", "screenshots");

const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** A Chromium context on a fresh profile; `close` also removes the profile. */
export async function launch(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  mkdirSync(screenshots, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), "palisade-chromium-"));
  const context = await chromium.launchPersistentContext(profile, { executablePath: chromiumPath(), headless: true, args: FLAGS, viewport: { width: 1400, height: 900 } });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Things wrong with how a page shows: text out of its box, text below 4.5:1 contrast, a page wider than its window. */
export async function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > window.innerWidth + 1) out.push(`the page is ${doc.scrollWidth}px wide in a ${window.innerWidth}px window`);
    const lum = (c: number[]): number => {
      const [r, g, b] = c.map((v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const rgba = (s: string): number[] => (s.match(/[\d.]+/g) ?? []).map(Number);
    const background = (e: Element | null): number[] => {
      for (let x = e; x; x = x.parentElement) {
        const c = rgba(getComputedStyle(x).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    // A scrolling or clipping ancestor is a deliberate box: text may run past its own parent inside it.
    const scroller = (e: Element): Element | null => {
      for (let x: Element | null = e; x && x !== document.body; x = x.parentElement) {
        const s = getComputedStyle(x);
        if (/(auto|scroll)/.test(s.overflowX) || x.tagName === "PRE" || x.classList.contains("cm-editor")) return x;
      }
      return null;
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const seen = new Set<Element>();
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = (n.textContent ?? "").trim();
      const e = n.parentElement;
      if (!text || !e || seen.has(e)) continue;
      const style = getComputedStyle(e);
      if (style.visibility === "hidden" || style.display === "none" || e.closest("[hidden], dialog:not([open]), details:not([open]) > :not(summary), .sr-only, .sr-live, svg, .cm-editor")) continue;
      const range = document.createRange();
      range.selectNodeContents(n);
      const r = range.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      seen.add(e);
      const box = e.getBoundingClientRect();
      const inScroller = scroller(e) !== null;
      if (!inScroller && (r.right > box.right + 1.5 || r.left < box.left - 1.5) && style.textOverflow !== "ellipsis") out.push(`text overflows its box: <${e.tagName.toLowerCase()} class="${e.className}">${text.slice(0, 60)}</${e.tagName.toLowerCase()}> (${Math.round(r.right - box.right)}px)`);
      if (!inScroller && r.right > window.innerWidth + 1) out.push(`text runs off the window: ${text.slice(0, 60)}`);
      const fg = rgba(style.color);
      const bg = background(e);
      const [hi, lo] = [lum(fg.slice(0, 3)), lum(bg)].sort((a, b) => b - a);
      const ratio = (hi + 0.05) / (lo + 0.05);
      const large = parseFloat(style.fontSize) >= 24 || (parseFloat(style.fontSize) >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5) && !(e as HTMLButtonElement).disabled && !e.closest("button:disabled")) out.push(`contrast ${ratio.toFixed(2)}:1 for "${text.slice(0, 40)}" (${style.color} on rgb(${bg.join(",")}))`);
    }
    return out;
  });
}

/** Collects pageerrors and Content-Security-Policy violations on `page` into the returned list. */
export async function watch(page: Page): Promise<string[]> {
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy|Refused to|CSP/.test(m.text())) problems.push(m.text());
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
  return problems;
}

/** Screenshots the page as `name`, then asserts it shows no layout problem and logged no error (`problems` from watch()). */
export async function checkPage(page: Page, problems: readonly string[], name: string): Promise<void> {
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
  assert.deepEqual(await layoutProblems(page), [], name);
  assert.deepEqual(problems, [], name);
}
