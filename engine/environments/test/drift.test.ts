// The drift gate's handling of every alert state is explicit (issue 27 found an acknowledged alert
// counted as resolved): each state any convention can write is listed with whether it blocks,
// each is tried here through each convention, and a state nobody listed blocks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { AuditLog } from "../../audit/index.ts";
import { driftAlertRecord as evidenceAlert, driftHandlingRecord } from "../../compliance/evidence.ts";
import type { DriftHandlingEvidence } from "../../compliance/evidence.ts";
import { openMonitorStore } from "../../monitor/index.ts";
import type { EnvironmentConfig } from "../config.ts";
import { ALERT_STATES, alertBlocks, driftGate } from "../drift.ts";
import { appendGovernanceRecord } from "../log-io.ts";
import { driftAlertRecord } from "../records.ts";
import type { DriftAlertStatus } from "../records.ts";
import { tempDir } from "./support.ts";

const ZERO = `sha256:${"0".repeat(64)}`;
const staging = { name: "staging" } as EnvironmentConfig;

test("every alert state is listed with whether it blocks; acknowledged blocks; unknown states block", () => {
  assert.deepEqual(Object.entries(ALERT_STATES).map(([s, v]) => [s, v.blocks]), [["open", true], ["acknowledged", true], ["fired", true], ["resolved", false], ["baseline_updated", false], ["dismissed", false], ["rearmed", false]]);
  for (const unknown of ["snoozed", "Resolved", "", "toString", "__proto__"]) assert.equal(alertBlocks(unknown), true, unknown);
});

test("the drift_alert convention: open and acknowledged block, resolved does not, anything else blocks", async () => {
  for (const [status, blocks] of [["open", true], ["acknowledged", true], ["resolved", false], ["snoozed", true]] as const) {
    const db = join(tempDir(), "audit.db");
    await appendGovernanceRecord(db, driftAlertRecord("staging", { key: "k", status: "open", message: "" }, ZERO));
    await appendGovernanceRecord(db, driftAlertRecord("staging", { key: "k", status: status as DriftAlertStatus, message: "" }, ZERO));
    const g = await driftGate(true, staging, db);
    assert.equal(g.passed, !blocks, `${status}: ${g.detail}`);
    if (blocks) assert.match(g.detail, status === "snoozed" ? /k \(unknown state 'snoozed'\)/ : new RegExp(`k \\(${status}\\)`));
  }
});

test("the compliance convention: a fired alert stays open when acknowledged, closes when resolved, dismissed or re-baselined", async () => {
  const ctx = { time: "2026-11-25T10:00:00.000Z", agent: "palisade-monitor", env: "staging" };
  for (const [action, blocks] of [["acknowledged", true], ["resolved", false], ["dismissed", false], ["baseline_updated", false], ["escalated", true]] as const) {
    const db = join(tempDir(), "audit.db");
    const log = await AuditLog.open(db);
    await log.append(evidenceAlert({ key: "tools", monitor: "tools", metric: "tool_mix", test: "chi2", value: 0.001, threshold: 0.01, baseline: "nov", message: "tool mix shifted" }, ctx));
    await log.append(driftHandlingRecord({ key: "tools", by: "ops", action: action as DriftHandlingEvidence["action"] }, { ...ctx, time: "2026-11-25T11:00:00.000Z" }));
    // Another environment's alert never holds this one.
    await log.append(evidenceAlert({ key: "other", monitor: "m", metric: "x", test: "t", value: 0, threshold: 0, baseline: "b", message: "" }, { ...ctx, env: "production" }));
    await log.close();
    const g = await driftGate(true, staging, db);
    assert.equal(g.passed, !blocks, `${action}: ${g.detail}`);
  }
});

test("a monitor store and an audit log both count: an alert open in either blocks", async () => {
  const dir = tempDir();
  const db = join(dir, "audit.db");
  await appendGovernanceRecord(db, driftAlertRecord("staging", { key: "k", status: "resolved", message: "" }, ZERO));
  const store = await openMonitorStore(join(dir, "monitor.db"));
  await store.saveAlertStates(new Map([["tools/chi-square", { armed: false, lastFired: Date.now() }], ["rate", { armed: true, lastFired: 1 }]]));
  await store.close();
  const env = { name: "staging", monitor: join(dir, "monitor.db") } as EnvironmentConfig;
  const fired = await driftGate(true, env, db);
  assert.equal(fired.passed, false);
  assert.match(fired.detail, /1 drift alert open in 'staging' \(monitor store and audit log\): tools\/chi-square \(fired\)/);
  const again = await openMonitorStore(join(dir, "monitor.db"));
  await again.saveAlertStates(new Map([["tools/chi-square", { armed: true, lastFired: Date.now() }]]));
  await again.close();
  assert.equal((await driftGate(true, env, db)).passed, true);
  await appendGovernanceRecord(db, driftAlertRecord("staging", { key: "k", status: "acknowledged", message: "" }, ZERO));
  assert.equal((await driftGate(true, env, db)).passed, false, "the audit log is read even with a monitor store");
  assert.equal((await driftGate(true, { name: "staging" } as EnvironmentConfig, undefined)).passed, false, "nothing to read: cannot tell, fails");
});
