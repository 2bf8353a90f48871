// Case 1 of issue 20: promotion goes only to the next environment in the configured order;
// anything else is refused and recorded; a skip exists only when approved as one and recorded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { scanRecords } from "../log-io.ts";
import { promote } from "../promotion.ts";
import type { ChangeEvent } from "../records.ts";
import { readState } from "../state.ts";
import { approve, auditOf, pipeline, served } from "./support.ts";
import { signApproval } from "../approvals.ts";
import { currentBundle } from "../state.ts";

test("development -> production skipping staging, and any backwards move, are refused and recorded", async () => {
  const p = await pipeline("development");
  const { config, keys, dir } = p;
  const dev = currentBundle(config.environments[0]).digest;
  // Approvals by the right people for exactly this move: the order refuses it all the same.
  const forSkip = (["alice", "bob"] as const).map((w) => signApproval({ action: "promote", from: "development", to: "production", bundle: dev, replacing: null, change: 1, skip: [] }, w, keys[w].signer, { waiveReplay: "x" }));
  const skip = await promote({ config, from: "development", to: "production", approvals: forSkip });
  assert.equal(skip.outcome, "blocked");
  assert.equal(skip.refusal?.code, "order/skip");
  assert.equal(readState(config.environments[2]).seq, 0, "production untouched");
  for (const [from, to, code] of [["production", "development", "order/backwards"], ["staging", "development", "order/backwards"], ["development", "development", "order/same"]] as const) {
    const r = await promote({ config, from, to, approvals: [] });
    assert.equal(r.refusal?.code, code, `${from} -> ${to}`);
    assert.equal(r.changed, false);
  }
  const prod = (await scanRecords(auditOf(dir, "production"), 0)).map((r) => r.record);
  assert.deepEqual(prod.map((r) => [r.decision, (r.reasons as { rule: string }[])[0]?.rule]), [["deny", "refusal.order/skip"]]);
  assert.equal((prod[0].event as ChangeEvent).approvals?.length, 2, "the approvals presented are kept");
  const devLog = (await scanRecords(auditOf(dir, "development"), 0)).map((r) => r.record).filter((r) => (r.event as ChangeEvent | undefined)?.type === "palisade.promotion/1");
  assert.deepEqual(devLog.map((r) => (r.reasons as { rule: string }[])[0]?.rule), ["refusal.order/backwards", "refusal.order/backwards", "refusal.order/same"]);
});

test("a skip goes through only with --skip and approvals signed for that skip, and is recorded as one", async () => {
  const p = await pipeline("development");
  const { config, keys, dir } = p;
  const plain = (["alice", "bob"] as const).map((w) => signApproval({ action: "promote", from: "development", to: "production", bundle: currentBundle(config.environments[0]).digest, replacing: null, change: 1, skip: [] }, w, keys[w].signer, { waiveReplay: "first release" }));
  const notForSkip = await promote({ config, from: "development", to: "production", approvals: plain, skip: true });
  assert.equal(notForSkip.outcome, "blocked");
  assert.equal(notForSkip.gates[0].passed, false, "an approval that does not name the skip does not count for one");
  assert.match(notForSkip.gates[0].detail, /approves promoting .* \(replacing nothing, change 1\), not promoting .* past staging/);
  const forSkip = (["alice", "bob"] as const).map((w) => approve(config, keys, w, "development", "production", { skip: true, waiveReplay: "hotfix, staging down" }));
  const r = await promote({ config, from: "development", to: "production", approvals: forSkip, skip: true });
  assert.equal(r.outcome, "promoted", JSON.stringify(r.gates));
  assert.deepEqual(r.record.event.skipped, ["staging"]);
  assert.equal(served(config, "production").digest, served(config, "development").digest);
  const last = (await scanRecords(auditOf(dir, "production"), 0)).at(-1)?.record;
  assert.deepEqual((last?.event as ChangeEvent).skipped, ["staging"]);
});
