import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { appendGovernanceRecord, scanRecords } from "../log-io.ts";
import { promote, rollback } from "../promotion.ts";
import { driftAlertRecord } from "../records.ts";
import type { ChangeEvent } from "../records.ts";
import { readState } from "../state.ts";
import { approve, approveRollback, auditOf, buildDev, editConfig, pipeline, refund, served } from "./support.ts";

async function changes(db: string) {
  return (await scanRecords(db, 0)).map((r) => r.record).filter((r) => r.phase === "promotion" || r.phase === "rollback");
}

test("a bundle goes development -> staging -> production on signed approvals and is rolled back, every step audited", async () => {
  const p = await pipeline("production");
  const { config, keys, dir } = p;
  const v1 = served(config, "production");
  // v100: refunds of 200 and 300 now denied: two changes in staging's and production's own traffic.
  await buildDev(config, keys, 100);
  const toStaging = await promote({ config, from: "development", to: "staging", approvals: [approve(config, keys, "carol", "development", "staging")] });
  assert.deepEqual(toStaging.gates.map((g) => [g.gate, g.passed]), [["approval", true], ["tests", true], ["replay", true], ["drift", true]]);
  const v2 = await promote({ config, from: "staging", to: "production", approvals: [approve(config, keys, "carol", "staging", "production"), approve(config, keys, "bob", "staging", "production")] });
  assert.equal(v2.outcome, "promoted", JSON.stringify(v2.gates));
  assert.equal(v2.replay?.target?.env, "production");
  assert.equal(v2.replay?.target?.changed, 2);
  assert.deepEqual(v2.replay?.target?.by_rule, { "acme.refunds.large_refund": 2 });
  assert.equal(served(config, "production").decide("tool_call", refund(300)).decision, "deny");

  const back = await rollback({ config, env: "production", approvals: [approveRollback(config, keys, "alice", "production")] });
  assert.equal(back.outcome, "rolled_back", JSON.stringify(back.gates));
  assert.equal(back.record.event.previous_digest, v2.bundle?.digest);
  assert.equal(served(config, "production").digest, v1.digest);
  assert.equal(served(config, "production").decide("tool_call", refund(300)).decision, "allow");
  assert.equal(readState(config.environments[2]).stack.length, 1);

  const records = await changes(auditOf(dir, "production"));
  assert.deepEqual(records.map((r) => [r.phase, r.decision, (r.event as ChangeEvent).outcome]), [["promotion", "allow", "promoted"], ["promotion", "allow", "promoted"], ["rollback", "allow", "rolled_back"]]);
  const e = records[1].event as ChangeEvent;
  assert.deepEqual(e.who, ["carol", "bob"]);
  assert.equal(e.from, "staging");
  assert.equal(e.bundle_digest, v2.bundle?.digest);
  assert.deepEqual(e.signers, ["release"]);
  assert.equal(e.attested_by, "production");
  assert.equal(e.state_seq, 2);
  assert.deepEqual(e.approvals?.map((a) => [a.approver, a.role, a.counted]), [["carol", "release-manager", true], ["bob", "security", true]]);
  assert.match(e.approvals?.[0].note ?? "", /^palisade\.approval\/1\napprover carol\naction promote\nfrom staging\nto production\n/);
  // The gate's report travels with the record: counts, changes by rule, examples.
  assert.equal(e.replay?.target?.changed, 2);
  assert.deepEqual(e.replay?.target?.examples.map((x) => [x.recorded, x.replayed, x.rules]), [["allow", "deny", ["acme.refunds.large_refund"]], ["allow", "deny", ["acme.refunds.large_refund"]]]);
  assert.equal(e.gates.length, 4);
  const r = records[2].event as ChangeEvent;
  assert.deepEqual([r.who, r.bundle_digest, r.previous_digest], [["alice"], (records[0].event as ChangeEvent).bundle_digest, v2.bundle?.digest]);
  // Nothing left to roll back to: refused, and the refusal recorded.
  const none = await rollback({ config, env: "production", approvals: [] });
  assert.equal(none.outcome, "blocked");
  assert.equal(none.refusal?.code, "env/no-previous");
  assert.match(none.refusal?.message ?? "", /is the oldest left on its install stack \(each rollback takes one off\)/);
  assert.equal((await changes(auditOf(dir, "production"))).length, 4);
});

async function blocked(gate: string, setup: (p: Awaited<ReturnType<typeof pipeline>>) => Promise<void> | void, approvers: readonly ("alice" | "bob" | "carol")[] = ["alice"]) {
  const p = await pipeline("staging");
  await setup(p);
  const config = p.reload();
  const before = readFileSync(join(p.dir, "bundles", "staging.json"), "utf8");
  const r = await promote({ config, from: "development", to: "staging", approvals: approvers.map((w) => approve(config, p.keys, w, "development", "staging")) });
  assert.equal(r.outcome, "blocked", `${gate}: ${JSON.stringify(r.gates)}`);
  assert.deepEqual(r.gates.filter((g) => !g.passed).map((g) => g.gate), [gate]);
  assert.equal(readFileSync(join(p.dir, "bundles", "staging.json"), "utf8"), before, "a blocked promotion installs nothing");
  const record = (await changes(auditOf(p.dir, "staging"))).at(-1);
  assert.equal(record?.decision, "deny");
  assert.equal((record?.event as ChangeEvent).outcome, "blocked");
  assert.deepEqual((record?.reasons as { rule: string }[]).map((x) => x.rule), [`gate.${gate}`]);
  return r;
}

test("a promotion is blocked by failing tests", async () => {
  const r = await blocked("tests", async ({ config, keys }) => {
    await buildDev(config, keys, 400, `test "wrong" {\n  on tool_call { tool: { name: "refund", args: { amount: 900 } } }\n  expect allow\n}\n`);
  });
  assert.match(r.gates[1].detail, /1 of 3 tests failed: .*wrong/);
});

test("a promotion is blocked by too many changes in the target's own traffic", async () => {
  const r = await blocked("replay", async ({ dir, config, keys }) => {
    editConfig(dir, (c) => void ((c.environments[1].promotion as Record<string, unknown>).maxReplayChanges = 1));
    await buildDev(config, keys, 100);
  });
  assert.match(r.gates[2].detail, /^2 of 5 of 'staging''s decisions would change \(limit 1\) \(by rule: acme\.refunds\.large_refund: 2\)/);
});

test("a promotion is blocked by an open drift alert in the source, and passes once it is resolved", async () => {
  const r = await blocked("drift", async ({ dir, config, keys }) => {
    await buildDev(config, keys, 400);
    await appendGovernanceRecord(auditOf(dir, "development"), driftAlertRecord("development", { key: "refund-rate", status: "open", message: "refunds doubled" }, `sha256:${"0".repeat(64)}`));
  });
  assert.match(r.gates[3].detail, /1 drift alert open in 'development' \(audit log\): refund-rate \(open\)/);
});

test("a promotion needs a signed approval by the required role", async () => {
  await blocked("approval", ({ config, keys }) => buildDev(config, keys, 400).then(() => undefined), []);
  const r = await blocked("approval", ({ config, keys }) => buildDev(config, keys, 400).then(() => undefined), ["bob"]); // security, but staging needs a release-manager
  assert.match(r.gates[0].detail, /needs an approver with role 'release-manager'.*bob: bob holds none of the roles 'release-manager'/);
});

test("promoting the bundle already serving is a no-op, recorded; rollback goes to the previous distinct bundle", async () => {
  const p = await pipeline("staging");
  const { config, keys, dir } = p;
  const v500 = served(config, "staging").digest;
  const again = await promote({ config, from: "development", to: "staging", approvals: [approve(config, keys, "alice", "development", "staging")] });
  assert.equal(again.outcome, "unchanged");
  assert.equal(again.record.decision, "deny");
  assert.equal(readState(config.environments[1]).stack.length, 1, "nothing pushed");
  // A real second bundle, then the first one again: the stack is v500, v400, v500.
  await buildDev(config, keys, 400);
  assert.equal((await promote({ config, from: "development", to: "staging", approvals: [approve(config, keys, "alice", "development", "staging")] })).outcome, "promoted");
  await buildDev(config, keys, 500);
  assert.equal((await promote({ config, from: "development", to: "staging", approvals: [approve(config, keys, "carol", "development", "staging")] })).outcome, "promoted");
  assert.equal(served(config, "staging").digest, v500);
  const back = await rollback({ config, env: "staging", approvals: [approveRollback(config, keys, "alice", "staging")] });
  assert.equal(back.outcome, "rolled_back");
  assert.notEqual(back.record.event.bundle_digest, back.record.event.previous_digest, "a rollback always changes the bundle");
  assert.equal(served(config, "staging").decide("tool_call", refund(450)).decision, "deny", "v400 serves");
  const outcomes = (await changes(auditOf(dir, "staging"))).map((r) => (r.event as ChangeEvent).outcome);
  assert.deepEqual(outcomes, ["promoted", "unchanged", "promoted", "promoted", "rolled_back"]);
});
