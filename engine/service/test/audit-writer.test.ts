// The writer's one-walk entry encoding is only a shortcut: for any decision it must give exactly
// the bytes the log's own encoder gives for the same record, or step aside (undefined) so the
// log encodes and checks the record itself. A sealing log always gets the record.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { AuditLog, encodeDocumentEntry, encodeEntry } from "../../audit/index.ts";
import { SqliteStore } from "../../audit/sqlite-store.ts";
import type { Decision, Reason } from "../../runtime/index.ts";
import { AuditTimeoutError, AuditWriter, decisionDocument, decisionRecord } from "../audit-writer.ts";
import type { PendingRecord } from "../audit-writer.ts";

const dir = mkdtempSync(join(tmpdir(), "palisade-writer-"));
after(() => rmSync(dir, { recursive: true, force: true }));

// Strings with the characters where encoders differ (escapes, non-BMP pairs): mostly well-formed,
// the one-walk encoding's domain, and now and then a lone surrogate that makes it step aside.
const text = fc.oneof(
  { arbitrary: fc.string(), weight: 20 },
  { arbitrary: fc.string({ unit: "grapheme" }), weight: 20 },
  { arbitrary: fc.constantFrom("", "😀", "\u0000\u001f\"\\", "é", "\u2028"), weight: 5 },
  { arbitrary: fc.oneof(fc.string({ unit: "binary" }), fc.constantFrom("\\ud800", "\ud800", "a\udc00b")), weight: 1 },
);
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, fc.constant(null), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), text, fc.array(tie("value"), { maxLength: 4 }), fc.dictionary(text, tie("value"), { maxKeys: 5 })),
})).value;
const reason: fc.Arbitrary<Reason> = fc.record(
  {
    rule: text,
    effect: fc.constantFrom("deny", "require_approval", "allow", "warn", "redact", "set"),
    message: text,
    severity: fc.constantFrom("low", "high"),
    controls: fc.array(text, { maxLength: 3 }),
    approver_role: text,
    replacements: fc.nat(),
  },
  { requiredKeys: ["rule", "effect"] },
);
const decision: fc.Arbitrary<Decision> = fc.record({
  decision: fc.constantFrom("allow", "deny", "require_approval"),
  reasons: fc.array(reason, { maxLength: 3 }),
  warnings: fc.array(reason, { maxLength: 2 }),
  payload: fc.constant(null),
  errors: fc.array(fc.record({ rule: text, message: text }), { maxLength: 2 }),
  policy: fc.record({ digest: fc.oneof({ arbitrary: fc.constant(`sha256:${"ab".repeat(32)}`), weight: 20 }, { arbitrary: fc.constant("sha256:nope"), weight: 1 }) }),
});
const pending: fc.Arbitrary<PendingRecord> = fc.record({
  id: fc.uuid(),
  iso: fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString()),
  agent: text,
  env: text,
  phase: fc.constantFrom("input", "model_call", "tool_call", "tool_result", "output"),
  session: fc.option(text),
  principal: fc.option(text),
  tool: fc.option(text),
  input: fc.dictionary(text, json, { maxKeys: 6 }),
  decision,
  caller: text,
  // A shadow decision (the client applies nothing) says so in its entry.
  mode: fc.constant("shadow" as const),
}, { requiredKeys: ["id", "iso", "agent", "env", "phase", "session", "principal", "tool", "input", "decision", "caller"] });

/** The log's own encoding of the record, or the error it refuses it with. */
function reference(p: PendingRecord): Uint8Array | Error {
  try {
    return encodeEntry(decisionRecord(p));
  } catch (err) {
    return err as Error;
  }
}

/** The writer's entry for a decision: its bytes, the error the log refuses it with, or undefined when it takes the record path. */
function spliced(p: PendingRecord): Uint8Array | Error | undefined {
  const doc = decisionDocument(p);
  if (doc === undefined) return undefined;
  try {
    return encodeDocumentEntry(doc);
  } catch (err) {
    return err as Error;
  }
}

describe("audit writer", () => {
  it("encodes a decision exactly as the log would, or leaves it to the log", () => {
    let fast = 0;
    fc.assert(
      fc.property(pending, (p) => {
        const got = spliced(p);
        const want = reference(p);
        if (got === undefined) return;
        fast++;
        if (got instanceof Error) {
          assert.ok(want instanceof Error, `the log refuses what the record path encodes: ${got.message}`);
          assert.equal((got as { code?: string }).code, (want as { code?: string }).code);
          return;
        }
        assert.ok(want instanceof Uint8Array, `the log refuses what the writer encoded: ${String(want)}`);
        assert.equal(new TextDecoder().decode(got), new TextDecoder().decode(want));
      }),
      { numRuns: 3000 },
    );
    assert.ok(fast > 1000, `only ${fast} decisions took the one-walk encoding`);
  });

  it("keeps the input up to the recorded limit, and then only its digest", () => {
    const base: PendingRecord = { id: "d-1", iso: "2026-11-25T10:00:00.000Z", agent: "a", env: "e", phase: "tool_call", session: null, principal: null, tool: "t", input: { big: "x".repeat(60_000) }, decision: { decision: "allow", reasons: [], warnings: [], payload: null, errors: [], policy: { digest: `sha256:${"0".repeat(64)}` } }, caller: "k" };
    const big = spliced(base);
    assert.ok(big instanceof Uint8Array);
    assert.deepEqual(new Uint8Array(big), encodeEntry(decisionRecord(base)));
    assert.equal("input" in JSON.parse(new TextDecoder().decode(big)), false);
    const small = { ...base, input: { small: "y" } };
    assert.deepEqual(new Uint8Array(spliced(small) as Uint8Array), encodeEntry(decisionRecord(small)));
  });

  it("has a sealing log seal the document's personal fields", async () => {
    const log = await AuditLog.open(SqliteStore.open(join(dir, "sealed.db")), { erasure: { subjectField: "principal", personalFields: ["input"] } });
    const writer = new AuditWriter(log, (err) => assert.fail(String(err)));
    const p: PendingRecord = { id: "d-2", iso: "2026-11-25T10:00:00.000Z", agent: "a", env: "e", phase: "input", session: null, principal: "subject-1", tool: null, input: { secret: "s" }, decision: { decision: "allow", reasons: [], warnings: [], payload: null, errors: [], policy: { digest: `sha256:${"0".repeat(64)}` } }, caller: "k" };
    await writer.push(p);
    const stored = new TextDecoder().decode((await log.read(0)).data);
    assert.equal(stored.includes('"secret"'), false);
    assert.equal(JSON.parse(stored).input, "[sealed]");
    assert.deepEqual((await log.read(0)).record.input, { secret: "s" });
    assert.deepEqual((await log.read(0)).record, decisionRecord(p));
    await log.close();
  });

  for (const [where, open] of [
    ["here", () => AuditLog.open(SqliteStore.open(join(dir, "plain.db")), { erasure: false })],
    ["on the SQLite store's thread", () => AuditLog.open(join(dir, "threaded.db"), { erasure: false })],
  ] as const) it(`records every decision it was given, durable once flushed (encoded ${where})`, async () => {
    const log = await open();
    assert.equal(log.store.appendDocuments !== undefined, where !== "here");
    const refused: unknown[] = [];
    const writer = new AuditWriter(log, (err) => refused.push(err));
    const decisions = fc.sample(pending, { numRuns: 200, seed: 7 });
    // Each promise settles with its own fate: durable, or refused (and counted) alone.
    const fates = await Promise.allSettled(decisions.map((p) => writer.push(p)));
    assert.deepEqual(fates.map((f) => f.status === "fulfilled"), decisions.map((p) => reference(p) instanceof Uint8Array));
    const kept = decisions.filter((p) => reference(p) instanceof Uint8Array);
    assert.equal(await log.size(), kept.length);
    assert.equal(writer.failures, decisions.length - kept.length);
    // Some are refused (lone surrogates): the entries after them still get the right indices.
    assert.ok(writer.failures > 0 && kept.length > 150, `${writer.failures} refused of ${decisions.length}`);
    assert.equal(refused.length, writer.failures);
    for (let i = 0; i < kept.length; i++) assert.deepEqual((await log.read(i)).data, reference(kept[i]));
    await log.close();
  });
});

describe("audit writer group commit", () => {
  /** A log whose appends settle only when the test says, counting the batches it was handed. */
  function heldLog(ordered = true) {
    const handed: { resolve: (i: number) => void; reject: (e: unknown) => void }[][] = [];
    let current: { resolve: (i: number) => void; reject: (e: unknown) => void }[] | null = null;
    const hurried: number[] = [];
    const log = {
      store: { ordered },
      // Told to send what it holds at once: later appends make a batch of their own.
      hurry: () => {
        hurried.push(handed.reduce((n, b) => n + b.length, 0));
        current = null;
      },
      appendDocument: () =>
        new Promise<number>((resolve, reject) => {
          if (current === null) {
            handed.push((current = []));
            setImmediate(() => (current = null));
          }
          current.push({ resolve, reject });
        }),
      append: () => Promise.reject(new Error("record path not expected")),
      flush: async () => {},
    };
    return { log: log as unknown as AuditLog, handed, hurried };
  }
  const turn = () => new Promise((r) => setImmediate(r));
  const one = (i: number): PendingRecord => ({ id: `d-${i}`, iso: "2026-11-25T10:00:00.000Z", agent: "a", env: "e", phase: "input", session: null, principal: null, tool: null, input: { i }, decision: { decision: "allow", reasons: [], warnings: [], payload: null, errors: [], policy: { digest: `sha256:${"0".repeat(64)}` } }, caller: "k" });

  it("hands decisions that arrive while two commits are with the store to the log together, once one settles", async () => {
    const { log, handed } = heldLog();
    const writer = new AuditWriter(log, () => {}, 0);
    const first = writer.push(one(0));
    await turn();
    assert.equal(handed.length, 1);
    // A second batch goes while the first commits, so encoding and committing overlap.
    const second = writer.push(one(1));
    await turn();
    assert.equal(handed.length, 2);
    const later = Array.from({ length: 50 }, (_, i) => writer.push(one(i + 2)));
    for (let t = 0; t < 5; t++) await turn();
    // Nothing more goes while both batches are with the store.
    assert.equal(handed.length, 2);
    assert.equal(writer.queued, 50);
    handed[0][0].resolve(0);
    assert.equal(await first, 0);
    for (let t = 0; t < 3; t++) await turn();
    assert.equal(handed.length, 3);
    assert.equal(handed[2].length, 50);
    handed[1][0].resolve(1);
    assert.equal(await second, 1);
    handed[2].forEach((h, i) => h.resolve(i + 2));
    assert.deepEqual(await Promise.all(later), Array.from({ length: 50 }, (_, i) => i + 2));
  });

  it("hands the first sixteen decisions of a turn to a pipelining store at once, so they commit while the rest are decided", async () => {
    const { log, handed, hurried } = heldLog();
    const writer = new AuditWriter(log, () => {}, 0);
    const all = Array.from({ length: 60 }, (_, i) => writer.push(one(i)));
    // Within the same turn: sixteen, then sixteen more while one batch is with the store, each
    // sent on without waiting for the turn to end; the rest wait for a place.
    assert.deepEqual(handed.map((b) => b.length), [16, 16]);
    assert.deepEqual(hurried, [16, 32]);
    assert.equal(writer.queued, 28);
    for (let t = 0; t < 3; t++) await turn();
    assert.equal(handed.length, 2);
    // A place freed with sixteen or more waiting: they go at once too (microtasks only here).
    handed[0].forEach((h, i) => h.resolve(i));
    for (let i = 0; i < 50 && handed.length < 3; i++) await Promise.resolve();
    assert.deepEqual(handed.map((b) => b.length), [16, 16, 28]);
    // Fewer than sixteen wait for the turn's end.
    const tail = Array.from({ length: 4 }, (_, i) => writer.push(one(60 + i)));
    handed[1].forEach((h, i) => h.resolve(16 + i));
    for (let i = 0; i < 50; i++) await Promise.resolve();
    assert.equal(handed.length, 3);
    await turn();
    assert.deepEqual(handed.map((b) => b.length), [16, 16, 28, 4]);
    handed[2].forEach((h, i) => h.resolve(32 + i));
    handed[3].forEach((h, i) => h.resolve(60 + i));
    assert.deepEqual(await Promise.all([...all, ...tail]), Array.from({ length: 64 }, (_, i) => i));
  });

  it("keeps a turn's decisions together for a store that commits one batch at a time", async () => {
    const { log, handed, hurried } = heldLog(false);
    const writer = new AuditWriter(log, () => {}, 0);
    const all = Array.from({ length: 40 }, (_, i) => writer.push(one(i)));
    assert.equal(handed.length, 0);
    await turn();
    assert.deepEqual(handed.map((b) => b.length), [40]);
    assert.deepEqual(hurried, []);
    handed[0].forEach((h, i) => h.resolve(i));
    assert.equal((await Promise.all(all)).length, 40);
  });

  it("does not let a store that never answers hold later decisions back past their deadline", async () => {
    const { log, handed } = heldLog();
    const failures: unknown[] = [];
    const writer = new AuditWriter(log, (e) => failures.push(e), 30);
    const first = writer.push(one(0));
    await turn();
    const second = writer.push(one(1));
    await assert.rejects(first, AuditTimeoutError);
    // Past the first batch's deadline the next one is handed over, and times out in its turn.
    await assert.rejects(second, AuditTimeoutError);
    assert.equal(handed.length, 2);
    assert.equal(writer.failures, 2);
  });
});
