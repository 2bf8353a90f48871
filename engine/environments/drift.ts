// The drift gate: no drift alert may be open in the source environment. Alerts reach it three
// ways, and it reads every one the environment has (a monitor store and an audit log both count):
// - the monitor store's alert states (engine/monitor): an alert is open from the moment it fires
//   until its metric re-arms;
// - DriftAlertRecord entries (`phase` "drift_alert", `drift_alert.status`) in the audit log;
// - the compliance evidence convention (engine/compliance/evidence.ts): `event` "drift_alert"
//   fires an alert, `event` "drift_alert_handled" with `handling.action` deals with it.
// The newest word on a key (in log order) is its state. Every state is in ALERT_STATES with
// whether it blocks; a state not listed there blocks too, so a new or misspelt state can only
// hold a promotion back, never let one through.
import { openMonitorStore } from "../monitor/index.ts";
import type { MonitorStore } from "../monitor/index.ts";
import type { EnvironmentConfig } from "./config.ts";
import { EnvironmentError } from "./errors.ts";
import { scanIfExists } from "./log-io.ts";
import type { ScannedRecord } from "./log-io.ts";
import type { GateResult } from "./records.ts";

/**
 * Every state an alert can be in, and whether it blocks a promotion. An acknowledged alert is
 * still open: someone has seen it, nobody has dealt with it.
 */
export const ALERT_STATES: Readonly<Record<string, { readonly blocks: boolean; readonly means: string }>> = {
  open: { blocks: true, means: "fired, not dealt with" },
  acknowledged: { blocks: true, means: "seen, not dealt with" },
  fired: { blocks: true, means: "fired in the monitor store, its metric not yet back under the re-arm threshold" },
  resolved: { blocks: false, means: "the cause was fixed" },
  baseline_updated: { blocks: false, means: "the new behaviour was accepted as the baseline" },
  dismissed: { blocks: false, means: "judged a false alarm" },
  rearmed: { blocks: false, means: "the monitor store's metric is back under the re-arm threshold" },
};

/** Whether an alert in `state` blocks a promotion; unknown states do. */
export function alertBlocks(state: string): boolean {
  return !Object.hasOwn(ALERT_STATES, state) || ALERT_STATES[state].blocks;
}

/** The state each alert key of `env` is in, by the audit-log conventions, newest word per key in log order. */
export function alertStatesInLog(records: readonly ScannedRecord[], env: string): Map<string, string> {
  const latest = new Map<string, string>();
  for (const { record } of records) {
    if (record.env !== env) continue;
    const a = record.drift_alert as { key?: unknown; status?: unknown } | undefined;
    if (record.phase === "drift_alert" && typeof a === "object" && a !== null && typeof a.key === "string") {
      latest.set(a.key, typeof a.status === "string" ? a.status : String(a.status));
      continue;
    }
    const alert = record.alert as { key?: unknown } | undefined;
    const handling = record.handling as { key?: unknown; action?: unknown } | undefined;
    if (record.event === "drift_alert" && typeof alert?.key === "string") latest.set(alert.key, "open");
    else if (record.event === "drift_alert_handled" && typeof handling?.key === "string") latest.set(handling.key, typeof handling.action === "string" ? handling.action : String(handling.action));
  }
  return latest;
}

/**
 * Drift: no alert open for the source environment, in its monitor store or its audit log. With
 * neither, the gate fails: it cannot tell.
 */
export async function driftGate(required: boolean, source: EnvironmentConfig, audit: string | undefined): Promise<GateResult> {
  if (!required) return { gate: "drift", passed: true, detail: "drift check not required" };
  const blocking: string[] = [];
  const where: string[] = [];
  if (source.monitor !== undefined) {
    let store: MonitorStore;
    try {
      store = await openMonitorStore(source.monitor, { create: false });
    } catch (err) {
      return { gate: "drift", passed: false, detail: `cannot open the monitor store of '${source.name}': ${err instanceof Error ? err.message : String(err)}` };
    }
    try {
      for (const [k, s] of await store.alertStates()) {
        const state = s.armed === true ? "rearmed" : s.armed === false ? "fired" : "unknown";
        if (alertBlocks(state)) blocking.push(`${k} (${state})`);
      }
    } finally {
      await store.close();
    }
    where.push("monitor store");
  }
  if (audit !== undefined) {
    let records: ScannedRecord[];
    try {
      records = await scanIfExists(audit, 0);
    } catch (err) {
      if (err instanceof EnvironmentError) return { gate: "drift", passed: false, detail: err.message };
      throw err;
    }
    for (const [k, state] of alertStatesInLog(records, source.name)) {
      if (alertBlocks(state)) blocking.push(`${k} (${Object.hasOwn(ALERT_STATES, state) ? state : `unknown state '${state}'`})`);
    }
    where.push("audit log");
  }
  if (where.length === 0) return { gate: "drift", passed: false, detail: `environment '${source.name}' has no monitor store or audit log to check for drift alerts` };
  if (blocking.length > 0) return { gate: "drift", passed: false, detail: `${blocking.length} drift alert${blocking.length > 1 ? "s" : ""} open in '${source.name}' (${where.join(" and ")}): ${blocking.join(", ")}` };
  return { gate: "drift", passed: true, detail: `no drift alert open in '${source.name}' (${where.join(" and ")})` };
}
