import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setImmediate as tick } from "node:timers/promises";
import { parseEnvironmentsConfig } from "../config.ts";
import type { EnvironmentError } from "../errors.ts";
import { EnvironmentHandle } from "../handle.ts";
import { newKey, refund, refundsPolicy, tempDir, writeBundle } from "./support.ts";

const key = newKey("release");
const intruder = newKey("intruder");

function setup(): { dir: string; file: string; env: ReturnType<typeof parseEnvironmentsConfig>["environments"][number] } {
  const dir = tempDir();
  const file = join(dir, "bundle.json");
  writeBundle(file, refundsPolicy(100), key.signer, "v100");
  const config = parseEnvironmentsConfig({ environments: [{ name: "production", bundle: "bundle.json", state: "state", trustedKeys: [key.vkey] }] }, dir);
  return { dir, file, env: config.environments[0] };
}

test("concurrent decisions during swaps each see exactly one bundle", async () => {
  const { file, env } = setup();
  const handle = EnvironmentHandle.open(env);
  // Two bundles whose limits differ: an amount of 300 is denied by v100 and allowed by v500, and
  // every deny message names its version, so a decision mixing both would be caught.
  const versions = [100, 500];
  let swaps = 0;
  const swapper = (async () => {
    for (let i = 0; i < 40; i++) {
      writeBundle(`${file}.next`, refundsPolicy(versions[i % 2 === 0 ? 1 : 0]), key.signer, `v${versions[i % 2 === 0 ? 1 : 0]}`);
      renameSync(`${file}.next`, file);
      const r = handle.reload();
      assert.equal(r.ok, true);
      if (r.ok && r.changed) swaps++;
      await tick();
    }
  })();
  const seen = new Set<string>();
  const deciders = Array.from({ length: 8 }, async () => {
    for (let i = 0; i < 60; i++) {
      const set = handle.current();
      await tick(); // a swap may land here; the decision keeps the set it took
      const a = set.decide("tool_call", refund(300));
      const b = set.decide("tool_call", refund(900));
      const version = set.version;
      seen.add(version ?? "");
      assert.equal(a.policy.version, version);
      assert.equal(b.policy.version, version);
      assert.equal(a.decision, version === "v100" ? "deny" : "allow");
      assert.match(b.reasons[0]?.message ?? "", new RegExp(`\\(${version}\\)`));
    }
  });
  await Promise.all([swapper, ...deciders]);
  assert.equal(swaps, 40);
  assert.deepEqual([...seen].sort(), ["v100", "v500"]);
});

test("a bundle that fails to load leaves the old one serving and says why", () => {
  const { file, env } = setup();
  const errors: EnvironmentError[] = [];
  const handle = EnvironmentHandle.open(env, { onError: (e) => errors.push(e) });
  const before = handle.current();
  const cases: Array<[string, () => void]> = [
    ["bundle/malformed", () => writeFileSync(file, '{"format": "palisade.bundle/1", "sources": [')],
    ["bundle/untrusted", () => writeBundle(file, refundsPolicy(500), intruder.signer)],
    ["bundle/tampered", () => {
      writeBundle(file, refundsPolicy(500), key.signer);
      writeFileSync(file, readFileSync(file, "utf8").replace("MAX_REFUND = 500", "MAX_REFUND = 50000"));
    }],
  ];
  for (const [code, breakIt] of cases) {
    breakIt();
    const r = handle.reload();
    assert.equal(r.ok, false, code);
    if (!r.ok) assert.equal(r.error.code, code);
    assert.equal(handle.current(), before, `${code}: the old set keeps serving`);
  }
  assert.deepEqual(errors.map((e) => e.code), cases.map(([c]) => c));
  writeBundle(file, refundsPolicy(500), key.signer, "v500");
  const ok = handle.reload();
  assert.equal(ok.ok && ok.changed, true);
  assert.notEqual(handle.current(), before);
});

test("watching the bundle file reloads a bundle replaced by rename", async () => {
  const { file, env } = setup();
  const reloaded: string[] = [];
  let resolve: () => void = () => {};
  const done = new Promise<void>((r) => (resolve = r));
  const handle = EnvironmentHandle.open(env, { debounceMs: 10, onReload: (d) => { reloaded.push(d); resolve(); } });
  handle.watch();
  try {
    assert.equal(handle.current().decide("tool_call", refund(300)).decision, "deny");
    writeBundle(`${file}.next`, refundsPolicy(500), key.signer, "v500");
    renameSync(`${file}.next`, file);
    await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error("no reload within 5s")), 5000))]);
    assert.equal(reloaded.length, 1);
    assert.equal(handle.current().decide("tool_call", refund(300)).decision, "allow");
  } finally {
    handle.close();
  }
});

test("opening an environment whose bundle is refused throws with a stable code", () => {
  const { file, env } = setup();
  writeBundle(file, refundsPolicy(500), intruder.signer);
  assert.throws(() => EnvironmentHandle.open(env), (e: unknown) => (e as EnvironmentError).code === "bundle/untrusted");
});
