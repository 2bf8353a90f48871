// Case 3 of issue 20: approvals prove who approved. A name without a valid signature counts for
// nothing, and so does a signature over anything but this very change, an old one, a reused one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseNote, signNote } from "../../audit/index.ts";
import { approvalText, checkApprovals, parseApprovalText, promotionRule, signApproval } from "../approvals.ts";
import { scanRecords } from "../log-io.ts";
import { promote, rollback, usedApprovals } from "../promotion.ts";
import { currentBundle, readState } from "../state.ts";
import { approve, approveRollback, auditOf, buildDev, newKey, pipeline, served } from "./support.ts";

test("an approval counts only when signed by the named approver's key for this very change, recently, once", async () => {
  const p = await pipeline("staging");
  const { config, keys } = p;
  await buildDev(config, keys, 400);
  const dev = currentBundle(config.environments[0]).digest;
  const stagingState = readState(config.environments[1]);
  const staging = stagingState.stack.at(-1)?.digest ?? null;
  const now = new Date();
  const request = { action: "promote" as const, from: "development", to: "staging", bundle: dev, replacing: staging, change: stagingState.seq + 1, skip: [] as string[] };
  const good = approve(config, keys, "alice", "development", "staging");
  const text = parseNote(good).text;
  const mallory = newKey("alice");
  const cases: Array<[string, string, RegExp]> = [
    ["a bare name", "alice", /not a signed note/],
    ["the text with no signature", `${text}\n`, /not a signed note/],
    ["signed by another key under alice's name", signNote(text, mallory.signer), /not signed by alice's key/],
    ["signed by bob's key, naming alice", signNote(text, keys.bob.signer), /not signed by alice's key/],
    ["an approver nobody configured", signApproval(request, "mallory", mallory.signer), /'mallory' is not a configured approver/],
    ["another bundle", signApproval({ ...request, bundle: `sha256:${"1".repeat(64)}` }, "alice", keys.alice.signer), /approves promoting sha256:1{64} .*, not promoting/],
    ["another target", signApproval({ ...request, to: "production" }, "alice", keys.alice.signer), /approves promoting .* to 'production'/],
    ["replacing something else", signApproval({ ...request, replacing: null }, "alice", keys.alice.signer), /\(replacing nothing, change 2\), not/],
    ["another change of staging's state", signApproval({ ...request, change: request.change + 1 }, "alice", keys.alice.signer), /change 3\), not promoting .*change 2\)/],
    ["a rollback's approval", signApproval({ ...request, action: "rollback", from: null }, "alice", keys.alice.signer), /approves rolling 'staging' back/],
    ["two days old", signApproval(request, "alice", keys.alice.signer, { now: new Date(now.getTime() - 2 * 86_400_000) }), /longer ago than the 24 h an approval lasts/],
    ["from the future", signApproval(request, "alice", keys.alice.signer, { now: new Date(now.getTime() + 3_600_000) }), /in the future/],
    ["an extra line", signNote(text.replace("time ", "note hi\ntime "), keys.alice.signer), /not a palisade\.approval\/1 approval/],
  ];
  for (const [name, note, why] of cases) {
    const r = await promote({ config, from: "development", to: "staging", approvals: [note] });
    assert.equal(r.outcome, "blocked", name);
    assert.deepEqual(r.gates.filter((g) => !g.passed).map((g) => g.gate), ["approval"], name);
    assert.match(r.record.event.approvals?.[0]?.rejected ?? "", why, name);
    assert.equal(r.record.event.who.length, 0, `${name}: nobody is recorded as approving`);
  }
  // The genuine one counts; twice in one attempt it counts once.
  const ok = await promote({ config, from: "development", to: "staging", approvals: [good, good] });
  assert.equal(ok.outcome, "promoted", JSON.stringify(ok.gates));
  assert.deepEqual(ok.record.event.who, ["alice"]);
  assert.match(ok.record.event.approvals?.[1]?.rejected ?? "", /a second approval by alice/);
});

test("an approval fits one change: after a rollback the same signed note cannot bring the bundle back", async () => {
  const p = await pipeline("staging");
  const { config, keys } = p;
  await buildDev(config, keys, 400);
  const first = approve(config, keys, "carol", "development", "staging");
  const done = await promote({ config, from: "development", to: "staging", approvals: [first] });
  assert.equal(done.outcome, "promoted");
  const back = await rollback({ config, env: "staging", approvals: [approveRollback(config, keys, "alice", "staging")] });
  assert.equal(back.outcome, "rolled_back");
  const again = await promote({ config, from: "development", to: "staging", approvals: [first] });
  assert.equal(again.outcome, "blocked");
  assert.match(again.gates[0].detail, /change 2\), not promoting .*change 4\)/);
  // Should a state ever come back to the same change number, the log still says it was used.
  const request = { action: "promote" as const, from: "development", to: "staging", bundle: done.record.event.bundle_digest ?? "", replacing: done.record.event.previous_digest, change: 2, skip: [] };
  const used = checkApprovals([first], config, request, promotionRule(config.environments[1].promotion.approval), usedApprovals(await scanRecords(auditOf(p.dir, "staging"), 0)), new Date());
  assert.equal(used.satisfied, false);
  assert.match(used.detail, /already used for the change recorded at audit entry \d+/);
});

test("two-person rule: one person, the same one twice, or one key listed for two people is not two", async () => {
  const p = await pipeline("staging");
  const { config, keys } = p;
  const alice = approve(config, keys, "alice", "staging", "production", { waiveReplay: "first" });
  for (const approvals of [[alice], [alice, alice], [alice, approve(config, keys, "alice", "staging", "production", { waiveReplay: "second" })]]) {
    const r = await promote({ config, from: "staging", to: "production", approvals });
    assert.equal(r.outcome, "blocked");
    assert.match(r.gates[0].detail, /needs two distinct approvers/);
    // One signature cannot waive a replay the two-person rule guards either.
    assert.equal(r.gates[2].passed, false);
  }
  const { parseEnvironmentsConfig } = await import("../config.ts");
  assert.throws(() => parseEnvironmentsConfig({ approvers: { alice: { roles: ["a"], key: keys.alice.vkey }, bob: { roles: ["b"], key: keys.alice.vkey } }, environments: [{ name: "e", bundle: "b.json", state: "s", key: keys.production.vkey, trustedKeys: [] }] }, p.dir), /approver 'bob' and approver 'alice' use the same key/);
  assert.throws(() => parseEnvironmentsConfig({ approvers: { alice: ["release-manager"] }, environments: [] }, p.dir), /approver 'alice' has no key: an approval counts only when signed/);
});

test("a rollback needs a signed approval: a name, or a stranger's signature, rolls nothing back", async () => {
  const p = await pipeline("staging");
  const { config, keys } = p;
  await buildDev(config, keys, 400);
  await promote({ config, from: "development", to: "staging", approvals: [approve(config, keys, "alice", "development", "staging")] });
  const v400 = served(config, "staging").digest;
  const mallory = newKey("mallory");
  const e = config.environments[1];
  const { from, to } = { from: readState(e).stack.at(-1)?.digest ?? null, to: readState(e).stack.at(-2)?.digest ?? "" };
  for (const approvals of [[], ["mallory"], [signApproval({ action: "rollback", from: null, to: "staging", bundle: to, replacing: from, change: readState(e).seq + 1, skip: [] }, "mallory", mallory.signer)]]) {
    const r = await rollback({ config, env: "staging", approvals });
    assert.equal(r.outcome, "blocked");
    assert.deepEqual(r.record.event.who, []);
    assert.equal(r.record.principal, null, "the record names nobody");
    assert.equal(served(config, "staging").digest, v400);
  }
});

test("approval text round-trips and nothing but its canonical form parses", () => {
  const a = { approver: "alice", action: "promote" as const, from: "staging", to: "production", bundle: `sha256:${"a".repeat(64)}`, replacing: null, change: 3, skip: ["qa"], waiveReplay: "no traffic yet", time: "2026-12-07T10:00:00.000Z" };
  assert.deepEqual(parseApprovalText(approvalText(a)), a);
  for (const bad of [approvalText(a).replace("approver", "Approver"), approvalText(a).replace("\n", "\n\n"), `${approvalText(a)}x\n`, approvalText(a).replace("action promote\n", ""), approvalText(a).replace("change 3", "change 03"), approvalText(a).replace("change 3", "change 0")]) assert.equal(parseApprovalText(bad), undefined, bad);
});
