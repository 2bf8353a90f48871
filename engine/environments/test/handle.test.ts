import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setImmediate as tick } from "node:timers/promises";
import { verifyBundle } from "../bundle.ts";
import { parseEnvironmentsConfig } from "../config.ts";
import type { EnvironmentConfig } from "../config.ts";
import type { EnvironmentError } from "../errors.ts";
import { EnvironmentHandle } from "../handle.ts";
import { install } from "../state.ts";
import { bundleOf, newKey, refund, refundsPolicy, tempDir, writeBundle } from "./support.ts";

const release = newKey("release");
const envKey = newKey("production");
const intruder = newKey("intruder");

function setup(): { dir: string; file: string; env: EnvironmentConfig; put: (limit: number) => string } {
  const dir = tempDir();
  const config = parseEnvironmentsConfig({ environments: [{ name: "production", bundle: "bundle.json", state: "state", key: envKey.vkey, trustedKeys: [release.vkey] }] }, dir);
  const env = config.environments[0];
  // What promote does once the gates passed: attest, record in the signed state, swap the file.
  const put = (limit: number) => {
    const v = verifyBundle(bundleOf(refundsPolicy(limit), release.signer, `v${limit}`), env.trustedKeys);
    install(env, v, { key: envKey.signer, by: ["alice"], action: "promotion", from: "staging" });
    return v.digest;
  };
  put(100);
  return { dir, file: join(dir, "bundle.json"), env, put };
}

test("concurrent decisions during swaps each see exactly one bundle", async () => {
  const { env, put } = setup();
  const handle = EnvironmentHandle.open(env);
  // Two bundles whose limits differ: an amount of 300 is denied by v100 and allowed by v500, and
  // every deny message names its version, so a decision mixing both would be caught.
  const versions = [100, 500];
  let swaps = 0;
  const swapper = (async () => {
    for (let i = 0; i < 20; i++) {
      put(versions[i % 2 === 0 ? 1 : 0]);
      const r = handle.reload();
      assert.equal(r.ok, true, r.ok ? "" : r.error.message);
      if (r.ok && r.changed) swaps++;
      await tick();
    }
  })();
  const seen = new Set<string>();
  const deciders = Array.from({ length: 8 }, async () => {
    for (let i = 0; i < 40; i++) {
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
  assert.equal(swaps, 20);
  assert.deepEqual([...seen].sort(), ["v100", "v500"]);
});

test("a bundle file not named by the signed state, however signed, leaves the old one serving and says why", () => {
  const { dir, file, env, put } = setup();
  const errors: EnvironmentError[] = [];
  const refusals: string[] = [];
  const handle = EnvironmentHandle.open(env, { onError: (e) => errors.push(e), onRefusal: (r) => refusals.push(`${r.code} ${r.serving === handle.digest}`) });
  const before = handle.current();
  const stateFile = join(dir, "state", "state.json");
  const cases: Array<[string, () => void]> = [
    ["bundle/malformed", () => writeFileSync(file, '{"format": "palisade.bundle/1", "sources": [')],
    // Signed by the trusted build key, even attested: not what the state names.
    ["env/not-promoted", () => writeBundle(file, refundsPolicy(900), release.signer)],
    ["env/not-promoted", () => writeBundle(file, refundsPolicy(900), envKey.signer)],
    ["env/not-promoted", () => writeBundle(file, refundsPolicy(500), intruder.signer)],
    // The state edited to name another bundle: its signature no longer holds.
    ["env/state-unsigned", () => {
      writeBundle(file, refundsPolicy(900), release.signer);
      const s = JSON.parse(readFileSync(stateFile, "utf8"));
      s.stack[0].digest = verifyBundle(JSON.parse(readFileSync(file, "utf8")), [release.verifier]).digest;
      writeFileSync(stateFile, JSON.stringify(s));
    }],
    // A state signed by another key.
    ["env/state-unsigned", () => {
      const s = JSON.parse(readFileSync(stateFile, "utf8"));
      s.signature = s.signature.replace(/\n\n[\s\S]*$/, "\n\n") + "— production AAAAAAA=\n";
      writeFileSync(stateFile, JSON.stringify(s));
    }],
  ];
  const good = readFileSync(stateFile, "utf8");
  for (const [code, breakIt] of cases) {
    writeFileSync(stateFile, good);
    breakIt();
    const r = handle.reload();
    assert.equal(r.ok, false, code);
    if (!r.ok) assert.equal(r.error.code, code);
    assert.equal(handle.current(), before, `${code}: the old set keeps serving`);
  }
  assert.deepEqual(errors.map((e) => e.code), cases.map(([c]) => c));
  assert.deepEqual(refusals, cases.map(([c]) => `${c} true`));
  writeFileSync(stateFile, good);
  put(500);
  const ok = handle.reload();
  assert.equal(ok.ok && ok.changed, true);
  assert.notEqual(handle.current(), before);
});

test("an older signed state put back in place is refused by a node that has seen a newer one", () => {
  const { dir, env, put } = setup();
  const stateFile = join(dir, "state", "state.json");
  const old = readFileSync(stateFile, "utf8");
  cpSync(join(dir, "bundle.json"), join(dir, "old-bundle.json"));
  put(500);
  const handle = EnvironmentHandle.open(env);
  writeFileSync(stateFile, old);
  renameSync(join(dir, "old-bundle.json"), join(dir, "bundle.json"));
  const r = handle.reload();
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.error.code, "env/state-stale");
  assert.equal(handle.current().version, "v500");
});

test("watching the bundle file reloads a promotion", async () => {
  const { env, put } = setup();
  const reloaded: string[] = [];
  let resolve: () => void = () => {};
  const done = new Promise<void>((r) => (resolve = r));
  const handle = EnvironmentHandle.open(env, { debounceMs: 10, onReload: (d) => { reloaded.push(d); resolve(); } });
  handle.watch();
  try {
    assert.equal(handle.current().decide("tool_call", refund(300)).decision, "deny");
    put(500);
    await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error("no reload within 5s")), 5000))]);
    assert.equal(reloaded.length, 1);
    assert.equal(handle.current().decide("tool_call", refund(300)).decision, "allow");
  } finally {
    handle.close();
  }
});

test("opening an environment whose bundle is refused throws with a stable code", () => {
  const { file, env } = setup();
  writeBundle(file, refundsPolicy(500), release.signer);
  assert.throws(() => EnvironmentHandle.open(env), (e: unknown) => (e as EnvironmentError).code === "env/not-promoted");
  const qaDir = tempDir();
  const empty = parseEnvironmentsConfig({ environments: [{ name: "qa", bundle: "b.json", state: "s", key: intruder.vkey, trustedKeys: [] }] }, qaDir).environments[0];
  assert.throws(() => EnvironmentHandle.open(empty), (e: unknown) => (e as EnvironmentError).code === "env/no-state");
  // The unsigned install stack older versions wrote is not taken on trust.
  mkdirSync(join(qaDir, "s"), { recursive: true });
  writeFileSync(join(qaDir, "s", "history.json"), JSON.stringify({ format: "palisade.env-state/1", stack: [] }));
  assert.throws(() => EnvironmentHandle.open(empty), (e: unknown) => (e as EnvironmentError).code === "env/state-unsigned");
});
