// Case 4 of issue 20: only promoted bundles serve. Writing an environment's bundle file — with
// `bundle build --out`, by hand, signed by any key — changes nothing that serves: the signed state
// names the bundle, nodes refuse anything else and record the refusal; promotion attests the
// bundle with the target's own key, so production trusts no build key to serve.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../../cli/test/support.ts";
import { startHarness } from "../../service/test/harness.ts";
import { environmentSource } from "../../service/environment-source.ts";
import { verifyBundle } from "../bundle.ts";
import { openEnvironment } from "../handle.ts";
import { scanRecords } from "../log-io.ts";
import type { BundleRefusal, ChangeEvent } from "../records.ts";
import { promote } from "../promotion.ts";
import { currentBundle, install, readState } from "../state.ts";
import { approve, auditOf, buildDev, bundleOf, editConfig, pipeline, refundsPolicy, writeBundle } from "./support.ts";

test("bundle build --out onto production's bundle file is refused and recorded; production keeps serving v1", async () => {
  const p = await pipeline("production");
  const { dir, config } = p;
  const v1 = currentBundle(config.environments[2]).digest;
  const policy = join(dir, "policies", "refunds.policy");
  writeFileSync(policy, readFileSync(policy, "utf8").replace("MAX_REFUND = 500", "MAX_REFUND = 5000"));
  const before = readFileSync(join(dir, "bundles", "production.json"), "utf8");
  for (const out of ["bundles/production.json", "./bundles/../bundles/production.json", "state/production/bundles/x.json"]) {
    const r = await run(["bundle", "build", "policies", "--out", out, "--key", "keys/release.key", "--version", "3.0.0"], dir);
    assert.equal(r.code, 1, `${out}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /error\[env\/direct-write\]: .* is environment 'production''s bundle: only promote and rollback change it/);
  }
  assert.equal(readFileSync(join(dir, "bundles", "production.json"), "utf8"), before);
  const refused = (await scanRecords(auditOf(dir, "production"), 0)).map((x) => x.record).filter((x) => (x.event as ChangeEvent | undefined)?.type === "palisade.build/1");
  assert.deepEqual(refused.map((x) => [x.decision, (x.event as ChangeEvent).refusal?.code]), [["deny", "env/direct-write"], ["deny", "env/direct-write"], ["deny", "env/direct-write"]]);
  // Building into anything but the first environment is refused the same way.
  const into = await run(["bundle", "build", "policies", "--env", "production", "--key", "keys/release.key"], dir);
  assert.equal(into.code, 1);
  assert.match(into.stderr, /error\[env\/not-first\]: bundles enter 'production' only by promotion/);
  assert.equal(currentBundle(config.environments[2]).digest, v1);
  assert.equal(readState(config.environments[2]).stack.at(-1)?.digest, v1, "the state still names v1, and v1 serves");
});

test("a bundle written over production's by hand is refused at start and on reload, and each refusal is recorded", async () => {
  const p = await pipeline("production");
  const { dir, config, keys } = p;
  const v1 = currentBundle(config.environments[2]).digest;
  const file = join(dir, "bundles", "production.json");
  const good = readFileSync(file, "utf8");
  // A node serving production, as an SDK process would.
  const handle = await openEnvironment(config, "production", { node: "node-a", reportStatus: true });
  writeBundle(file, refundsPolicy(5000), keys.release.signer, "3.0.0");
  const r = handle.reload();
  assert.equal(r.ok, false);
  assert.equal(handle.digest, v1, "v1 keeps serving");
  // A node starting now refuses to serve at all, and says so in the log.
  const start = await run(["serve", "--env", "production", "--port", "0"], dir);
  assert.equal(start.code, 2);
  assert.match(start.stderr, /--env production: the bundle at .*production\.json \(sha256:\w+\) is not the one environment 'production' was given: its signed state names sha256:\w+/);
  // The reload's refusal is recorded as it happens, without holding up the node: wait for it.
  let refusals: BundleRefusal[] = [];
  for (let i = 0; i < 100 && refusals.length < 2; i++) {
    await new Promise((res) => setTimeout(res, 50));
    refusals = (await scanRecords(auditOf(dir, "production"), 0)).map((x) => x.record).filter((x) => x.phase === "bundle_refused").map((x) => x.refusal as BundleRefusal);
  }
  assert.equal(refusals.length, 2);
  const reload = refusals.find((x) => x.serving !== null) as BundleRefusal;
  const started = refusals.find((x) => x.serving === null) as BundleRefusal;
  assert.deepEqual([reload.node, reload.code, reload.serving, reload.state_digest], ["node-a", "env/not-promoted", v1, v1]);
  assert.notEqual(reload.bundle_digest, v1);
  assert.deepEqual([started.code, started.serving], ["env/not-promoted", null]);
  // What each node runs is queryable: this node reports v1, and the refusal.
  const statuses = await environmentSource(config).list() as { name: string; nodes: { node: string; digest: string; current: boolean; refused: { code: string } | null }[] }[];
  const prodNodes = statuses.find((e) => e.name === "production")?.nodes ?? [];
  assert.deepEqual(prodNodes.map((n) => [n.node, n.digest, n.current, n.refused?.code]), [["node-a", v1, true, "env/not-promoted"]]);
  const h = await startHarness({ environment: handle });
  try {
    const status = await h.call("GET", "/v1/status", "agent");
    assert.equal(status.status, 200);
    assert.equal(status.body.environment.digest, v1);
    assert.equal(status.body.environment.node, "node-a");
    assert.equal(status.body.environment.refused.code, "env/not-promoted");
  } finally {
    await h.close();
    handle.close();
  }
  writeFileSync(file, good);
  const cli = await run(["env", "status", "--env", "production"], dir);
  assert.equal(cli.code, 0, cli.stdout + cli.stderr);
  assert.match(cli.stdout, new RegExp(`^production: ${v1} \\(version v500\\), change 1: promotion by alice, bob`, "m"));
});

test("promotion attests the bundle with the target's key: production serves without trusting the build key", async () => {
  const p = await pipeline("production");
  const { dir, keys } = p;
  const bundle = JSON.parse(readFileSync(join(dir, "bundles", "production.json"), "utf8"));
  assert.deepEqual(verifyBundle(bundle, [keys.production.verifier]).signers, ["production"]);
  editConfig(dir, (c) => void (c.environments[2].trustedKeys = []));
  assert.equal(currentBundle(p.reload().environments[2]).digest, currentBundle(p.config.environments[2]).digest);
  // A bundle signed by the build key alone does not serve in production, even with the state edited to name it.
  const file = join(dir, "bundles", "production.json");
  writeBundle(file, refundsPolicy(500), keys.release.signer, "v500");
  assert.throws(() => currentBundle(p.reload().environments[2]), /env\/not-promoted|is not the one environment 'production' was given/);
});

test("an older signed state and bundle put back in place are caught: env status reads the log's changes, a racing change is refused", async () => {
  const p = await pipeline("staging");
  const { dir, config, keys } = p;
  const staging = config.environments[1];
  const oldState = readFileSync(join(dir, "state", "staging", "state.json"), "utf8");
  const oldBundle = readFileSync(join(dir, "bundles", "staging.json"), "utf8");
  await buildDev(config, keys, 400);
  assert.equal((await promote({ config, from: "development", to: "staging", approvals: [approve(config, keys, "alice", "development", "staging")] })).outcome, "promoted");
  writeFileSync(join(dir, "state", "staging", "state.json"), oldState);
  writeFileSync(join(dir, "bundles", "staging.json"), oldBundle);
  assert.equal(currentBundle(staging).state.seq, 1, "signed and consistent on its own");
  const status = await run(["env", "status", "--env", "staging"], dir);
  assert.equal(status.code, 1);
  assert.match(status.stdout, /^staging: not serving: error\[env\/state-stale\]: the state of 'staging' is at change 1, but its audit log records change 2 \(entry \d+\)/m);
  // Two changes racing: one judged against change 1 lands after another made change 2.
  const v = verifyBundle(bundleOf(refundsPolicy(300), keys.release.signer), staging.trustedKeys);
  install(staging, v, { key: keys.staging.signer, by: ["x"], action: "promotion", from: "development", expectSeq: 1 });
  assert.throws(() => install(staging, v, { key: keys.staging.signer, by: ["x"], action: "promotion", from: "development", expectSeq: 1 }), /changed \(change 2, not 1\) while this change was being checked/);
});
