// What a client may say about the context of its own decision. The service adds the agent, the
// environment, the session's history and the time itself; a client that could choose them would
// choose the ones its rules let through. The agent and environment are checked against the key
// (routes.test.ts), the history is the service's unless the key has the `history` scope
// (session-principal.test.ts); these tests hold the time to the same rule, and the error's path
// to the field that was refused.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadPolicySet } from "../../runtime/index.ts";
import { hashKey } from "../keys.ts";
import { keyConfigs, startHarness } from "./harness.ts";
import type { Harness } from "./harness.ts";

// The shipped clinic example's rate rule, and a rule on the hour.
const POLICY = `package clock

rule search_rate on tool_call {
  when tool.name == "search"
   and (count c in session.calls where c.tool.name == "search" and time - c.time < 1m) >= 2
  then deny "too many searches in one minute"
}

rule office_hours on tool_call {
  when tool.name == "wire" and hour_of_day(time) != hour_of_day(time)
  then deny "never"
}
`;
const sources = [{ path: "clock.policy", text: POLICY }];
const HISTORY_KEY = "k-history-clock";
const keys = [...keyConfigs, { id: "history", sha256: hashKey(HISTORY_KEY), agents: ["shop-bot"], environments: ["production"], scopes: ["history"] }];

const search = (extra: Record<string, unknown> = {}, session: string | null = "rate"): Record<string, unknown> => ({
  phase: "tool_call",
  ...(session === null ? {} : { session }),
  input: { agent: { id: "shop-bot" }, env: "production", principal: { id: "u1" }, tool: { name: "search", args: {} }, ...extra },
});

describe("the time of a decision is the service's", () => {
  let h: Harness;
  before(async () => {
    const { policySet } = loadPolicySet(sources);
    assert.ok(policySet);
    h = await startHarness({ policySet, sources }, keys);
  });
  after(() => h.close());

  it("a client cannot step outside a rate window by naming its own time", async () => {
    for (let i = 0; i < 2; i++) assert.equal((await h.call("POST", "/v1/decide", "agent", search())).body.decision, "allow");
    assert.equal((await h.call("POST", "/v1/decide", "agent", search())).body.decision, "deny");
    // An hour ahead, or a day behind: the earlier searches would fall outside the minute.
    for (const time of ["2099-01-01T00:00:00Z", "1999-01-01T00:00:00Z", "not a time", 0]) {
      const r = await h.call("POST", "/v1/decide", "agent", search({ time }));
      assert.notEqual(r.body.decision, "allow", `time ${JSON.stringify(time)} let the third search through`);
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.equal(r.body.error.code, "auth/forbidden");
      assert.equal(r.body.error.path, "/input/time");
    }
    // Nor inside a batch, nor without a session (a rule on the hour reads the same clock).
    const batch = await h.call("POST", "/v1/decide/batch", "agent", { requests: [search(), search({ time: "2099-01-01T00:00:00Z" })] });
    assert.equal(batch.status, 200, JSON.stringify(batch.body));
    assert.equal(batch.body.results[0].decision, "deny");
    assert.equal(batch.body.results[1].decision, undefined);
    assert.equal(batch.body.results[1].error.path, "/requests/1/input/time");
    const lone = await h.call("POST", "/v1/decide", "agent", search({ time: "2099-01-01T03:00:00Z" }, null));
    assert.equal(lone.status, 403, JSON.stringify(lone.body));
  });

  it("the time recorded and shown is the service's clock", async () => {
    const before = Date.now();
    const r = await h.call("POST", "/v1/decide", "agent", search({}, "fresh"));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const t = Date.parse(r.body.payload.time);
    assert.ok(t >= before - 1000 && t <= Date.now() + 1000, r.body.payload.time);
  });

  it("a key with the history scope that sends the whole context (its own calls) may give the time too", async () => {
    const calls = [0, 1].map(() => ({ tool: { name: "search", args: {} }, time: "2026-11-25T10:00:00Z", decision: "allow", outcome: "executed" }));
    const within = await h.call("POST", "/v1/decide", HISTORY_KEY, search({ time: "2026-11-25T10:00:30Z", session: { id: "replay", calls } }, null));
    assert.equal(within.status, 200, JSON.stringify(within.body));
    assert.equal(within.body.decision, "deny");
    const later = await h.call("POST", "/v1/decide", HISTORY_KEY, search({ time: "2026-11-25T10:05:00Z", session: { id: "replay", calls } }, null));
    assert.equal(later.body.decision, "allow");
    // Without its own calls the history is the service's, and so is the time.
    const mixed = await h.call("POST", "/v1/decide", HISTORY_KEY, search({ time: "2099-01-01T00:00:00Z" }));
    assert.equal(mixed.status, 403, JSON.stringify(mixed.body));
  });
});

describe("a refusal names the field that was out of the key's scope", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  // The agent key may act for shop-bot in production only.
  const decide = (input: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ phase: "tool_call", input: { tool: { name: "lookup", args: {} }, ...input }, ...extra });
  const cases: [string, string, unknown, string][] = [
    ["decide: another agent", "/v1/decide", decide({ agent: { id: "other-bot" } }), "/input/agent/id"],
    ["decide: another agent, the environment given", "/v1/decide", decide({ agent: { id: "other-bot" } }, { environment: "production" }), "/input/agent/id"],
    ["decide: another environment in the input", "/v1/decide", decide({ env: "staging" }), "/input/env"],
    ["decide: another environment beside the input", "/v1/decide", decide({}, { environment: "staging" }), "/environment"],
    ["decide: another environment, the agent given", "/v1/decide", decide({ agent: { id: "shop-bot" }, env: "staging" }), "/input/env"],
    ["outcome: another agent, the environment given", "/v1/outcomes", { phase: "tool_call", tool: "lookup", agent: "other-bot", environment: "production" }, "/agent"],
    ["outcome: another environment, the agent given", "/v1/outcomes", { phase: "tool_call", tool: "lookup", agent: "shop-bot", environment: "staging" }, "/environment"],
    ["outcome in a list", "/v1/outcomes", { outcomes: [{ phase: "tool_call", tool: "lookup" }, { phase: "tool_call", tool: "lookup", agent: "shop-bot", environment: "staging" }] }, "/outcomes/1/environment"],
    ["settlement: another environment, the agent given", "/v1/settlements", { session: "s", call_seq: 0, outcome: "failed", agent: "shop-bot", environment: "staging" }, "/environment"],
    ["settlement: another agent, the environment given", "/v1/settlements", { session: "s", call_seq: 0, outcome: "failed", agent: "other-bot", environment: "production" }, "/agent"],
    ["approval filing: another environment", "/v1/approvals/requests", { phase: "tool_call", agent: "shop-bot", env: "staging", reasons: [], policy: `sha256:${"0".repeat(64)}` }, "/env"],
  ];
  for (const [name, path, body, pointer] of cases) {
    it(name, async () => {
      const r = await h.call("POST", path, "agent", body);
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.equal(r.body.error.code, "auth/forbidden");
      assert.equal(r.body.error.path, pointer, r.body.error.message);
    });
  }
});

describe("a body holds only the fields its schema lists", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it("an approver's answer with a field beside its action is refused, and the request stays pending", async () => {
    const asked = await h.call("POST", "/v1/decide", "agent", { phase: "tool_call", input: { agent: { id: "shop-bot" }, env: "production", tool: { name: "refund", args: { amount: 900 } } } });
    const id = asked.body.approval.id as string;
    // `approved: false` is how the relay route says no: here it was ignored and the request approved.
    for (const [extra, field] of [[{ approved: false }, "approved"], [{ action2: "reject" }, "action2"], [{ by: "mallory" }, "by"]] as const) {
      const r = await h.call("POST", "/v1/approvals", "supervisor", { id, action: "approve", ...extra });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.path, `/${field}`);
    }
    assert.equal((await h.call("GET", `/v1/approvals/${id}`, "admin")).body.status, "pending");
    assert.equal((await h.call("POST", "/v1/approvals", "supervisor", { id, action: "reject" })).status, 200);
  });

  it("a relayed answer, a filing and a batch with an unknown field are refused at that field", async () => {
    const asked = await h.call("POST", "/v1/decide", "agent", { phase: "tool_call", input: { agent: { id: "shop-bot" }, env: "production", tool: { name: "export", args: {} } } });
    const relay = await h.call("POST", `/v1/approvals/${asked.body.approval.id}/answered`, "agent", { approved: true, action: "reject" });
    assert.equal(relay.status, 400, JSON.stringify(relay.body));
    assert.equal(relay.body.error.path, "/action");
    const filing = await h.call("POST", "/v1/approvals/requests", "agent", { phase: "tool_call", agent: "shop-bot", env: "production", reasons: [], policy: `sha256:${"0".repeat(64)}`, role: "nobody" });
    assert.equal(filing.status, 400, JSON.stringify(filing.body));
    assert.equal(filing.body.error.path, "/role");
    const batch = await h.call("POST", "/v1/decide/batch", "agent", { requests: [], mode: "shadow" });
    assert.equal(batch.status, 400, JSON.stringify(batch.body));
    assert.equal(batch.body.error.path, "/mode");
  });

  it("the OpenAPI document says so for every JSON body it describes", async () => {
    const doc = (await h.call("GET", "/openapi.json", undefined)).body;
    const schemas = doc.components.schemas as Record<string, { type?: string; additionalProperties?: unknown }>;
    for (const name of ["DecisionRequest", "BatchRequest", "ApprovalAction", "ApprovalRelay", "ApprovalFiling"]) {
      assert.equal(schemas[name]?.additionalProperties, false, name);
    }
  });
});
