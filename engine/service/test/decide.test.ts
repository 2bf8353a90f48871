// The decision routes: decisions with their transforms, sessions, validation errors with paths,
// keys and their scopes, rate limits and body limits.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { hashKey } from "../keys.ts";
import { KEYS, startHarness, toolCall } from "./harness.ts";
import type { Harness } from "./harness.ts";

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => h.close());

describe("POST /v1/decide", () => {
  it("allows, denies and asks for approval with the rules that fired", async () => {
    const allow = await h.call("POST", "/v1/decide", "agent", toolCall("lookup"));
    assert.equal(allow.status, 200);
    assert.equal(allow.body.decision, "allow");
    assert.match(allow.body.id, /^[0-9a-f-]{36}$/);
    assert.match(allow.body.policy.digest, /^sha256:/);
    const deny = await h.call("POST", "/v1/decide", "agent", toolCall("shell"));
    assert.equal(deny.body.decision, "deny");
    assert.deepEqual(deny.body.reasons.map((r: { rule: string }) => r.rule), ["shop.no_shell"]);
    const ask = await h.call("POST", "/v1/decide", "agent", toolCall("refund", { amount: 900 }));
    assert.equal(ask.body.decision, "require_approval");
    assert.equal(ask.body.approval.status, "pending");
    assert.equal(ask.body.approval.wait, `/v1/approvals/${ask.body.approval.id}?wait=30`);
  });

  it("returns the payload after transforms", async () => {
    const r = await h.call("POST", "/v1/decide", "agent", { phase: "output", input: { agent: { id: "shop-bot" }, output: { text: "write to bob@example.com" } }, environment: "production" });
    assert.equal(r.status, 200);
    assert.equal(r.body.payload.output.text, "write to [EMAIL]");
    assert.equal(r.body.reasons[0].effect, "redact");
  });

  it("fills agent and environment from a key scoped to one of each", async () => {
    const r = await h.call("POST", "/v1/decide", "agent", { phase: "tool_call", input: { tool: { name: "lookup", args: {} } } });
    assert.equal(r.status, 200);
    assert.equal(r.body.payload.agent.id, "shop-bot");
    assert.equal(r.body.payload.env, "production");
  });

  it("tracks sessions by id: earlier tool calls become session.calls", async () => {
    const s = `s-${Date.now()}`;
    assert.equal((await h.call("POST", "/v1/decide", "agent", toolCall("search", {}, s))).body.decision, "allow");
    assert.equal((await h.call("POST", "/v1/decide", "agent", toolCall("search", {}, s))).body.decision, "allow");
    const third = await h.call("POST", "/v1/decide", "agent", toolCall("search", {}, s));
    assert.equal(third.body.decision, "deny");
    assert.deepEqual(third.body.payload.session, { id: s, calls_before: 2 });
    // Another session starts afresh.
    assert.equal((await h.call("POST", "/v1/decide", "agent", toolCall("search", {}, `${s}-b`))).body.decision, "allow");
    const steps = await h.call("GET", `/v1/sessions/${s}`, "admin");
    assert.deepEqual(steps.body.steps.map((x: { decision: string }) => x.decision), ["allow", "allow", "deny"]);
  });

  it("in shadow mode files no approval request, counts the call as executed and records mode: shadow", async () => {
    const s = `shadow-${Date.now()}`;
    const before = (await h.call("GET", "/v1/approvals?status=pending", "admin")).body.approvals.length;
    const r = await h.call("POST", "/v1/decide", "agent", { ...toolCall("refund", { amount: 900 }, s), mode: "shadow" });
    assert.equal(r.status, 200);
    assert.equal(r.body.decision, "require_approval");
    assert.equal(r.body.approval, undefined);
    assert.equal((await h.call("GET", "/v1/approvals?status=pending", "admin")).body.approvals.length, before);
    const denied = await h.call("POST", "/v1/decide", "agent", { ...toolCall("shell", {}, s), mode: "shadow" });
    assert.equal(denied.body.decision, "deny");
    const next = await h.call("POST", "/v1/decide", "agent", { ...toolCall("lookup", {}, s), payload: "history" });
    assert.deepEqual(next.body.payload.session.calls.map((c: { decision: string; outcome: string }) => [c.decision, c.outcome]), [["require_approval", "executed"], ["deny", "executed"]]);
    const audit = h.service.context.audit;
    await audit.flush();
    const size = await audit.size();
    const modes = await Promise.all([size - 3, size - 2, size - 1].map(async (i) => (await audit.read(i)).record.mode));
    assert.deepEqual(modes, ["shadow", "shadow", undefined]);
    const bad = await h.call("POST", "/v1/decide", "agent", { ...toolCall("lookup"), mode: "dry-run" });
    assert.deepEqual([bad.status, bad.body.error.path], [400, "/mode"]);
  });

  it("answers with the history by reference as the log has it, its calls only when asked (payload: history)", async () => {
    const s = `ref-${Date.now()}`;
    const sizes: number[] = [];
    for (let i = 0; i < 40; i++) {
      const r = await h.call("POST", "/v1/decide", "agent", toolCall("lookup", { q: "x".repeat(200) }, s));
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.payload.session, { id: s, calls_before: i });
      sizes.push(JSON.stringify(r.body.payload).length);
    }
    // The default answer does not grow with the session (only the count's digits may).
    assert.ok(sizes[39] - sizes[1] <= 1, `answer grew from ${sizes[1]} to ${sizes[39]} characters`);
    // It is what the audit entry holds as the input.
    const audit = h.service.context.audit;
    await audit.flush();
    const last = await audit.read((await audit.size()) - 1);
    assert.deepEqual((last.record.input as { session: unknown }).session, { id: s, calls_before: 39 });
    const history = await h.call("POST", "/v1/decide", "agent", { ...toolCall("lookup", {}, s), payload: "history" });
    assert.equal(history.body.payload.session.id, s);
    assert.equal(history.body.payload.session.calls.length, 40);
    assert.equal(history.body.payload.session.sources, undefined);
    // A redacting decision answers its transformed payload in the same reference form.
    const redacted = await h.call("POST", "/v1/decide", "agent", { phase: "output", input: { agent: { id: "shop-bot" }, principal: { id: "u1", roles: [] }, output: { text: "write to bob@example.com" } }, environment: "production", session: s });
    assert.equal(redacted.body.payload.output.text, "write to [EMAIL]");
    assert.deepEqual(redacted.body.payload.session, { id: s, calls_before: 41 });
  });

  it("answers with only the input's own fields when asked (payload: input), so answers do not grow with the session", async () => {
    const s = `trim-${Date.now()}`;
    await h.call("POST", "/v1/decide", "agent", toolCall("lookup", {}, s));
    const full = await h.call("POST", "/v1/decide", "agent", toolCall("lookup", {}, s));
    assert.deepEqual(full.body.payload.session, { id: s, calls_before: 1 });
    const own = await h.call("POST", "/v1/decide", "agent", { ...toolCall("lookup", { q: 1 }, s), payload: "input" });
    assert.deepEqual(Object.keys(own.body.payload).sort(), ["agent", "env", "principal", "tool"]);
    const redacted = await h.call("POST", "/v1/decide", "agent", { phase: "output", input: { agent: { id: "shop-bot" }, principal: { id: "u1", roles: [] }, output: { text: "write to bob@example.com" } }, environment: "production", session: s, payload: "input" });
    assert.deepEqual(redacted.body.payload, { agent: { id: "shop-bot" }, principal: { id: "u1", roles: [] }, output: { text: "write to [EMAIL]" } });
    const ask = await h.call("POST", "/v1/decide", "agent", { ...toolCall("refund", { amount: 900 }, s), payload: "input" });
    assert.equal(ask.body.approval.status, "pending");
    assert.equal(ask.body.payload.session, undefined);
    const bad = await h.call("POST", "/v1/decide", "agent", { ...toolCall("lookup"), payload: "some" });
    assert.deepEqual([bad.status, bad.body.error.path], [400, "/payload"]);
  });

  it("refuses client-supplied session.calls unless the key has the history scope", async () => {
    const s = `erase-${Date.now()}`;
    await h.call("POST", "/v1/decide", "agent", toolCall("search", {}, s));
    await h.call("POST", "/v1/decide", "agent", toolCall("search", {}, s));
    const erase = toolCall("search");
    (erase.input as Record<string, unknown>).session = { id: s, calls: [] };
    const r = await h.call("POST", "/v1/decide", "agent", erase);
    assert.deepEqual([r.status, r.body.error.code, r.body.error.path], [403, "auth/forbidden", "/input/session/calls"]);
    // The service's own record still holds.
    assert.equal((await h.call("POST", "/v1/decide", "agent", toolCall("search", {}, s))).body.decision, "deny");
    const trusted = await startHarness({}, [{ id: "replayer", sha256: hashKey("k-replay"), agents: ["*"], environments: ["*"], scopes: ["history"] }]);
    try {
      const own = await trusted.call("POST", "/v1/decide", "k-replay", erase);
      assert.deepEqual([own.status, own.body.decision], [200, "allow"]);
    } finally {
      await trusted.close();
    }
  });

  it("decides the calls of one session one at a time, so parallel calls cannot share a history", async () => {
    const s = `parallel-${Date.now()}`;
    const all = await Promise.all(Array.from({ length: 12 }, () => h.call("POST", "/v1/decide", "agent", toolCall("search", {}, s))));
    assert.deepEqual(all.map((r) => r.body.decision).sort(), [...Array(2).fill("allow"), ...Array(10).fill("deny")]);
    const batch = await h.call("POST", "/v1/decide/batch", "agent", { requests: Array.from({ length: 4 }, () => toolCall("search", {}, `${s}-b`)) });
    assert.deepEqual(batch.body.results.map((r: { decision: string }) => r.decision), ["allow", "allow", "deny", "deny"]);
  });

  it("records what a transform changed for the console", async () => {
    await h.call("POST", "/v1/decide", "agent", { phase: "output", session: "redact-1", input: { output: { text: "mail a@b.org" } } });
    const steps = await h.call("GET", "/v1/sessions/redact-1", "admin");
    // What changed is listed; the values are personal (the log seals them) and read through the log.
    assert.deepEqual(steps.body.steps[0].changes, [{ path: "output.text", before: "[sealed]", after: "[sealed]" }]);
    const record = await h.call("GET", `/v1/decisions/${steps.body.steps[0].id}/record`, "admin");
    assert.equal(record.body.record.input.output.text, "mail a@b.org");
  });
});

describe("validation", () => {
  it("names the bad field with a code, a message and a JSON Pointer", async () => {
    const r = await h.call("POST", "/v1/decide", "agent", { phase: "tool_cal", input: {} });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, "request/invalid");
    assert.equal(r.body.error.path, "/phase");
    assert.match(r.body.error.message, /unknown phase "tool_cal"/);
    const noInput = await h.call("POST", "/v1/decide", "agent", { phase: "input" });
    assert.deepEqual([noInput.status, noInput.body.error.path], [400, "/input"]);
    const list = await h.call("POST", "/v1/decide", "agent", { phase: "input", input: [] });
    assert.match(list.body.error.message, /got a list/);
    const extra = await h.call("POST", "/v1/decide", "agent", { phase: "input", input: {}, sesion: "x" });
    assert.deepEqual([extra.status, extra.body.error.path], [400, "/sesion"]);
  });

  it("reports bad JSON and oversized bodies", async () => {
    const bad = await h.call("POST", "/v1/decide", "agent", "{nope");
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, "request/invalid");
    const big = await h.call("POST", "/v1/decide", "agent", { phase: "input", input: { text: "x".repeat(1_100_000) } });
    assert.equal(big.status, 413);
    assert.equal(big.body.error.code, "request/too-large");
  });

  it("answers a batch in order with errors in place", async () => {
    const r = await h.call("POST", "/v1/decide/batch", "agent", { requests: [toolCall("lookup"), { phase: 3, input: {} }, toolCall("shell")] });
    assert.equal(r.status, 200);
    assert.equal(r.body.results[0].decision, "allow");
    assert.deepEqual(r.body.results[1].error.path, "/requests/1/phase");
    assert.equal(r.body.results[2].decision, "deny");
    const notList = await h.call("POST", "/v1/decide/batch", "agent", { requests: {} });
    assert.deepEqual([notList.status, notList.body.error.path], [400, "/requests"]);
  });
});

describe("keys", () => {
  it("opens nothing without a key but health and public tiles", async () => {
    assert.equal((await h.call("GET", "/healthz", undefined)).status, 200);
    assert.equal((await h.call("GET", "/readyz", undefined)).status, 200);
    for (const [m, p] of [["POST", "/v1/decide"], ["POST", "/v1/decide/batch"], ["GET", "/v1/approvals"], ["POST", "/v1/approvals"], ["GET", "/v1/audit/checkpoint"], ["GET", "/v1/audit/proof?index=0"], ["GET", "/metrics"], ["GET", "/v1/decisions"], ["GET", "/v1/sessions/x"], ["GET", "/v1/policies"], ["GET", "/v1/audit/status"], ["GET", "/v1/status"]] as const) {
      const r = await h.call(m, p, undefined, m === "POST" ? {} : undefined);
      assert.equal(r.status, 401, `${m} ${p}`);
      assert.equal(r.body.error.code, "auth/missing-key");
    }
    const wrong = await h.call("POST", "/v1/decide", "pal_wrong", toolCall("lookup"));
    assert.deepEqual([wrong.status, wrong.body.error.code], [401, "auth/invalid-key"]);
  });

  it("tells any key how much of a streamed answer to hold back (the span of the output rules' patterns)", async () => {
    const r = await h.call("GET", "/v1/status", "agent");
    // The harness policy's one output pattern is pii.email, which spans at most 64 + 1 + 253
    // folded characters, each standing for at most 2 kept units of the answer (fold.ts).
    assert.deepEqual([r.status, r.body.policy.streamHold], [200, 318 * 2]);
  });

  it("scopes keys to agents and environments", async () => {
    const r = await h.call("POST", "/v1/decide", "other", toolCall("lookup"));
    assert.equal(r.status, 403);
    assert.match(r.body.error.message, /may not decide for agent 'shop-bot'/);
    const call = toolCall("lookup");
    const env = await h.call("POST", "/v1/decide", "agent", { ...call, environment: "staging", input: { ...(call.input as object), env: "staging" } });
    assert.equal(env.status, 403);
    assert.match(env.body.error.message, /environment 'staging'/);
  });

  it("keeps the console routes for admins", async () => {
    assert.equal((await h.call("GET", "/v1/decisions", "agent")).status, 403);
    const live = await h.call("GET", "/v1/decisions?decision=deny&phase=tool_call", "admin");
    assert.equal(live.status, 200);
    assert.ok(live.body.decisions.length > 0);
    assert.ok(live.body.decisions.every((d: { decision: string }) => d.decision === "deny"));
  });

  it("serves Prometheus metrics to a key with the metrics scope, and to admins", async () => {
    assert.deepEqual([(await h.call("GET", "/metrics", "agent")).status, (await h.call("GET", "/metrics", "admin")).status], [403, 200]);
    const m = await h.call("GET", "/metrics", "metrics");
    assert.equal(m.status, 200);
    assert.match(m.body, /palisade_decisions_total\{phase="tool_call",decision="allow"\} \d+/);
    assert.match(m.body, /palisade_decision_seconds_bucket\{le="\+Inf"\} \d+/);
  });
});

describe("rate limits", () => {
  it("answers 429 once a key's bucket is empty", async () => {
    const r = await startHarness({ rateLimit: { perSecond: 1, burst: 3 } }, [{ id: "slow", sha256: hashKey(KEYS.slow), agents: ["*"], environments: ["*"] }]);
    try {
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push((await r.call("POST", "/v1/decide", "slow", toolCall("lookup"))).status);
      assert.deepEqual(codes, [200, 200, 200, 429, 429]);
      const limited = await r.call("POST", "/v1/decide", "slow", toolCall("lookup"));
      assert.equal(limited.body.error.code, "rate/limited");
    } finally {
      await r.close();
    }
  });
});
