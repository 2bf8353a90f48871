// Signing and erasure guarantees on the shared PostgreSQL store, where many nodes sign with one
// key: a second node's key is refused, a node whose store was rolled back or rewritten behind it
// refuses to sign, and an erasure rewrites the key table (VACUUM FULL) before it reports done.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileSignerMemory } from "../key-files.ts";
import { AuditLog } from "../log.ts";
import { generateKey } from "../note.ts";
import { StoreError } from "../store.ts";
import { freshDatabase, sql } from "./pg-support.ts";
import { decisionRecord } from "./records.ts";

const dir = mkdtempSync(join(tmpdir(), "palisade-signing-pg-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const key = generateKey("palisade.test/pg-signing");

async function signedLog(url: string, size: number, memory: string): Promise<void> {
  const log = await AuditLog.open(url, { signingKey: key.signerKey, signerMemory: fileSignerMemory(memory) });
  await Promise.all(Array.from({ length: size }, (_, i) => log.append(decisionRecord(i))));
  await log.checkpoint();
  await log.close();
}

test("postgres: another key is refused; a truncated or rewritten store cannot be signed again", async () => {
  const url = await freshDatabase("audit_signing");
  const memory = join(dir, "node1.checkpoint");
  await signedLog(url, 40, memory);
  await assert.rejects(AuditLog.open(url, { signingKey: generateKey("palisade.test/pg-signing").signerKey }), (e: unknown) => e instanceof StoreError && e.code === "audit/key-mismatch");

  // Truncated to 30 with the newer checkpoint gone: the node's memory still says 40.
  await sql(url, "DELETE FROM entries WHERE idx >= 30; DELETE FROM nodes WHERE (idx + 1) * (1::bigint << level) > 30; DELETE FROM checkpoints");
  const log = await AuditLog.open(url, { signingKey: key.signerKey, signerMemory: fileSignerMemory(memory) });
  await Promise.all(Array.from({ length: 20 }, (_, i) => log.append(decisionRecord(100 + i))));
  await assert.rejects(log.checkpoint(), (e: unknown) => e instanceof StoreError && e.code === "audit/signing-refused" && /does not extend the signer's memory of its latest checkpoint \(size 40\)/.test(e.message));
  assert.deepEqual(await sql(url, "SELECT count(*)::int AS n FROM checkpoints"), [{ n: 0 }]);
  await log.close();
});

test("postgres: erasure reports done once VACUUM FULL has rewritten the key table", async () => {
  const url = await freshDatabase("audit_signing");
  const log = await AuditLog.open(url);
  await Promise.all([log.append(decisionRecord(0, { principal: "ines" })), log.append(decisionRecord(1, { principal: "jon" }))]);
  const r = await log.erase("ines");
  assert.deepEqual([r.keysDestroyed, r.entries, r.complete, r.remains], [1, 1, true, []]);
  assert.equal((await log.read(0)).record.principal, "[erased]");
  assert.equal((await log.read(1)).record.principal, "jon");
  await log.close();
});
