// Every decision reaches the audit log; checkpoints, inclusion proofs and the public C2SP tiles
// agree with each other and with the log.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { decodeEntryBundle, fromBase64, leafHash, openCheckpoint, verifyInclusion } from "../../audit/index.ts";
import { parseTilePath } from "../routes-audit.ts";
import { startHarness, toolCall } from "./harness.ts";
import type { Harness } from "./harness.ts";

let h: Harness;
before(async () => {
  h = await startHarness({ publicEntries: true });
});
after(async () => h.close());

describe("audit", () => {
  it("appends every decision and proves it against a signed checkpoint", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 300; i++) ids.push((await h.call("POST", "/v1/decide", "agent", toolCall(i % 3 === 0 ? "shell" : "lookup", { i }))).body.id);
    const size = await h.service.checkpoint();
    assert.equal(size, 300);
    const note = await h.call("GET", "/v1/audit/checkpoint", "agent");
    assert.equal(note.status, 200);
    const opened = openCheckpoint(note.body, await h.service.context.audit.verifierKeys());
    assert.ok(opened.ok);
    assert.equal(opened.checkpoint.size, 300);
    const proof = await h.call("GET", "/v1/audit/proof?index=123", "agent");
    assert.equal(proof.body.size, 300);
    assert.ok(verifyInclusion(fromBase64(proof.body.leafHash), 123, 300, proof.body.proof.map(fromBase64), opened.checkpoint.root));
    const bad = await h.call("GET", "/v1/audit/proof?index=300", "agent");
    assert.deepEqual([bad.status, bad.body.error.code], [400, "audit/invalid-range"]);
    const notInt = await h.call("GET", "/v1/audit/proof?index=-1", "agent");
    assert.deepEqual([notInt.status, notInt.body.error.path], [400, "/index"]);

    // Public tiles, no key: the entry bundle holds the decisions, the hash tile their leaf hashes.
    // Partial widths below the latest checkpoint's stay served, for clients holding older ones.
    assert.equal((await fetch(`${h.url}/tlog/tile/entries/000.p/44`)).status, 200);
    const full = await fetch(`${h.url}/tlog/tile/entries/000`);
    assert.equal(full.status, 200);
    assert.equal(full.headers.get("content-encoding"), "gzip", "entry bundles are compressed at the HTTP layer");
    const entries = decodeEntryBundle(new Uint8Array(await full.arrayBuffer()));
    assert.equal(entries.length, 256);
    const record = JSON.parse(new TextDecoder().decode(entries[5])) as { decision_id: string; decision: string };
    assert.equal(record.decision_id, ids[5]);
    const rest = await fetch(`${h.url}/tlog/tile/entries/001.p/44`);
    assert.equal(decodeEntryBundle(new Uint8Array(await rest.arrayBuffer())).length, 44);
    const tile = new Uint8Array(await (await fetch(`${h.url}/tlog/tile/0/000`)).arrayBuffer());
    assert.deepEqual(tile.slice(32 * 5, 32 * 6), leafHash(entries[5]));
    assert.equal((await fetch(`${h.url}/tlog/tile/1/000.p/1`)).status, 200);
    assert.equal((await fetch(`${h.url}/tlog/tile/1/000.p/2`)).status, 404);
    assert.equal((await fetch(`${h.url}/tlog/checkpoint`)).status, 200);

    const status = await h.call("GET", "/v1/audit/status", "admin");
    assert.equal(status.body.verification.ok, true);
    assert.equal(status.body.checkpoint.size, 300);
  });

  it("serves entry bundles only when audit.publicEntries is on; hashes and checkpoints always", async () => {
    const closed = await startHarness();
    try {
      await closed.call("POST", "/v1/decide", "agent", toolCall("lookup", { i: 1 }));
      assert.equal(await closed.service.checkpoint(), 1);
      assert.equal((await fetch(`${closed.url}/tlog/tile/entries/000.p/1`)).status, 403);
      assert.equal((await fetch(`${closed.url}/tlog/tile/0/000.p/1`)).status, 200);
      assert.equal((await fetch(`${closed.url}/tlog/checkpoint`)).status, 200);
    } finally {
      await closed.close();
    }
  });

  it("parses tile paths", () => {
    assert.deepEqual(parseTilePath("0/x001/234"), { level: 0, index: 1234, width: 256 });
    assert.deepEqual(parseTilePath("entries/000.p/7"), { level: "entries", index: 0, width: 7 });
    assert.equal(parseTilePath("0/1234"), undefined);
    assert.equal(parseTilePath("0/000.p/256"), undefined);
  });
});
