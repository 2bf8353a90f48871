// Signing and verifier keys as the CLI and the config name them: either the key text itself or
// a file holding it. Keys are the C2SP signed-note ones the audit log's checkpoints use, so one
// tool chain (and Go's sumdb/note) reads both.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { generateKey, parseSignerKey, parseVerifierKey } from "../audit/index.ts";
import type { SignerKey, VerifierKey } from "../audit/index.ts";
import { EnvironmentError } from "./errors.ts";

// A vkey reads `<name>+<8 hex>+<base64>`; anything else is taken for a file name.
const VKEY_TEXT = /^[^+\s]+\+[0-9a-fA-F]{8}\+[A-Za-z0-9+/=]+$/;

/** Whether `spec` is a verifier key's text rather than the name of a file holding one. */
export function isVerifierKeyText(spec: string): boolean {
  return VKEY_TEXT.test(spec.trim());
}

function readKeyFile(spec: string, baseDir: string, what: string): string {
  try {
    return readFileSync(resolve(baseDir, spec), "utf8").trim();
  } catch {
    throw new EnvironmentError("key/invalid", `cannot read ${what} '${spec}'`, "name a key file written by 'palisade bundle keygen', or paste the key text");
  }
}

/** Parses a verifier key given as text or as a file (relative to `baseDir`). Throws EnvironmentError "key/invalid". */
export function readVerifierKey(spec: string, baseDir: string): VerifierKey {
  const text = isVerifierKeyText(spec) ? spec.trim() : readKeyFile(spec, baseDir, "verifier key");
  try {
    return parseVerifierKey(text);
  } catch (err) {
    throw new EnvironmentError("key/invalid", `'${spec}' is not a verifier key: ${err instanceof Error ? err.message : String(err)}`, "a verifier key reads <name>+<8 hex digits>+<base64 key> (the .vkey file of 'palisade bundle keygen')");
  }
}

/** Parses a signing key (`PRIVATE+KEY+...`) held in a file. Throws EnvironmentError "key/invalid". */
export function readSignerKey(file: string, baseDir: string): SignerKey {
  const text = readKeyFile(file, baseDir, "signing key");
  try {
    return parseSignerKey(text);
  } catch (err) {
    throw new EnvironmentError("key/invalid", `'${file}' is not a signing key: ${err instanceof Error ? err.message : String(err)}`, "a signing key reads PRIVATE+KEY+<name>+<id>+<key> (the .key file of 'palisade bundle keygen')");
  }
}

/**
 * The signing half of a verifier key given as a file: the same path ending in `.key` instead of
 * `.vkey` (as 'palisade bundle keygen' writes them), or `override` when given. Checks the two
 * halves belong together. Throws EnvironmentError "key/missing" or "key/invalid".
 */
export function readSignerFor(verifier: VerifierKey, vkeyFile: string | undefined, what: string, override?: string): SignerKey {
  const file = override ?? (vkeyFile === undefined ? undefined : vkeyFile.replace(/\.vkey$/, "") + ".key");
  if (file === undefined) throw new EnvironmentError("key/missing", `no signing key for ${what}: its verifier key is given as text`, "pass the signing key file with --key");
  let text: string;
  try {
    text = readFileSync(file, "utf8").trim();
  } catch {
    throw new EnvironmentError("key/missing", `no signing key for ${what} at '${file}'`, `make the pair with 'palisade bundle keygen', or pass the signing key with --key`);
  }
  let signer: SignerKey;
  try {
    signer = parseSignerKey(text);
  } catch (err) {
    throw new EnvironmentError("key/invalid", `'${file}' is not a signing key: ${err instanceof Error ? err.message : String(err)}`, "a signing key reads PRIVATE+KEY+<name>+<id>+<key> (the .key file of 'palisade bundle keygen')");
  }
  if (signer.vkey !== verifier.vkey) throw new EnvironmentError("key/invalid", `'${file}' is not the signing key of ${what} (it signs as ${signer.vkey}, the config names ${verifier.vkey})`, "pass the matching signing key with --key");
  return signer;
}

/**
 * Writes a new Ed25519 key pair as `<prefix>.key` (owner-only, mode 0600) and `<prefix>.vkey`,
 * refusing to overwrite either: losing a signing key strands every environment that trusts it.
 */
export function writeKeyPair(name: string, prefix: string): { readonly keyFile: string; readonly vkeyFile: string; readonly vkey: string } {
  let pair: { signerKey: string; verifierKey: string };
  try {
    pair = generateKey(name);
  } catch (err) {
    throw new EnvironmentError("key/invalid", `cannot make a key named '${name}': ${err instanceof Error ? err.message : String(err)}`, "a key name has no spaces and no '+'");
  }
  const keyFile = `${prefix}.key`;
  const vkeyFile = `${prefix}.vkey`;
  try {
    mkdirSync(dirname(keyFile), { recursive: true });
    writeFileSync(keyFile, `${pair.signerKey}\n`, { mode: 0o600, flag: "wx" });
    writeFileSync(vkeyFile, `${pair.verifierKey}\n`, { flag: "wx" });
  } catch (err) {
    throw new EnvironmentError("key/invalid", `cannot write the key pair: ${(err as NodeJS.ErrnoException).code === "EEXIST" ? `'${keyFile}' or '${vkeyFile}' already exists` : String(err)}`, "choose another name or remove the old files first");
  }
  return { keyFile, vkeyFile, vkey: pair.verifierKey };
}
