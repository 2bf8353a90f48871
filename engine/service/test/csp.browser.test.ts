// The pages work under the service's Content-Security-Policy in real Chromium: the playground
// checks and evaluates a policy, the console loads its panels, and the browser reports no
// violation of the policy (an inline script or a foreign origin would be one).
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { ensurePlayground } from "../../../playground/build.ts";
import { launch } from "../../../playground/test/browser.ts";
import { startHarness, toolCall } from "./harness.ts";
import type { Harness } from "./harness.ts";

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

it("runs the playground and the console with no CSP violation", async () => {
  await h.call("POST", "/v1/decide", "agent", toolCall("export", {}, "csp-1"));
  for (const [path, ready] of [["/playground", ".cm-content"], ["/console#key=k-admin", "button.approve"]] as const) {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(`error: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error" && /Content Security Policy|Refused to/.test(m.text())) problems.push(m.text());
    });
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) => console.error(`Refused to load: CSP ${e.violatedDirective} ${e.blockedURI}`));
    });
    const res = await page.goto(h.url + path);
    // Only the playground, which compiles policies in the page, may evaluate generated code.
    assert.match(res?.headers()["content-security-policy"] ?? "", path === "/playground" ? /script-src 'self' 'unsafe-eval';/ : /script-src 'self';/);
    await page.waitForSelector(ready, { timeout: 15_000 });
    if (path === "/playground") {
      // Evaluating compiles the policy to JavaScript in the page: the CSP must allow that here.
      await page.click("#evaluate");
      await page.waitForFunction(() => (document.querySelector("#verdict")?.textContent ?? "") !== "", undefined, { timeout: 15_000 });
    }
    // Give late work (styles injected by the editor, the console's first polls) a moment.
    await page.waitForTimeout(500);
    assert.deepEqual(problems, [], path);
    await page.close();
  }
});
