// The console's proof check (playground/src/console/proof.ts) in Node, against a real service:
// a verdict comes only from a log key the operator gave. A tampered service that re-signs its own
// story with its own key, and reports that key, must not get "verified".
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { AuditLog, generateKey, leafHash, openStore, parseSignerKey, signCheckpoint, toBase64 } from "../../engine/audit/index.ts";
import { startHarness, toolCall } from "../../engine/service/test/harness.ts";
import type { Harness } from "../../engine/service/test/harness.ts";
import { verifyDecisionProof } from "../src/console/proof.ts";
import type { ProofResponse } from "../src/console/proof.ts";

const ORIGIN = "console.test/audit";
const logKey = generateKey(ORIGIN);
let h: Harness;
let id = "";
let genuine: ProofResponse;

before(async () => {
  const store = await openStore(join(mkdtempSync(join(tmpdir(), "palisade-proof-")), "audit.db"));
  h = await startHarness({ audit: await AuditLog.open(store, { signingKey: logKey.signerKey }) });
  const r = await h.call("POST", "/v1/decide", "agent", toolCall("lookup", { q: "A-1" }, "s-1"));
  id = r.body.id;
  await h.service.checkpoint();
  genuine = (await h.call("GET", `/v1/decisions/${id}/proof`, "admin")).body;
});
after(async () => h?.close());

const none = { logKeys: [], witnessKeys: [] };

it("verifies only against a pinned log key; the key the service reports is offered, never trusted", () => {
  const unpinned = verifyDecisionProof(genuine, id, none);
  assert.equal(unpinned.ok, false);
  assert.equal(unpinned.keySource, "service");
  assert.equal(unpinned.checks.find((c) => c.name === "checkpoint signature")?.ok, null);
  assert.ok(unpinned.checks.filter((c) => c.name !== "checkpoint signature").every((c) => c.ok === true));
  const pinned = verifyDecisionProof(genuine, id, { ...none, logKeys: [logKey.verifierKey] });
  assert.equal(pinned.ok, true);
  assert.equal(pinned.keySource, "pinned");
  // No key anywhere: nothing to verify with.
  assert.equal(verifyDecisionProof({ ...genuine, logKeys: [] }, id, none).ok, false);
});

it("a service that forges an entry, a tree and a checkpoint signed with its own key gets no verdict", () => {
  const entry = JSON.parse(Buffer.from(genuine.entry, "base64").toString()) as Record<string, unknown>;
  entry.decision = "deny";
  const bytes = new TextEncoder().encode(JSON.stringify(entry));
  const forger = generateKey(ORIGIN);
  const note = signCheckpoint({ origin: ORIGIN, size: 1, root: leafHash(bytes) }, parseSignerKey(forger.signerKey));
  const forged: ProofResponse = { decision: id, index: 0, entry: toBase64(bytes), checkpoint: { note, size: 1 }, proof: { index: 0, size: 1, leafHash: toBase64(leafHash(bytes)), proof: [], root: toBase64(leafHash(bytes)) }, logKeys: [forger.verifierKey] };
  const trusting = verifyDecisionProof(forged, id, none);
  assert.equal(trusting.ok, false, "the forger's own key vouched for its forgery");
  const pinned = verifyDecisionProof(forged, id, { ...none, logKeys: [logKey.verifierKey] });
  assert.equal(pinned.ok, false);
  assert.equal(pinned.checks.find((c) => c.name === "checkpoint signature")?.ok, false);
});
