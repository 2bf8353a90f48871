// The drift gate: no drift alert may be open in the source environment. Alerts reach it three
// ways, and it reads every one the environment has (a monitor store and an audit log both count):
// - the monitor store's alert states (engine/monitor): an alert holds from the moment it fires
//   until its metric re-arms (the store does not say who looked);
// - DriftAlertRecord entries (`phase` "drift_alert", `drift_alert.status`) in the audit log;
// - the compliance evidence convention (engine/compliance/evidence.ts): `event` "drift_alert"
//   fires an alert, `event` "drift_alert_handled" with `handling.action` deals with it.
// Each word said about an alert key (in log order) has an effect listed in ALERT_STATES. An alert
// blocks while its metric is out (it fired and has not recovered or been closed) and also while
// nobody has looked at it: a metric that recovered on its own does not clear an alert no person
// acknowledged, and an acknowledgment alone does not clear one still out. A word not listed opens
// the alert afresh, so a new or misspelt state can only hold a promotion back, never let one through.
import { openMonitorStore } from "../monitor/index.ts";
import type { MonitorStore } from "../monitor/index.ts";
import type { EnvironmentConfig } from "./config.ts";
import { EnvironmentError } from "./errors.ts";
import { scanIfExists } from "./log-io.ts";
import type { ScannedRecord } from "./log-io.ts";
import type { GateResult } from "./records.ts";

/** What a word about an alert does: fire it, record that a person saw it, close it (a person's decision), or record that its metric recovered. */
export type AlertEffect = "opens" | "acknowledges" | "closes" | "recovers";

/** Every word any convention writes about an alert, and what it does. */
export const ALERT_STATES: Readonly<Record<string, { readonly effect: AlertEffect; readonly means: string }>> = {
  open: { effect: "opens", means: "fired (a drift_alert record, or a compliance drift_alert event)" },
  fired: { effect: "opens", means: "fired in the monitor store, its metric not yet back under the re-arm threshold" },
  acknowledged: { effect: "acknowledges", means: "a person saw it; the metric may still be out" },
  resolved: { effect: "closes", means: "a person dealt with it" },
  baseline_updated: { effect: "closes", means: "a person accepted the new behaviour as the baseline" },
  dismissed: { effect: "closes", means: "a person judged it a false alarm" },
  recovered: { effect: "recovers", means: "the monitor saw the metric come back (drift_alert_handled resolved by palisade-monitor); nobody looked yet" },
  rearmed: { effect: "recovers", means: "the monitor store's metric is back under the re-arm threshold" },
};

/** What `word` does to an alert; a word not listed opens it afresh. */
export function alertEffect(word: string): AlertEffect {
  return Object.hasOwn(ALERT_STATES, word) ? ALERT_STATES[word].effect : "opens";
}

/** An alert's state: whether its metric is out, whether a person has looked since it last fired, and what was said. */
export interface AlertState {
  readonly out: boolean;
  readonly seen: boolean;
  readonly words: readonly string[];
}

/** Whether an alert in `state` holds a promotion back: its metric is out, or nobody looked at it. */
export function alertBlocks(state: AlertState): boolean {
  return state.out || !state.seen;
}

/** The state after `word`, from `before` (undefined: nothing said yet, so it fired unseen somewhere). */
export function nextAlertState(before: AlertState | undefined, word: string): AlertState {
  const b = before ?? { out: true, seen: false, words: [] };
  const words = [...b.words, word];
  switch (alertEffect(word)) {
    case "opens":
      return { out: true, seen: false, words: [word] };
    case "acknowledges":
      return { out: b.out, seen: true, words };
    case "closes":
      return { out: false, seen: true, words };
    case "recovers":
      return { out: false, seen: b.seen, words };
  }
}

/** Each alert key of `env` by the audit-log conventions, in log order. */
export function alertStatesInLog(records: readonly ScannedRecord[], env: string): Map<string, AlertState> {
  const states = new Map<string, AlertState>();
  const say = (key: string, word: string): void => void states.set(key, nextAlertState(states.get(key), word));
  for (const { record } of records) {
    if (record.env !== env) continue;
    const a = record.drift_alert as { key?: unknown; status?: unknown } | undefined;
    if (record.phase === "drift_alert" && typeof a === "object" && a !== null && typeof a.key === "string") {
      say(a.key, typeof a.status === "string" ? a.status : String(a.status));
      continue;
    }
    const alert = record.alert as { key?: unknown } | undefined;
    const handling = record.handling as { key?: unknown; action?: unknown; by?: unknown } | undefined;
    if (record.event === "drift_alert" && typeof alert?.key === "string") say(alert.key, "open");
    else if (record.event === "drift_alert_handled" && typeof handling?.key === "string") {
      const action = typeof handling.action === "string" ? handling.action : String(handling.action);
      // spec/drift.md: the monitor itself writes `resolved` when a metric recovers; that is no person's word.
      say(handling.key, action === "resolved" && handling.by === "palisade-monitor" ? "recovered" : action);
    }
  }
  return states;
}

function describe(state: AlertState): string {
  const words = state.words.map((w) => (Object.hasOwn(ALERT_STATES, w) ? w : `unknown state '${w}'`)).join(" then ");
  return `${words}${state.out ? "" : ", nobody acknowledged it"}`;
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
      // The store keeps whether a metric is out, not who looked: it holds a promotion while out.
      // Every store reads `armed` back as a boolean, so a state that is not armed is a fired one.
      for (const [k, s] of await store.alertStates()) if (s.armed !== true) blocking.push(`${k} (fired)`);
    } catch (err) {
      // The store went away after it opened (monitor/store-unavailable): the gate fails closed, saying why.
      return { gate: "drift", passed: false, detail: `cannot read the monitor store of '${source.name}': ${err instanceof Error ? err.message : String(err)}` };
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
    for (const [k, state] of alertStatesInLog(records, source.name)) if (alertBlocks(state)) blocking.push(`${k} (${describe(state)})`);
    where.push("audit log");
  }
  if (where.length === 0) return { gate: "drift", passed: false, detail: `environment '${source.name}' has no monitor store or audit log to check for drift alerts` };
  if (blocking.length > 0) return { gate: "drift", passed: false, detail: `${blocking.length} drift alert${blocking.length > 1 ? "s" : ""} open in '${source.name}' (${where.join(" and ")}): ${blocking.join(", ")}` };
  return { gate: "drift", passed: true, detail: `no drift alert open in '${source.name}' (${where.join(" and ")})` };
}
