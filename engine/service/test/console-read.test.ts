// The console's read routes: the sessions list searched and paged, the overview's aggregates,
// and a decision's entry with its proof — which an input impersonating another decision's id
// (or the approval answer that names it) must not capture.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fromBase64, leafHash, openCheckpoint, toBase64, verifyInclusion } from "../../audit/index.ts";
import { hashKey } from "../keys.ts";
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
    // The log seals principals (the default), so the console's copy holds none to show or search.
    const carol = await h.call("GET", "/v1/console/sessions?q=by-carol", "admin");
    assert.deepEqual(carol.body.sessions.map((s: { id: string; principal: string }) => [s.id, s.principal]), [["by-carol", null]]);
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

// Keys that may not read something get nothing of it: not the rows, not the counts, not the proof,
// not the fact that it exists. Checked route by route, and over every console route /openapi.json lists.
describe("what each key may read", () => {
  let s: Harness;
  const shop: Record<string, string> = {};
  const staff = "k-staff-other";
  before(async () => {
    const k = (id: string, raw: string, agents: string[], environments: string[], roles: string[] = []) => ({ id, sha256: hashKey(raw), agents, environments, roles, principal: id });
    s = await startHarness({}, [
      k("admin", "k-admin", ["*"], ["*"], ["admin"]),
      k("agent", "k-agent", ["shop-bot"], ["production"]),
      k("other", "k-other", ["other-bot"], ["staging"]),
      k("supervisor", "k-supervisor", ["*"], ["*"], ["supervisor"]),
      // An admin for one agent only: its own team's console.
      k("staff", staff, ["other-bot"], ["*"], ["admin"]),
    ]);
    const ann = { agent: { id: "shop-bot" }, principal: { id: "ann-secret" } };
    const a = await s.call("POST", "/v1/decide", "agent", { phase: "tool_call", session: "shop-sess", environment: "production", input: { ...ann, tool: { name: "lookup", args: { card: "4111" } } } });
    const b = await s.call("POST", "/v1/decide", "agent", { phase: "tool_call", session: "shop-sess", environment: "production", input: { ...ann, tool: { name: "refund", args: { amount: 900 } } } });
    const c = await s.call("POST", "/v1/decide", "other", { phase: "tool_call", session: "other-sess", environment: "staging", input: { agent: { id: "other-bot" }, principal: { id: "olga" }, tool: { name: "refund", args: { amount: 800 } } } });
    for (const r of [a, b, c]) assert.equal(r.status, 200, JSON.stringify(r.body));
    Object.assign(shop, { decision: a.body.id, approval: b.body.approval.id, otherDecision: c.body.id, otherApproval: c.body.approval.id });
    await s.service.checkpoint();
  });
  after(async () => s?.close());

  it("an admin key limited to one agent sees that agent's sessions, decisions, approvals and proofs, and nothing of the others", async () => {
    const seen: unknown[] = [];
    const get = async (path: string, status = 200) => {
      const r = await s.call("GET", path, staff);
      assert.equal(r.status, status, `${path}: ${JSON.stringify(r.body)}`);
      seen.push(r.body);
      return r.body;
    };
    assert.deepEqual((await get("/v1/decisions")).decisions.map((d: { agent: string }) => d.agent), ["other-bot"]);
    assert.deepEqual((await get("/v1/decisions?agent=shop-bot")).decisions, []);
    assert.deepEqual((await get("/v1/sessions")).sessions, ["other-sess"]);
    const list = await get("/v1/console/sessions");
    assert.deepEqual([list.total, list.sessions.map((x: { id: string }) => x.id)], [1, ["other-sess"]]);
    assert.equal((await get("/v1/console/sessions?q=ann")).total, 0);
    assert.equal((await get("/v1/console/overview")).decisions, 1);
    assert.deepEqual((await s.call("GET", "/v1/sessions/shop-sess", staff)).body.steps, []);
    assert.deepEqual((await get("/v1/approvals")).approvals.map((x: { id: string }) => x.id), [shop.otherApproval]);
    // The other agent's proof is "not found", exactly as a decision that never was.
    const hidden = await get(`/v1/decisions/${shop.decision}/proof`, 404);
    const never = await s.call("GET", "/v1/decisions/never-was/proof", staff);
    assert.equal(hidden.error.message.replace(shop.decision, "X"), never.body.error.message.replace("never-was", "X"));
    assert.equal((await get(`/v1/decisions/${shop.otherDecision}/proof`)).decision, shop.otherDecision);
    await get(`/v1/approvals/${shop.approval}`, 403);
    // What covers every agent needs a key for every agent.
    await get("/v1/reports", 403);
    await get("/v1/drift", 403);
    const answer = await s.call("POST", "/v1/approvals", staff, { id: shop.approval, action: "approve" });
    assert.equal(answer.status, 403);
    assert.equal((await s.call("GET", `/v1/approvals/${shop.approval}`, "admin")).body.status, "pending");
    const text = JSON.stringify(seen);
    for (const secret of ["shop-sess", "ann-secret", "4111", "shop-bot", shop.approval]) assert.ok(!text.includes(secret), `${secret} reached a key limited to other-bot`);
    // An unscoped admin still sees both.
    assert.equal((await s.call("GET", "/v1/console/sessions", "admin")).body.total, 2);
    assert.equal((await s.call("GET", `/v1/decisions/${shop.decision}/proof`, "admin")).status, 200);
  });

  it("every console route refuses a key without the admin role, and the proof carries no personal field in clear", async () => {
    const doc = (await s.call("GET", "/openapi.json", undefined)).body as { paths: Record<string, Record<string, { tags?: string[] }>> };
    const routes = Object.entries(doc.paths).filter(([, ops]) => ops.get?.tags?.includes("console")).map(([p]) => p.replace(/\{[^}]+\}/g, "x"));
    assert.ok(routes.length >= 10, routes.join(" "));
    for (const key of ["agent", "supervisor", "other"]) {
      for (const path of routes) {
        const r = await s.call("GET", path, key);
        assert.equal(r.status, 403, `${key} ${path}: ${JSON.stringify(r.body).slice(0, 200)}`);
      }
    }
    // The log seals the principal and the input by default: the proof's entry names neither.
    const proof = (await s.call("GET", `/v1/decisions/${shop.decision}/proof`, "admin")).body;
    const entry = JSON.parse(Buffer.from(proof.entry, "base64").toString()) as Record<string, unknown>;
    assert.deepEqual([entry.principal, entry.input], ["[sealed]", "[sealed]"]);
    assert.ok(!JSON.stringify(proof).includes("ann-secret") && !JSON.stringify(proof).includes("4111"));
  });
});
