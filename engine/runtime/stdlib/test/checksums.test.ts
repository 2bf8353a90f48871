import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeBase64Url, ibanMod97Valid, luhnValid, shannonEntropy } from "../checksums.ts";

const whole = (f: (s: string, a: number, b: number) => boolean) => (s: string): boolean => f(s, 0, s.length);

test("luhnValid: known numbers, separators ignored, single-digit errors caught", () => {
  const luhn = whole(luhnValid);
  for (const s of ["4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111", "79927398713", "0"]) assert.equal(luhn(s), true, s);
  for (const s of ["4111111111111112", "79927398710", "", "abc"]) assert.equal(luhn(s), false, s);
  assert.equal(luhnValid("xx4111111111111111yy", 2, 18), true);
});

test("property: changing one digit always breaks the Luhn check", () => {
  fc.assert(
    fc.property(fc.stringMatching(/^[0-9]{12,18}$/), fc.nat(), fc.integer({ min: 1, max: 9 }), (body, pos, delta) => {
      let s = "";
      for (let d = 0; d <= 9; d++) if (luhnValid(body + d, 0, body.length + 1)) s = body + d;
      assert.ok(s !== "");
      const i = pos % s.length;
      const changed = s.slice(0, i) + String((Number(s[i]) + delta) % 10) + s.slice(i + 1);
      assert.equal(luhnValid(changed, 0, changed.length), false);
    }),
  );
});

test("ibanMod97Valid: registry examples pass, altered ones fail, letters of either case", () => {
  const mod97 = whole(ibanMod97Valid);
  for (const s of ["GB82WEST12345698765432", "GB82 WEST 1234 5698 7654 32", "gb82west12345698765432", "NO9386011117947", "MT84MALT011000012345MTLCAST001S"]) assert.equal(mod97(s), true, s);
  for (const s of ["GB82WEST12345698765433", "GB28WEST12345698765432", "GB82", "GB8", "GB82WEST1234569876543!"]) assert.equal(mod97(s), false, s);
});

test("property: decodeBase64Url matches Buffer on every byte string, and refuses impossible input", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const buf = Buffer.from(bytes);
      const url = buf.toString("base64url");
      assert.equal(decodeBase64Url(url, 0, url.length), buf.toString("latin1"));
      const padded = buf.toString("base64");
      assert.equal(decodeBase64Url(padded, 0, padded.length), buf.toString("latin1"));
    }),
  );
  assert.equal(decodeBase64Url("abcde", 0, 5), null, "a remainder of one character");
  assert.equal(decodeBase64Url("ab.d", 0, 4), null);
  assert.equal(decodeBase64Url("ab\u0100d", 0, 4), null);
});

test("shannonEntropy: bits per character", () => {
  assert.equal(shannonEntropy("aaaa", 0, 4), 0);
  assert.equal(shannonEntropy("abab", 0, 4), 1);
  assert.equal(shannonEntropy("0123456789abcdef", 0, 16), 4);
  assert.equal(shannonEntropy("", 0, 0), 0);
});
