// The console's read routes: the sessions list searched and paged, the overview's aggregates,
// and a decision's entry with its proof — which an input impersonating another decision's id
// (or the approval answer that names it) must not capture.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fromBase64, leafHash, openCheckpoint, toBase64, verifyInclusion } from "../../audit/index.ts";
import { startHarness, toolCall } from "./harness.ts";
import type { Harness } from "./harness.ts";

let h: Harness;
before(async () => {
  h = await startHarness();
  const requests = [];
  for (let i = 0; i < 30; i++) {
    const s = `sess-${String(i).padStart(2, "0")}`;
    requests.push(toolCall("lookup", {}, s), toolCall(i % 3 === 0 ? "shell" : "search", {}, s));
  }
  requests.push({ ...toolCall("lookup", {}, "by-carol"), input: { ...(toolCall("lookup").input as object), principal: { id: "carol\u0000x", roles: [] } } });
  const r = await h.call("POST", "/v1/decide/batch", "agent", { requests });
  assert.equal(r.status, 200);
});
after(async () => h?.close());

describe("GET /v1/console/sessions", () => {
  it("pages the sessions, most recently active first, with a total", async () => {
    const first = await h.call("GET", "/v1/console/sessions?limit=10", "admin");
    assert.equal(first.status, 200);
    assert.equal(first.body.total, 31);
    assert.equal(first.body.sessions.length, 10);
    const s = first.body.sessions.find((x: { id: string }) => x.id === "sess-03");
    if (s) assert.equal(s.outcome, "deny");
    const all = await h.call("GET", "/v1/console/sessions?limit=500", "admin");
    const last = all.body.sessions.map((x: { last: string }) => x.last);
    assert.deepEqual(last, [...last].sort().reverse());
    const page3 = await h.call("GET", "/v1/console/sessions?limit=10&offset=30", "admin");
    assert.equal(page3.body.sessions.length, 1);
    assert.equal(page3.body.total, 31);
    const beyond = await h.call("GET", "/v1/console/sessions?limit=10&offset=40", "admin");
    assert.deepEqual(beyond.body.sessions, []);
  });

  it("searches ids, agents and principals, and filters by outcome", async () => {
    const denied = await h.call("GET", "/v1/console/sessions?outcome=deny&limit=500", "admin");
    assert.equal(denied.body.total, 10);
    assert.ok(denied.body.sessions.every((s: { outcome: string; counts: Record<string, number> }) => s.outcome === "deny" && s.counts.deny === 1));
    const one = await h.call("GET", "/v1/console/sessions?q=SESS-1", "admin");
    assert.deepEqual(one.body.sessions.map((s: { id: string }) => s.id).sort(), ["sess-10", "sess-11", "sess-12", "sess-13", "sess-14", "sess-15", "sess-16", "sess-17", "sess-18", "sess-19"]);
    const carol = await h.call("GET", "/v1/console/sessions?q=carol", "admin");
    assert.deepEqual(carol.body.sessions.map((s: { id: string; principal: string }) => [s.id, s.principal]), [["by-carol", "carol\u0000x"]]);
    // LIKE's wildcards are text like any other.
    assert.equal((await h.call("GET", "/v1/console/sessions?q=%25", "admin")).body.total, 0);
  });

  it("refuses bad parameters with the field's path, and non-admin keys", async () => {
    const bad = await h.call("GET", "/v1/console/sessions?outcome=maybe", "admin");
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.path, "/outcome");
    assert.equal((await h.call("GET", "/v1/console/sessions?limit=9999", "admin")).body.error.path, "/limit");
    assert.equal((await h.call("GET", "/v1/console/sessions", "agent")).status, 403);
  });
});

describe("GET /v1/console/overview", () => {
  it("counts outcomes per time bucket and ranks the rules", async () => {
    const r = await h.call("GET", "/v1/console/overview", "admin");
    assert.equal(r.status, 200);
    assert.equal(r.body.decisions, 61);
    assert.equal(r.body.totals.deny, 10);
    const summed = r.body.buckets.reduce((n: number, b: { counts: Record<string, number> }) => n + Object.values(b.counts).reduce((a, c) => a + c, 0), 0);
    assert.equal(summed, 61);
    assert.deepEqual(r.body.topRules[0], { rule: "shop.no_shell", effect: "deny", count: 10 });
  });
});

describe("GET /v1/decisions/:id/proof", () => {
  it("gives the decision's own entry and a proof that verifies against the signed checkpoint", async () => {
    const target = await h.call("POST", "/v1/decide", "agent", toolCall("lookup", {}, "proof-1"));
    const id = target.body.id as string;
    // An agent writes the target's id into its own input, and asks for an approval whose answer names a decision too.
    await h.call("POST", "/v1/decide", "agent", toolCall("lookup", { decision_id: id, x: { decision_id: id } }, "proof-1"));
    const early = await h.call("GET", `/v1/decisions/${id}/proof`, "admin");
    assert.equal(early.status, 200);
    assert.equal(early.body.proof, null);
    await h.service.checkpoint();
    const r = await h.call("GET", `/v1/decisions/${id}/proof`, "admin");
    assert.equal(r.status, 200);
    const entry = fromBase64(r.body.entry);
    assert.equal(JSON.parse(new TextDecoder().decode(entry)).decision_id, id);
    const opened = openCheckpoint(r.body.checkpoint.note, r.body.logKeys);
    assert.ok(opened.ok);
    assert.equal(toBase64(leafHash(entry)), r.body.proof.leafHash);
    assert.ok(verifyInclusion(leafHash(entry), r.body.index, r.body.proof.size, r.body.proof.proof.map((x: string) => fromBase64(x)), opened.checkpoint.root));
    const missing = await h.call("GET", "/v1/decisions/no-such-decision/proof", "admin");
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.path, "/id");
  });
});
