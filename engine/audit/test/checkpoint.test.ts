import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { readVectors } from "../../../test/support.ts";
import { AuditError } from "../errors.ts";
import { fromBase64, fromHex, toHex } from "../hash.ts";
import { NoteError, parseSignerKey, signNote } from "../note.ts";
import { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from "../checkpoint.ts";

interface Signed { checkpoint_format_example: { note: string; parsed: { origin: string; tree_size: number; root_hash_hex: string; extension_lines: string[] } } }
interface Tessera { origin: string; verifier_key: string; signing_key: string; checkpoints: { tree_size: number; root_hash: string; note: string }[] }

const invalid = (e: unknown) => e instanceof AuditError && e.code === "audit/invalid-checkpoint" && /^malformed checkpoint: [a-z]/.test(e.message);

test("the C2SP checkpoint example parses to its published fields", () => {
  const ex = readVectors<Signed>("signed-note.json").checkpoint_format_example;
  const body = ex.note.slice(0, ex.note.lastIndexOf("\n\n") + 1);
  const cp = parseCheckpoint(body);
  assert.equal(cp.origin, ex.parsed.origin);
  assert.equal(cp.size, ex.parsed.tree_size);
  assert.equal(toHex(cp.root), ex.parsed.root_hash_hex);
  assert.deepEqual(cp.extensions ?? [], ex.parsed.extension_lines);
  assert.equal(formatCheckpoint(cp), body);
});

test("signing the Tessera checkpoints with the test key reproduces all 16 notes byte for byte", () => {
  const t = readVectors<Tessera>("tlog-tiles-tessera-testdata.json");
  assert.equal(t.checkpoints.length, 16);
  const signer = parseSignerKey(t.signing_key);
  assert.equal(signer.vkey, t.verifier_key);
  for (const c of t.checkpoints) {
    assert.equal(signCheckpoint({ origin: t.origin, size: c.tree_size, root: fromHex(c.root_hash) }, signer), c.note);
    const r = openCheckpoint(c.note, [t.verifier_key], t.origin);
    assert.ok(r.ok, `checkpoint ${c.tree_size}`);
    assert.equal(r.checkpoint.size, c.tree_size);
    assert.equal(toHex(r.checkpoint.root), c.root_hash);
  }
});

test("openCheckpoint refuses wrong origins, bad signatures and bad bodies without throwing", () => {
  const t = readVectors<Tessera>("tlog-tiles-tessera-testdata.json");
  const note = t.checkpoints[3].note;
  const r1 = openCheckpoint(note, [t.verifier_key], "example.com/other");
  assert.ok(!r1.ok && r1.error.code === "audit/invalid-checkpoint");
  assert.equal(r1.error.message, `checkpoint origin ${JSON.stringify(t.origin)} is not "example.com/other"`);
  const r2 = openCheckpoint(note.replace("\n3\n", "\n4\n"), [t.verifier_key]);
  assert.ok(!r2.ok && r2.error instanceof NoteError && r2.error.code === "note/invalid-signature");
  const signer = parseSignerKey(t.signing_key);
  const r3 = openCheckpoint(signNote("example.com/log/testdata\n03\nAAAA\n", signer), [t.verifier_key]);
  assert.ok(!r3.ok && r3.error.code === "audit/invalid-checkpoint");
});

test("strict parsing: leading zeros, signs, short roots, non-canonical base64, missing lines", () => {
  const root = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
  assert.equal(parseCheckpoint(`o\n0\n${root}\n`).size, 0);
  assert.deepEqual(parseCheckpoint(`o\n1\n${root}\next one\next two\n`).extensions, ["ext one", "ext two"]);
  const bad = [
    `o\n01\n${root}\n`,
    `o\n+1\n${root}\n`,
    `o\n-1\n${root}\n`,
    `o\n1.0\n${root}\n`,
    `o\n 1\n${root}\n`,
    `o\n99999999999999999999\n${root}\n`,
    `\n1\n${root}\n`,
    `o\n1\nAAAA\n`,
    `o\n1\n${root.replace("FU=", "FV=")}\n`,
    `o\n1\n${root}`,
    `o\n1\n`,
    `o\n1\n${root}\n\n`,
    `o\n1\n${root}\next\n\n`,
    `o\tx\n1\n${root}\n`,
  ];
  for (const b of bad) assert.throws(() => parseCheckpoint(b), invalid, JSON.stringify(b));
  assert.throws(() => parseCheckpoint(42 as unknown as string), invalid);
  assert.throws(() => formatCheckpoint({ origin: "", size: 1, root: new Uint8Array(32) }), invalid);
  assert.throws(() => formatCheckpoint({ origin: "o", size: -1, root: new Uint8Array(32) }), invalid);
  assert.throws(() => formatCheckpoint({ origin: "o", size: 1, root: new Uint8Array(31) }), invalid);
  assert.throws(() => formatCheckpoint({ origin: "o", size: 1, root: new Uint8Array(32), extensions: ["a\nb"] }), invalid);
});

test("property: format then parse is the identity", () => {
  const line = fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !/[\u0000-\u001f]/.test(s));
  fc.assert(
    fc.property(line, fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.array(line, { maxLength: 3 }), (origin, size, root, extensions) => {
      const cp = extensions.length > 0 ? { origin, size, root, extensions } : { origin, size, root };
      const text = formatCheckpoint(cp);
      assert.deepEqual(parseCheckpoint(text), cp);
      assert.equal(formatCheckpoint(parseCheckpoint(text)), text);
      assert.deepEqual(fromBase64(text.split("\n")[2]), root);
    }),
  );
});

test("property: parseCheckpoint throws only AuditError on arbitrary text", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 80 }), (s) => {
      try {
        parseCheckpoint(s);
      } catch (e) {
        assert.ok(invalid(e), String(e));
      }
    }),
  );
});

test("malformed checkpoints are refused saying what is wrong, with the one-line fix", () => {
  const root = new Uint8Array(32);
  const why = (f: () => unknown): [string, string | undefined] => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof AuditError);
      assert.equal(e.code, "audit/invalid-checkpoint");
      return [e.message, e.hint];
    }
    return ["accepted", undefined];
  };
  const [, hint] = why(() => parseCheckpoint("x"));
  assert.equal(hint, "a checkpoint is origin, decimal size and base64 root on three lines, each ending with a newline");
  assert.equal(why(() => formatCheckpoint({ origin: 5 as unknown as string, size: 1, root }))[0], "malformed checkpoint: origin must be a non-empty line");
  for (const e of ["", "a\nb", 7 as unknown as string]) {
    assert.equal(why(() => formatCheckpoint({ origin: "o", size: 1, root, extensions: [e] }))[0], "malformed checkpoint: extension lines must be non-empty single lines", JSON.stringify(e));
  }
  const text = formatCheckpoint({ origin: "o", size: 1, root });
  assert.equal(why(() => parseCheckpoint(text.slice(0, -1)))[0], "malformed checkpoint: text must end with a newline");
  assert.equal(why(() => parseCheckpoint("o\n1\n"))[0], "malformed checkpoint: expected origin, size and root lines");
});
