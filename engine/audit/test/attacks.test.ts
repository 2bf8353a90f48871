// The attacks of issue 18, each against its own copy of one signed SQLite log, through the CLI
// as an operator runs it: a verifier trusts only keys and checkpoints from outside the database,
// and a log never signs a tree that contradicts what it signed before.
import assert from "node:assert/strict";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { encodeEntry } from "../entry.ts";
import { leafHash, toBase64 } from "../hash.ts";
import { fileSignerMemory } from "../key-files.ts";
import { AuditLog } from "../log.ts";
import type { SignedCheckpoint } from "../log.ts";
import { generateKey } from "../note.ts";
import { StoreError } from "../store.ts";
import { audit, copyLog, freshDir, grow, openSigned, restoreDatabase, rewriteEntry, sql } from "./attacks-support.ts";
import type { LogDir } from "./attacks-support.ts";
import { decisionRecord } from "./records.ts";

// Checkpoints at 200, 457 and 600; a snapshot of the database at 457.
let base: LogDir;
let at457: LogDir;
let cps: SignedCheckpoint[];
const forged = encodeEntry(decisionRecord(345, { tag: "forged", decision: "allow" }));

before(async () => {
  base = freshDir();
  cps = [];
  const snap = async (): Promise<LogDir> => copyLog(base);
  let log = await openSigned(base);
  cps.push(await grow(log, 0, 200));
  await log.close();
  log = await openSigned(base);
  cps.push(await grow(log, 200, 457));
  await log.close();
  at457 = await snap();
  log = await openSigned(base);
  cps.push(await grow(log, 457, 600));
  await log.close();
});

/** A file holding the checkpoint a client kept. */
function held(d: LogDir, cp: SignedCheckpoint, name = "held.cp"): string {
  writeFileSync(join(d.dir, name), cp.note);
  return name;
}

test("the untouched log verifies with its .vkey file alone: no private key needed, no key read from the database", async () => {
  const c = copyLog(base, ["key"]);
  const r = await audit(c, "verify", "--checkpoint", held(c, cps[1]));
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /^ok: 600 entries, 596 nodes and 3 checkpoints verify, and the log contains 2 held checkpoints\n/);
  assert.match(r.out, /latest trusted checkpoint: size 600 \(palisade\.test\/attacks\)\n$/);
});

test("a database rolled back to an older copy: the checkpoint a client holds and the signer's memory both catch it", async () => {
  const c = copyLog(base, ["checkpoint"]);
  const file = held(c, cps[2]);
  restoreDatabase(at457, c);
  const r = await audit(c, "verify", "--checkpoint", file);
  assert.equal(r.code, 1, r.out + r.err);
  assert.match(r.out, /^verify failed: first bad index 457\n  checkpoint held\.cp \(size 600\) is beyond the log's 457 entries: the log was rolled back or truncated\n/);
  // Without --checkpoint: the signer's memory beside the key remembers size 600.
  const m = copyLog(base);
  restoreDatabase(at457, m);
  const byMemory = await audit(m, "verify");
  assert.equal(byMemory.code, 1, byMemory.out);
  assert.match(byMemory.out, /checkpoint .*audit\.db\.checkpoint \(size 600\) is beyond the log's 457 entries/);
});

test("rolled back, then different entries appended: the log refuses to sign (exit 3), so no two checkpoints contradict", async () => {
  for (const [to, why] of [
    [520, /refusing to sign: the log holds 520 entries, but the signer's memory of its latest checkpoint is of size 600; the store was rolled back or truncated/],
    [700, /refusing to sign: the log's tree of 700 entries does not extend the signer's memory of its latest checkpoint \(size 600\); its first 600 entries were changed/],
  ] as const) {
    const c = copyLog(base);
    restoreDatabase(at457, c);
    const log = await openSigned(c);
    await assert.rejects(grow(log, 457, to, "other"), (e: unknown) => e instanceof StoreError && e.code === "audit/signing-refused" && why.test(e.message));
    await log.close();
    const cli = await audit(c, "checkpoint");
    assert.equal(cli.code, 3, cli.err);
    assert.match(cli.err, /^palisade audit checkpoint: error: refusing to sign/);
    const db = sql(c);
    const sizes = db.prepare("SELECT size FROM checkpoints ORDER BY size").all().map((r) => Number(r.size));
    db.close();
    assert.deepEqual(sizes, [200, 457], "nothing was signed over the fork");
  }
});

test("an entry, its leaf and every node rewritten, checkpoints deleted: nothing vouches for the log any more", async () => {
  const c = copyLog(base, ["checkpoint", "leaves"]);
  rewriteEntry(c, 345, forged, leafHash(forged));
  const db = sql(c);
  db.exec("DELETE FROM checkpoints");
  db.close();
  const r = await audit(c, "verify");
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /^verify failed\n  no checkpoint signed by a trusted key matches the log: nothing vouches for its entries\n/);
  // Checkpoints a client kept pin it down: it lies after the last one that still matches.
  const withHeld = await audit(c, "verify", "--checkpoint", held(c, cps[0], "first.cp"), "--checkpoint", held(c, cps[1]), "--checkpoint", held(c, cps[2], "last.cp"));
  assert.equal(withHeld.code, 1);
  assert.match(withHeld.out, /^verify failed: first bad index within 200\.\.456\n/);
  assert.match(withHeld.out, /the log's first 457 entries do not have the root of checkpoint held\.cp \(size 457\): the log was rewritten or forked/);
  // The signer's leaf memory, checked against the held checkpoints, names the entry.
  copyFileSync(base.files.leaves, c.files.leaves);
  const pinned = await audit(c, "verify", "--checkpoint", "first.cp", "--checkpoint", "held.cp", "--checkpoint", "last.cp");
  assert.match(pinned.out, /^verify failed: first bad index 345\n/);
});

test("truncated to 500 entries with the newer checkpoints deleted: the signer's memory and a held checkpoint catch it", async () => {
  for (const without of [[], ["checkpoint"]] as const) {
    const c = copyLog(base, without);
    const db = sql(c);
    db.exec("DELETE FROM entries WHERE idx >= 500; DELETE FROM checkpoints WHERE size > 500;");
    db.exec("DELETE FROM nodes WHERE id >> 6 >= 500");
    db.close();
    const args = without.length > 0 ? ["--checkpoint", held(c, cps[2])] : [];
    const r = await audit(c, "verify", ...args);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /^verify failed: first bad index 500\n  checkpoint \S+ \(size 600\) is beyond the log's 500 entries: the log was rolled back or truncated\n/);
  }
});

test("every checkpoint deleted: an unsigned log fails unless --allow-unsigned is given", async () => {
  const c = copyLog(base, ["checkpoint"]);
  const db = sql(c);
  db.exec("DELETE FROM checkpoints");
  db.close();
  const r = await audit(c, "verify");
  assert.equal(r.code, 1);
  assert.match(r.out, /nothing vouches for its entries/);
  const allowed = await audit(c, "verify", "--allow-unsigned");
  assert.equal(allowed.code, 0, allowed.out);
});

test("an attacker's key of the same name in meta.vkey, entries rewritten and re-signed, no .key file: refused, never self-verified", async () => {
  const c = copyLog(base, ["key", "checkpoint"]);
  const attacker = generateKey("palisade.test/attacks");
  rewriteEntry(c, 345, forged, leafHash(forged));
  const db = sql(c);
  db.exec("DELETE FROM checkpoints");
  db.prepare("UPDATE meta SET value = ? WHERE name = 'vkey'").run(attacker.verifierKey);
  db.close();
  const log = await AuditLog.open(c.db, { signingKey: attacker.signerKey });
  await log.checkpoint();
  await log.close();
  const r = await audit(c, "verify");
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /stored checkpoint #1 \(size 600\): it is not signed by a trusted key/);
  // With no key file of any kind beside it, the database's own key is never used.
  const bare = copyLog(c, ["vkey"]);
  const none = await audit(bare, "verify");
  assert.equal(none.code, 2);
  assert.match(none.err, /no verifier key to trust/);
  const given = await audit(bare, "verify", "--vkey", readFileSync(base.files.vkey, "utf8").trim());
  assert.equal(given.code, 1);
});

test("prove and consistency check against a signed checkpoint, not the store's own recomputed root", async () => {
  const c = copyLog(base);
  rewriteEntry(c, 345, forged, leafHash(forged));
  const p = await audit(c, "prove", "--index", "7");
  assert.equal(p.code, 1, p.err);
  const proof = JSON.parse(p.out) as { verified: boolean; root: string; checkpoint: { size: number; source: string } };
  assert.equal(proof.verified, false);
  assert.deepEqual(proof.checkpoint, { origin: "palisade.test/attacks", size: 600, source: "stored (latest)" });
  assert.equal(Buffer.from(proof.root, "hex").toString("base64"), toBase64(cps[2].root));
  const older = await audit(c, "prove", "--index", "7", "--size", "200");
  assert.equal(older.code, 0, "entry 7 is still in the tree of the checkpoint of size 200");
  const cons = await audit(c, "consistency", "--from", "200");
  assert.equal(cons.code, 1);
  const out = JSON.parse(cons.out) as { verified: boolean; checkpoints: { from: { signed: boolean }; to: { source: string; signed: boolean } } };
  assert.deepEqual([out.verified, out.checkpoints.from.signed, out.checkpoints.to.signed], [false, true, true]);
});

test("precise reports: a bad signature names the checkpoint; published tiles pin a rewrite with rebuilt nodes to its entry", async () => {
  const c = copyLog(base, ["checkpoint"]);
  const db = sql(c);
  const note = String((db.prepare("SELECT note FROM checkpoints WHERE size = 457").get() as { note: string }).note);
  const sig = note.lastIndexOf(" ") + 10;
  db.prepare("UPDATE checkpoints SET note = ? WHERE size = 457").run(note.slice(0, sig) + (note[sig] === "A" ? "B" : "A") + note.slice(sig + 1));
  db.close();
  const bad = await audit(c, "verify", "--json");
  assert.equal(bad.code, 1);
  const report = JSON.parse(bad.out) as { firstBadIndex: number | null; problems: { kind: string; index: number | null; message: string }[] };
  assert.equal(report.firstBadIndex, null, "the entries are fine; the checkpoint is not");
  assert.deepEqual(report.problems.map((p) => [p.kind, p.index]), [["signature", null]]);
  assert.match(report.problems[0].message, /^stored checkpoint #2 \(size 457\): invalid signature for key palisade\.test\/attacks\+[0-9a-f]{8}$/);

  const t = copyLog(base, ["checkpoint", "leaves"]);
  assert.equal((await audit(t, "tiles", "--out", "published")).code, 0);
  rewriteEntry(t, 345, forged, leafHash(forged));
  const ranged = await audit(t, "verify");
  assert.match(ranged.out, /^verify failed: first bad index within 200\.\.456\n  signed checkpoint of size 457 does not match the entries/, "signed roots alone bound it to the entries after the last good checkpoint, said as a range");
  const exact = await audit(t, "verify", "--tiles", "published");
  assert.equal(exact.code, 1);
  assert.match(exact.out, /^verify failed: first bad index 345\n  entry 345 differs from the published tree\n/);
});

test("rebuilt-nodes tamper at entry 1,234 of 3,000: the signer's leaf memory names it; without it the signed roots bound it to 1000..1999, said as a range", async () => {
  const d = freshDir();
  const log = await openSigned(d);
  for (let from = 0; from < 3000; from += 1000) await grow(log, from, from + 1000);
  await log.close();
  assert.equal(readFileSync(d.files.leaves).length, 3000 * 32, "the signer kept every leaf it signed");
  const clean = copyLog(d);
  const bad = encodeEntry(decisionRecord(1234, { tag: "forged", decision: "allow" }));
  rewriteEntry(d, 1234, bad, leafHash(bad));

  const exact = await audit(d, "verify", "--json");
  assert.equal(exact.code, 1);
  const report = JSON.parse(exact.out) as { firstBadIndex: number; firstBadTo: number; problems: { kind: string; index: number; rootCause: boolean; message: string }[] };
  assert.deepEqual([report.firstBadIndex, report.firstBadTo], [1234, 1235]);
  assert.deepEqual(report.problems.filter((p) => p.rootCause).map((p) => [p.kind, p.index]), [["leaf", 1234]]);
  assert.match((await audit(d, "verify")).out, /^verify failed: first bad index 1234\n  entry 1234 is not what was signed: its leaf differs from the one in .*audit\.db\.leaves, which gives the signed root of size 3000\n/);

  // Without the leaf memory only the signed roots speak: a range, and the report says so.
  const bare = copyLog(d, ["leaves"]);
  const ranged = await audit(bare, "verify");
  assert.match(ranged.out, /^verify failed: first bad index within 1000\.\.1999\n  signed checkpoint of size 2000 does not match the entries/);
  assert.match(ranged.out, /only signed roots show this damage, so it is bounded, not pinned/);

  // A leaf memory rewritten to match the forgery gives no signed root: it is not used, the range stays.
  const forgedMemory = copyLog(d);
  const leaves = readFileSync(forgedMemory.files.leaves);
  leaves.set(leafHash(bad), 1234 * 32);
  writeFileSync(forgedMemory.files.leaves, leaves);
  assert.match((await audit(forgedMemory, "verify")).out, /^verify failed: first bad index within 1000\.\.1999\n/);
  // And a damaged leaf memory never accuses a sound log.
  const damaged = readFileSync(clean.files.leaves);
  damaged[5 * 32] ^= 1;
  writeFileSync(clean.files.leaves, damaged);
  const ok = await audit(clean, "verify");
  assert.equal(ok.code, 0, ok.out);
});

test("audit tiles signs nothing unless asked", async () => {
  const c = copyLog(base);
  const count = () => {
    const db = sql(c);
    const n = Number((db.prepare("SELECT count(*) AS n FROM checkpoints").get() as { n: number }).n);
    db.close();
    return n;
  };
  for (let i = 0; i < 2; i++) assert.equal((await audit(c, "tiles", "--out", "t")).code, 0);
  assert.equal(count(), 3);
  const log = await openSigned(c);
  await log.append(decisionRecord(600));
  await log.close();
  const signed = await audit(c, "tiles", "--out", "t2", "--sign");
  assert.equal(signed.code, 0, signed.err);
  assert.match(signed.out, /for tree size 601/);
  assert.equal(count(), 4);
  assert.ok(existsSync(join(c.dir, "t2", "tile", "0", "002.p", "89")));
});

test("a log refuses a signing key that is not its own, naming both; the key it has is never replaced", async () => {
  const c = copyLog(base);
  const other = generateKey("palisade.test/attacks");
  await assert.rejects(AuditLog.open(c.db, { signingKey: other.signerKey }), (e: unknown) => e instanceof StoreError && e.code === "audit/key-mismatch" && e.message.includes(other.verifierKey) && e.message.includes(readFileSync(c.files.vkey, "utf8").trim()));
  // Another folder without the key file: no second key is minted for this log.
  const elsewhere = freshDir();
  const r = await audit({ ...elsewhere, db: c.db }, "checkpoint", "--key", "other.key");
  assert.equal(r.code, 2);
  assert.match(r.err, /this log's checkpoints are signed by palisade\.test\/attacks\+[0-9a-f]{8}\+\S+, whose signing key is not at/);
  assert.equal(existsSync(join(elsewhere.dir, "other.key")), false);
});

test("a new log's origin is unique unless --origin names it, and it is the key's name", async () => {
  const origins: string[] = [];
  for (const args of [[], [], ["--origin", "audit.example.com/prod"]]) {
    const d = freshDir();
    const log = await AuditLog.open(d.db);
    await log.append(decisionRecord(0));
    await log.close();
    const r = await audit(d, "checkpoint", ...args);
    assert.equal(r.code, 0, r.err);
    origins.push(r.out.split("\n")[0]);
    assert.equal(readFileSync(d.files.vkey, "utf8").split("+")[0], origins.at(-1));
  }
  assert.notEqual(origins[0], origins[1]);
  assert.equal(origins[2], "audit.example.com/prod");
});

test("key rotation: a new origin and key; old checkpoints keep verifying with the old verifier key", async () => {
  const c = copyLog(base);
  const oldVkey = readFileSync(c.files.vkey, "utf8").trim();
  const oldKey = readFileSync(c.files.key, "utf8").trim();
  const r = await audit(c, "rotate-key", "--origin", "palisade.test/attacks-2027");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^palisade\.test\/attacks-2027\n600\n/);
  const keys = readFileSync(c.files.vkey, "utf8").trim().split("\n");
  assert.equal(keys.length, 2);
  assert.equal(keys[1], oldVkey);
  assert.notEqual(readFileSync(c.files.key, "utf8").trim(), oldKey, "the old private key is gone from the key file");
  const log = await openSigned(c);
  await grow(log, 600, 650);
  await log.close();
  const both = await audit(c, "verify");
  assert.equal(both.code, 0, both.out);
  assert.match(both.out, /and 5 checkpoints verify/);
  const oldOnly = await audit(c, "verify", "--vkey", oldVkey, "--allow-unsigned");
  assert.equal(oldOnly.code, 1);
  assert.deepEqual([...oldOnly.out.matchAll(/stored checkpoint #(\d) \(size (\d+)\): it is not signed by a trusted key/g)].map((m) => m[2]), ["600", "650"], "only the new origin's checkpoints need the new key");
  await assert.rejects(AuditLog.open(c.db, { signingKey: oldKey }), (e: unknown) => e instanceof StoreError && e.code === "audit/key-mismatch" && /retired/.test(e.message));
  assert.equal((await audit(c, "verify", "--vkey", keys[0], "--vkey", oldVkey)).code, 0);
});

test("the library signs nothing new when the head is already signed, and remembers what it signed", async () => {
  const c = copyLog(base);
  const log = await AuditLog.open(c.db, { signingKey: readFileSync(c.files.key, "utf8"), signerMemory: fileSignerMemory(c.files.checkpoint) });
  const again = await log.checkpoint();
  assert.equal(again.note, cps[2].note);
  await log.close();
  const db = sql(c);
  assert.equal(Number((db.prepare("SELECT count(*) AS n FROM checkpoints").get() as { n: number }).n), 3);
  db.close();
  assert.equal(readFileSync(c.files.checkpoint, "utf8"), cps[2].note);
});
