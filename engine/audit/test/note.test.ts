import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, sign as cryptoSign } from "node:crypto";
import fc from "fast-check";
import { readVectors } from "../../../test/support.ts";
import { fromBase64, fromHex, toBase64, toHex } from "../hash.ts";
import {
  NoteError,
  SIG_ECDSA,
  SIG_RFC6962_STH,
  cosignatureLine,
  cosignatureVerifierKey,
  generateKey,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  verifyNote,
} from "../note.ts";

interface Expect { ok: boolean; text?: string; verified?: string[]; unverified?: string[]; error_contains?: string }
interface NoteCase { desc: string; note: string | null; note_hex?: string; verifier_keys: string[]; expect: Expect }
interface Vectors {
  verifier_keys: { vkey: string; name: string; key_id: string; signature_type: number; public_key_b64: string; valid: boolean }[];
  invalid_verifier_keys: { vkey: string; valid: boolean; why: string }[];
  signing_keys: { skey: string | null; name: string; key_id: string; seed_hex: string; public_key_b64: string; vkey: string }[];
  note_cases: NoteCase[];
  checkpoint_format_example: { note: string; parsed: { signatures: { name: string; key_id: string; signature_len: number; cosignature_timestamp?: number }[] } };
  cosignature_v1: {
    cosigner_name: string;
    cosigner_public_key_b64: string;
    cosigner_vkey_type04: string;
    checkpoint_body: string;
    timestamp: number;
    signed_message: string;
    signature_hex: string;
    signature_line: string;
    cosigned_checkpoint: string;
    cases: NoteCase[];
  };
}
const v = readVectors<Vectors>("signed-note.json");

function noteBytes(c: NoteCase): string | Uint8Array {
  if (c.note_hex !== undefined) {
    const bytes = fromHex(c.note_hex);
    // When both spellings are given they must agree, so either one exercises the same case.
    if (c.note !== null) assert.equal(new TextDecoder().decode(bytes), c.note, c.desc);
    return bytes;
  }
  assert.notEqual(c.note, null, c.desc);
  return c.note as string;
}

function runCase(c: NoteCase, asBytes: boolean): void {
  const input = asBytes ? noteBytes(c) : (c.note ?? noteBytes(c));
  const r = verifyNote(input, c.verifier_keys);
  assert.equal(r.ok, c.expect.ok, `${c.desc}: ${r.ok ? "accepted" : r.error.message}`);
  if (r.ok) {
    if (c.expect.text !== undefined) assert.equal(r.text, c.expect.text, c.desc);
    assert.deepEqual(r.signatures.map((s) => `${s.name}+${s.keyId}`), c.expect.verified ?? [], c.desc);
    if (c.expect.unverified) assert.deepEqual(r.unverified.map((s) => `${s.name}+${s.keyId}`), c.expect.unverified, c.desc);
  } else {
    assert.ok(r.error instanceof NoteError);
    assert.ok(c.expect.error_contains, c.desc);
    assert.ok(r.error.message.includes(c.expect.error_contains), `${c.desc}: got "${r.error.message}"`);
  }
}

test("every verifier key parses to its name, key id, type and key", () => {
  assert.equal(v.verifier_keys.length, 18);
  const types = new Set<number>();
  for (const k of v.verifier_keys) {
    assert.ok(k.valid);
    const p = parseVerifierKey(k.vkey);
    assert.equal(p.name, k.name);
    assert.equal(p.keyId, k.key_id);
    assert.equal(p.type, k.signature_type);
    assert.equal(toBase64(p.publicKey), k.public_key_b64);
    assert.equal(p.vkey, k.vkey);
    types.add(p.type);
  }
  assert.deepEqual([...types].sort(), [1, 2, 4, 5]);
});

test("every invalid verifier key is refused with a stable code", () => {
  assert.equal(v.invalid_verifier_keys.length, 7);
  for (const k of v.invalid_verifier_keys) {
    assert.throws(() => parseVerifierKey(k.vkey), (e: unknown) => e instanceof NoteError && e.code === "note/invalid-verifier-key", k.why);
  }
});

test("every signing key parses, derives its public key and key id, and matches its vkey", () => {
  assert.equal(v.signing_keys.length, 10);
  let parsed = 0;
  for (const k of v.signing_keys) {
    // A key given only as a seed is spelled the way Go would write it, then parsed like the others.
    const skey = k.skey ?? `PRIVATE+KEY+${k.name}+${k.key_id}+${toBase64(Uint8Array.of(1, ...fromHex(k.seed_hex)))}`;
    if (k.skey) assert.equal(toHex(fromBase64(k.skey.split("+").slice(4).join("+")).subarray(1)), k.seed_hex);
    const s = parseSignerKey(skey);
    assert.equal(s.name, k.name);
    assert.equal(s.keyId, k.key_id);
    assert.equal(toBase64(s.publicKey), k.public_key_b64);
    assert.equal(s.vkey, k.vkey);
    parsed++;
  }
  assert.equal(parsed, 10);
});

test("signer keys with a wrong id, type or shape are refused", () => {
  const good = v.signing_keys[0].skey as string;
  const bad = [good.replace("c74f20a3", "c74f20a4"), good.replace("+AYEK", "+AoEK"), "PRIVATE+KEY+x", good.slice(0, -4), good.replace("PeterNeumann", "Peter Neumann"), 42 as unknown as string];
  for (const b of bad) assert.throws(() => parseSignerKey(b), (e: unknown) => e instanceof NoteError && e.code === "note/invalid-signer-key", String(b));
});

test("every note case gives the expected outcome, as text and as bytes", () => {
  assert.equal(v.note_cases.length, 17);
  let accepted = 0;
  for (const c of v.note_cases) {
    runCase(c, true);
    if (c.note !== null) runCase(c, false);
    if (c.expect.ok) accepted++;
  }
  assert.equal(accepted, 4);
});

test("the PeterNeumann and EnochRoot signatures are re-created byte for byte", () => {
  const both = v.note_cases.find((c) => c.desc === "two signatures, both known");
  assert.ok(both?.note);
  const text = both.note.slice(0, both.note.lastIndexOf("\n\n") + 1);
  const peter = parseSignerKey(v.signing_keys.find((k) => k.name === "PeterNeumann")?.skey as string);
  const enoch = v.signing_keys.find((k) => k.name === "EnochRoot");
  assert.ok(enoch);
  const enochKey = parseSignerKey(`PRIVATE+KEY+EnochRoot+${enoch.key_id}+${toBase64(Uint8Array.of(1, ...fromHex(enoch.seed_hex)))}`);
  assert.equal(signNote(text, [peter, enochKey]), both.note);
  assert.equal(signNote(text, peter), v.note_cases[1].note);
});

test("the C2SP checkpoint example parses but has no verifiable signatures", () => {
  const ex = v.checkpoint_format_example;
  const parsed = parseNote(ex.note);
  assert.equal(parsed.signatures.length, ex.parsed.signatures.length);
  parsed.signatures.forEach((s, i) => {
    const want = ex.parsed.signatures[i];
    assert.equal(s.name, want.name);
    assert.equal(s.keyId, want.key_id);
    const sigLen = want.cosignature_timestamp === undefined ? s.signature.length : s.signature.length - 8;
    assert.equal(sigLen, want.signature_len);
    if (want.cosignature_timestamp !== undefined) {
      assert.equal(Number(new DataView(s.signature.buffer, s.signature.byteOffset).getBigUint64(0)), want.cosignature_timestamp);
    }
  });
  for (const keys of [[], v.verifier_keys.map((k) => k.vkey)]) {
    const r = verifyNote(ex.note, keys);
    assert.ok(!r.ok && r.error.code === "note/unverified" && r.error.message.includes("no verifiable signatures"));
  }
});

test("cosignature/v1: the derived vector is reproduced and every case passes", () => {
  const c = v.cosignature_v1;
  assert.equal(c.cases.length, 4);
  const witness = parseSignerKey(v.signing_keys.find((k) => k.name === c.cosigner_name)?.skey as string);
  const monkeys = parseSignerKey(v.signing_keys.find((k) => k.name === "monkeys")?.skey as string);
  assert.equal(toBase64(witness.publicKey), c.cosigner_public_key_b64);
  assert.equal(cosignatureVerifierKey(witness), c.cosigner_vkey_type04);
  assert.equal(toHex(witness.sign(new TextEncoder().encode(c.signed_message))), c.signature_hex);
  const line = cosignatureLine(c.checkpoint_body, witness, c.timestamp);
  assert.equal(line, c.signature_line);
  assert.equal(signNote(c.checkpoint_body, monkeys) + line, c.cosigned_checkpoint);
  for (const k of c.cases) runCase(k, false);
  const r = verifyNote(c.cosigned_checkpoint, [c.cosigner_vkey_type04]);
  assert.ok(r.ok);
  assert.equal(r.signatures[0].timestamp, c.timestamp);
});

test("generated keys sign notes that verify, and only with the right key", () => {
  const { signerKey, verifierKey } = generateKey("palisade.example/audit");
  assert.match(signerKey, /^PRIVATE\+KEY\+palisade\.example\/audit\+[0-9a-f]{8}\+A[A-Za-z0-9+/]{43}$/);
  const signer = parseSignerKey(signerKey);
  assert.equal(signer.vkey, verifierKey);
  const note = signNote("hello\nworld\n", signer);
  const r = verifyNote(note, [verifierKey]);
  assert.ok(r.ok);
  assert.equal(r.text, "hello\nworld\n");
  const other = generateKey("palisade.example/audit").verifierKey;
  const r2 = verifyNote(note, [other]);
  assert.ok(!r2.ok && r2.error.code === "note/unverified");
  assert.throws(() => generateKey("bad name"), (e: unknown) => e instanceof NoteError && e.code === "note/invalid-name");
  assert.throws(() => generateKey("a+b"), NoteError);
  assert.throws(() => signNote("no newline", signer), (e: unknown) => e instanceof NoteError && e.code === "note/invalid-text");
  assert.throws(() => signNote("tab\there\n", signer), NoteError);
});

test("verifyNote never throws on junk", () => {
  const junk: unknown[] = [undefined, null, 5, {}, [], "", "\n\n", "x\n\n\u2014 \n", new Uint8Array([0xff, 0x0a, 0x0a]), "x\n\n\u2014 a AAAA\n"];
  for (const j of junk) {
    const r = verifyNote(j as string, []);
    assert.equal(r.ok, false);
  }
  const r = verifyNote("x\n\n\u2014 a AAAAAAAA\n", ["not a key"]);
  assert.ok(!r.ok && r.error.code === "note/invalid-verifier-key");
  assert.throws(() => parseNote("x\n"), (e: unknown) => e instanceof NoteError && e.code === "note/malformed");
});

// No published vectors exist for types 0x02 and 0x05 with a signed note, so these check the
// formats against node:crypto signatures made here, to the letter of their definitions.
test("ECDSA (0x02) and RFC 6962 (0x05) keys verify signatures made to their definitions", () => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const der = new Uint8Array(publicKey.export({ format: "der", type: "spki" }));
  const sha = (...p: Uint8Array[]) => {
    const h = createHash("sha256");
    for (const x of p) h.update(x);
    return new Uint8Array(h.digest());
  };
  const text = "log.example\n3\n" + toBase64(new Uint8Array(32).fill(7)) + "\n";
  const enc = new TextEncoder();

  const id2 = sha(der).subarray(0, 4);
  const vkey2 = `rekor.example+${toHex(id2)}+${toBase64(Uint8Array.of(SIG_ECDSA, ...der))}`;
  const sig2 = new Uint8Array(cryptoSign("sha256", enc.encode(text), privateKey));
  const note2 = `${text}\n\u2014 rekor.example ${toBase64(Uint8Array.of(...id2, ...sig2))}\n`;
  assert.ok(verifyNote(note2, [vkey2]).ok);
  assert.equal(verifyNote(note2.replace("\n3\n", "\n4\n"), [vkey2]).ok, false);

  const id5 = sha(enc.encode("ct.example"), Uint8Array.of(0x0a, SIG_RFC6962_STH), sha(der)).subarray(0, 4);
  const vkey5 = `ct.example+${toHex(id5)}+${toBase64(Uint8Array.of(SIG_RFC6962_STH, ...der))}`;
  const ts = Uint8Array.of(0, 0, 1, 0x8c, 0, 0, 0, 1);
  const tbs = Uint8Array.of(0, 1, ...ts, 0, 0, 0, 0, 0, 0, 0, 3, ...new Uint8Array(32).fill(7));
  const ecdsa = new Uint8Array(cryptoSign("sha256", tbs, privateKey));
  const sig5 = Uint8Array.of(...id5, ...ts, 4, 3, ecdsa.length >> 8, ecdsa.length & 0xff, ...ecdsa);
  const note5 = `${text.replace("log.example", "ct.example")}\n\u2014 ct.example ${toBase64(sig5)}\n`;
  assert.ok(verifyNote(note5, [vkey5]).ok);
  assert.equal(verifyNote(note5.replace("\n3\n", "\n4\n"), [vkey5]).ok, false);
});

test("property: any change to a signed text is refused, and random bytes never throw", () => {
  const signer = parseSignerKey(v.signing_keys[0].skey as string);
  const vkey = v.signing_keys[0].vkey;
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.nat(), fc.integer({ min: 0x20, max: 0x7e }), (body, at, code) => {
      const text = `${body.replace(/[\u0000-\u001f]/g, "x")}\n`;
      const note = signNote(text, signer);
      assert.ok(verifyNote(note, [vkey]).ok);
      const i = at % (text.length - 1);
      // Every run changes a character (none is discarded): a code equal to the one there moves on by one.
      const c = text.charCodeAt(i) !== code ? code : code === 0x7e ? 0x20 : code + 1;
      const changed = note.slice(0, i) + String.fromCharCode(c) + note.slice(i + 1);
      const r = verifyNote(changed, [vkey]);
      assert.equal(r.ok, false);
    }),
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      assert.equal(typeof verifyNote(bytes, [vkey]).ok, "boolean");
    }),
  );
});
