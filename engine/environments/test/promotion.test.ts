import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { loadBundle } from "../bundle.ts";
import { loadEnvironmentsConfig } from "../config.ts";
import { appendGovernanceRecord, scanRecords } from "../log-io.ts";
import { promote, rollback } from "../promotion.ts";
import { driftAlertRecord } from "../records.ts";
import type { ChangeEvent } from "../records.ts";
import { readState } from "../state.ts";
import { openMonitorStore } from "../../monitor/index.ts";
import { editConfig, exampleCopy, refund, refundsPolicy, recordTraffic, writeBundle } from "./support.ts";

const TRAFFIC = [50, 200, 300, 900, 20].map(refund);

/** The example environments with v500 built into development and its traffic recorded. */
async function pipeline() {
  const { dir, key } = exampleCopy();
  mkdirSync(join(dir, "bundles"), { recursive: true });
  writeBundle(join(dir, "bundles", "development.json"), refundsPolicy(500), key.signer, "v500");
  const config = () => loadEnvironmentsConfig(join(dir, "palisade.environments.json"));
  const set = loadBundle(join(dir, "bundles", "development.json"), [key.verifier]);
  await recordTraffic(join(dir, "audit", "development.db"), "development", set, TRAFFIC);
  return { dir, key, config };
}

async function changes(db: string) {
  return (await scanRecords(db, 0)).map((r) => r.record).filter((r) => r.phase === "promotion" || r.phase === "rollback");
}

test("a bundle is promoted development -> staging -> production and rolled back, every step audited", async () => {
  const { dir, key, config } = await pipeline();
  const toStaging = await promote({ config: config(), from: "development", to: "staging", approvedBy: ["alice"] });
  assert.deepEqual(toStaging.gates.map((g) => [g.gate, g.passed]), [["approval", true], ["tests", true], ["replay", true], ["drift", true]]);
  assert.equal(toStaging.promoted, true);
  await recordTraffic(join(dir, "audit", "staging.db"), "staging", loadBundle(join(dir, "bundles", "staging.json"), [key.verifier]), TRAFFIC);
  const v1 = await promote({ config: config(), from: "staging", to: "production", approvedBy: ["alice", "bob"] });
  assert.equal(v1.promoted, true, JSON.stringify(v1.gates));

  // v100: refunds of 200 and 300 now denied: two replay changes, within staging's 25 and production's 5.
  writeBundle(join(dir, "bundles", "development.json"), refundsPolicy(100), key.signer, "v100");
  assert.equal((await promote({ config: config(), from: "development", to: "staging", approvedBy: ["carol"] })).promoted, true);
  const v2 = await promote({ config: config(), from: "staging", to: "production", approvedBy: ["carol", "bob"] });
  assert.equal(v2.promoted, true, JSON.stringify(v2.gates));
  assert.equal(v2.replay?.summary.changed, 2);
  assert.equal(loadBundle(join(dir, "bundles", "production.json"), [key.verifier]).decide("tool_call", refund(300)).decision, "deny");

  const back = await rollback({ config: config(), env: "production", by: "alice" });
  assert.equal(back.to, v1.bundle.digest);
  assert.equal(back.from, v2.bundle.digest);
  const prod = loadBundle(join(dir, "bundles", "production.json"), [key.verifier]);
  assert.equal(prod.version, "v500");
  assert.equal(prod.decide("tool_call", refund(300)).decision, "allow");
  assert.equal(readState(config().environments[2]).stack.length, 1);

  const records = await changes(join(dir, "audit", "production.db"));
  assert.deepEqual(records.map((r) => [r.phase, r.decision, (r.event as ChangeEvent).outcome]), [["promotion", "allow", "promoted"], ["promotion", "allow", "promoted"], ["rollback", "allow", "rolled_back"]]);
  const e = records[1].event as ChangeEvent;
  assert.deepEqual(e.who, ["carol", "bob"]);
  assert.equal(e.from, "staging");
  assert.equal(e.bundle_digest, v2.bundle.digest);
  assert.equal(e.previous_digest, v1.bundle.digest);
  assert.deepEqual(e.signers, ["release"]);
  assert.equal(records[1].policy_digest, v2.bundle.bundle.policy_digest);
  assert.equal(e.gates.length, 4);
  // Nothing left to roll back to.
  await assert.rejects(rollback({ config: config(), env: "production", by: "alice" }), (err: { code?: string }) => err.code === "env/no-previous");
});

async function blocked(gate: string, setup: (p: Awaited<ReturnType<typeof pipeline>>) => Promise<void> | void, approvedBy: readonly string[] = ["alice"]) {
  const p = await pipeline();
  await setup(p);
  const r = await promote({ config: p.config(), from: "development", to: "staging", approvedBy });
  assert.equal(r.promoted, false, `${gate}: ${JSON.stringify(r.gates)}`);
  assert.deepEqual(r.gates.filter((g) => !g.passed).map((g) => g.gate), [gate]);
  assert.equal(existsSync(join(p.dir, "bundles", "staging.json")), false, "a blocked promotion installs nothing");
  const [record] = await changes(join(p.dir, "audit", "staging.db"));
  assert.equal(record.decision, "deny");
  assert.equal((record.event as ChangeEvent).outcome, "blocked");
  assert.deepEqual((record.reasons as { rule: string }[]).map((x) => x.rule), [`gate.${gate}`]);
  return r;
}

test("a promotion is blocked by failing tests", async () => {
  const r = await blocked("tests", ({ dir, key }) => {
    writeBundle(join(dir, "bundles", "development.json"), refundsPolicy(500, `test "wrong" {\n  on tool_call { tool: { name: "refund", args: { amount: 900 } } }\n  expect allow\n}\n`), key.signer);
  });
  assert.match(r.gates[1].detail, /1 of 3 tests failed: .*wrong/);
});

test("a promotion is blocked by too many replay differences", async () => {
  const r = await blocked("replay", ({ dir, key }) => {
    editConfig(dir, (c) => void ((c.environments[1].promotion as Record<string, unknown>).maxReplayChanges = 1));
    writeBundle(join(dir, "bundles", "development.json"), refundsPolicy(100), key.signer);
  });
  assert.match(r.gates[2].detail, /2 of 5 replayed decisions would change \(limit 1\)/);
});

test("a promotion is blocked by an open drift alert recorded in the audit log, and passes once it is resolved", async () => {
  const p = await blocked("drift", async ({ dir }) => {
    await appendGovernanceRecord(join(dir, "audit", "development.db"), driftAlertRecord("development", { key: "refund-rate", status: "open", message: "refunds doubled" }, `sha256:${"0".repeat(64)}`));
  });
  assert.match(p.gates[3].detail, /1 drift alert open in 'development' \(audit log\): refund-rate/);
});

test("a drift alert resolved later no longer blocks; one open in the monitor store does", async () => {
  const p = await pipeline();
  const db = join(p.dir, "audit", "development.db");
  await appendGovernanceRecord(db, driftAlertRecord("development", { key: "k", status: "open", message: "" }, `sha256:${"0".repeat(64)}`));
  await appendGovernanceRecord(db, driftAlertRecord("development", { key: "k", status: "resolved", message: "" }, `sha256:${"0".repeat(64)}`));
  assert.equal((await promote({ config: p.config(), from: "development", to: "staging", approvedBy: ["alice"] })).promoted, true);

  const store = await openMonitorStore(join(p.dir, "monitor.db"));
  await store.saveAlertStates(new Map([["tools/chi-square", { armed: false, lastFired: Date.now() }]]));
  await store.close();
  editConfig(p.dir, (c) => void (c.environments[1].monitor = "monitor.db"));
  await recordTraffic(join(p.dir, "audit", "staging.db"), "staging", loadBundle(join(p.dir, "bundles", "staging.json"), [p.key.verifier]), TRAFFIC);
  const r = await promote({ config: p.config(), from: "staging", to: "production", approvedBy: ["alice", "bob"] });
  assert.equal(r.promoted, false);
  assert.match(r.gates[3].detail, /open in 'staging' \(monitor store\): tools\/chi-square/);
});

test("a promotion is blocked by missing or insufficient approval", async () => {
  await blocked("approval", () => {}, []);
  await blocked("approval", () => {}, ["bob"]); // security, but staging needs a release-manager
  await blocked("approval", () => {}, ["mallory"]); // not an approver at all
  // Production's two-person rule: one person, or the same one twice, is not enough.
  for (const who of [["alice"], ["alice", "alice"]]) {
    const p = await pipeline();
    await promote({ config: p.config(), from: "development", to: "staging", approvedBy: ["alice"] });
    await recordTraffic(join(p.dir, "audit", "staging.db"), "staging", loadBundle(join(p.dir, "bundles", "staging.json"), [p.key.verifier]), TRAFFIC);
    const r = await promote({ config: p.config(), from: "staging", to: "production", approvedBy: who });
    assert.equal(r.promoted, false);
    assert.deepEqual(r.gates.filter((g) => !g.passed).map((g) => g.gate), ["approval"]);
    assert.match(r.gates[0].detail, /two distinct approvers/);
  }
});

test("a bundle the target does not trust cannot be promoted at all", async () => {
  const p = await pipeline();
  editConfig(p.dir, (c) => void (c.environments[1].trustedKeys = []));
  await assert.rejects(promote({ config: p.config(), from: "development", to: "staging", approvedBy: ["alice"] }), (err: { code?: string }) => err.code === "bundle/untrusted");
});
