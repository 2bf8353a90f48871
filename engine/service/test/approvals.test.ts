// The approval queue: a require_approval decision waits for a principal with the named role;
// the waiting client gets the outcome by long-poll or server-sent events; timeouts fail closed.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { serviceApprover } from "../approver.ts";
import { hashKey } from "../keys.ts";
import { keyConfigs, startHarness, toolCall } from "./harness.ts";
import type { Harness } from "./harness.ts";

// Applications whose framework asks its own humans: one may relay their approvals (the relay
// scope), the other also as supervisors (the role the big-refund rule names).
const relayKeys = [
  ...keyConfigs,
  { id: "relay", sha256: hashKey("k-relay"), agents: ["shop-bot"], environments: ["production"], scopes: ["relay"] },
  { id: "relay-supervisor", sha256: hashKey("k-relay-supervisor"), agents: ["shop-bot"], environments: ["production"], scopes: ["relay"], roles: ["supervisor"] },
  // An agent's key given the supervisor role, without the relay scope.
  { id: "agent-supervisor", sha256: hashKey("k-agent-supervisor"), agents: ["shop-bot"], environments: ["production"], roles: ["supervisor"] },
];

let h: Harness;
before(async () => {
  h = await startHarness({}, relayKeys);
});
after(async () => h.close());

async function ask(tool = "refund", args: Record<string, unknown> = { amount: 900 }, key = "agent"): Promise<string> {
  const r = await h.call("POST", "/v1/decide", key, toolCall(tool, args));
  assert.equal(r.body.decision, "require_approval");
  return r.body.approval.id as string;
}

describe("approvals", () => {
  it("lets the named role approve while the client long-polls, and only once", async () => {
    const id = await ask();
    const listed = await h.call("GET", "/v1/approvals?status=pending", "supervisor");
    assert.ok(listed.body.approvals.some((a: { id: string }) => a.id === id));
    const waiting = h.call("GET", `/v1/approvals/${id}?wait=10`, "agent");
    await new Promise((r) => setTimeout(r, 100));
    const forbidden = await h.call("POST", "/v1/approvals", "agent", { id, action: "approve" });
    assert.equal(forbidden.status, 403);
    const ok = await h.call("POST", "/v1/approvals", "supervisor", { id, action: "approve", note: "fine" });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.decidedBy, "sam");
    const got = await waiting;
    assert.equal(got.body.status, "approved");
    assert.equal(got.body.outcome, "allow");
    const again = await h.call("POST", "/v1/approvals", "admin", { id, action: "reject" });
    assert.deepEqual([again.status, again.body.error.code], [409, "approval/already-decided"]);
  });

  it("needs an admin where the rule names no role, and streams the outcome as events", async () => {
    const id = await ask("export", {});
    assert.equal((await h.call("POST", "/v1/approvals", "supervisor", { id, action: "approve" })).status, 403);
    const res = await fetch(`${h.url}/v1/approvals/${id}/events`, { headers: { authorization: "Bearer k-agent" } });
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    const text = res.text();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await h.call("POST", "/v1/approvals", "admin", { id, action: "reject" })).body.outcome, "deny");
    const events = await text;
    assert.match(events, /^event: pending\n/);
    assert.match(events, /event: settled\ndata: \{[^\n]*"status":"rejected"/);
  });

  it("validates approval actions", async () => {
    const r = await h.call("POST", "/v1/approvals", "admin", { id: "x", action: "maybe" });
    assert.deepEqual([r.status, r.body.error.path], [400, "/action"]);
    const missing = await h.call("POST", "/v1/approvals", "admin", { id: "nope", action: "approve" });
    assert.deepEqual([missing.status, missing.body.error.code], [404, "approval/not-found"]);
  });

  it("fails closed when nobody answers in time", async () => {
    const short = await startHarness({ approvalTimeoutMs: 300 });
    try {
      const r = await short.call("POST", "/v1/decide", "agent", toolCall("refund", { amount: 900 }));
      const started = Date.now();
      const w = await short.call("GET", `/v1/approvals/${r.body.approval.id}?wait=10`, "agent");
      assert.ok(Date.now() - started < 3000);
      assert.equal(w.body.status, "expired");
      assert.equal(w.body.outcome, "deny");
      const late = await short.call("POST", "/v1/approvals", "admin", { id: r.body.approval.id, action: "approve" });
      assert.equal(late.status, 409);
    } finally {
      await short.close();
    }
  });

  it("serves a guard elsewhere as its approver", async () => {
    const approver = serviceApprover({ url: h.url, key: "k-agent", agent: "shop-bot", env: "production", pollSeconds: 5 });
    const digest = `sha256:${"a".repeat(64)}`;
    const reasons = [{ rule: "shop.big_refund", effect: "require_approval" as const, approver_role: "supervisor" }];
    const answer = approver({ phase: "tool_call", tool: "refund", payload: { x: 1 }, decision: { decision: "require_approval", reasons, warnings: [], payload: {}, errors: [], policy: { digest } }, reasons, session: null, principal: null, signal: new AbortController().signal });
    let pending: { id: string }[] = [];
    for (let i = 0; i < 50 && pending.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      pending = (await h.call("GET", "/v1/approvals?status=pending", "admin")).body.approvals.filter((a: { payload: unknown }) => JSON.stringify(a.payload) === '{"x":1}');
    }
    assert.equal(pending.length, 1);
    await h.call("POST", "/v1/approvals", "supervisor", { id: pending[0].id, action: "approve" });
    assert.deepEqual(await answer, { approved: true, by: "sam" });
  });
  it("takes a framework's answer from the key that asked only, and records it in the queue and the audit log", async () => {
    const audit = h.service.context.audit;
    const lastEntry = async (): Promise<Record<string, any>> => (await audit.read((await audit.size()) - 1)).record as Record<string, any>;
    const refused = await ask("refund", { amount: 901 });
    const waiting = h.call("GET", `/v1/approvals/${refused}?wait=10`, "agent");
    // Another key, even an admin's, may not speak for the framework of the agent that asked.
    assert.equal((await h.call("POST", `/v1/approvals/${refused}/answered`, "admin", { approved: true })).status, 403);
    assert.equal((await h.call("POST", `/v1/approvals/${refused}/answered`, "agent", { approved: "yes" })).body.error.path, "/approved");
    const r = await h.call("POST", `/v1/approvals/${refused}/answered`, "agent", { approved: false, by: "joe", note: "not today" });
    assert.deepEqual([r.status, r.body.status, r.body.outcome, r.body.decidedBy, r.body.via, r.body.askedBy], [200, "rejected", "deny", "joe", "framework", "agent"]);
    assert.equal((await waiting).body.status, "rejected");
    await h.service.context.writer.flush();
    const entry = await lastEntry();
    assert.deepEqual([entry.approval.id, entry.approval.status, entry.approval.via, entry.principal, entry.caller], [refused, "rejected", "framework", "joe", "agent"]);
    // A retry of the same relay is answered with the request as it stands, recorded once.
    const size = await audit.size();
    assert.equal((await h.call("POST", `/v1/approvals/${refused}/answered`, "agent", { approved: false })).body.status, "rejected");
    await h.service.context.writer.flush();
    assert.equal(await audit.size(), size);
    // An approver who answered first keeps the word: the framework's late "yes" is recorded beside it, never over it.
    const vetoed = await ask("refund", { amount: 902 }, "k-relay-supervisor");
    await h.call("POST", "/v1/approvals", "supervisor", { id: vetoed, action: "reject" });
    const late = await h.call("POST", `/v1/approvals/${vetoed}/answered`, "k-relay-supervisor", { approved: true, by: "joe" });
    assert.deepEqual([late.status, late.body.status, late.body.decidedBy], [200, "rejected", "sam"]);
    await h.service.context.writer.flush();
    const beside = await lastEntry();
    assert.deepEqual([beside.approval.id, beside.approval.status, beside.approval.outcome, beside.approval.via], [vetoed, "approved", "deny", "framework"]);
    assert.match(beside.approval.note, /after the request was rejected/);
    assert.equal((await h.call("POST", "/v1/approvals/nope/answered", "agent", { approved: true })).status, 404);
  });

  it("takes a relayed approval only from a key trusted to relay one, holding the role the request names", async () => {
    const status = async (id: string): Promise<string> => (await h.call("GET", `/v1/approvals/${id}`, "admin")).body.status;
    const relay = (id: string, key: string, approved: boolean) => h.call("POST", `/v1/approvals/${id}/answered`, key, { approved, by: "the agent itself" });
    // A plain agent key approving its own request: no human was asked, and no approver answered.
    for (const [tool, args] of [["refund", { amount: 903 }], ["export", {}]] as const) {
      const id = await ask(tool, args);
      const r = await relay(id, "agent", true);
      assert.deepEqual([r.status, r.body.error?.code], [403, "auth/forbidden"], tool);
      assert.match(r.body.error.message, /relay/);
      assert.equal(await status(id), "pending", `${tool}: still waiting for an approver`);
      // Its refusal only makes things stricter: taken.
      assert.equal((await relay(id, "agent", false)).body.status, "rejected");
    }
    // Trusted to relay, but the request names a role the key lacks: a supervisor must say yes.
    const big = await ask("refund", { amount: 904 }, "k-relay");
    assert.equal((await relay(big, "k-relay", true)).status, 403);
    assert.equal(await status(big), "pending");
    // Trusted to relay, and the request names no role (or one the key holds): the relay settles it.
    const exported = await ask("export", {}, "k-relay");
    assert.equal((await relay(exported, "k-relay", true)).body.status, "approved");
    const refund = await ask("refund", { amount: 905 }, "k-relay-supervisor");
    const ok = await relay(refund, "k-relay-supervisor", true);
    assert.deepEqual([ok.status, ok.body.status, ok.body.via], [200, "approved", "framework"]);
    // Nor does the asking key approve itself through the queue, approver role or not; another approver does.
    const own = await ask("refund", { amount: 906 }, "k-agent-supervisor");
    const self = await h.call("POST", "/v1/approvals", "k-agent-supervisor", { id: own, action: "approve" });
    assert.deepEqual([self.status, self.body.error?.code], [403, "auth/forbidden"]);
    assert.equal(await status(own), "pending");
    assert.equal((await h.call("POST", "/v1/approvals", "supervisor", { id: own, action: "approve" })).body.status, "approved");
    const refusedOwn = await ask("refund", { amount: 907 }, "k-agent-supervisor");
    assert.equal((await h.call("POST", "/v1/approvals", "k-agent-supervisor", { id: refusedOwn, action: "reject" })).body.status, "rejected");
  });
});
