import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readVectors } from "../../../test/support.ts";
import { bytesEqual, emptyRoot, fromBase64, fromHex, leafHash, nodeHash, toBase64, toHex } from "../hash.ts";

interface HasherVector { kind: string; want: string; input_hex?: string; left_hex?: string; right_hex?: string }
const vectors = readVectors<{ hasher_vectors: HasherVector[] }>("merkle-rfc6962.json");

test("every RFC 6962 hasher vector matches", () => {
  assert.equal(vectors.hasher_vectors.length, 4);
  const kinds = new Set<string>();
  for (const v of vectors.hasher_vectors) {
    kinds.add(v.kind);
    const got =
      v.kind === "empty_root" ? emptyRoot()
      : v.kind === "leaf" ? leafHash(fromHex(v.input_hex ?? ""))
      : nodeHash(fromHex(v.left_hex ?? ""), fromHex(v.right_hex ?? ""));
    assert.equal(toHex(got), v.want, v.kind);
  }
  assert.deepEqual([...kinds].sort(), ["empty_root", "leaf", "node"]);
});

test("emptyRoot hands out copies", () => {
  const a = emptyRoot();
  a[0] ^= 1;
  assert.equal(toHex(emptyRoot()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
});

test("hex and base64 round-trip and reject junk", () => {
  const b = Uint8Array.from([0, 1, 2, 250, 255]);
  assert.deepEqual(fromHex(toHex(b)), b);
  assert.deepEqual(fromBase64(toBase64(b)), b);
  assert.throws(() => fromHex("abc"), RangeError);
  assert.throws(() => fromHex("zz"), RangeError);
  assert.throws(() => fromBase64("AAE"), RangeError);
  assert.throws(() => fromBase64("AA=="+"x"), RangeError);
  assert.throws(() => fromBase64("AB=="), RangeError, "non-zero padding bits are not canonical");
  assert.deepEqual(fromBase64("AB==", false), Uint8Array.of(0));
  assert.deepEqual(fromBase64(""), new Uint8Array());
});

test("bytesEqual compares length and content", () => {
  assert.ok(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2)));
  assert.ok(!bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3)));
  assert.ok(!bytesEqual(Uint8Array.of(1), Uint8Array.of(1, 2)));
});

test("nodeHash is SHA-256(0x01 || left || right) for inputs of any length, not only two 32-byte hashes", () => {
  const h = (...parts: Uint8Array[]): string => toHex(new Uint8Array(createHash("sha256").update(Buffer.concat(parts)).digest()));
  const a32 = new Uint8Array(32).fill(7);
  const b16 = new Uint8Array(16).fill(9);
  const one = Uint8Array.of(1);
  for (const [l, r] of [[a32, b16], [b16, a32], [b16, b16], [a32, a32], [new Uint8Array(0), a32]]) {
    assert.equal(toHex(nodeHash(l, r)), h(one, l, r), `${l.length}+${r.length} bytes`);
  }
});

test("malformed hex and base64 are refused with a message saying which", () => {
  assert.throws(() => fromHex("abc"), { name: "RangeError", message: "invalid hex string" });
  assert.throws(() => fromBase64("abc"), { name: "RangeError", message: "invalid base64 string" });
  assert.throws(() => fromBase64("AB=="), { name: "RangeError", message: "non-canonical base64 string" });
  assert.deepEqual(fromBase64("AB==", false), Uint8Array.of(0));
});
