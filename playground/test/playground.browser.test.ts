// The playground in real Chromium: type a policy, see the diagnostic inline, fix it; the decision
// follows every change and disappears while the policy has errors; each rule says whether it
// fired and why; the payload's changes; the examples picker; line wrapping; a narrow window; the
// share link round-trips every state, and a link with an unknown phase or a damaged one says so.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, it } from "node:test";
import type { Page } from "playwright-core";
import { startHarness } from "../../engine/service/test/harness.ts";
import type { Harness } from "../../engine/service/test/harness.ts";
import { ensurePlayground } from "../build.ts";
import { encodeShare } from "../src/share.ts";
import { launch, layoutProblems, screenshots, watch } from "./browser.ts";

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

type Win = { palisade: { policy: { state: { doc: { toString(): string } } }; input: { state: { doc: { toString(): string } } }; setPolicy(t: string): void; setInput(t: string): void } };
const setInput = (page: Page, t: string) => page.evaluate((x) => (window as unknown as Win).palisade.setInput(x), t);
const setPolicy = (page: Page, t: string) => page.evaluate((x) => (window as unknown as Win).palisade.setPolicy(x), t);
const docs = (page: Page) => page.evaluate(() => [(window as unknown as Win).palisade.policy.state.doc.toString(), (window as unknown as Win).palisade.input.state.doc.toString()]);

async function open(path = "/playground", viewport?: { width: number; height: number }): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  page.setDefaultTimeout(10_000);
  const problems = await watch(page);
  await page.goto(h.url + path);
  await page.waitForSelector("#policy .cm-content");
  return { page, problems };
}

it("checks as you type; the verdict follows every change and is gone while the policy has errors", async () => {
  const { page, problems } = await open();
  await page.waitForSelector("#verdict.require_approval");
  await page.click("#policy .cm-content");
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.type(BROKEN, { delay: 0 });
  const diag = await page.waitForSelector("#diagnostics li.error");
  assert.match((await diag.textContent()) ?? "", /nme/);
  await page.waitForSelector(".cm-lintRange-error");
  // No stale verdict: the old one went with the error.
  await page.waitForSelector("#no-verdict");
  assert.equal(await page.locator("#verdict").count(), 0);
  assert.match((await page.textContent("#no-verdict")) ?? "", /policy has errors/);
  await page.screenshot({ path: join(screenshots, "playground-diagnostic.png") });

  await setPolicy(page, BROKEN.replace("tool.nme", "tool.name"));
  await page.waitForSelector("#status.good");
  await setInput(page, '{"tool": {"name": "shell", "args": {"cmd": "ls"}}}');
  await page.waitForSelector("#verdict.deny");
  assert.match((await page.textContent('#explain [data-rule="demo.no_shell"]')) ?? "", /deny: no shell/);
  // The input stops being JSON: no verdict either.
  await setInput(page, '{"tool": ');
  await page.waitForSelector("#no-verdict");
  assert.match((await page.textContent("#no-verdict")) ?? "", /not JSON/);

  // Formatting and the file's tests.
  await setPolicy(page, 'package x\nrule   r on output {then redact pii.email in output.text with "[E]"}\ntest "masks" { on output { output: { text: "a@b.co" } }\n expect payload.output.text == "[E]" }\n');
  await page.click("#format");
  assert.match((await docs(page))[0], /^rule r on output \{$/m);
  await page.click("#tests");
  assert.equal(await page.textContent("#test-summary"), "1 passed, 0 failed");
  assert.deepEqual(problems, []);
  await page.close();
});

it("explains every rule, shows what the transforms changed, and loads examples from the picker", async () => {
  const { page, problems } = await open();
  await page.waitForSelector("#verdict.require_approval");
  const why = async (rule: string) => [await page.getAttribute(`#explain [data-rule="${rule}"]`, "data-status"), (await page.textContent(`[data-rule="${rule}"]`)) ?? ""] as const;
  let [status, text] = await why("acme.support.large_refund");
  assert.equal(status, "fired");
  assert.match(text, /require_approval: Refund of 900 exceeds 500/);
  [status, text] = await why("acme.support.no_shell");
  assert.equal(status, "not fired");
  assert.match(text, /`tool\.name == "shell"` does not hold \(tool\.name is "refund"\)/);
  assert.equal(await page.getAttribute('[data-rule="acme.support.mask_pii"]', "data-status"), "other phase");
  assert.match((await page.textContent('[data-rule="acme.support.mask_pii"]')) ?? "", /runs on output, not on tool_call/);
  await page.screenshot({ path: join(screenshots, "playground-explain.png"), fullPage: true });

  // Below the limit, and a supervisor: the reasons change with the input.
  const input = JSON.parse((await docs(page))[1]) as { tool: { args: { amount: number } }; principal: { roles: string[] } };
  input.tool.args.amount = 90;
  await setInput(page, JSON.stringify(input));
  await page.waitForSelector("#verdict.allow");
  assert.match((await why("acme.support.large_refund"))[1], /`tool\.args\.amount > MAX_REFUND` does not hold \(tool\.args\.amount is 90, MAX_REFUND is 500\)/);
  input.tool.args.amount = 900;
  input.principal.roles = ["supervisor"];
  await setInput(page, JSON.stringify(input));
  await page.waitForSelector('[data-rule="acme.support.large_refund"]:has-text("unless")');
  assert.match((await why("acme.support.large_refund"))[1], /unless: `principal\.roles contains "supervisor"` holds/);

  const expected = ["require_approval", "deny", "allow", "deny", "deny"];
  const names = await page.locator("#example option:not([hidden])").allTextContents();
  assert.equal(names.length, expected.length);
  for (let i = 0; i < names.length; i++) {
    await page.selectOption("#example", String(i));
    await page.waitForSelector(`#verdict.${expected[i]}`);
    assert.equal(await page.locator("#diagnostics li.error").count(), 0, names[i]);
  }
  await page.selectOption("#example", "2");
  await page.waitForSelector("#payload-diff");
  assert.match((await page.textContent("#payload-diff")) ?? "", /output\.text.*"Your receipt went to ann@example\.com".*"Your receipt went to \[EMAIL\]"/s);
  await page.screenshot({ path: join(screenshots, "playground-diff.png"), fullPage: true });
  assert.deepEqual(await layoutProblems(page), []);
  assert.deepEqual(problems, []);
  await page.close();
});

it("wraps long lines, lays out in a narrow window, and has a favicon", async () => {
  const { page, problems } = await open("/playground", { width: 390, height: 844 });
  await page.waitForSelector("#verdict");
  await setInput(page, JSON.stringify({ tool: { name: "refund", args: { amount: 900, note: "x".repeat(400) } } }));
  await page.waitForSelector("#verdict.require_approval");
  const scroll = await page.locator("#input .cm-scroller").evaluate((e) => e.scrollWidth - e.clientWidth);
  assert.ok(scroll <= 1, `the input editor scrolls sideways by ${scroll}px`);
  const [a, b] = await page.locator("main > section").evaluateAll((ss) => ss.map((s) => s.getBoundingClientRect().toJSON() as DOMRect));
  assert.ok(b.top >= a.bottom, "the sections stack in a narrow window");
  await page.screenshot({ path: join(screenshots, "playground-narrow.png"), fullPage: true });
  assert.deepEqual(await layoutProblems(page), []);
  const icon = await page.getAttribute('link[rel="icon"]', "href");
  const res = await fetch(h.url + icon);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /image\/svg\+xml/);
  assert.deepEqual(problems, []);
  await page.close();
});

it("round-trips every state through the share link, and says when a link cannot be followed", async () => {
  const { page } = await open();
  await page.selectOption("#example", "3");
  await page.waitForSelector("#verdict.deny");
  await setInput(page, JSON.stringify({ tool: { name: "fetch_page", args: {}, result: { body: "fine" } } }, null, 1));
  await page.waitForSelector("#verdict.allow");
  await page.click("#share");
  const link = await page.inputValue("#share-link");
  const before = await docs(page);
  const { page: second, problems } = await open(link.slice(h.url.length));
  await second.waitForSelector("#verdict.allow");
  assert.deepEqual(await docs(second), before);
  assert.equal(await second.inputValue("#phase"), "tool_result");
  assert.equal(await second.isHidden("#notice"), true);
  assert.deepEqual(problems, []);

  const unknown = await open(`/playground#${encodeShare({ policy: before[0], phase: "tool_use", input: "{}" })}`);
  assert.equal(await unknown.page.inputValue("#phase"), "tool_call");
  assert.match((await unknown.page.textContent("#notice")) ?? "", /phase "tool_use" is not one this playground knows.*tool_call is shown instead/);
  assert.equal((await docs(unknown.page))[0], before[0]);
  await unknown.page.screenshot({ path: join(screenshots, "playground-unknown-phase.png") });
  const damaged = await open(`/playground${link.slice(link.indexOf("#"), -20)}`);
  assert.match((await damaged.page.textContent("#notice")) ?? "", /damaged/);
  await damaged.page.waitForSelector("#verdict.require_approval");
  for (const p of [page, second, unknown.page, damaged.page]) await p.close();
});
