// Erasure by key destruction: sealing, opening, and erasing through the log, with the tree and
// every checkpoint still verifying afterwards.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, test } from "node:test";
import { main } from "../../cli/main.ts";
import { ANONYMOUS_SUBJECT, ERASED_MARKER, SEALED_FIELD, SEALED_MARKER, newSubjectKey, seal, sealedPart, subjectOf, unseal } from "../erasure.ts";
import type { ErasurePolicy } from "../erasure.ts";
import { AuditLog } from "../log.ts";
import { generateKey } from "../note.ts";
import { SqliteStore } from "../sqlite-store.ts";
import { decisionRecord } from "./records.ts";
import { captureIO } from "./tamper-suite.ts";

const dir = mkdtempSync(join(tmpdir(), "palisade-erasure-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const policy: ErasurePolicy = { subjectField: "principal", personalFields: ["principal", "meta.user_email"] };
const rec = (i: number, who: string) => decisionRecord(i, { principal: who, meta: { user_email: `${who}@example.com`, plan: "pro" } });

test("seal replaces personal fields by a marker and keeps their values only as ciphertext", () => {
  const key = newSubjectKey();
  const r = rec(1, "alice");
  const env = seal(r, policy, key);
  assert.equal(env.principal, SEALED_MARKER);
  assert.deepEqual(env.meta, { user_email: SEALED_MARKER, plan: "pro" });
  assert.equal(r.principal, "alice", "the input record is untouched");
  const s = sealedPart(env);
  assert.ok(s);
  assert.equal(s.kid, key.keyId);
  assert.deepEqual(s.fields, ["principal", "meta.user_email"]);
  assert.doesNotMatch(JSON.stringify(env), /alice/);
  const opened = unseal(env, (kid) => (kid === key.keyId ? key.key : undefined));
  assert.equal(opened.status, "open");
  assert.deepEqual(opened.record, r);
  assert.equal(subjectOf(r, policy), "alice");
});

test("without the key the fields read as erased; altered ciphertext or header reads as damaged", () => {
  const key = newSubjectKey();
  const env = seal(rec(2, "bob"), policy, key);
  const gone = unseal(env, () => null);
  assert.equal(gone.status, "erased");
  assert.equal(gone.record.principal, ERASED_MARKER);
  assert.deepEqual(gone.record.meta, { user_email: ERASED_MARKER, plan: "pro" });
  assert.equal(SEALED_FIELD in gone.record, false);
  const s = sealedPart(env);
  assert.ok(s);
  const flipped = Buffer.from(s.ct, "base64");
  flipped[0] ^= 1;
  const bad = unseal({ ...env, [SEALED_FIELD]: { ...s, ct: flipped.toString("base64") } }, () => key.key);
  assert.equal(bad.status, "damaged");
  assert.equal(bad.record.principal, ERASED_MARKER);
  // The field list is authenticated: the ciphertext cannot be relabelled.
  const relabelled = unseal({ ...env, [SEALED_FIELD]: { ...s, fields: ["principal"] } }, () => key.key);
  assert.equal(relabelled.status, "damaged");
  assert.equal(unseal({ x: 1 }, () => key.key).status, "plain");
});

test("a record without a subject keeps no personal data at all", () => {
  const r = decisionRecord(3, { principal: null, meta: { user_email: "who@example.com" } });
  assert.equal(subjectOf(r, policy), null);
  const env = seal(r, policy, null);
  assert.deepEqual(env.meta, { user_email: ERASED_MARKER });
  assert.equal(sealedPart(env), null);
});

test("erasing a subject through the log: fields read as erased, tree and checkpoints still verify", async () => {
  const db = join(dir, "erase.db");
  const key = generateKey("palisade.test/erasure");
  const log = await AuditLog.open(SqliteStore.open(db), { erasure: policy, signingKey: key.signerKey });
  const people = ["alice", "bob", "carol"];
  await Promise.all(Array.from({ length: 30 }, (_, i) => log.append(rec(i, people[i % 3]))));
  const before = await log.checkpoint();
  const stored = await log.store.entries(0, 30);
  assert.ok(stored.every((e) => !new TextDecoder().decode(e.data).includes("@example.com")), "no e-mail address is stored in clear");
  assert.deepEqual((await log.read(0)).record, rec(0, "alice"));
  const kid = sealedPart(JSON.parse(new TextDecoder().decode(stored[0].data)))?.kid ?? "";
  const aliceKey = (await log.store.keysById([kid])).get(kid);
  assert.ok(aliceKey?.key);
  assert.notEqual(aliceKey.subject, "alice", "the store keeps subjects only as pseudonyms");
  const holds = (f: string) => existsSync(f) && readFileSync(f).indexOf(Buffer.from(aliceKey.key as Uint8Array)) >= 0;
  assert.ok(holds(db) || holds(`${db}-wal`), "before erasure the key is on disk (so the check below means something)");

  const r = await log.erase("alice");
  assert.deepEqual(r, { subject: "alice", keysDestroyed: 1, entries: 10, complete: true, remains: [] });
  const a = await log.read(3);
  assert.equal(a.status, "erased");
  assert.equal(a.record.principal, ERASED_MARKER);
  assert.deepEqual(a.record.meta, { user_email: ERASED_MARKER, plan: "pro" });
  assert.equal(a.record.n, 3, "the rest of the record is intact");
  const b = await log.read(4);
  assert.equal(b.status, "open");
  assert.equal(b.record.principal, "bob");
  assert.deepEqual(await log.store.entries(0, 30), stored, "erasure leaves every stored byte the leaves commit to");

  await log.append(rec(30, "alice"));
  const fresh = await log.read(30);
  assert.equal(fresh.status, "open", "a later record of the subject gets a new key");
  assert.equal(fresh.record.principal, "alice");
  const afterCp = await log.checkpoint();
  const report = await log.verify();
  assert.ok(report.ok, JSON.stringify(report.problems));
  assert.equal(report.checked.checkpoints, 2);
  assert.deepEqual(await log.root(before.size), before.root);
  assert.equal(afterCp.size, 31);
  await log.close();

  // The destroyed key's bytes are gone from the database file and its WAL.
  const needle = Buffer.from(aliceKey.key);
  for (const f of [db, `${db}-wal`]) if (existsSync(f)) assert.equal(readFileSync(f).indexOf(needle), -1, `${f} no longer holds the key`);
});

test("palisade audit erase destroys the key and reports it; a second erase finds nothing", async () => {
  const db = join(dir, "cli-erase.db");
  const log = await AuditLog.open(SqliteStore.open(db), { erasure: policy });
  await Promise.all([log.append(rec(0, "dave")), log.append(rec(1, "erin"))]);
  await log.close();
  const io = captureIO(dir);
  assert.equal(await main(["audit", "erase", "--db", db, "--subject", "dave"], io), 0, io.err());
  assert.match(io.out(), /erased subject 'dave': 1 key destroyed and gone from the database files; the personal fields of 1 entry now read as erased/);
  const again = captureIO(dir);
  assert.equal(await main(["audit", "erase", "--db", db, "--subject", "dave"], again), 0);
  assert.match(again.out(), /nothing to erase/);
  const check = await AuditLog.open(SqliteStore.open(db));
  assert.equal((await check.read(0)).record.principal, ERASED_MARKER);
  assert.equal((await check.read(1)).record.principal, "erin");
  assert.ok((await check.verify({ allowUnsigned: true })).ok);
  await check.close();
});

test("audit erase while a reader holds a transaction: unfinished (exit 1, naming it) until the key bytes are gone from the file and WAL", async () => {
  const db = join(dir, "reader.db");
  const log = await AuditLog.open(db);
  await Promise.all([log.append(rec(0, "frank")), log.append(rec(1, "gina"))]);
  const first = await log.read(0);
  const kid = sealedPart(JSON.parse(new TextDecoder().decode(first.data)))?.kid ?? "";
  const secret = (await log.store.keysById([kid])).get(kid)?.key;
  assert.ok(secret);
  await log.close();
  const needle = Buffer.from(secret);
  const holds = () => [db, `${db}-wal`].filter((f) => existsSync(f) && readFileSync(f).indexOf(needle) >= 0);
  assert.ok(holds().length > 0, "the key is on disk before erasure");

  const reader = new DatabaseSync(db);
  reader.exec("BEGIN");
  reader.prepare("SELECT count(*) AS n FROM subject_keys").get();
  const io = captureIO(dir);
  assert.equal(await main(["audit", "erase", "--db", db, "--subject", "frank"], io), 1, io.out() + io.err());
  assert.match(io.out(), /^erasure unfinished: 1 key destroyed for subject 'frank', but a copy of the key bytes remains:\n  another connection to '.*reader\.db' holds a read transaction/);
  assert.ok(holds().length > 0, "the report is true: the bytes are still there");
  reader.exec("COMMIT");
  reader.close();

  const again = captureIO(dir);
  assert.equal(await main(["audit", "erase", "--db", db, "--subject", "frank"], again), 0, again.out());
  assert.match(again.out(), /no copy of a destroyed key remains in the database files/);
  assert.deepEqual(holds(), [], "gone from the database file and its WAL");
  const check = await AuditLog.open(db);
  assert.equal((await check.read(0)).record.principal, ERASED_MARKER);
  assert.equal((await check.read(1)).record.principal, "gina");
  await check.close();
});

test("private by default: a new log seals principal and input (subjectless records too), records its policy with its first entry, and keeps subjects only as pseudonyms", async () => {
  const db = join(dir, "default.db");
  const opened = await AuditLog.open(db);
  assert.deepEqual(await opened.store.getMeta("erasure"), undefined, "opening a log writes nothing");
  await opened.close();
  const log = await AuditLog.open(db);
  assert.equal(log.seals, true);
  const named = decisionRecord(0, { principal: { id: "hana@example.com", role: "customer" }, input: { email: "hana@example.com", card: "4111 1111 1111 1111" } });
  const anonymous = decisionRecord(1, { principal: null, input: { note: "call 555-0100" } });
  await Promise.all([log.append(named), log.append(anonymous)]);
  assert.deepEqual(JSON.parse((await log.store.getMeta("erasure")) ?? "null"), { subjectField: "principal", personalFields: ["principal", "input", "input_original"], anonymous: "seal" });
  await log.close();
  for (const f of [db, `${db}-wal`]) if (existsSync(f)) for (const secret of ["hana@example.com", "4111 1111", "555-0100"]) assert.equal(readFileSync(f).indexOf(secret), -1, `${f} holds no ${secret}`);
  const again = await AuditLog.open(db);
  assert.deepEqual((await again.read(0)).record, named, "the key opens what was sealed");
  assert.deepEqual((await again.read(1)).record, anonymous);
  const erased = await again.erase(ANONYMOUS_SUBJECT);
  assert.equal(erased.complete, true);
  assert.equal((await again.read(1)).record.input, ERASED_MARKER);
  assert.deepEqual((await again.read(0)).record, named, "erasing the anonymous records leaves the named ones");
  await again.close();
  const plain = await AuditLog.open(join(dir, "plain.db"), { erasure: false });
  await plain.append(named);
  assert.match(new TextDecoder().decode((await plain.read(0)).data), /hana@example\.com/, "erasure: false keeps the record as given");
  await plain.close();
});

test("a personal value JSON cannot hold is refused, not converted inside the ciphertext", async () => {
  const log = await AuditLog.open(join(dir, "refuse.db"));
  await assert.rejects(log.append(decisionRecord(0, { input: { when: new Date(0) } as unknown as string })), /record\.input\.when is a Date/);
  await assert.rejects(log.append(decisionRecord(1, { input: { n: Number.NaN } })), /record\.input\.n is NaN/);
  assert.equal(await log.append(decisionRecord(2)), 0, "its neighbours are written");
  await log.close();
});
