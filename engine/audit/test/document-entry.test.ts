import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { AuditLog, digest, encodeDocumentEntry, encodeEntry, openStore } from "../index.ts";
import { SqliteStore } from "../sqlite-store.ts";
import { ThreadedSqliteStore } from "../sqlite-thread.ts";
import type { AuditRecord, DocumentEntry, JsonValue } from "../index.ts";
import { canonicalJson } from "../canonical-json.ts";
import { prepareSealing, sealDocument } from "../document-entry.ts";
import { newSubjectKey, seal, unseal } from "../erasure.ts";

const dir = mkdtempSync(join(tmpdir(), "palisade-document-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const json: fc.Arbitrary<JsonValue> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, fc.constant(null), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.string({ unit: "grapheme" }), fc.array(tie("value"), { maxLength: 4 }), fc.dictionary(fc.string({ unit: "grapheme" }), tie("value"), { maxKeys: 5 })),
})).value as fc.Arbitrary<JsonValue>;

const base = { agent: "a", env: "e", principal: null, session: null, phase: "tool_call", tool: "t", decision: "allow", reasons: [], policy_digest: `sha256:${"0".repeat(64)}` } as const;

/** The record's canonical text split around `input`, as a caller of appendDocument writes it. */
function documentOf(input: JsonValue, maxInline = 1 << 20, json = JSON.stringify(input)): DocumentEntry {
  const text = canonicalJson({ ...base, time: "2026-11-25T10:00:00Z" });
  // Fields before "input" (agent, decision, env) and after "input_digest" (phase, ...).
  const at = text.indexOf(',"phase"');
  return { head: text.slice(0, at), name: "input", json, tail: text.slice(at), maxInline };
}

describe("document entries", () => {
  it("are byte for byte the entry of the record with the document and its digest", () => {
    fc.assert(
      fc.property(json, (input) => {
        const record = { ...base, time: "2026-11-25T10:00:00Z", input, input_digest: digest(input) } as AuditRecord;
        assert.deepEqual(new Uint8Array(encodeDocumentEntry(documentOf(input))), encodeEntry(record));
        // Given as canonical text already, the document is taken as it is: the same entry.
        assert.deepEqual(new Uint8Array(encodeDocumentEntry({ ...documentOf(input, 1 << 20, canonicalJson(input)), canonical: true })), encodeEntry(record));
      }),
      { numRuns: 500 },
    );
  });

  it("keep only the digest of a document over the inline limit", () => {
    const input = { note: "x".repeat(100) };
    const text = new TextDecoder().decode(encodeDocumentEntry(documentOf(input, 50)));
    assert.equal(JSON.parse(text).input, undefined);
    assert.equal(JSON.parse(text).input_digest, digest(input));
  });

  it("refuse what the record path refuses, with the same codes", () => {
    assert.throws(() => encodeDocumentEntry(documentOf(null, 100, JSON.stringify({ s: "\ud800" }))), { code: "audit/invalid-record" });
    assert.throws(() => encodeDocumentEntry(documentOf(null, 100, "{not json")), { code: "audit/invalid-record" });
    // Past 64 KiB without the document: refused.
    const plain = documentOf(null);
    assert.throws(() => encodeDocumentEntry({ ...plain, tail: `,"pad":"${"y".repeat(70_000)}"${plain.tail}` }), { code: "audit/entry-too-large" });
  });

  it("keep only the digest of a document under the inline limit in characters that would take the entry past 64 KiB", () => {
    for (const big of [{ big: "y".repeat(70_000) }, { big: "€".repeat(30_000) }, { big: "\u0001".repeat(12_000) }]) {
      const text = new TextDecoder().decode(encodeDocumentEntry(documentOf(big, 48 * 1024)));
      assert.equal(JSON.parse(text).input, undefined);
      assert.equal(JSON.parse(text).input_digest, digest(big));
    }
  });

  it("are encoded on the SQLite store's thread, refusals leaving the others' indices consecutive", async () => {
    const log = await AuditLog.open(await openStore(join(dir, "docs.db")), { erasure: false });
    assert.ok(log.store.appendDocuments !== undefined);
    const inputs: JsonValue[] = [{ n: 0 }, { n: 1 }, { n: 2 }, { n: 3 }];
    const docs = [documentOf(inputs[0]), documentOf(null, 100, JSON.stringify({ s: "\ud800" })), documentOf(inputs[1]), documentOf(inputs[2]), documentOf({ big: "z".repeat(70_000) }), documentOf(inputs[3])];
    const results = await Promise.allSettled(docs.map((d) => log.appendDocument(d)));
    assert.deepEqual(
      results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as { code: string }).code)),
      [0, "audit/invalid-record", 1, 2, 3, 4],
    );
    for (let i = 0; i < 3; i++) assert.deepEqual((await log.read(i)).record.input, inputs[i]);
    // The document the entry cannot hold inline is recorded by its digest.
    assert.deepEqual([(await log.read(3)).record.input, (await log.read(3)).record.input_digest], [undefined, digest({ big: "z".repeat(70_000) })]);
    assert.deepEqual((await log.read(4)).record.input, inputs[3]);
    assert.equal((await log.verify({ allowUnsigned: true })).ok, true);
    // A batch larger than one message chunk (64 Ki characters), with a refusal in a later chunk.
    const many = Array.from({ length: 300 }, (_, i) => documentOf(i === 250 ? null : { i, pad: "p".repeat(400) }, 1 << 20, i === 250 ? JSON.stringify({ s: "\udc00" }) : undefined));
    const landed = await Promise.allSettled(many.map((d) => log.appendDocument(d)));
    assert.equal(landed.filter((r) => r.status === "rejected").length, 1);
    assert.equal((landed[250] as PromiseRejectedResult).reason.code, "audit/invalid-record");
    assert.deepEqual((landed[299] as PromiseFulfilledResult<number>).value, 5 + 298);
    assert.deepEqual((await log.read(5 + 298)).record.input, { i: 299, pad: "p".repeat(400) });
    assert.equal((await log.verify({ allowUnsigned: true })).ok, true);
    // A NUL outside JSON's escapes would shift every later entry's fields: the batch is refused.
    await assert.rejects(log.appendDocument(documentOf(null, 100, '{"a":"\u0000"}')), /NUL/);
    assert.equal(await log.size(), 5 + 299);
    await log.close();
  });

  it("queued behind each other on the store's thread, share a commit and keep request order and their own refusals", async () => {
    const store = await openStore(join(dir, "grouped.db"));
    assert.ok(store.appendDocuments !== undefined);
    const batch = (k: number, bad = -1) => Array.from({ length: 3 }, (_, i) => ({ doc: i === bad ? documentOf(null, 100, JSON.stringify({ s: "\ud800" })) : documentOf({ k, i }), time: k }));
    // Sent without waiting, so the requests queue up in the worker and are committed together;
    // a request of another kind and a request the thread refuses whole sit among them.
    const sent = [
      store.appendDocuments(batch(0)),
      store.appendDocuments(batch(1, 1)),
      store.appendDocuments([{ doc: documentOf(null, 100, '{"a":"\u0000"}'), time: 2 }]),
      store.appendDocuments(batch(3)),
    ];
    const sizeBetween = store.size();
    sent.push(store.appendDocuments(batch(5, 0)));
    const results = await Promise.allSettled(sent);
    const value = (i: number) => (results[i] as PromiseFulfilledResult<{ first: number; size: number; refused: readonly { at: number }[] }>).value;
    assert.deepEqual([value(0).first, value(0).size, value(0).refused.map((r) => r.at)], [0, 3, []]);
    assert.deepEqual([value(1).first, value(1).size, value(1).refused.map((r) => r.at)], [3, 5, [1]]);
    assert.match(String((results[2] as PromiseRejectedResult).reason), /NUL/);
    assert.deepEqual([value(3).first, value(3).size], [5, 8]);
    assert.equal(await sizeBetween, 8);
    assert.deepEqual([value(4).first, value(4).size, value(4).refused.map((r) => r.at)], [8, 10, [0]]);
    const log = await AuditLog.open(store, { erasure: false });
    const read = await Promise.all(Array.from({ length: 10 }, (_, i) => log.read(i)));
    assert.deepEqual(read.map((e) => e.record.input), [{ k: 0, i: 0 }, { k: 0, i: 1 }, { k: 0, i: 2 }, { k: 1, i: 0 }, { k: 1, i: 2 }, { k: 3, i: 0 }, { k: 3, i: 1 }, { k: 3, i: 2 }, { k: 5, i: 1 }, { k: 5, i: 2 }]);
    assert.equal((await log.verify({ allowUnsigned: true })).ok, true);
    await log.close();
  });
});

describe("sealed document entries", () => {
  // A record whose principal and input are personal under the default policy, with the members
  // around them that a decision's record has.
  const sealedBase = (principal: JsonValue) => ({ ...base, principal, time: "2026-11-25T10:00:00Z", mode: "enforce", session: "s-1" });
  function sealedDoc(principal: JsonValue, input: JsonValue): DocumentEntry {
    const text = canonicalJson(sealedBase(principal));
    const at = text.indexOf(',"mode"');
    return { head: text.slice(0, at), name: "input", json: JSON.stringify(input), tail: text.slice(at), maxInline: 1 << 20 };
  }
  /** The stored entry with what is random (nonce, ciphertext, key id) blanked. */
  const shape = (data: Uint8Array) => {
    const e = JSON.parse(new TextDecoder().decode(data)) as Record<string, unknown>;
    const s = e.$sealed as Record<string, unknown> | undefined;
    if (s) Object.assign(s, { ct: "", iv: "", kid: "" });
    return e;
  };

  for (const [where, open] of [
    ["here", (name: string, o = {}) => AuditLog.open(SqliteStore.open(join(dir, name)), o)],
    ["on the SQLite store's thread", (name: string, o = {}) => AuditLog.open(join(dir, name), o)],
  ] as const) {
    it(`are sealed ${where} as the record would be: same envelope, same subject, same erasure`, async () => {
      const log = await open(`sealed-${where.length}.db`);
      const cases: [JsonValue, JsonValue][] = [["alice", { q: "card 4111", n: [1, 2] }], [null, { q: "anon" }], [{ id: "bob", roles: ["x"] }, { "é": "\ud83d\ude00", z: { b: 1, a: 2 } }], ["alice", "[sealed]"], [7, null]];
      for (const [principal, input] of cases) {
        const record = { ...sealedBase(principal), input, input_digest: digest(input) } as unknown as AuditRecord;
        const a = await log.append(record);
        const b = await log.appendDocument(sealedDoc(principal, input));
        const c = await log.appendDocument({ ...sealedDoc(principal, input), json: canonicalJson(input), canonical: true });
        const [ra, rb] = [await log.read(a), await log.read(b)];
        assert.deepEqual(shape(rb.data), shape(ra.data));
        assert.deepEqual(shape((await log.read(c)).data), shape(ra.data));
        assert.deepEqual(rb.record, ra.record);
        assert.equal(rb.status, ra.status);
        const [sa, sb, sc] = await log.store.entries(a, c + 1).then((es) => es.map((e) => e.subject));
        assert.equal(sb, sa);
        assert.equal(sc, sa);
        assert.ok(!new TextDecoder().decode(rb.data).includes("4111"));
      }
      const erased = await log.erase("alice");
      assert.equal(erased.entries, 6);
      assert.equal((await log.read(1)).status, "erased");
      assert.equal((await log.read(1)).record.input, "[erased]");
      // After the erasure a new entry of the subject is sealed under a fresh key, readable again.
      const after = await log.appendDocument(sealedDoc("alice", { q: "later" }));
      assert.deepEqual((await log.read(after)).record.input, { q: "later" });
      assert.equal((await log.verify({ allowUnsigned: true })).ok, true);
      await log.close();
    });

    it(`follow a policy with nested paths, and one that drops records without a subject (${where})`, async () => {
      const nested = { subjectField: "principal.id", personalFields: ["principal.id", "input.q"], anonymous: "drop" as const };
      const log = await open(`nested-${where.length}.db`, { erasure: nested });
      for (const principal of [{ id: "carol", team: "t" }, null]) {
        const input = { q: "secret", keep: 1 };
        const a = await log.append({ ...sealedBase(principal), input, input_digest: digest(input) } as unknown as AuditRecord);
        const b = await log.appendDocument(sealedDoc(principal, input));
        assert.deepEqual(shape((await log.read(b)).data), shape((await log.read(a)).data));
        assert.deepEqual((await log.read(b)).record, (await log.read(a)).record);
      }
      await log.close();
    });
  }


  it("with shareEncoding, a store's thread that falls behind hands every other batch to the caller's thread: same entries, same erasure", async () => {
    const store = await ThreadedSqliteStore.open(join(dir, "shared.db"));
    const calls = { append: 0, appendDocuments: 0 };
    // The real store, counting which way each batch reaches it.
    const counted = new Proxy(store, {
      get(t, k) {
        const v = Reflect.get(t, k, t) as unknown;
        if (typeof v !== "function") return v;
        const f = v as (...a: unknown[]) => unknown;
        return (...a: unknown[]) => {
          if (k === "append" || k === "appendDocuments") calls[k]++;
          return f.apply(t, a);
        };
      },
    });
    const log = await AuditLog.open(counted, { shareEncoding: true, maxBatch: 10 });
    const plain = await AuditLog.open(join(dir, "shared-ref.db"));
    const principals: JsonValue[] = ["alice", "bob", null, { id: "carol" }];
    const docs = Array.from({ length: 400 }, (_, i) => sealedDoc(principals[i % 4], { q: `card 4111 ${i}`, i }));
    // All in one turn, so that batches queue up behind the store's thread.
    const [at, ref] = await Promise.all([Promise.all(docs.map((d) => log.appendDocument(d))), Promise.all(docs.map((d) => plain.appendDocument(d)))]);
    assert.deepEqual(at, ref);
    assert.ok(calls.append > 0 && calls.appendDocuments > 0, `both ways used: ${JSON.stringify(calls)}`);
    for (let i = 0; i < docs.length; i++) {
      const [a, b] = [await log.read(i), await plain.read(i)];
      assert.deepEqual(shape(a.data), shape(b.data));
      assert.deepEqual(a.record, b.record);
    }
    assert.equal((await log.erase("alice")).entries, 100);
    for (let i = 0; i < 8; i += 4) assert.equal((await log.read(i)).record.input, "[erased]");
    assert.deepEqual((await log.read(1)).record.input, { q: "card 4111 1", i: 1 });
    assert.equal((await log.verify({ allowUnsigned: true })).ok, true);
    await log.close();
    await store.close();
    await plain.close();
  });

  it("carry a new log's settings with its first documents: a process that lost the race to create the log seals them under the settings in force", async () => {
    // Both open the same empty log, each with its own guess of a salt; the first records its own.
    const file = join(dir, "settle-race.db");
    const winner = await AuditLog.open(file);
    const loser = await AuditLog.open(file, { maxBatch: 1 });
    const record = { ...base, principal: "ana", time: "2026-11-25T10:00:00Z", input: { n: 0 }, input_digest: digest({ n: 0 }) } as AuditRecord;
    assert.equal(await winner.append(record), 0);
    const text = canonicalJson({ ...base, principal: "ana", time: "2026-11-25T10:00:00Z" });
    const at = text.indexOf(',"phase"');
    const doc = (n: number): DocumentEntry => ({ head: text.slice(0, at), name: "input", json: JSON.stringify({ n }), tail: text.slice(at), maxInline: 1 << 20 });
    // Five batches sent before the first one's reply: all of them under the winner's salt.
    assert.deepEqual(await Promise.all([1, 2, 3, 4, 5].map((n) => loser.appendDocument(doc(n)))), [1, 2, 3, 4, 5]);
    const subjects = (await loser.store.entries(0, 6)).map((e) => e.subject);
    assert.equal(new Set(subjects).size, 1, `one pseudonym for ana: ${subjects.join(", ")}`);
    assert.equal(await loser.pseudonym("ana"), subjects[0]);
    for (let i = 1; i < 6; i++) assert.deepEqual((await winner.read(i)).record.input, { n: i }, "sealed under ana's one key");
    const erased = await winner.erase("ana");
    assert.equal(erased.entries, 6);
    for (let i = 0; i < 6; i++) assert.equal((await loser.read(i)).record.input, "[erased]");
    await Promise.all([winner.close(), loser.close()]);

    // A log the first process created unsealed (erasure: false) stays so for one opened with the default policy.
    const plainFile = join(dir, "settle-plain.db");
    const plain = await AuditLog.open(plainFile, { erasure: false });
    const defaulted = await AuditLog.open(plainFile, { maxBatch: 1 });
    assert.equal(await plain.append(record), 0);
    await Promise.all([1, 2, 3].map((n) => defaulted.appendDocument(doc(n))));
    assert.equal(defaulted.seals, false);
    for (const e of await defaulted.store.entries(1, 4)) {
      assert.equal(e.subject, null);
      assert.match(new TextDecoder().decode(e.data), /"principal":"ana"/, "kept as written, as the log's policy says");
    }
    await Promise.all([plain.close(), defaulted.close()]);
  });
});

describe("sealDocument, top-level policies", () => {
  // Any choice of personal members among head, tail, the document and its digest, with or
  // without a key: the entry is the one seal() makes of the record, bar nonce and ciphertext,
  // and the ciphertext opens to the same values.
  const members = ["agent", "decision", "env", "input", "input_digest", "mode", "principal", "tool"];
  it("writes the envelope seal() writes of the record, for any set of top-level personal fields", () => {
    const key = newSubjectKey();
    fc.assert(
      fc.property(fc.subarray(members), fc.boolean(), fc.boolean(), json, fc.oneof(fc.constant("[sealed]"), fc.string({ unit: "grapheme" })), (personal, keyed, inline, input, principal) => {
        const policy = { subjectField: "principal", personalFields: personal };
        const record = { agent: "a", decision: "allow", env: "prod", input, input_digest: digest(input), mode: "enforce", principal, tool: "t" } as Record<string, unknown>;
        if (!inline) delete record.input;
        const doc: DocumentEntry = { head: `{"agent":"a","decision":"allow","env":"prod"`, name: "input", json: canonicalJson(input), tail: `,"mode":"enforce","principal":${JSON.stringify(principal)},"tool":"t"}`, maxInline: inline ? 1 << 20 : 0, canonical: true };
        const k = keyed ? key : null;
        const got = JSON.parse(Buffer.from(sealDocument(prepareSealing(doc, policy), policy, k)).toString("utf8")) as Record<string, unknown>;
        const want = JSON.parse(canonicalJson(seal(record, policy, k), "record")) as Record<string, unknown>;
        const open = (e: Record<string, unknown>) => unseal(e, () => key.key);
        assert.deepEqual(open(got), open(want));
        const blank = (e: Record<string, unknown>) => (e.$sealed ? { ...e, $sealed: { ...(e.$sealed as object), ct: "", iv: "" } } : e);
        assert.deepEqual(blank(got), blank(want));
      }),
      { numRuns: 300 },
    );
  });
});
