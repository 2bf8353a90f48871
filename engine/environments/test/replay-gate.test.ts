// Case 2 of issue 20: the replay gate replays the traffic of the environment the bundle lands in,
// judges the limit on its changes, fails when there is nothing to replay unless a signed waiver
// stands, and stores its report with the promotion record.
import { test } from "node:test";
import assert from "node:assert/strict";
import { scanRecords } from "../log-io.ts";
import { promote } from "../promotion.ts";
import type { ChangeEvent } from "../records.ts";
import { approve, auditOf, buildDev, pipeline, recordTraffic, refund, served } from "./support.ts";

test("v2 that changes nothing in development's traffic but flips production's is stopped at production", async () => {
  const p = await pipeline("production");
  const { config, keys, dir } = p;
  // Production's own traffic: 400 refunds, 256 of them between 100 and 500.
  const amounts = Array.from({ length: 400 }, (_, i) => (i < 256 ? 101 + i : 20 + (i % 80)));
  await recordTraffic(auditOf(dir, "production"), "production", served(config, "production"), amounts.map(refund));
  await buildDev(config, keys, 100);
  // Development ran v2 on small refunds only; staging saw the same.
  await recordTraffic(auditOf(dir, "development"), "development", served(config, "development"), [10, 20, 30].map(refund));
  const toStaging = await promote({ config, from: "development", to: "staging", approvals: [approve(config, keys, "carol", "development", "staging")] });
  assert.equal(toStaging.outcome, "promoted", JSON.stringify(toStaging.gates));
  const r = await promote({ config, from: "staging", to: "production", approvals: [approve(config, keys, "carol", "staging", "production"), approve(config, keys, "bob", "staging", "production")] });
  assert.equal(r.outcome, "blocked");
  const gate = r.gates[2];
  assert.equal(gate.passed, false);
  // 256 of the 400 recorded now, plus the pipeline's own 200 and 300 refunds.
  assert.match(gate.detail, /^258 of 405 of 'production''s decisions would change \(limit 5\) \(by rule: acme\.refunds\.large_refund: 258\); in 'staging' 2 of 5 would change/);
  const stored = (await scanRecords(auditOf(dir, "production"), 0)).map((x) => x.record).filter((x) => x.phase === "promotion").at(-1);
  const replay = (stored?.event as ChangeEvent).replay;
  assert.equal(replay?.target?.env, "production");
  assert.equal(replay?.target?.changed, 258);
  assert.deepEqual(replay?.target?.transitions, { "allow -> deny": 258 });
  assert.equal(replay?.target?.examples.length, 5);
  assert.equal(replay?.source?.env, "staging");
  assert.equal(replay?.limit, 5);
});

test("no traffic to replay fails the gate; a waiver counts only when signed by enough approvers", async () => {
  const p = await pipeline("staging");
  const { config, keys } = p;
  const plain = await promote({ config, from: "staging", to: "production", approvals: [approve(config, keys, "alice", "staging", "production"), approve(config, keys, "bob", "staging", "production")] });
  assert.equal(plain.outcome, "blocked");
  assert.deepEqual(plain.gates.filter((g) => !g.passed).map((g) => g.gate), ["replay"]);
  assert.match(plain.gates[2].detail, /^nothing to replay in 'production' \(0 decisions in the window.*and no signed waiver was given/);
  // Under the two-person rule one waiver is not enough.
  const half = await promote({ config, from: "staging", to: "production", approvals: [approve(config, keys, "alice", "staging", "production", { waiveReplay: "new" }), approve(config, keys, "bob", "staging", "production")] });
  assert.equal(half.gates[2].passed, false);
  const both = await promote({ config, from: "staging", to: "production", approvals: [approve(config, keys, "alice", "staging", "production", { waiveReplay: "new env" }), approve(config, keys, "bob", "staging", "production", { waiveReplay: "new env" })] });
  assert.equal(both.outcome, "promoted", JSON.stringify(both.gates));
  assert.deepEqual(both.record.event.replay?.waiver, { reason: "new env", approvers: ["alice", "bob"] });
});

test("traffic recorded without its inputs cannot vouch for a bundle", async () => {
  const p = await pipeline("staging");
  const { config, keys, dir } = p;
  await recordTraffic(auditOf(dir, "staging"), "staging", served(config, "staging"), Array.from({ length: 20 }, (_, i) => refund(i * 40)), { withInput: false });
  await buildDev(config, keys, 400);
  const r = await promote({ config, from: "development", to: "staging", approvals: [approve(config, keys, "alice", "development", "staging")] });
  assert.equal(r.outcome, "blocked");
  assert.match(r.gates[2].detail, /but only 5 of its 25 decisions could be replayed, and no signed waiver was given/);
});
