// The records one part writes and another reads: promotions written by `palisade promote` are
// cited by reports, and drift alerts written as compliance evidence hold the promotion gate.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLog } from "../../audit/index.ts";
import { changeRecord } from "../../environments/records.ts";
import { driftGate } from "../../environments/gates.ts";
import type { EnvironmentConfig } from "../../environments/config.ts";
import { driftAlertRecord, driftHandlingRecord, readLoggedRecord } from "../evidence.ts";

const DIGEST = `sha256:${"b".repeat(64)}`;

test("a promotion recorded by the environments reads as change evidence; a blocked one as a refused change", () => {
  const event = { type: "palisade.promotion/1", outcome: "promoted", who: ["ana", "ben"], from: "staging", to: "production", bundle_digest: DIGEST, previous_digest: null, version: "1.2.0", signers: ["release"], gates: [{ gate: "tests", passed: true, detail: "12 passed" }] } as const;
  const read = readLoggedRecord(JSON.parse(JSON.stringify(changeRecord(event, DIGEST))) as Record<string, unknown>);
  assert.equal(read.kind, "change");
  if (read.kind !== "change") return;
  assert.deepEqual(read.change, {
    from: "staging",
    to: "production",
    action: "promotion",
    outcome: "granted",
    bundle_digest: DIGEST,
    policy_digest: DIGEST,
    version: "1.2.0",
    approvers: [{ id: "ana" }, { id: "ben" }],
    gates: [{ name: "tests", passed: true, detail: "12 passed" }],
    skipped: [],
    pipeline_entry: null,
  });
  assert.equal(read.by, "ana");
  const blocked = readLoggedRecord(JSON.parse(JSON.stringify(changeRecord({ ...event, outcome: "blocked", gates: [{ gate: "approval", passed: false, detail: "one approver short" }] }, DIGEST))) as Record<string, unknown>);
  assert.equal(blocked.kind === "change" && blocked.change.outcome, "refused");
  const rollback = readLoggedRecord(JSON.parse(JSON.stringify(changeRecord({ ...event, type: "palisade.rollback/1", outcome: "rolled_back", who: ["ops"], gates: [] }, DIGEST))) as Record<string, unknown>);
  assert.equal(rollback.kind === "change" && rollback.change.action, "rollback");
});

test("an open drift alert written as compliance evidence blocks the promotion gate until it is resolved", async () => {
  const db = join(mkdtempSync(join(tmpdir(), "palisade-interop-")), "audit.db");
  const log = await AuditLog.open(db);
  const ctx = { time: "2026-11-25T10:00:00.000Z", agent: "palisade-monitor", env: "staging" };
  await log.append(driftAlertRecord({ key: "tools", monitor: "tools", metric: "tool_mix", test: "chi2", value: 0.001, threshold: 0.01, baseline: "nov", message: "tool mix shifted" }, ctx));
  await log.close();
  const staging = { name: "staging" } as EnvironmentConfig;
  const blocked = await driftGate(true, staging, db);
  assert.equal(blocked.passed, false, blocked.detail);
  assert.match(blocked.detail, /1 drift alert open in 'staging'.*tools/);
  const again = await AuditLog.open(db);
  await again.append(driftHandlingRecord({ key: "tools", by: "ops-lead", action: "resolved" }, { ...ctx, time: "2026-11-25T11:00:00.000Z" }));
  await again.close();
  const passed = await driftGate(true, staging, db);
  assert.equal(passed.passed, true, passed.detail);
});
