// A PostgreSQL that stops answering without closing its connections (a network partition, a
// frozen failover): a decision in a session waited for ever on the session store, and every later
// step of that session queued behind it. Each statement now has a deadline: the decision is 503
// service/unavailable, and once the database answers again the session decides again.
import assert from "node:assert/strict";
import { connect, createServer } from "node:net";
import type { Socket } from "node:net";
import { after, it } from "node:test";
import { freshDatabase } from "../../audit/test/pg-support.ts";
import { PostgresSessionStore } from "../session-store-pg.ts";
import { startHarness, toolCall } from "./harness.ts";
import type { Harness } from "./harness.ts";

let h: Harness | undefined;
const pairs = new Set<[Socket, Socket]>();
let frozen = false;
const relay = createServer((client) => {
  const upstream = connect(Number(new URL(target).port), "127.0.0.1");
  const pair: [Socket, Socket] = [client, upstream];
  pairs.add(pair);
  // Bytes are forwarded only while not frozen; frozen, they are held and nothing is closed.
  client.on("data", (d) => void (frozen || upstream.write(d)));
  upstream.on("data", (d) => void (frozen || client.write(d)));
  const drop = (): void => {
    client.destroy();
    upstream.destroy();
    pairs.delete(pair);
  };
  client.on("error", drop).on("close", drop);
  upstream.on("error", drop).on("close", drop);
});
let target = "";
after(async () => {
  frozen = false;
  await h?.close();
  for (const [a, b] of pairs) {
    a.destroy();
    b.destroy();
  }
  relay.close();
});

it("a session store that stops answering is 503 within the statement deadline, not a decision that never ends", async () => {
  target = await freshDatabase("freeze");
  await new Promise<void>((r) => relay.listen(0, "127.0.0.1", r));
  const via = new URL(target);
  via.port = String((relay.address() as { port: number }).port);
  h = await startHarness({ sessions: await PostgresSessionStore.open(via.toString(), 400) });
  assert.equal((await h.call("POST", "/v1/decide", "agent", toolCall("search", {}, "F"))).status, 200);
  frozen = true;
  const started = Date.now();
  const stuck = await Promise.race([h.call("POST", "/v1/decide", "agent", toolCall("search", {}, "F")), new Promise<undefined>((r) => setTimeout(r, 8000))]);
  assert.ok(stuck !== undefined, "the decision was still waiting after 8 s");
  assert.deepEqual([stuck.status, stuck.body.error?.code], [503, "service/unavailable"], JSON.stringify(stuck.body));
  assert.ok(Date.now() - started < 6000, `${Date.now() - started} ms`);
  // Answering again (the frozen connections were dropped by the deadline): the session goes on.
  frozen = false;
  let again = await h.call("POST", "/v1/decide", "agent", toolCall("search", {}, "F"));
  for (let i = 0; i < 20 && again.status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 250));
    again = await h.call("POST", "/v1/decide", "agent", toolCall("search", {}, "F"));
  }
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.equal(again.body.decision, "allow", "the frozen step added nothing: this is the session's second search");
});
