import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { AuditLog, digest, encodeDocumentEntry, encodeEntry, openStore } from "../index.ts";
import type { AuditRecord, DocumentEntry, JsonValue } from "../index.ts";
import { canonicalJson } from "../canonical-json.ts";

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
    assert.throws(() => encodeDocumentEntry(documentOf({ big: "y".repeat(70_000) })), { code: "audit/entry-too-large" });
  });

  it("are encoded on the SQLite store's thread, refusals leaving the others' indices consecutive", async () => {
    const log = await AuditLog.open(await openStore(join(dir, "docs.db")), { erasure: false });
    assert.ok(log.store.appendDocuments !== undefined);
    const inputs: JsonValue[] = [{ n: 0 }, { n: 1 }, { n: 2 }, { n: 3 }];
    const docs = [documentOf(inputs[0]), documentOf(null, 100, JSON.stringify({ s: "\ud800" })), documentOf(inputs[1]), documentOf(inputs[2]), documentOf({ big: "z".repeat(70_000) }), documentOf(inputs[3])];
    const results = await Promise.allSettled(docs.map((d) => log.appendDocument(d)));
    assert.deepEqual(
      results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as { code: string }).code)),
      [0, "audit/invalid-record", 1, 2, "audit/entry-too-large", 3],
    );
    for (let i = 0; i < 4; i++) assert.deepEqual((await log.read(i)).record.input, inputs[i]);
    assert.equal((await log.verify({ allowUnsigned: true })).ok, true);
    // A batch larger than one message chunk (64 Ki characters), with a refusal in a later chunk.
    const many = Array.from({ length: 300 }, (_, i) => documentOf(i === 250 ? null : { i, pad: "p".repeat(400) }, 1 << 20, i === 250 ? JSON.stringify({ s: "\udc00" }) : undefined));
    const landed = await Promise.allSettled(many.map((d) => log.appendDocument(d)));
    assert.equal(landed.filter((r) => r.status === "rejected").length, 1);
    assert.equal((landed[250] as PromiseRejectedResult).reason.code, "audit/invalid-record");
    assert.deepEqual((landed[299] as PromiseFulfilledResult<number>).value, 4 + 298);
    assert.deepEqual((await log.read(4 + 298)).record.input, { i: 299, pad: "p".repeat(400) });
    assert.equal((await log.verify({ allowUnsigned: true })).ok, true);
    // A NUL outside JSON's escapes would shift every later entry's fields: the batch is refused.
    await assert.rejects(log.appendDocument(documentOf(null, 100, '{"a":"\u0000"}')), /NUL/);
    assert.equal(await log.size(), 4 + 299);
    await log.close();
  });
});
