// The gates a bundle passes on its way into an environment. Each returns a GateResult and never
// throws for a finding: a failed gate is evidence to record, not an error.
import { openMonitorStore } from "../monitor/index.ts";
import type { MonitorStore } from "../monitor/index.ts";
import { runTests } from "../runtime/index.ts";
import type { PolicySet } from "../runtime/policy-set.ts";
import type { ApprovalConfig, EnvironmentConfig } from "./config.ts";
import { EnvironmentError } from "./errors.ts";
import { scanRecords } from "./log-io.ts";
import type { ScannedRecord } from "./log-io.ts";
import type { GateResult } from "./records.ts";
import { replay } from "./replay.ts";
import type { ReplayResult } from "./replay.ts";

/**
 * Approval: every name given must be a configured approver, and enough distinct ones must hold
 * a required role (two with the two-person rule, else one).
 */
export function approvalGate(approval: ApprovalConfig | null, approvers: ReadonlyMap<string, readonly string[]>, approvedBy: readonly string[]): GateResult {
  if (approval === null) return { gate: "approval", passed: true, detail: "no approval required" };
  const names = [...new Set(approvedBy.map((n) => n.trim()).filter((n) => n !== ""))];
  const unknown = names.filter((n) => !approvers.has(n));
  const qualified = names.filter((n) => (approvers.get(n) ?? []).some((r) => approval.roles.includes(r)));
  const needed = approval.twoPerson ? 2 : 1;
  const roles = approval.roles.map((r) => `'${r}'`).join(" or ");
  if (unknown.length > 0) return { gate: "approval", passed: false, detail: `not configured approvers: ${unknown.join(", ")}` };
  if (qualified.length < needed) {
    const have = qualified.length === 0 ? "none" : qualified.join(", ");
    return { gate: "approval", passed: false, detail: `needs ${needed === 2 ? "two distinct approvers" : "an approver"} with role ${roles}; qualifying: ${have}` };
  }
  return { gate: "approval", passed: true, detail: `approved by ${qualified.join(" and ")} (role ${roles}${approval.twoPerson ? ", two-person rule" : ""})` };
}

/** Tests: the bundle's own test blocks all pass, and there is at least one. */
export function testsGate(required: boolean, set: PolicySet): GateResult {
  if (!required) return { gate: "tests", passed: true, detail: "tests not required" };
  const results = runTests(set);
  const failed = results.filter((r) => !r.passed);
  // A bundle without tests proves nothing, so the gate does not pass it vacuously.
  if (results.length === 0) return { gate: "tests", passed: false, detail: "the bundle has no tests" };
  if (failed.length > 0) return { gate: "tests", passed: false, detail: `${failed.length} of ${results.length} tests failed: ${failed.map((r) => `${r.file}:${r.line} ${r.name} (${r.failures[0] ?? "failed"})`).join("; ")}` };
  return { gate: "tests", passed: true, detail: `${results.length} tests passed` };
}

/** Replay: the source environment's recorded decisions, decided by the candidate, change at most `max`. */
export async function replayGate(max: number | null, set: PolicySet, audit: string | undefined, env: string, windowMs: number, now: number): Promise<{ result: GateResult; replay: ReplayResult | null }> {
  if (max === null) return { result: { gate: "replay", passed: true, detail: "replay not required" }, replay: null };
  if (audit === undefined) return { result: { gate: "replay", passed: false, detail: `environment '${env}' has no audit log to replay (set "audit" in the config or pass --audit-db)` }, replay: null };
  let r: ReplayResult;
  try {
    r = await replay(set, audit, { env, windowMs, now });
  } catch (err) {
    if (err instanceof EnvironmentError) return { result: { gate: "replay", passed: false, detail: err.message }, replay: null };
    throw err;
  }
  const s = r.summary;
  const detail = `${s.changed} of ${s.replayed} replayed decisions would change (limit ${max})${s.withoutInput + s.unverifiable > 0 ? `; ${s.withoutInput + s.unverifiable} not replayable` : ""}`;
  return { result: { gate: "replay", passed: s.changed <= max, detail }, replay: r };
}

/**
 * Drift: no alert open for the source environment. With a monitor store, an alert is open while
 * its state is not re-armed; without one, the audit-log convention of DriftAlertRecord applies
 * (newest `drift_alert` entry per key). With neither, the gate fails: it cannot tell.
 */
export async function driftGate(required: boolean, source: EnvironmentConfig, audit: string | undefined): Promise<GateResult> {
  if (!required) return { gate: "drift", passed: true, detail: "drift check not required" };
  let open: string[];
  let where: string;
  if (source.monitor !== undefined) {
    let store: MonitorStore;
    try {
      store = await openMonitorStore(source.monitor, { create: false });
    } catch (err) {
      return { gate: "drift", passed: false, detail: `cannot open the monitor store of '${source.name}': ${err instanceof Error ? err.message : String(err)}` };
    }
    try {
      open = [...(await store.alertStates())].filter(([, s]) => !s.armed).map(([k]) => k);
    } finally {
      await store.close();
    }
    where = "monitor store";
  } else if (audit !== undefined) {
    const latest = new Map<string, string>();
    let records: ScannedRecord[];
    try {
      records = await scanRecords(audit, 0);
    } catch (err) {
      if (err instanceof EnvironmentError) return { gate: "drift", passed: false, detail: err.message };
      throw err;
    }
    for (const { record } of records) {
      if (record.env !== source.name) continue;
      const a = record.drift_alert as { key?: unknown; status?: unknown } | undefined;
      if (typeof a === "object" && a !== null && typeof a.key === "string") {
        latest.set(a.key, String(a.status));
        continue;
      }
      // The compliance evidence shape (engine/compliance/evidence.ts): an alert fired, then handled.
      const alert = record.alert as { key?: unknown } | undefined;
      const handling = record.handling as { key?: unknown; action?: unknown } | undefined;
      if (record.event === "drift_alert" && typeof alert?.key === "string") latest.set(alert.key, "open");
      else if (record.event === "drift_alert_handled" && typeof handling?.key === "string" && handling.action !== "acknowledged") latest.set(handling.key, "resolved");
    }
    open = [...latest].filter(([, s]) => s === "open").map(([k]) => k);
    where = "audit log";
  } else {
    return { gate: "drift", passed: false, detail: `environment '${source.name}' has no monitor store or audit log to check for drift alerts` };
  }
  if (open.length > 0) return { gate: "drift", passed: false, detail: `${open.length} drift alert${open.length > 1 ? "s" : ""} open in '${source.name}' (${where}): ${open.join(", ")}` };
  return { gate: "drift", passed: true, detail: `no drift alert open in '${source.name}' (${where})` };
}
