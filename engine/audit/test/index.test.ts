import { test } from "node:test";
import assert from "node:assert/strict";
import * as audit from "../index.ts";

test("the public face exports the core API named in the issue", () => {
  for (const name of [
    "leafHash", "nodeHash", "emptyRoot", "verifyInclusion", "verifyConsistency", "MerkleTree", "CompactRange",
    "rootFromReader", "inclusionProofFromReader", "consistencyProofFromReader", "inclusionProofNodes", "consistencyProofNodes",
    "verifyNote", "signNote", "generateKey", "parseVerifierKey", "parseSignerKey", "parseCheckpoint", "formatCheckpoint",
    "signCheckpoint", "openCheckpoint", "tilePath", "entriesPath", "buildTiles", "encodeEntry", "decodeEntry", "digest",
  ]) {
    assert.equal(typeof (audit as Record<string, unknown>)[name], "function", name);
  }
  const t = new audit.MerkleTree();
  t.append(new Uint8Array());
  assert.ok(audit.verifyInclusion(audit.leafHash(new Uint8Array()), 0, 1, t.inclusionProof(0), t.root()));
});
