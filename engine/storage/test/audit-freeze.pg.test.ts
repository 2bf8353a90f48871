// The audit log's own PostgreSQL pool had no statement deadline: a PostgreSQL that stops
// answering without closing its connections (a partition, a frozen failover) left its reads (a
// principal's pseudonym, a proof, a checkpoint, subject keys) waiting for ever, and a request
// with them. Each statement now has the deadline the service's own stores have: the store fails
// with StoreError audit/store-unavailable (the CLI prints it as one line), the routes are 503, and
// once the database answers again the log serves again.
import assert from "node:assert/strict";
import { after, it } from "node:test";
import { AuditLog, StoreError, generateKey } from "../../audit/index.ts";
import { PostgresStore } from "../../audit/postgres-store.ts";
import { freshDatabase, pgRelay } from "../../audit/test/pg-support.ts";
import type { PgRelay } from "../../audit/test/pg-support.ts";
import { startHarness, toolCall } from "../../service/test/harness.ts";
import type { Harness } from "../../service/test/harness.ts";

const DEADLINE_MS = 800;
let relay: PgRelay | undefined;
let h: Harness | undefined;
after(async () => {
  relay?.freeze(false);
  await h?.close();
  await relay?.close();
});

/** `p`'s outcome, or "still waiting" when it has not settled within `ms`. */
async function within<T>(p: Promise<T>, ms: number): Promise<{ value?: T; error?: unknown } | "still waiting"> {
  const settled = p.then((value) => ({ value }), (error: unknown) => ({ error }));
  return Promise.race([settled, new Promise<"still waiting">((r) => setTimeout(() => r("still waiting"), ms))]);
}

it("an audit store that stops answering fails its reads within the deadline, as a StoreError and a 503, and serves again after", async () => {
  relay = await pgRelay(await freshDatabase("audit_freeze"));
  const store = await PostgresStore.open(relay.url, { queryTimeoutMs: DEADLINE_MS });
  const audit = await AuditLog.open(store, { signingKey: generateKey("test.local/audit").signerKey });
  h = await startHarness({ audit });
  assert.equal((await h.call("POST", "/v1/decide", "agent", toolCall("search", {}, "S1", "u1"))).status, 200);
  await audit.flush();
  relay.freeze(true);

  // The store itself: every kind of read named by the issue ends in a StoreError, not a wait.
  const reads: [string, () => Promise<unknown>][] = [
    ["checkpoints", () => store.checkpoints()],
    ["entries", () => store.entries(0, 1)],
    ["nodes", () => store.nodes([{ level: 0, index: 0 }])],
    ["subject keys", () => store.subjectKeys(["frozen-subject"], () => ({ keyId: "k-frozen", key: new Uint8Array(32) }))],
    ["keys by id", () => store.keysById(["k-frozen"])],
  ];
  const outcomes = await Promise.all(reads.map(([, read]) => within(read(), DEADLINE_MS * 6)));
  for (const [i, out] of outcomes.entries()) {
    assert.notEqual(out, "still waiting", `${reads[i][0]} was still waiting`);
    const err = (out as { error?: unknown }).error;
    assert.ok(err instanceof StoreError, `${reads[i][0]}: ${String(err)}`);
    assert.equal(err.code, "audit/store-unavailable");
    assert.match(err.message, /did not answer|cannot use/);
  }

  // The routes: a new principal's session needs its pseudonym (a subject key read); a proof and
  // the status read the tree.
  const calls: [string, () => ReturnType<Harness["call"]>][] = [
    ["decide (new principal)", () => h!.call("POST", "/v1/decide", "agent", toolCall("search", {}, "S2", "u-new"))],
    ["proof", () => h!.call("GET", "/v1/audit/proof?index=0&size=1", "agent")],
    ["status", () => h!.call("GET", "/v1/audit/status", "admin")],
  ];
  const answers = await Promise.all(calls.map(([, call]) => within(call(), DEADLINE_MS * 6)));
  for (const [i, out] of answers.entries()) {
    assert.notEqual(out, "still waiting", `${calls[i][0]} was still waiting`);
    const res = (out as { value?: { status: number; body: { error?: { code?: string } } } }).value;
    assert.equal(res?.status, 503, `${calls[i][0]}: ${JSON.stringify(res?.body)}`);
    assert.match(String(res?.body.error?.code), /^(audit|service)\/unavailable$/);
  }

  // Answering again: the connections left owing an answer were dropped, fresh ones serve.
  relay.freeze(false);
  assert.equal((await store.entries(0, 1)).length, 1);
  let again = await h.call("POST", "/v1/decide", "agent", toolCall("search", {}, "S2", "u-new"));
  for (let i = 0; i < 20 && again.status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 100));
    again = await h.call("POST", "/v1/decide", "agent", toolCall("search", {}, "S2", "u-new"));
  }
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.equal((await h.call("GET", "/v1/audit/proof?index=0&size=1", "agent")).status, 200);
});
