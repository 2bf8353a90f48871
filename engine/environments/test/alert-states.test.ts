// Every alert state through the drift gate, by construction: each word ALERT_STATES lists (so a
// state added tomorrow is tried too), said after a firing and then followed by a person's
// acknowledgement, in both audit-log conventions, and each monitor-store state. What must block
// is written here by the word's effect, not computed by the gate's own function. (Issue 27: an
// acknowledged alert counted as resolved survived the whole suite.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { AuditLog } from "../../audit/index.ts";
import { driftAlertRecord as evidenceAlert, driftHandlingRecord } from "../../compliance/evidence.ts";
import type { DriftHandlingEvidence } from "../../compliance/evidence.ts";
import { openMonitorStore } from "../../monitor/index.ts";
import type { EnvironmentConfig } from "../config.ts";
import { ALERT_STATES, driftGate } from "../drift.ts";
import type { AlertEffect } from "../drift.ts";
import { appendGovernanceRecord } from "../log-io.ts";
import { driftAlertRecord } from "../records.ts";
import type { DriftAlertStatus } from "../records.ts";
import { tempDir } from "./support.ts";

const ZERO = `sha256:${"0".repeat(64)}`;
const staging = { name: "staging" } as EnvironmentConfig;

/** Whether an alert blocks after it fired and then `effect`; and after a person acknowledges it too. */
const BLOCKS: Readonly<Record<AlertEffect, { readonly alone: boolean; readonly thenAcknowledged: boolean }>> = {
  opens: { alone: true, thenAcknowledged: true }, // fired again: the metric is out
  acknowledges: { alone: true, thenAcknowledged: true }, // seen, but the metric is still out
  closes: { alone: false, thenAcknowledged: false }, // a person dealt with it
  recovers: { alone: true, thenAcknowledged: false }, // back in range, but nobody looked until the acknowledgement
};

/** The keys the gate names as blocking, from its detail. */
function blockingKeys(detail: string): Set<string> {
  return new Set([...detail.matchAll(/(k-[a-z_]+-(?:alone|ack))\b/g)].map((m) => m[1]));
}

function expected(): Set<string> {
  const want = new Set<string>();
  for (const [word, { effect }] of Object.entries(ALERT_STATES)) {
    if (BLOCKS[effect].alone) want.add(`k-${word}-alone`);
    if (BLOCKS[effect].thenAcknowledged) want.add(`k-${word}-ack`);
  }
  return want;
}

test("every alert state, alone and then acknowledged, through the gate: drift_alert records", async () => {
  assert.ok(Object.keys(ALERT_STATES).length >= 8);
  const db = join(tempDir(), "audit.db");
  for (const word of Object.keys(ALERT_STATES)) {
    for (const [suffix, words] of [["alone", ["open", word]], ["ack", ["open", word, "acknowledged"]]] as const) {
      for (const w of words) await appendGovernanceRecord(db, driftAlertRecord("staging", { key: `k-${word}-${suffix}`, status: w as DriftAlertStatus, message: "" }, ZERO));
    }
  }
  const g = await driftGate(true, staging, db);
  assert.equal(g.passed, false);
  assert.deepEqual([...blockingKeys(g.detail)].sort(), [...expected()].sort(), g.detail);
});

test("every alert state, alone and then acknowledged, through the gate: compliance evidence records", async () => {
  const db = join(tempDir(), "audit.db");
  const log = await AuditLog.open(db);
  const ctx = { time: "2026-11-25T10:00:00.000Z", agent: "palisade-monitor", env: "staging" };
  const handled = (key: string, action: string) => log.append(driftHandlingRecord({ key, by: "ops", action: action as DriftHandlingEvidence["action"] }, { ...ctx, time: "2026-11-25T11:00:00.000Z" }));
  for (const word of Object.keys(ALERT_STATES)) {
    for (const suffix of ["alone", "ack"]) {
      const key = `k-${word}-${suffix}`;
      await log.append(evidenceAlert({ key, monitor: "m", metric: "x", test: "chi2", value: 0.001, threshold: 0.01, baseline: "b", message: "" }, ctx));
      await handled(key, word);
      if (suffix === "ack") await handled(key, "acknowledged");
    }
  }
  await log.close();
  const g = await driftGate(true, staging, db);
  assert.equal(g.passed, false);
  assert.deepEqual([...blockingKeys(g.detail)].sort(), [...expected()].sort(), g.detail);
});

test("the monitor store: a fired metric, or one in no known state, blocks; a re-armed one does not", async () => {
  const dir = tempDir();
  const store = await openMonitorStore(join(dir, "monitor.db"));
  await store.saveAlertStates(new Map([["k-fired-alone", { armed: false, lastFired: 1 }], ["k-rearmed-alone", { armed: true, lastFired: 1 }]]));
  await store.close();
  const g = await driftGate(true, { name: "staging", monitor: join(dir, "monitor.db") } as EnvironmentConfig, undefined);
  assert.equal(g.passed, false);
  assert.deepEqual([...blockingKeys(g.detail)], ["k-fired-alone"], g.detail);
});
