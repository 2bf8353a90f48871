import { test } from "node:test";
import { generateKeyPairSync } from "node:crypto";
import { privateKey } from "../pem.ts";
import { assertFinds, assertNone } from "./support.ts";

function pem(type: "rsa" | "ec" | "ed25519", format: "pkcs8" | "pkcs1" | "sec1"): string {
  const options = type === "rsa" ? { modulusLength: 1024 } : type === "ec" ? { namedCurve: "P-256" } : {};
  const { privateKey: key } = generateKeyPairSync(type as "rsa", { ...(options as { modulusLength: number }), privateKeyEncoding: { type: format as "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
  return key.trim();
}

test("private_key: finds whole PEM private key blocks of every kind", () => {
  const blocks = [
    pem("rsa", "pkcs8"),
    pem("rsa", "pkcs1"),
    pem("ec", "sec1"),
    pem("ec", "pkcs8"),
    pem("ed25519", "pkcs8"),
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----",
    "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----",
    "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF0bx8IBCADGvL3v\n-----END PGP PRIVATE KEY BLOCK-----",
  ];
  for (const b of blocks) {
    assertFinds(privateKey, b);
    assertFinds(privateKey, `key.pem:\n${b}\nthat was the key`, b);
  }
  assertFinds(privateKey, `${blocks[0]}\n${blocks[2]}`, [blocks[0], blocks[2]]);
});

test("private_key: a header without its END line matches through the base64 after it", () => {
  const full = pem("rsa", "pkcs8");
  const cut = full.slice(0, 200);
  assertFinds(privateKey, `${cut}... [output truncated]`, cut.trimEnd());
  assertFinds(privateKey, "-----BEGIN RSA PRIVATE KEY-----");
});

test("private_key: public keys, certificates and near misses are not private keys", () => {
  const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256", publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
  for (const text of [
    publicKey,
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----",
    "-----BEGIN RSA PUBLIC KEY-----\nMIIBCgKCAQEA\n-----END RSA PUBLIC KEY-----",
    "BEGIN RSA PRIVATE KEY",
    "-----BEGIN rsa private key-----\nabc\n-----END rsa private key-----",
    "----BEGIN RSA PRIVATE KEY-----",
    "-----BEGIN PRIVATE KEYS-----",
    "the private key is stored in the vault",
  ]) {
    assertNone(privateKey, text);
  }
});
