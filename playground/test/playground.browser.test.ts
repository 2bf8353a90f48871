// The playground in real Chromium: type a policy, see the diagnostic inline, fix it, evaluate,
// see the decision; run the test blocks; the share link round-trips.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { startHarness } from "../../engine/service/test/harness.ts";
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

const BROKEN = `package demo

rule no_shell on tool_call {
  when tool.nme == "shell"
  then deny "no shell"
}
`;

it("checks as you type, evaluates in the browser and runs the tests", async () => {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${h.url}/playground`);
  await page.waitForSelector("#policy .cm-content");
  await page.click("#policy .cm-content");
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.type(BROKEN, { delay: 0 });
  const diag = await page.waitForSelector("#diagnostics li.error");
  assert.match((await diag.textContent()) ?? "", /nme/);
  await page.waitForSelector(".cm-lintRange-error");
  await page.screenshot({ path: join(screenshots, "playground-diagnostic.png") });

  // Fix the typo where it is: select the bad name and retype it.
  await page.locator("#policy .cm-content").getByText("tool.nme").first().dblclick();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.type(BROKEN.replace("tool.nme", "tool.name"), { delay: 0 });
  await page.waitForSelector("#status.good");
  assert.equal(await page.locator("#diagnostics li.error").count(), 0);

  await page.selectOption("#phase", "tool_call");
  await page.evaluate(() => (window as unknown as { palisade: { input: { dispatch(x: unknown): void; state: { doc: { length: number } } } } }).palisade.input.dispatch({ changes: { from: 0, to: (window as unknown as { palisade: { input: { state: { doc: { length: number } } } } }).palisade.input.state.doc.length, insert: '{"tool": {"name": "shell", "args": {"cmd": "ls"}}}' } }));
  await page.click("#evaluate");
  assert.equal(await page.textContent("#verdict"), "deny");
  assert.match((await page.textContent("#fired")) ?? "", /deny by demo\.no_shell: no shell/);
  await page.screenshot({ path: join(screenshots, "playground-decision.png") });

  // Back to the example: its tests run with one click, and formatting keeps it checking.
  await page.evaluate(() => (window as unknown as { palisade: { setPolicy(t: string): void } }).palisade.setPolicy('package x\nrule   r on output {then redact pii.email in output.text with "[E]"}\ntest "masks" { on output { output: { text: "a@b.co" } }\n expect payload.output.text == "[E]" }\n'));
  await page.click("#format");
  const formatted = await page.evaluate(() => (window as unknown as { palisade: { policy: { state: { doc: { toString(): string } } } } }).palisade.policy.state.doc.toString());
  assert.match(formatted, /^rule r on output \{$/m);
  await page.click("#tests");
  assert.equal(await page.textContent("#test-summary"), "1 passed, 0 failed");

  await page.click("#share");
  const link = await page.inputValue("#share-link");
  assert.match(link, /#s=/);
  const second = await browser.context.newPage();
  await second.goto(link);
  await second.waitForSelector("#policy .cm-content");
  const restored = await second.evaluate(() => (window as unknown as { palisade: { policy: { state: { doc: { toString(): string } } } } }).palisade.policy.state.doc.toString());
  assert.equal(restored, formatted);
  await page.screenshot({ path: join(screenshots, "playground-tests.png") });
  assert.deepEqual(errors, []);
});
