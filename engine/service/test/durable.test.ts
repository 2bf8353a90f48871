// A 200 is a record: the service answers a decision only once its audit entry is durable, refuses
// it (503 audit/unavailable) when the store cannot take it, and refuses before deciding any input
// the log's canonical encoding cannot hold, so the answer and the entry never part.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AuditLog, generateKey } from "../../audit/index.ts";
import type { AuditStore } from "../../audit/index.ts";
import { SqliteStore } from "../../audit/sqlite-store.ts";
import { MemoryApprovalStore } from "../approval-store.ts";
import { MemorySessionStore } from "../sessions.ts";
import { startHarness, toolCall } from "./harness.ts";
import type { Harness } from "./harness.ts";

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => h.close());

/** A real SQLite store whose appends fail (a full disk, a lost volume) or hang (a stalled network volume) while `down` is set. */
function flakyStore(path: string, how: "fail" | "hang" = "fail"): { store: AuditStore; setDown(v: boolean): void } {
  const real = SqliteStore.open(path);
  let down = false;
  const store = new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === "append") return (entries: Parameters<AuditStore["append"]>[0]) => (!down ? target.append(entries) : how === "fail" ? Promise.reject(new Error("disk I/O error")) : new Promise<never>(() => {}));
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as unknown as AuditStore;
  return { store, setDown: (v) => (down = v) };
}

describe("acknowledged means durable", () => {
  it("has every answered decision in the store when the answer arrives", async () => {
    // A second connection sees only committed entries.
    const reader = SqliteStore.open(join(h.dir, "audit.db"));
    try {
      for (let i = 0; i < 20; i++) {
        const before = await reader.size();
        const r = await h.call("POST", "/v1/decide", "agent", toolCall("lookup", { i }));
        assert.equal(r.status, 200);
        assert.ok((await reader.size()) > before, `decision ${i} was answered before its entry was committed`);
      }
      const batch = await h.call("POST", "/v1/decide/batch", "agent", { requests: Array.from({ length: 30 }, (_, i) => toolCall("lookup", { i })) });
      const ids = new Set(batch.body.results.map((x: { id: string }) => x.id));
      const size = await reader.size();
      const recent = await reader.entries(Math.max(0, size - 60), size);
      const logged = new Set(recent.map((e) => (JSON.parse(new TextDecoder().decode(e.data)) as { decision_id?: string }).decision_id));
      for (const id of ids) assert.ok(logged.has(id as string), `batch decision ${String(id)} answered but not committed`);
    } finally {
      await reader.close();
    }
  });

  for (const onFailure of ["deny", "allow"] as const) {
    it(`answers a decision the store cannot take with ${onFailure === "deny" ? "503 audit/unavailable (default)" : "its decision, counted, under audit.onFailure: allow"}`, async () => {
      const errors: unknown[] = [];
      const path = join(h.dir, `flaky-${onFailure}.db`);
      const flaky = flakyStore(path);
      const audit = await AuditLog.open(flaky.store, { signingKey: generateKey("test.local/audit").signerKey });
      const s = await startHarness({ audit, auditOnFailure: onFailure, onError: (e) => errors.push(e) });
      try {
        assert.equal((await s.call("POST", "/v1/decide", "agent", toolCall("lookup"))).status, 200);
        flaky.setDown(true);
        const one = await s.call("POST", "/v1/decide", "agent", toolCall("lookup"));
        const batch = await s.call("POST", "/v1/decide/batch", "agent", { requests: [toolCall("lookup"), toolCall("shell")] });
        const approval = await s.call("POST", "/v1/decide", "agent", toolCall("refund", { amount: 900 }));
        if (onFailure === "deny") {
          assert.deepEqual([one.status, one.body.error.code], [503, "audit/unavailable"]);
          assert.deepEqual(batch.body.results.map((r: { error: { code: string } }) => r.error.code), ["audit/unavailable", "audit/unavailable"]);
          assert.equal(approval.status, 503);
          // Nothing refused reaches the console or the approval queue.
          assert.equal((await s.call("GET", "/v1/approvals?status=pending", "admin")).body.approvals.length, 0);
        } else {
          assert.deepEqual([one.status, one.body.decision], [200, "allow"]);
          assert.deepEqual(batch.body.results.map((r: { decision: string }) => r.decision), ["allow", "deny"]);
          assert.equal(approval.body.decision, "require_approval");
          assert.ok(errors.some((e) => /answered without its audit entry/.test(String(e))));
        }
        const metrics = (await s.call("GET", "/metrics", "metrics")).body as string;
        assert.match(metrics, /^palisade_audit_failures_total 4$/m);
        assert.match(metrics, new RegExp(`^palisade_audit_unrecorded_answers_total ${onFailure === "allow" ? 4 : 0}$`, "m"));
        flaky.setDown(false);
        assert.equal((await s.call("POST", "/v1/decide", "agent", toolCall("lookup"))).status, 200);
        assert.equal(await audit.size(), 2);
      } finally {
        await s.close();
      }
    });
  }
});

describe("a store that stops answering", () => {
  it("refuses the decision with 503 once audit.timeoutMs passes, and counts it", async () => {
    const flaky = flakyStore(join(h.dir, "hang.db"), "hang");
    const audit = await AuditLog.open(flaky.store, { signingKey: generateKey("test.local/audit").signerKey });
    const errors: unknown[] = [];
    const s = await startHarness({ audit, auditTimeoutMs: 300, onError: (e) => errors.push(e) });
    try {
      flaky.setDown(true);
      const started = Date.now();
      const r = await s.call("POST", "/v1/decide", "agent", toolCall("lookup"));
      assert.deepEqual([r.status, r.body.error.code], [503, "audit/unavailable"]);
      assert.match(r.body.error.message, /did not commit it in time/);
      assert.ok(Date.now() - started < 3000);
      assert.match((await s.call("GET", "/metrics", "metrics")).body as string, /^palisade_audit_failures_total 1$/m);
      assert.ok(errors.some((e) => /did not commit within 300 ms/.test(String(e))));
    } finally {
      // The hung append never settles: close the service without waiting on the log.
      void s.close().catch(() => {});
    }
  });
});

describe("a shared store that fails", () => {
  it("answers 503 service/unavailable, never 500, when the session or approval store rejects (a dropped PostgreSQL connection)", async () => {
    const down = new Error("Connection terminated unexpectedly");
    class FailingSessions extends MemorySessionStore {
      override read(): Promise<never> {
        return Promise.reject(down);
      }
    }
    class FailingApprovals extends MemoryApprovalStore {
      override create(): Promise<never> {
        return Promise.reject(down);
      }
    }
    const errors: unknown[] = [];
    const s = await startHarness({ sessions: new FailingSessions(), approvals: new FailingApprovals(), onError: (e) => errors.push(e) });
    try {
      const inSession = await s.call("POST", "/v1/decide", "agent", toolCall("lookup", {}, "s-down"));
      assert.deepEqual([inSession.status, inSession.body.error.code], [503, "service/unavailable"], JSON.stringify(inSession.body));
      const approval = await s.call("POST", "/v1/decide", "agent", toolCall("export"));
      assert.deepEqual([approval.status, approval.body.error.code], [503, "service/unavailable"], JSON.stringify(approval.body));
      const batch = await s.call("POST", "/v1/decide/batch", "agent", { requests: [toolCall("lookup", {}, "s-down"), toolCall("lookup")] });
      assert.deepEqual(batch.body.results.map((r: { error?: { code: string }; decision?: string }) => r.error?.code ?? r.decision), ["service/unavailable", "allow"]);
      assert.ok(errors.some((e) => /session store: Connection terminated/.test(String(e))), "the operator is told");
    } finally {
      await s.close();
    }
  });
});

describe("inputs the log cannot hold as is are refused before deciding", () => {
  const cases: [string, string, string][] = [
    ["a lone low surrogate in a value", '{"phase":"tool_call","input":{"tool":{"name":"lookup","args":{"q":"\\udc00"}}}}', "/input/tool/args/q"],
    ["a lone high surrogate in a value", '{"phase":"tool_call","input":{"tool":{"name":"lookup","args":{"q":"a\\uD800b"}}}}', "/input/tool/args/q"],
    ["a lone surrogate in a key", '{"phase":"tool_call","input":{"tool":{"name":"lookup","args":{"\\udc00":1}}}}', "/input/tool/args/\udc00"],
    ["a reversed pair", '{"phase":"input","input":{"text":"\\udc00\\ud800"}}', "/input/text"],
    ["a session id", '{"phase":"input","session":"\\ud800","input":{}}', "/session"],
    ["a number beyond a double", '{"phase":"tool_call","input":{"tool":{"name":"lookup","args":{"n":1e400}}}}', "/input/tool/args/n"],
    ["a __proto__ key", '{"phase":"tool_call","input":{"tool":{"name":"lookup","args":{"__proto__":{"x":1}}}}}', "/input/tool/args/__proto__"],
  ];
  for (const [what, body, path] of cases) {
    it(`refuses ${what} with 400 and the field's path`, async () => {
      const size = await h.service.context.audit.size();
      const r = await h.call("POST", "/v1/decide", "agent", body);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.code, "request/invalid");
      assert.equal(r.body.error.path, path);
      await h.service.context.writer.flush();
      assert.equal(await h.service.context.audit.size(), size);
    });
  }

  it("records an escaped surrogate pair (an emoji from a client that escapes non-ASCII)", async () => {
    const r = await h.call("POST", "/v1/decide", "agent", '{"phase":"output","input":{"agent":{"id":"shop-bot"},"output":{"text":"ok \\ud83d\\ude00"}},"environment":"production"}');
    assert.equal(r.status, 200);
    assert.equal(r.body.payload.output.text, "ok 😀");
    await h.service.context.writer.flush();
    const log = h.service.context.audit;
    const last = await log.read((await log.size()) - 1);
    assert.equal((last.record as { decision_id: string }).decision_id, r.body.id);
  });

  it("refuses JSON nested deeper than 64 with 400, never 500", async () => {
    for (const depth of [65, 10_000, 200_000]) {
      const body = `{"phase":"input","input":{"x":${"[".repeat(depth)}${"]".repeat(depth)}}}`;
      const r = await h.call("POST", "/v1/decide", "agent", body);
      assert.equal(r.status, 400, `depth ${depth}`);
      assert.match(r.body.error.message, /nested more than 64 deep/);
    }
    const ok = await h.call("POST", "/v1/decide", "agent", `{"phase":"input","environment":"production","input":{"agent":{"id":"shop-bot"},"x":${"[".repeat(40)}${"]".repeat(40)}}}`);
    assert.equal(ok.status, 200);
  });
});
