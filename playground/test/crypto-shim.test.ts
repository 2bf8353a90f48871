// The page's stand-ins for node:crypto agree with Node: SHA-256 on every length around the block
// boundaries, and Ed25519 verification on valid signatures and on the malleable and malformed
// ones RFC 8032 refuses (S + L, a flipped bit, a truncation), so the console's proof check and
// `palisade audit` accept the same signatures; under a small-order key the page is stricter.
import assert from "node:assert/strict";
import { hash as nodeOneShot, createHash as nodeHash, generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import { it } from "node:test";
import fc from "fast-check";
import { createHash, createPublicKey, hash, verify } from "../src/crypto-shim.ts";

const L = (1n << 252n) + 27742317777372353535851937790883648493n;

function addL(sig: Uint8Array): Uint8Array {
  const out = sig.slice();
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(out[i]);
  s += L;
  for (let i = 32; i < 64; i++) {
    out[i] = Number(s & 0xffn);
    s >>= 8n;
  }
  return out;
}

it("hashes like node:crypto at every length around the block size", () => {
  for (let n = 0; n < 200; n++) {
    const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff);
    assert.equal(Buffer.from(createHash("sha256").update(data).digest()).toString("hex"), nodeHash("sha256").update(data).digest("hex"), `length ${n}`);
    // The one-shot form, as bytes and as the "binary" string the audit log's hash.ts reads.
    assert.deepEqual(hash("sha256", data), new Uint8Array(nodeOneShot("sha256", data, "buffer")), `length ${n}`);
    assert.equal(hash("sha256", data, "binary"), nodeOneShot("sha256", data, "binary"), `length ${n}`);
  }
});

it("verifies Ed25519 exactly as node:crypto does, malleated and malformed signatures included", () => {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const x = publicKey.export({ format: "jwk" }).x as string;
  const page = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(511), (msg, bit) => {
      const sig = new Uint8Array(nodeSign(null, msg, privateKey));
      const flipped = sig.slice();
      flipped[bit >> 3] ^= 1 << (bit & 7);
      for (const s of [sig, flipped, addL(sig), sig.subarray(0, 63)]) assert.equal(verify(null, msg, page, s), s.length === 64 && nodeVerify(null, msg, publicKey, s));
      assert.equal(verify(null, msg, page, addL(sig)), false);
    }),
    { numRuns: 200 },
  );
  // A small-order public key (the identity point) with a forged signature (R = identity, S = 0):
  // OpenSSL's cofactorless check accepts it for every message, the page does not. The page is the
  // stricter one here (fail closed); see spec/console.md.
  const identity = new Uint8Array(32);
  identity[0] = 1;
  const forged = new Uint8Array(64);
  forged[0] = 1;
  const pageId = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(identity).toString("base64url") }, format: "jwk" });
  assert.equal(verify(null, new Uint8Array([1, 2, 3]), pageId, forged), false);
});
