// The drift gate's handling of every alert state is explicit (issue 27 found an acknowledged alert
// counted as resolved): each state any convention can write is listed with whether it blocks,
// each is tried here through each convention, and a state nobody listed blocks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { AuditLog } from "../../audit/index.ts";
import { driftAlertRecord as evidenceAlert, driftHandlingRecord } from "../../compliance/evidence.ts";
import type { DriftHandlingEvidence } from "../../compliance/evidence.ts";
import { openMonitorStore } from "../../monitor/index.ts";
import type { EnvironmentConfig } from "../config.ts";
import { ALERT_STATES, alertBlocks, alertEffect, driftGate, nextAlertState } from "../drift.ts";
import { appendGovernanceRecord } from "../log-io.ts";
import { driftAlertRecord } from "../records.ts";
import type { DriftAlertStatus } from "../records.ts";
import { tempDir } from "./support.ts";

const ZERO = `sha256:${"0".repeat(64)}`;
const staging = { name: "staging" } as EnvironmentConfig;

test("every word about an alert is listed with its effect; a word nobody listed opens the alert afresh", () => {
  assert.deepEqual(Object.entries(ALERT_STATES).map(([w, v]) => [w, v.effect]), [["open", "opens"], ["fired", "opens"], ["acknowledged", "acknowledges"], ["resolved", "closes"], ["baseline_updated", "closes"], ["dismissed", "closes"], ["recovered", "recovers"], ["rearmed", "recovers"]]);
  for (const unknown of ["snoozed", "Resolved", "", "toString", "__proto__"]) assert.equal(alertEffect(unknown), "opens", unknown);
  const after = (...words: string[]) => alertBlocks(words.reduce<ReturnType<typeof nextAlertState> | undefined>((s, w) => nextAlertState(s, w), undefined) as ReturnType<typeof nextAlertState>);
  // Issue 27: an acknowledged alert is not a resolved one.
  assert.equal(after("open", "acknowledged"), true);
  assert.equal(after("open", "resolved"), false);
  assert.equal(after("open", "resolved", "acknowledged"), false, "acknowledging a closed alert does not reopen it");
  assert.equal(after("open", "recovered"), true, "a recovery nobody looked at still holds");
  assert.equal(after("open", "recovered", "acknowledged"), false);
  assert.equal(after("open", "acknowledged", "recovered"), false);
  assert.equal(after("open", "acknowledged", "recovered", "open"), true, "a new firing needs a new look");
  assert.equal(after("acknowledged"), true, "an acknowledgment of an alert never seen fire holds");
  assert.equal(after("recovered"), true, "a recovery of an alert never seen fire: nobody looked");
  assert.equal(after("rearmed"), true);
  assert.equal(after("dismissed"), false);
  assert.equal(after("open", "snoozed"), true);
});

test("the drift_alert convention, each status through the gate", async () => {
  for (const [statuses, blocks] of [[["open"], true], [["open", "acknowledged"], true], [["open", "resolved"], false], [["open", "snoozed"], true], [["open", "resolved", "acknowledged"], false]] as const) {
    const db = join(tempDir(), "audit.db");
    for (const status of statuses) await appendGovernanceRecord(db, driftAlertRecord("staging", { key: "k", status: status as DriftAlertStatus, message: "" }, ZERO));
    const g = await driftGate(true, staging, db);
    assert.equal(g.passed, !blocks, `${statuses.join(" ")}: ${g.detail}`);
    if ((statuses as readonly string[]).includes("snoozed")) assert.match(g.detail, /k \(unknown state 'snoozed'\)/);
    if (statuses.join() === "open,acknowledged") assert.match(g.detail, /1 drift alert open in 'staging' \(audit log\): k \(open then acknowledged\)/);
  }
});

test("the compliance convention: acknowledged holds, a person's resolve, dismissal or new baseline clears, a recovery needs a look", async () => {
  const ctx = { time: "2026-11-25T10:00:00.000Z", agent: "palisade-monitor", env: "staging" };
  const cases: Array<[Array<[DriftHandlingEvidence["action"] | "escalated", string]>, boolean]> = [
    [[["acknowledged", "ops"]], true],
    [[["resolved", "ops"]], false],
    [[["dismissed", "ops"]], false],
    [[["baseline_updated", "ops"]], false],
    [[["escalated", "ops"]], true],
    [[["resolved", "palisade-monitor"]], true],
    [[["resolved", "palisade-monitor"], ["acknowledged", "ops"]], false],
  ];
  for (const [handled, blocks] of cases) {
    const db = join(tempDir(), "audit.db");
    const log = await AuditLog.open(db);
    await log.append(evidenceAlert({ key: "tools", monitor: "tools", metric: "tool_mix", test: "chi2", value: 0.001, threshold: 0.01, baseline: "nov", message: "tool mix shifted" }, ctx));
    for (const [action, by] of handled) await log.append(driftHandlingRecord({ key: "tools", by, action: action as DriftHandlingEvidence["action"] }, { ...ctx, time: "2026-11-25T11:00:00.000Z" }));
    // Another environment's alert never holds this one.
    await log.append(evidenceAlert({ key: "other", monitor: "m", metric: "x", test: "t", value: 0, threshold: 0, baseline: "b", message: "" }, { ...ctx, env: "production" }));
    await log.close();
    const g = await driftGate(true, staging, db);
    assert.equal(g.passed, !blocks, `${JSON.stringify(handled)}: ${g.detail}`);
  }
});

test("a monitor store and an audit log both count: an alert open in either blocks", async () => {
  const dir = tempDir();
  const db = join(dir, "audit.db");
  await appendGovernanceRecord(db, driftAlertRecord("staging", { key: "k", status: "open", message: "" }, ZERO));
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
  await appendGovernanceRecord(db, driftAlertRecord("staging", { key: "k", status: "open", message: "" }, ZERO));
  assert.equal((await driftGate(true, env, db)).passed, false, "the audit log is read even with a monitor store");
  assert.equal((await driftGate(true, { name: "staging" } as EnvironmentConfig, undefined)).passed, false, "nothing to read: cannot tell, fails");
});

test("every state says what it means, each in its own words", () => {
  const means = Object.values(ALERT_STATES).map((s) => s.means);
  for (const m of means) assert.match(m, /^[a-z].{10,}[a-z)]$/, m);
  assert.equal(new Set(means).size, means.length);
});

test("the drift gate's details: each blocking alert named, counted in the plural, a recovery nobody saw; an unreadable store or log fails it", async () => {
  const dir = tempDir();
  const db = join(dir, "audit.db");
  for (const [key, status] of [["a", "open"], ["b", "open"], ["b", "recovered"], ["c", "open"], ["c", "dismissed"]] as const) {
    await appendGovernanceRecord(db, driftAlertRecord("staging", { key, status: status as DriftAlertStatus, message: "" }, ZERO));
  }
  assert.deepEqual(await driftGate(true, staging, db), { gate: "drift", passed: false, detail: "2 drift alerts open in 'staging' (audit log): a (open), b (open then recovered, nobody acknowledged it)" });
  await appendGovernanceRecord(db, driftAlertRecord("staging", { key: "a", status: "resolved", message: "" }, ZERO));
  await appendGovernanceRecord(db, driftAlertRecord("staging", { key: "b", status: "acknowledged", message: "" }, ZERO));
  const monitor = join(dir, "monitor.db");
  const store = await openMonitorStore(monitor);
  await store.saveAlertStates(new Map([["rate", { armed: true, lastFired: 1 }]]));
  await store.close();
  assert.deepEqual(await driftGate(true, { name: "staging", monitor } as EnvironmentConfig, db), { gate: "drift", passed: true, detail: "no drift alert open in 'staging' (monitor store and audit log)" });

  // The gate closes the store it read: SQLite removes a WAL file when its last connection closes.
  assert.equal(existsSync(`${monitor}-wal`), false, "the monitor store was left open");
  // A monitor store that is not there is not an empty one: the gate cannot tell, and creates nothing.
  for (const missing of [join(dir, "absent.db"), join(dir, "none", "monitor.db")]) {
    const g = await driftGate(true, { name: "staging", monitor: missing } as EnvironmentConfig, db);
    assert.deepEqual([g.gate, g.passed], ["drift", false]);
    assert.match(g.detail, /^cannot open the monitor store of 'staging': .+/);
    assert.equal(existsSync(missing), false);
  }
  // Nor is an audit log that is no log.
  const junk = join(dir, "junk.db");
  writeFileSync(junk, "not a database, not empty either ".repeat(200));
  const j = await driftGate(true, staging, junk);
  assert.deepEqual([j.gate, j.passed], ["drift", false]);
  assert.match(j.detail, /^cannot open the audit log at .*junk\.db: /);
  // A log the audit layer opens but refuses (its stored settings damaged) is no finding but an
  // error: promote records the attempt with it and throws, as for any error not a refusal.
  const damaged = new DatabaseSync(db);
  damaged.exec("INSERT INTO meta (name, value) VALUES ('erasure', '{')");
  damaged.close();
  await assert.rejects(driftGate(true, staging, db), (e: unknown) => (e as { code?: string }).code === "audit/invalid-record");
});
