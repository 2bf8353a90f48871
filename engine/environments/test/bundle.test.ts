import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildBundle, bundleDigest, loadBundle, parseBundle, serializeBundle, verifyBundle } from "../bundle.ts";
import type { Bundle } from "../bundle.ts";
import { EnvironmentError } from "../errors.ts";
import { newKey, refund, refundsPolicy, tempDir } from "./support.ts";

const key = newKey("release");
const other = newKey("intruder");
const sources = [{ path: "refunds.policy", text: refundsPolicy(500) }];

function refusal(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => err instanceof EnvironmentError && err.code === code, `expected ${code}`);
}

test("a signed bundle verifies, names its signer and loads a deciding policy set", () => {
  const b = buildBundle({ sources, key: key.signer, version: "1.2.0", metadata: { commit: "4f2a9c1" }, toolSchemas: { refund: { type: "object" } } });
  assert.match(b.signature, /^palisade\.bundle\/1\nbundle sha256:[0-9a-f]{64}\npolicy sha256:/);
  const v = verifyBundle(parseBundle(JSON.parse(serializeBundle(b))), [key.verifier]);
  assert.deepEqual(v.signers, ["release"]);
  assert.equal(v.digest, bundleDigest(b));
  const dir = tempDir();
  writeFileSync(join(dir, "b.json"), serializeBundle(b));
  const set = loadBundle(join(dir, "b.json"), [key.verifier]);
  assert.equal(set.decide("tool_call", refund(900)).decision, "deny");
  assert.equal(set.decide("tool_call", refund(100)).decision, "allow");
  assert.equal(set.decide("tool_call", refund(100)).policy.version, "1.2.0");
  assert.equal(loadBundle(join(dir, "b.json"), [key.vkey]).digest, set.digest, "a vkey given as text is trusted too");
});

test("an unsigned bundle is refused", () => {
  refusal(() => verifyBundle(buildBundle({ sources }), [key.verifier]), "bundle/unsigned");
});

test("a bundle signed by an untrusted key, or with no key trusted, is refused", () => {
  const b = buildBundle({ sources, key: other.signer });
  refusal(() => verifyBundle(b, [key.verifier]), "bundle/untrusted");
  refusal(() => verifyBundle(buildBundle({ sources, key: key.signer }), []), "bundle/untrusted");
});

test("tampering with a source, the metadata, the tool schemas or the signature is refused", () => {
  const b = buildBundle({ sources, key: key.signer, metadata: { commit: "a" } });
  const mutations: Record<string, (x: Bundle) => Bundle> = {
    "raised limit": (x) => ({ ...x, sources: [{ path: "refunds.policy", text: x.sources[0].text.replace("MAX_REFUND = 500", "MAX_REFUND = 5000") }] }),
    "raised limit and policy digest": (x) => {
      const text = x.sources[0].text.replace("MAX_REFUND = 500", "MAX_REFUND = 5000");
      return { ...x, sources: [{ path: "refunds.policy", text }], policy_digest: buildBundle({ sources: [{ path: "refunds.policy", text }] }).policy_digest };
    },
    "metadata": (x) => ({ ...x, metadata: { commit: "b" } }),
    "tool schemas": (x) => ({ ...x, tool_schemas: { refund: { type: "object" } } }),
    "flipped signature byte": (x) => ({ ...x, signature: x.signature.replace(/(\n— release \S{40})(.)/, (_m, a: string, c: string) => a + (c === "A" ? "B" : "A")) }),
    "signature of another bundle": (x) => ({ ...x, signature: buildBundle({ sources: [{ path: "p.policy", text: refundsPolicy(100) }], key: key.signer }).signature }),
  };
  for (const [name, mutate] of Object.entries(mutations)) {
    assert.throws(() => verifyBundle(mutate(b), [key.verifier]), (err: unknown) => err instanceof EnvironmentError && err.code === "bundle/tampered", name);
  }
  // The untouched bundle still verifies, so the refusals above are the mutations' doing.
  assert.equal(verifyBundle(b, [key.verifier]).signers[0], "release");
});

test("a tampered bundle file is refused by loadBundle with a stable code and no stack in the message", () => {
  const dir = tempDir();
  const file = join(dir, "b.json");
  writeFileSync(file, serializeBundle(buildBundle({ sources, key: key.signer })));
  writeFileSync(file, readFileSync(file, "utf8").replace("MAX_REFUND = 500", "MAX_REFUND = 9000"));
  assert.throws(() => loadBundle(file, [key.verifier]), (err: unknown) => err instanceof EnvironmentError && err.code === "bundle/tampered" && !/\n\s+at /.test(err.message));
  writeFileSync(file, "{ not json");
  refusal(() => loadBundle(file, [key.verifier]), "bundle/malformed");
  refusal(() => loadBundle(join(dir, "missing.json"), [key.verifier]), "bundle/unreadable");
});

test("policies that do not check are not bundled", () => {
  refusal(() => buildBundle({ sources: [{ path: "bad.policy", text: "package a\nrule r on tool_call { when tool.nme == 1 then deny \"x\" }\n" }], key: key.signer }), "bundle/does-not-check");
});
