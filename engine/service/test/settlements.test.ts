// POST /v1/settlements: a tool that failed (or that the framework stopped) is what the session's
// history says, on the next decision and after a restart, and in the audit log (a settlement
// entry replay reads). Only the deciding key settles, once; a retry is answered the same.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AuditLog, generateKey } from "../../audit/index.ts";
import { rebuildHistories } from "../../sdk/history.ts";
import type { RecordedDecision } from "../../sdk/history.ts";
import { hashKey } from "../keys.ts";
import { SqliteSessionStore } from "../session-store-sqlite.ts";
import { keyConfigs, startHarness, toolCall } from "./harness.ts";
import type { Harness } from "./harness.ts";

// A second key for the same agent: foreign in the first key's sessions, it settles none of their calls.
const keys = [...keyConfigs, { id: "agent2", sha256: hashKey("k-agent2"), agents: ["shop-bot"], environments: ["production"] }];

describe("settling a tool call that failed (POST /v1/settlements)", () => {
  let dir: string;
  let state: string;
  let h: Harness;
  const signingKey = generateKey("test.local/audit").signerKey;
  const node = async (): Promise<Harness> => startHarness({ sessions: SqliteSessionStore.open(state), audit: await AuditLog.open(join(dir, "audit.db"), { signingKey }) }, keys);
  const decide = async (tool: string, session: string, key = "agent") => (await h.call("POST", "/v1/decide", key, { ...toolCall(tool, {}, session), payload: "history" })).body;
  const settle = (body: Record<string, unknown>, key = "agent") => h.call("POST", "/v1/settlements", key, body);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "palisade-settle-"));
    state = join(dir, "audit.state.db");
    h = await node();
  });
  after(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers each tool call in a session with its place, and none outside a session", async () => {
    assert.equal((await decide("lookup", "places")).call_seq, 0);
    assert.equal((await decide("shell", "places")).call_seq, 1, "a denied call has its place too");
    assert.equal((await h.call("POST", "/v1/decide", "agent", toolCall("lookup", {}))).body.call_seq, undefined);
    const out = await h.call("POST", "/v1/decide", "agent", { phase: "output", input: { agent: { id: "shop-bot" }, env: "production", output: { text: "hi" } }, session: "places" });
    assert.equal(out.body.call_seq, undefined, "only a tool_call joins the history");
  });

  it("makes the next decision read the call failed: a rule on it denies, on this node and after a restart", async () => {
    const ran = await decide("lookup", "s-fail");
    assert.equal((await decide("wire", "s-fail")).decision, "allow", "nothing failed yet");
    const r = await settle({ session: "s-fail", call_seq: ran.call_seq, outcome: "failed", error: { type: "TimeoutError" } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { session: "s-fail", call_seq: 0, outcome: "failed", settled: true });
    const next = await decide("wire", "s-fail");
    assert.equal(next.decision, "deny");
    assert.equal(next.reasons[0].rule, "shop.after_failure");
    assert.deepEqual(next.payload.session.calls.map((c: { outcome: string }) => c.outcome), ["failed", "executed"], "the history the call was decided on");
    assert.equal(next.payload.session.calls[0].by, undefined, "the deciding key is never shown to policies");
    await h.close();
    h = await node();
    assert.equal((await decide("wire", "s-fail")).decision, "deny", "the settlement is durable");
  });

  it("is idempotent for the same outcome, refuses a second different one, another key's call, an unknown call and a call that did not run", async () => {
    const ran = await decide("lookup", "s-once");
    const denied = await decide("shell", "s-once");
    const body = { session: "s-once", call_seq: ran.call_seq, outcome: "failed" };
    assert.equal((await settle(body)).body.settled, true);
    const again = await settle(body);
    assert.equal(again.status, 200);
    assert.equal(again.body.settled, false, "a retry changes nothing");
    const other = await settle({ ...body, outcome: "denied" });
    assert.equal(other.status, 409);
    assert.equal(other.body.error.code, "session/already-settled");
    const stopped = await settle({ session: "s-once", call_seq: denied.call_seq, outcome: "failed" });
    assert.equal(stopped.status, 409, "a call the policies denied never ran");
    const unknown = await settle({ ...body, call_seq: 99 });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, "session/call-not-found");
    assert.equal((await settle({ ...body, session: "no-such-session" })).status, 404);
    // Another key of the same agent is foreign in the session (spec/service.md): its step joins
    // nothing, and it may not settle the first key's call.
    const theirs = await decide("search", "s-once", "k-agent2");
    assert.deepEqual([theirs.decision, theirs.reasons[0].rule, theirs.call_seq], ["deny", "palisade.session_principal", undefined]);
    const foreign = await settle({ session: "s-once", call_seq: 0, outcome: "denied" }, "k-agent2");
    assert.equal(foreign.status, 403);
    assert.equal(foreign.body.error.code, "auth/forbidden");
    // A key without the agent in its scope is refused before anything is read.
    assert.equal((await settle({ ...body, agent: "shop-bot", environment: "production" }, "other")).status, 403);
    const calls = (await decide("lookup", "s-once")).payload.session.calls.map((c: { outcome: string }) => c.outcome);
    assert.deepEqual(calls, ["failed", "denied"]);
  });

  it("checks the body as the OpenAPI schema says", async () => {
    for (const bad of [{}, { session: "s", call_seq: -1, outcome: "failed" }, { session: "s", call_seq: 1.5, outcome: "failed" }, { session: "s", call_seq: 0, outcome: "executed" }, { session: "s", call_seq: 0, outcome: "failed", error: { type: "E", message: "card 4111" } }, { session: "", call_seq: 0, outcome: "failed" }, { session: "s", call_seq: 0, outcome: "failed", extra: 1 }]) {
      const r = await settle(bad);
      assert.equal(r.status, 400, JSON.stringify(bad));
      assert.equal(r.body.error.code, "request/invalid");
    }
  });

  it("records a settlement entry after the call's decision (type only), which replay reads as the call's outcome", async () => {
    const ran = await decide("lookup", "s-log");
    await settle({ session: "s-log", call_seq: ran.call_seq, outcome: "failed", error: { type: "ValueError" } });
    await settle({ session: "s-log", call_seq: ran.call_seq, outcome: "failed", error: { type: "ValueError" } });
    const log = h.service.context.audit;
    await log.flush();
    const records: Record<string, unknown>[] = [];
    for (let i = 0, size = await log.size(); i < size; i++) records.push((await log.read(i)).record as Record<string, unknown>);
    const mine = records.filter((r) => r.session === "s-log");
    assert.equal(mine[0].settles, undefined);
    const settlement = mine[1];
    assert.equal(settlement.settles, true);
    assert.equal(settlement.call_seq, 0);
    assert.equal(settlement.outcome, "failed");
    assert.deepEqual(settlement.error, { type: "ValueError" });
    assert.equal(settlement.tool, "lookup");
    assert.equal(settlement.caller, "agent");
    assert.equal(settlement.decision, "allow");
    const replayed = rebuildHistories(records as unknown as RecordedDecision[]).get("s-log");
    assert.deepEqual(replayed?.map((c) => c.outcome), ["failed"]);
  });
});
