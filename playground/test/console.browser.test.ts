// The console in real Chromium, tried as an operator would, one test per view: without a key and
// with a bad one; the overview; approvals (what is approved, a note, a confirmation, the waiting
// client proceeding, the history, live arrival); a session's timeline; a decision's proof checked
// in the page (pinned keys, a tampered entry, witness cosignatures); live decisions, times and the
// keyboard. Every view is screenshotted and checked for overflowing text, contrast and CSP.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, it } from "node:test";
import type { Page } from "playwright-core";
import { cosignatureLine, cosignatureVerifierKey, generateKey, parseSignerKey } from "../../engine/audit/index.ts";
import { startHarness, toolCall } from "../../engine/service/test/harness.ts";
import type { Harness } from "../../engine/service/test/harness.ts";
import { ensurePlayground } from "../build.ts";
import { checkPage, launch, layoutProblems, screenshots, watch } from "./browser.ts";
import { send, sessionRequests } from "./seed.ts";

let h: Harness;
let browser: Awaited<ReturnType<typeof launch>>;
let page: Page;
let problems: string[];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let refundId = "";
let outputId = "";

before(async () => {
  h = await startHarness({ pagesDir: await ensurePlayground() });
  browser = await launch();
  await send(h.call, "admin", sessionRequests(40, "bulk", 3, 0));
  // One session sent step by step, as an agent would, with time between the steps.
  const steps: Record<string, unknown>[] = [
    { phase: "input", session: "run-7", environment: "production", input: { agent: { id: "shop-bot" }, principal: { id: "ann" }, input: { text: "refund my order A-1042", attachments: [] } } },
    { phase: "model_call", session: "run-7", environment: "production", input: { agent: { id: "shop-bot" }, principal: { id: "ann" }, model: { provider: "openai", name: "gpt-4o", messages: [], tokens: 300 } } },
    toolCall("search", { q: "order A-1042" }, "run-7", "ann"),
    { phase: "tool_result", session: "run-7", environment: "production", input: { agent: { id: "shop-bot" }, principal: { id: "ann" }, tool: { name: "search", args: { q: "order A-1042" }, result: { status: "shipped" } } } },
    { phase: "output", session: "run-7", environment: "production", input: { agent: { id: "shop-bot" }, principal: { id: "ann" }, output: { text: "we wrote to ann@example.com about A-1042" } } },
  ];
  for (const s of steps) {
    const r = await h.call("POST", "/v1/decide", "agent", s);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    if (s.phase === "output") outputId = r.body.id;
    await sleep(120);
  }
  // What an operator meets in the wild: ids, names and values with no place to break a line.
  const long = (c: string, n: number) => c.repeat(n);
  await h.call("POST", "/v1/decide", "admin", { phase: "tool_call", environment: "production", session: `long-${long("x", 180)}`, input: { agent: { id: "shop-bot" }, principal: { id: long("p", 150) }, tool: { name: `t${long("o", 120)}`, args: { [long("k", 90)]: long("v", 600) } } } });
  await h.call("POST", "/v1/decide", "admin", { phase: "output", environment: "production", session: `long-${long("x", 180)}`, input: { agent: { id: "shop-bot" }, principal: { id: long("p", 150) }, output: { text: `${long("w", 900)} mail ${long("a", 60)}@example.com` } } });
  await h.call("POST", "/v1/decide", "admin", { phase: "tool_call", environment: "production", session: `long-${long("x", 180)}`, input: { agent: { id: "shop-bot" }, principal: { id: long("p", 150) }, tool: { name: "export", args: { [long("q", 200)]: long("z", 700) } } } });
  page = await browser.context.newPage();
  page.setDefaultTimeout(10_000);
  problems = await watch(page);
});
after(async () => {
  await browser?.close();
  await h?.close();
});

const check = (name: string): Promise<void> => checkPage(page, problems, name);

it("says what to do without a key, with a refused key, and takes a pasted #key= link in an open console", async () => {
  await page.goto(`${h.url}/console`);
  await page.waitForSelector("#need-key");
  assert.match((await page.textContent("#need-key")) ?? "", /admin key.*palisade keys create/s);
  await check("console-no-key");
  await page.fill("#key", "k-wrong");
  await page.press("#key", "Enter");
  await page.waitForSelector("#status:not([hidden])");
  assert.match((await page.textContent("#status")) ?? "", /the key was refused.*paste a valid admin key/);
  await page.waitForSelector("#audit .error-state");
  // No panel is left blank and none shows a bare status code.
  for (const id of ["#outcomes", "#audit", "#drift", "#environments"]) assert.doesNotMatch((await page.textContent(id)) ?? "", /^\s*$|^HTTP \d+$/, id);
  // A link pasted into the open tab: the key is taken and removed from the address.
  await page.evaluate(() => (location.hash = "#key=k-admin"));
  await page.waitForSelector("#audit-verification");
  assert.equal(new URL(page.url()).hash, "");
  assert.equal(await page.isHidden("#status"), true);
});

it("overview: waiting requests, outcomes over time, top rules, the audit log, drift and environments", async () => {
  const asked = await h.call("POST", "/v1/decide", "agent", toolCall("refund", { amount: 900, order: "A-1042" }, "run-7", "ann"));
  assert.equal(asked.body.decision, "require_approval");
  refundId = asked.body.approval.id;
  await h.service.checkpoint();
  await page.goto(`${h.url}/console#/overview`);
  await page.waitForSelector(`#approvals [data-approval="${refundId}"]`);
  await page.waitForSelector("#outcomes svg.outcome-chart rect");
  // The service's check of its own log is its word, said as such until a log key is pinned.
  await page.waitForSelector('#audit-verification[data-trust="service"]');
  assert.match((await page.textContent("#audit-verification")) ?? "", /^the service reports: verified: .*Not checked against a key of yours/);
  const totals = (await page.textContent("#totals")) ?? "";
  assert.match(totals, /\d+ decisions from .* denied .* allowed/);
  assert.ok((await page.locator("#outcomes rect.bar-deny").count()) > 0);
  assert.match((await page.textContent("#top-rules")) ?? "", /shop\.no_shell/);
  await page.waitForSelector("#drift #drift-status");
  assert.match((await page.textContent("#drift")) ?? "", /drift is off on this service/i);
  assert.match((await page.textContent("#environments")) ?? "", /No environments configured.*This node decides with policy/s);
  assert.equal(await page.getAttribute('nav a[data-view="overview"]', "aria-current"), "page");
  await check("console-overview");
});

it("approvals: the arguments and why, a note and a confirmation, the client proceeds, the history, live arrivals", async () => {
  let proceeded = false;
  const waiting = h.call("GET", `/v1/approvals/${refundId}?wait=30`, "agent").then((r) => {
    proceeded = true;
    return r;
  });
  await page.goto(`${h.url}/console#/approvals`);
  const card = page.locator(`[data-approval="${refundId}"]`);
  await card.waitFor();
  const text = (await card.textContent()) ?? "";
  assert.match(text, /refund/);
  assert.match(text, /"amount": 900/);
  assert.match(text, /"order": "A-1042"/);
  assert.match(text, /require_approval by shop\.big_refund: refund of 900/);
  assert.match(text, /role supervisor/);
  await card.locator("details.recent summary").click();
  await card.locator(".steps-mini li").first().waitFor();
  assert.match((await card.locator(".recent-steps").textContent()) ?? "", /search.*output/s);
  await check("console-approvals-pending");

  // Cancelling the confirmation answers nothing.
  await card.locator("textarea.note-field").fill("customer verified by phone");
  await card.locator("button.approve").click();
  await page.waitForSelector("dialog#confirm[open]");
  assert.match((await page.textContent("#confirm")) ?? "", /Approve refund for shop-bot in production\?.*"amount": 900/s);
  await page.screenshot({ path: join(screenshots, "console-approvals-confirm.png") });
  await page.keyboard.press("Escape");
  await sleep(300);
  assert.equal(proceeded, false);
  assert.equal((await h.call("GET", `/v1/approvals/${refundId}`, "admin")).body.status, "pending");

  // A request filed meanwhile appears without a reload, and the note typed survives the refreshes.
  const second = await h.call("POST", "/v1/decide", "agent", toolCall("export", { table: "customers" }, "run-9"));
  await page.waitForSelector(`[data-approval="${second.body.approval.id}"]`);
  assert.equal(await card.locator("textarea.note-field").inputValue(), "customer verified by phone");

  await card.locator("button.approve").click();
  await page.waitForSelector("dialog#confirm[open]");
  assert.equal(await page.inputValue("#confirm-note"), "customer verified by phone");
  await page.click("button.approve-confirm");
  const outcome = await waiting;
  assert.equal(outcome.body.status, "approved");
  assert.equal(outcome.body.decidedBy, "alice");
  assert.equal(outcome.body.note, "customer verified by phone");
  await page.waitForSelector(`#approval-history tr[data-answered="${refundId}"]`);
  assert.match((await page.textContent(`#approval-history tr[data-answered="${refundId}"]`)) ?? "", /approved.*alice.*customer verified by phone.*refund/s);
  assert.equal(await page.locator(`#approvals [data-approval="${refundId}"]`).count(), 0);

  // Rejecting, with the keyboard alone.
  const exportCard = page.locator(`[data-approval="${second.body.approval.id}"]`);
  await exportCard.locator("button.reject").focus();
  await page.keyboard.press("Enter");
  await page.waitForSelector("dialog#confirm[open]");
  await page.keyboard.type("exports need a ticket");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await page.waitForSelector(`#approval-history tr[data-answered="${second.body.approval.id}"]`);
  assert.match((await page.textContent(`#approval-history tr[data-answered="${second.body.approval.id}"]`)) ?? "", /rejected.*alice.*exports need a ticket/s);
  // The request with the overlong values, answered elsewhere: it leaves, and the queue is empty.
  const rest = (await h.call("GET", "/v1/approvals?status=pending", "admin")).body.approvals as { id: string }[];
  assert.equal(rest.length, 1);
  await h.call("POST", "/v1/approvals", "admin", { id: rest[0].id, action: "reject" });
  await page.waitForSelector("#no-approvals");
  await check("console-approvals-history");
});

it("approvals: two operators on one request — the later one learns who answered first, and nothing of theirs is recorded", async () => {
  const ask = async (amount: number) => (await h.call("POST", "/v1/decide", "agent", toolCall("refund", { amount, order: `B-${amount}` }, "run-race"))).body.approval.id as string;
  const [one, two] = [await ask(700), await ask(800)];
  const bob = await browser.context.newPage();
  bob.setDefaultTimeout(10_000);
  const bobProblems = await watch(bob);
  await bob.goto(`${h.url}/console#/approvals?key=k-supervisor`);
  await page.goto(`${h.url}/console#/approvals`);
  // sam (a supervisor) has the confirmation open when alice answers first.
  await bob.locator(`[data-approval="${one}"] button.approve`).click();
  await bob.waitForSelector("dialog#confirm[open]");
  await bob.fill("#confirm-note", "looked fine to me");
  await page.locator(`[data-approval="${one}"] button.reject`).click();
  await page.fill("#confirm-note", "duplicate refund");
  await page.click("button.reject-confirm");
  await bob.waitForSelector("#confirm-stale");
  assert.match((await bob.textContent("#confirm-stale")) ?? "", /Already rejected by alice at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \(note: duplicate refund\)/);
  assert.equal(await bob.isDisabled("button.approve-confirm"), true);
  await bob.screenshot({ path: join(screenshots, "console-approvals-race-dialog.png") });
  await bob.keyboard.press("Escape");
  assert.match((await bob.textContent(`#notices [data-notice="${one}"]`)) ?? "", /refund for shop-bot in production \(session run-race\) was rejected by alice at .* while it was on your screen/);

  // sam confirms in the instant alice answers, before his page has heard of it: the service
  // refuses the second answer (409) and the page says whose answer stands.
  await bob.route("**/v1/approvals", async (r) => {
    if (r.request().method() === "GET") await sleep(3000);
    await r.continue().catch(() => {});
  });
  await bob.locator(`[data-approval="${two}"] button.approve`).click();
  await bob.fill("#confirm-note", "ok by me");
  const first = await h.call("POST", "/v1/approvals", "admin", { id: two, action: "reject", note: "fraud" });
  assert.equal(first.status, 200);
  await bob.click("button.approve-confirm");
  await bob.waitForSelector(`#notices [data-notice="${two}"]`);
  assert.match((await bob.textContent(`#notices [data-notice="${two}"]`)) ?? "", /was rejected by alice at .*\(note: fraud\).*Your approval was not recorded, nor your note "ok by me"\./);
  const stands = (await h.call("GET", `/v1/approvals/${two}`, "admin")).body;
  assert.deepEqual([stands.status, stands.decidedBy, stands.note], ["rejected", "alice", "fraud"]);
  await bob.unroute("**/v1/approvals");
  await bob.waitForSelector(`#approval-history tr[data-answered="${two}"]`);
  await bob.screenshot({ path: join(screenshots, "console-approvals-race.png"), fullPage: true });
  assert.deepEqual(await layoutProblems(bob), []);
  assert.deepEqual(bobProblems, []);
  await bob.close();

  // A key pasted into the open console: nothing read with the previous key stays on screen.
  const waiting = await h.call("POST", "/v1/decide", "agent", toolCall("refund", { amount: 650 }, "run-race"));
  await page.goto(`${h.url}/console#/sessions`);
  await page.waitForSelector("#pending-count:not([hidden])");
  await page.waitForSelector("#sessions tr[data-session]");
  await page.evaluate(() => (location.hash = "#/sessions?key=k-agent"));
  await page.waitForSelector("#status:not([hidden])");
  assert.match((await page.textContent("#status")) ?? "", /this key may not read this/);
  assert.equal(await page.locator("#sessions tr[data-session]").count(), 0);
  assert.equal(await page.isHidden("#pending-count"), true);
  await page.evaluate(() => (location.hash = "#/approvals?key=k-admin"));
  await page.waitForSelector(`[data-approval="${waiting.body.approval.id}"]`);
  await h.call("POST", "/v1/approvals", "admin", { id: waiting.body.approval.id, action: "reject" });
});

it("session: a timeline of every phase with durations, rules, the transform's diff, the approval's answer, JSON", async () => {
  await page.goto(`${h.url}/console#/sessions`);
  await page.waitForSelector('#sessions tr[data-session="run-7"]');
  await page.click('#sessions tr[data-session="run-7"] a');
  await page.waitForSelector("ol.timeline > li");
  const steps = page.locator("ol.timeline > li");
  assert.deepEqual(await steps.evaluateAll((ls) => ls.map((l) => (l as HTMLElement).dataset.phase)), ["input", "model_call", "tool_call", "tool_result", "output", "tool_call"]);
  const gaps = await page.locator("ol.timeline .gap-text").allTextContents();
  assert.equal(gaps.length, 5);
  for (const g of gaps.slice(0, 4)) assert.match(g, /next step after (1\d\d|[2-9]\d\d) ms|next step after \d\.\d\d s/);
  const output = page.locator(`li[data-step="${outputId}"]`);
  assert.match((await output.locator("table.diff").textContent()) ?? "", /output\.text.*"\[sealed\]".*"\[sealed\]"/s);
  assert.match((await output.textContent()) ?? "", /redact by shop\.mask_email/);
  const refund = steps.last();
  assert.match((await refund.locator(".approval-answer").textContent()) ?? "", /approved by alice.*note: customer verified by phone/s);
  assert.equal(await refund.locator(".approval-answer").getAttribute("data-status"), "approved");
  assert.match((await page.textContent("#session-head")) ?? "", /shop-bot.*production.*6: .*approval/s);
  await output.locator("details.payloads > summary").click();
  assert.match((await output.locator('[data-json="payload after transforms"]').textContent()) ?? "", /\[sealed\]/);
  await check("console-session");
  await page.goto(`${h.url}/console#/session/no-such-session`);
  await page.waitForSelector("#no-steps");
  await check("console-session-empty");
  await page.goto(`${h.url}/console#/session/long-${"x".repeat(180)}`);
  await page.waitForSelector("ol.timeline > li");
  for (const d of await page.locator("details").all()) if (await d.isVisible()) await d.evaluate((e) => e.setAttribute("open", ""));
  await check("console-session-long-values");
});

it("sessions: two agents' sessions named alike are two rows, each opening its own steps", async () => {
  const twin = (agent: string, principal: string, tool: string) => h.call("POST", "/v1/decide", "admin", { phase: "tool_call", environment: "production", session: "twin", input: { agent: { id: agent }, principal: { id: principal }, tool: { name: tool, args: {} } } });
  for (const r of [await twin("shop-bot", "ann", "lookup"), await twin("mail-bot", "mo", "send_mail"), await twin("shop-bot", "ann", "search")]) assert.equal(r.status, 200);
  await page.goto(`${h.url}/console#/sessions?q=twin`);
  await page.waitForSelector('#sessions tr[data-session="twin"][data-agent="mail-bot"]');
  assert.equal(await page.locator('#sessions tr[data-session="twin"]').count(), 2);
  // The log seals principals here, so rows tell the sessions apart by agent and steps.
  assert.match((await page.textContent('#sessions tr[data-agent="mail-bot"]')) ?? "", /mail-bot.*:\d\d1allow/s);
  assert.match((await page.textContent('#sessions tr[data-agent="shop-bot"]')) ?? "", /shop-bot.*:\d\d2allow/s);
  await page.click('#sessions tr[data-session="twin"][data-agent="mail-bot"] a');
  await page.waitForSelector("ol.timeline > li");
  assert.match(page.url(), /#\/session\/twin\?agent=mail-bot$/);
  assert.equal(await page.locator("ol.timeline > li").count(), 1, "only mail-bot's step");
  assert.match((await page.textContent("#session-head")) ?? "", /mail-bot.*1: /s);
  await page.goto(`${h.url}/console#/sessions?q=twin`);
  await page.click('#sessions tr[data-session="twin"][data-agent="shop-bot"] a');
  await page.waitForSelector("ol.timeline > li:nth-child(2)");
  assert.equal(await page.locator("ol.timeline > li").count(), 2);
  assert.match((await page.textContent("#session-head")) ?? "", /shop-bot.*2: /s);
});

it("proof: the decision's inclusion proof checked in the page, with pinned keys, tampering and witnesses", async () => {
  await h.service.checkpoint();
  await page.goto(`${h.url}/console#/proof/${outputId}`);
  await page.waitForSelector("#proof-verdict");
  // The key the service hands out vouches for nothing: no verdict until the operator pins one.
  assert.equal(await page.getAttribute("#proof-verdict", "data-ok"), "false");
  assert.equal(await page.getAttribute("#proof-verdict", "data-key-source"), "service");
  assert.match((await page.textContent("#proof-verdict")) ?? "", /Not verified: pin the log's verifier key/);
  assert.equal(await page.getAttribute('[data-check="checkpoint signature"]', "class"), "pending");
  assert.match((await page.textContent('[data-check="checkpoint signature"]')) ?? "", /not trusted until you pin/);
  for (const c of ["entry", "leaf hash", "inclusion"]) assert.equal(await page.getAttribute(`[data-check="${c}"]`, "class"), "good", c);
  assert.match((await page.textContent('[data-check="inclusion"]')) ?? "", /RFC 9162 proof of \d+ hashes leads from entry \d+ to the signed root/);
  assert.match((await page.textContent("#proof")) ?? "", /no witness cosignature/);
  // The log seals personal fields by default: the page says so and shows neither them nor the ciphertext.
  assert.match((await page.textContent("#sealed-note")) ?? "", /Sealed in the log: principal, input\b/);
  const shownEntry = (await page.textContent('[data-json="audit entry"]')) ?? "";
  assert.match(shownEntry, /\[sealed\]/);
  assert.doesNotMatch(shownEntry, /ann|example\.com|"ct"/);
  await check("console-proof-unpinned");

  // The operator compares the reported key with the log's .vkey file and trusts it: verified.
  const logKey = (await h.call("GET", `/v1/decisions/${outputId}/proof`, "admin")).body.logKeys[0] as string;
  assert.equal((await page.textContent("#reported-key"))?.trim(), logKey);
  await page.click("#pin-reported");
  await page.waitForSelector('#proof-verdict[data-key-source="pinned"][data-ok="true"]');
  assert.equal(await page.getAttribute('[data-check="checkpoint signature"]', "class"), "good");
  await page.locator("details.pins summary").click();
  assert.equal(await page.inputValue("#pin-log"), logKey);
  await check("console-proof");

  // Another log's key: the signature is refused.
  await page.fill("#pin-log", generateKey("other.example/log").verifierKey);
  await page.click("#pin-save");
  await page.waitForSelector('#proof-verdict[data-ok="false"]');
  assert.equal(await page.getAttribute('[data-check="checkpoint signature"]', "class"), "bad");
  await page.fill("#pin-log", logKey);
  await page.click("#pin-save");
  await page.waitForSelector('#proof-verdict[data-ok="true"]');
  // The overview checks the latest checkpoint against the pinned key too.
  await page.goto(`${h.url}/console#/overview`);
  await page.waitForSelector('#audit-verification.good[data-trust="pinned"]');
  await page.goto(`${h.url}/console#/proof/${outputId}`);
  await page.waitForSelector('#proof-verdict[data-ok="true"]');
  await page.locator("details.pins summary").click();

  // A service that answers with another entry, or a cosigned checkpoint: intercepted answers.
  const witness = parseSignerKey(generateKey("witness.example/w1").signerKey);
  const stranger = parseSignerKey(generateKey("witness.example/w2").signerKey);
  let mode: "tamper" | "cosign" = "tamper";
  await page.route("**/v1/decisions/*/proof", async (route) => {
    const res = await route.fetch();
    const body = (await res.json()) as { entry: string; checkpoint: { note: string } };
    if (mode === "tamper") {
      const e = JSON.parse(Buffer.from(body.entry, "base64").toString()) as Record<string, unknown>;
      e.decision = "deny";
      body.entry = Buffer.from(JSON.stringify(e)).toString("base64");
    } else {
      const text = body.checkpoint.note.slice(0, body.checkpoint.note.indexOf("\n\n") + 1);
      body.checkpoint.note += cosignatureLine(text, witness, 1_765_000_000) + cosignatureLine(text, stranger, 1_765_000_000);
    }
    await route.fulfill({ response: res, json: body });
  });
  await page.click("#pin-save");
  await page.waitForSelector('[data-check="inclusion"]:has-text("does not lead")');
  assert.equal(await page.getAttribute("#proof-verdict", "data-ok"), "false");
  assert.match((await page.textContent('[data-check="inclusion"]')) ?? "", /does not lead to the signed root/);
  mode = "cosign";
  await page.fill("#pin-witness", cosignatureVerifierKey(witness));
  await page.click("#pin-save");
  await page.waitForSelector('[data-witness="witness.example/w1"][data-status="verified"]');
  assert.equal(await page.getAttribute("#proof-verdict", "data-ok"), "true");
  assert.equal(await page.getAttribute('[data-witness="witness.example/w1"]', "data-status"), "verified");
  assert.equal(await page.getAttribute('[data-witness="witness.example/w2"]', "data-status"), "no key");
  assert.match((await page.textContent('[data-witness="witness.example/w1"]')) ?? "", /cosigned 2025-12-06/);
  await check("console-proof-witnesses");
  await page.unroute("**/v1/decisions/*/proof");
  await page.evaluate(() => localStorage.clear());
});

it("live decisions are colour-coded and filtered; every time is in the one zone the header names; the keyboard reaches every view", async () => {
  await page.goto(`${h.url}/console#/decisions`);
  await page.waitForSelector("#decisions tr.d-deny");
  const deny = await page.locator("#decisions tr.d-deny .badge").first().evaluate((e) => getComputedStyle(e).backgroundColor);
  const allow = await page.locator("#decisions tr:not(.d-deny):not(.d-require_approval) .badge").first().evaluate((e) => getComputedStyle(e).backgroundColor);
  assert.notEqual(deny, allow);
  await page.selectOption("#f-decision", "deny");
  await page.waitForFunction(() => [...document.querySelectorAll("#decisions tbody tr")].every((r) => r.classList.contains("d-deny")));
  // One zone: every shown time has the same form, and the header names it.
  assert.equal(await page.textContent("#zone"), "times in UTC");
  const times = await page.locator("#decisions time").evaluateAll((ts) => ts.map((t) => [t.textContent, t.getAttribute("datetime")]));
  for (const [shown, exact] of times) assert.equal(shown, `${exact?.slice(0, 10)} ${exact?.slice(11, 23)}`);
  await check("console-live");

  // Keyboard: g s goes to the sessions, / searches, Tab and Enter open a session.
  await page.locator("body").click({ position: { x: 5, y: 200 } });
  await page.keyboard.press("g");
  await page.keyboard.press("s");
  await page.waitForSelector("#sessions tr[data-session]");
  await page.keyboard.press("/");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "s-q");
  await page.keyboard.type("run-7");
  await page.waitForSelector("#page-info:text('1–1 of 1 session')");
  for (let i = 0; i < 30 && (await page.evaluate(() => document.activeElement?.textContent)) !== "run-7"; i++) await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await page.waitForSelector("ol.timeline");
  assert.match(page.url(), /#\/session\/run-7\?agent=shop-bot$/);
  // A focused control is visibly outlined.
  await page.keyboard.press("Tab");
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle);
  assert.notEqual(outline, "none");
  await page.keyboard.press("?");
  await page.waitForSelector("dialog#keys-help[open]");
  await page.keyboard.press("Escape");
  await page.goto(`${h.url}/console#/nowhere`);
  await page.waitForSelector("#not-found");
  assert.deepEqual(problems, []);
});
