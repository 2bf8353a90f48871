// Signed policy bundles: everything an engine needs to decide (the sources, the tool schemas,
// the compiler that checked them, metadata) in one JSON file, with a C2SP signed note over its
// digest so that an environment runs only what a trusted key has signed.
//
// What the signature covers: the note text names the bundle digest — SHA-256 of the RFC 8785
// canonical JSON of every field but `signature` — and the policy digest of the sources. Both are
// recomputed on verification, so editing any source, schema or metadata field, or swapping the
// signature of another bundle in, is refused as tampering.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../package-root.ts";
import { digest, parseNote, signNote, verifyNote } from "../audit/index.ts";
import type { JsonValue, SignerKey, VerifierKey } from "../audit/index.ts";
import type { JSONSchemaObject } from "../../language/index.ts";
import { loadPolicySet, policyDigest } from "../runtime/index.ts";
import type { Evaluator, PolicySet, PolicySource } from "../runtime/policy-set.ts";
import { EnvironmentError } from "./errors.ts";
import { readVerifierKey } from "./keys.ts";

/** The format tag of this bundle layout; readers refuse any other. */
export const BUNDLE_FORMAT = "palisade.bundle/1";

/** The compiler recorded in new bundles: this package's name and version. */
export const COMPILER_VERSION: string = (() => {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { name?: string; version?: string };
  return `${pkg.name ?? "palisade"} ${pkg.version ?? "0.0.0"}`;
})();

/** A bundle's signed contents. */
export interface BundleBody {
  readonly format: typeof BUNDLE_FORMAT;
  /** `sha256:<hex>` policy digest of `sources` (engine/runtime policyDigest). */
  readonly policy_digest: string;
  /** The compiler that checked the sources when the bundle was built, e.g. "palisade 0.1.0". */
  readonly compiler: string;
  /** A release label reported in decisions as `policy.version`, or null. */
  readonly version: string | null;
  /** ISO-8601 instant the bundle was built. */
  readonly created: string;
  /** Free-form JSON the builder attached (commit, author, ticket). */
  readonly metadata: { readonly [key: string]: JsonValue };
  /** JSON Schemas of tools' args by tool name, as the checker used them. */
  readonly tool_schemas: { readonly [tool: string]: JSONSchemaObject };
  /** The `.policy` sources, paths relative to where they were built from. */
  readonly sources: readonly PolicySource[];
}

/** A bundle as stored: its contents and the signed note over them. */
export interface Bundle extends BundleBody {
  /** A C2SP signed note (text, blank line, signature lines); empty when unsigned. */
  readonly signature: string;
}

/** A bundle that verified: who signed it and its digests. */
export interface VerifiedBundle {
  readonly bundle: Bundle;
  /** `sha256:<hex>` of the canonical body, what the signature covers. */
  readonly digest: string;
  /** Names of the trusted keys whose signatures verified. */
  readonly signers: readonly string[];
}

/** What buildBundle needs. */
export interface BuildOptions {
  readonly sources: readonly PolicySource[];
  /** Signs the bundle; without a key the bundle is unsigned (and every engine refuses it). */
  readonly key?: SignerKey | readonly SignerKey[];
  readonly toolSchemas?: { readonly [tool: string]: JSONSchemaObject };
  readonly version?: string;
  readonly metadata?: { readonly [key: string]: JsonValue };
  /** The build instant; for tests. */
  readonly now?: Date;
}

/** `sha256:<hex>` of a bundle's signed part. */
export function bundleDigest(body: BundleBody): string {
  const { format, policy_digest, compiler, version, created, metadata, tool_schemas, sources } = body;
  return digest({ format, policy_digest, compiler, version, created, metadata, tool_schemas: tool_schemas as JsonValue, sources: sources.map((s) => ({ path: s.path, text: s.text })) });
}

/** The note text a bundle's signature signs. */
function noteText(bundleDigestValue: string, policyDigestValue: string): string {
  return `${BUNDLE_FORMAT}\nbundle ${bundleDigestValue}\npolicy ${policyDigestValue}\n`;
}

/**
 * Checks the sources and packs them into a bundle, signed when `key` is given. Throws
 * EnvironmentError "bundle/does-not-check" when the policies have errors: a bundle that cannot
 * load anywhere is not worth signing.
 */
export function buildBundle(options: BuildOptions): Bundle {
  const toolSchemas = options.toolSchemas ?? {};
  const { policySet, diagnostics } = loadPolicySet(options.sources, { toolSchemas: { ...toolSchemas } });
  if (policySet === null) {
    const first = diagnostics.find((d) => d.severity === "error");
    throw new EnvironmentError("bundle/does-not-check", `the policies do not check${first ? `: ${first.message}` : ""}`, "run 'palisade check' on them and fix the errors");
  }
  const body: BundleBody = {
    format: BUNDLE_FORMAT,
    policy_digest: policyDigest(options.sources),
    compiler: COMPILER_VERSION,
    version: options.version ?? null,
    created: (options.now ?? new Date()).toISOString(),
    metadata: options.metadata ?? {},
    tool_schemas: toolSchemas,
    sources: options.sources.map((s) => ({ path: s.path, text: s.text })),
  };
  const keys = options.key === undefined ? [] : Array.isArray(options.key) ? (options.key as readonly SignerKey[]) : [options.key as SignerKey];
  const signature = keys.length === 0 ? "" : signNote(noteText(bundleDigest(body), body.policy_digest), keys);
  return { ...body, signature };
}

/** A bundle as file text: pretty JSON, so reviews can diff it. */
export function serializeBundle(bundle: Bundle): string {
  return `${JSON.stringify(bundle, null, 2)}\n`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Checks a parsed JSON value has a bundle's shape. Throws EnvironmentError "bundle/malformed". */
export function parseBundle(value: unknown, where = "the bundle"): Bundle {
  const bad = (why: string): EnvironmentError => new EnvironmentError("bundle/malformed", `${where} is not a palisade bundle: ${why}`, "build one with 'palisade bundle build'");
  if (!isObject(value)) throw bad("not a JSON object");
  if (value.format !== BUNDLE_FORMAT) throw bad(`its format is ${JSON.stringify(value.format)}, not "${BUNDLE_FORMAT}"`);
  for (const k of ["policy_digest", "compiler", "created", "signature"]) if (typeof value[k] !== "string") throw bad(`field "${k}" must be a string`);
  if (!(value.version === null || typeof value.version === "string")) throw bad(`field "version" must be a string or null`);
  if (!isObject(value.metadata)) throw bad(`field "metadata" must be an object`);
  if (!isObject(value.tool_schemas) || !Object.values(value.tool_schemas).every(isObject)) throw bad(`field "tool_schemas" must map tool names to JSON Schema objects`);
  if (!Array.isArray(value.sources) || value.sources.length === 0) throw bad(`field "sources" must be a non-empty list`);
  for (const s of value.sources) if (!isObject(s) || typeof s.path !== "string" || typeof s.text !== "string") throw bad(`every source must have a string "path" and "text"`);
  return value as unknown as Bundle;
}

/** Reads a bundle file's JSON. Throws EnvironmentError "bundle/unreadable" or "bundle/malformed". */
export function readBundleFile(file: string): Bundle {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new EnvironmentError("bundle/unreadable", `cannot read bundle '${file}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new EnvironmentError("bundle/malformed", `bundle '${file}' is not valid JSON`, "it may have been cut short while being written; write bundles by rename");
  }
  return parseBundle(json, `'${file}'`);
}

/**
 * Verifies a bundle against the trusted keys (parsed, or `vkey` text). Throws EnvironmentError: "bundle/unsigned" (no
 * signature), "bundle/untrusted" (no signature by a trusted key), "bundle/tampered" (a trusted
 * key's signature does not verify, or the contents no longer match what was signed).
 */
export function verifyBundle(bundle: Bundle, trusted: readonly (VerifierKey | string)[]): VerifiedBundle {
  const trustedKeys = trusted.map((k) => (typeof k === "string" ? readVerifierKey(k, ".") : k));
  if (bundle.signature.trim() === "") throw new EnvironmentError("bundle/unsigned", "the bundle is not signed", "build it with 'palisade bundle build --key KEYFILE'");
  if (trustedKeys.length === 0) throw new EnvironmentError("bundle/untrusted", "no signing key is trusted, so no bundle can be accepted", "add the signer's verifier key to the environment's trustedKeys (or pass --trust)");
  const opened = verifyNote(bundle.signature, trustedKeys);
  if (!opened.ok) {
    if (opened.error.code === "note/unverified") {
      throw new EnvironmentError("bundle/untrusted", `the bundle is not signed by a trusted key (trusted: ${trustedKeys.map((k) => k.name).join(", ")})`, "add the signer's verifier key to trustedKeys, or have a trusted key sign the bundle");
    }
    if (opened.error.code === "note/invalid-signature") throw new EnvironmentError("bundle/tampered", `the bundle's signature does not verify: ${opened.error.message}`, "rebuild and re-sign the bundle from its sources");
    throw new EnvironmentError("bundle/malformed", `the bundle's signature is not a signed note: ${opened.error.message}`);
  }
  const d = bundleDigest(bundle);
  if (opened.text !== noteText(d, bundle.policy_digest)) {
    throw new EnvironmentError("bundle/tampered", "the bundle's contents do not match its signature (sources, schemas or metadata were changed after signing)", "rebuild and re-sign the bundle from its sources");
  }
  const actual = policyDigest(bundle.sources);
  if (actual !== bundle.policy_digest) {
    throw new EnvironmentError("bundle/tampered", `the bundle's sources digest to ${actual}, not the signed ${bundle.policy_digest}`, "rebuild and re-sign the bundle from its sources");
  }
  return { bundle, digest: d, signers: opened.signatures.map((s) => s.name) };
}

/**
 * The bundle with `key`'s signature added to its note (replacing an earlier one by the same key):
 * how an environment attests a bundle it installs. The signed text, and so the digest, is
 * unchanged. The bundle must already carry a signature (verify it first).
 */
export function attestBundle(bundle: Bundle, key: SignerKey): Bundle {
  const note = parseNote(bundle.signature);
  const added = signNote(note.text, key);
  const line = added.slice(added.lastIndexOf("\n\n") + 2);
  const kept = note.signatures.filter((s) => !(s.name === key.name && s.keyId === key.keyId)).map((s) => `\u2014 ${s.name} ${s.base64}\n`);
  return { ...bundle, signature: `${note.text}\n${kept.join("")}${line}` };
}

/** Loads a verified bundle's policies. Throws EnvironmentError "bundle/does-not-check" when this engine's checker refuses them. */
export function policySetOf(verified: VerifiedBundle, evaluator?: Evaluator): PolicySet {
  const { bundle } = verified;
  const { policySet, diagnostics } = loadPolicySet(bundle.sources, {
    toolSchemas: { ...bundle.tool_schemas },
    ...(bundle.version !== null ? { version: bundle.version } : {}),
    ...(evaluator !== undefined ? { evaluator } : {}),
  });
  if (policySet === null) {
    const first = diagnostics.find((d) => d.severity === "error");
    throw new EnvironmentError("bundle/does-not-check", `the bundle's policies do not check with ${COMPILER_VERSION} (built with ${bundle.compiler})${first ? `: ${first.message}` : ""}`, "rebuild the bundle with this version");
  }
  return policySet;
}

/** Reads, verifies and loads a bundle file: the policy set an engine decides with. Throws EnvironmentError on any refusal. */
export function loadBundle(file: string, trustedKeys: readonly (VerifierKey | string)[], evaluator?: Evaluator): PolicySet {
  return policySetOf(verifyBundle(readBundleFile(file), trustedKeys), evaluator);
}
