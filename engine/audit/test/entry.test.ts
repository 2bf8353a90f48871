import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { AuditError } from "../errors.ts";
import { decodeEntry, digest, encodeEntry } from "../entry.ts";
import type { AuditRecord } from "../entry.ts";

const D = `sha256:${"ab".repeat(32)}`;
const base: AuditRecord = {
  time: "2026-11-25T10:00:00.000Z",
  agent: "support-bot",
  env: "production",
  principal: "u-42",
  session: "s-1",
  phase: "tool_call",
  tool: "refund",
  decision: "deny",
  reasons: [{ rule: "acme.payments.large_refund", effect: "deny", message: "too large" }],
  policy_digest: D,
  input_digest: D,
};
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const invalid = (e: unknown) => e instanceof AuditError && e.code === "audit/invalid-record" && /^[a-z]/.test(e.message);

test("an entry is the RFC 8785 canonical JSON of the record: sorted keys, no spaces", () => {
  const got = text(encodeEntry(base));
  assert.equal(
    got,
    `{"agent":"support-bot","decision":"deny","env":"production","input_digest":"${D}","phase":"tool_call","policy_digest":"${D}",` +
      `"principal":"u-42","reasons":[{"effect":"deny","message":"too large","rule":"acme.payments.large_refund"}],"session":"s-1","time":"2026-11-25T10:00:00.000Z","tool":"refund"}`,
  );
});

test("extra fields follow RFC 8785 number and string rules, and key order of the input is irrelevant", () => {
  const extra = { amount: 4.5, big: 1e30, small: 1e-7, neg0: -0, int: 100, "\u00e9": "é", "\ud83d\ude00": "x", a: { z: [1, "\u2028", null], b: true } };
  const got = text(encodeEntry({ ...base, ...extra }));
  assert.ok(got.includes(`"amount":4.5,`));
  assert.ok(got.includes(`"big":1e+30,`));
  assert.ok(got.includes(`"small":1e-7,`));
  assert.ok(got.includes(`"neg0":0,`));
  assert.ok(got.includes(`"a":{"b":true,"z":[1,"\u2028",null]}`));
  // UTF-16 code unit order: "é" (U+00E9) sorts before the surrogate pair of U+1F600.
  assert.ok(got.indexOf(`"\u00e9"`) < got.indexOf(`"\ud83d\ude00"`));
  const reversed = Object.fromEntries(Object.entries({ ...base, ...extra }).reverse()) as AuditRecord;
  assert.equal(text(encodeEntry(reversed)), got);
});

test("agent, principal and tool may be objects, as in a phase's input", () => {
  const rich = { ...base, agent: { id: "a1", name: "Support", version: "1.2" }, principal: { id: "u-42", email: "x@example.com" }, tool: { name: "refund", args: { amount: 5 } } };
  assert.deepEqual(decodeEntry(encodeEntry(rich)), rich);
  assert.ok(text(encodeEntry({ ...base, principal: null, session: null, tool: null })).includes('"principal":null'));
});

test("decodeEntry round-trips and refuses altered or non-canonical bytes", () => {
  const bytes = encodeEntry({ ...base, note: "x" });
  assert.deepEqual(decodeEntry(bytes), { ...base, note: "x" });
  const spaced = new TextEncoder().encode(JSON.stringify(JSON.parse(text(bytes)), null, 1));
  assert.throws(() => decodeEntry(spaced), invalid);
  assert.throws(() => decodeEntry(new TextEncoder().encode(text(bytes).replace('"deny"', '"maybe"'))), invalid);
  assert.throws(() => decodeEntry(Uint8Array.of(0xff)), invalid);
  assert.throws(() => decodeEntry(new TextEncoder().encode("[]")), invalid);
});

test("records with missing, mistyped or non-JSON fields are refused with a path in the message", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ time: undefined }, /"time"/],
    [{ time: "yesterday" }, /ISO-8601/],
    [{ agent: 1 }, /"agent"/],
    [{ principal: undefined }, /"principal"/],
    [{ principal: { name: "no id" } }, /"principal" must be a string or an object with a string "id", or null/],
    [{ agent: null }, /"agent"/],
    [{ tool: { args: {} } }, /"tool"/],
    [{ tool: ["refund"] }, /"tool"/],
    [{ phase: "lunch" }, /"phase"/],
    [{ decision: "maybe" }, /"decision"/],
    [{ reasons: "none" }, /"reasons"/],
    [{ reasons: [{ rule: "r" }] }, /reasons\[0\]/],
    [{ policy_digest: "sha256:AB" }, /"policy_digest"/],
    [{ input_digest: "md5:00" }, /"input_digest"/],
    [{ when: new Date(0) }, /record\.when is a Date/],
    [{ n: Number.NaN }, /record\.n is NaN/],
    [{ n: Infinity }, /record\.n is Infinity/],
    [{ list: [1, undefined] }, /record\.list\[1\] is undefined/],
    [{ f: () => 1 }, /record\.f is a function/],
    [{ b: 1n }, /record\.b is a bigint/],
    [{ s: "\ud800" }, /lone surrogate/],
  ];
  for (const [patch, message] of cases) {
    assert.throws(() => encodeEntry({ ...base, ...patch } as AuditRecord), (e: unknown) => invalid(e) && message.test((e as Error).message), JSON.stringify(Object.keys(patch)));
  }
  const loop: Record<string, unknown> = {};
  loop.self = loop;
  assert.throws(() => encodeEntry({ ...base, loop } as unknown as AuditRecord), /refers back to itself/);
  // An undefined object property is simply absent, as in JSON.stringify.
  assert.equal(text(encodeEntry({ ...base, gone: undefined })), text(encodeEntry(base)));
  assert.throws(() => encodeEntry({ ...base, blob: "x".repeat(70_000) }), (e: unknown) => e instanceof AuditError && e.code === "audit/entry-too-large");
});

test("digest: sha256 of canonical JSON, or of raw bytes", () => {
  const sha = (s: string | Uint8Array) => "sha256:" + createHash("sha256").update(s).digest("hex");
  assert.equal(digest({ b: 1, a: [true, null] }), sha('{"a":[true,null],"b":1}'));
  assert.equal(digest("x"), sha('"x"'));
  assert.equal(digest(Uint8Array.of(1, 2)), sha(Uint8Array.of(1, 2)));
  assert.match(digest(null), /^sha256:[0-9a-f]{64}$/);
  assert.throws(() => digest(undefined as unknown as null), invalid);
});

test("property: encode then decode is the identity for any JSON extras", () => {
  const key = fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !(k in base) && k !== "__proto__");
  const json = fc.jsonValue({ maxDepth: 3 }).filter((v) => !JSON.stringify(v).includes('"__proto__"'));
  fc.assert(
    fc.property(fc.dictionary(key, json, { maxKeys: 4 }), (extra) => {
      const record = { ...base, ...extra } as AuditRecord;
      const bytes = encodeEntry(record);
      const back = decodeEntry(bytes);
      assert.deepEqual(encodeEntry(back), bytes);
      assert.equal(digest(back as unknown as Record<string, never>), digest(JSON.parse(text(bytes))));
    }),
    { numRuns: 200 },
  );
});
