// `GET /v1/drift` from the monitor the service feeds: the latest window against a baseline, per
// monitor and metric. Missing baselines are a state to show with the command that fixes it,
// not a failure, since every fresh service starts without one.
import { DEFAULT_MONITORS, MonitorError, parseMonitorConfig, runDrift } from "../monitor/index.ts";
import type { DriftMetrics, DriftReport, MonitorConfig, MonitorStore } from "../monitor/index.ts";
import type { DriftSource } from "./context.ts";
import { ServiceError } from "./errors.ts";

/**
 * The monitors a service runs when its configuration declares none: the monitor's defaults. The
 * decision API carries the decisions and the answers' text; POST /v1/outcomes carries wall time,
 * errors, tokens and output size.
 */
export const SERVICE_MONITORS: readonly { readonly name: string; readonly metric: string }[] = DEFAULT_MONITORS;

/** The service's default monitor config: SERVICE_MONITORS over one-hour windows, the newest baseline. */
export function serviceMonitorConfig(): MonitorConfig {
  return parseMonitorConfig({ monitors: SERVICE_MONITORS }, "the service's default monitors");
}

/** What `/v1/drift` answers. */
export type DriftStatusV1 =
  | ({ readonly status: "ok"; readonly monitors: readonly string[] } & DriftReport)
  | { readonly status: "no-baseline" | "error"; readonly code: string; readonly message: string; readonly hint: string | null; readonly monitors: readonly string[] };

/** How a drift source reads the monitor. */
export interface MonitorDriftOptions {
  readonly store: MonitorStore;
  /** The monitors; default serviceMonitorConfig(). */
  readonly config?: MonitorConfig;
  /** Called first, so the report counts the decisions still queued (the Monitor's flush). */
  readonly flush?: () => Promise<unknown>;
  /** End of the window; default now. */
  readonly now?: () => number;
  /** Records each report as OTel metrics. */
  readonly metrics?: DriftMetrics;
}

/** A DriftSource over a monitor store. */
export function monitorDriftSource(o: MonitorDriftOptions): DriftSource {
  const config = o.config ?? serviceMonitorConfig();
  // A monitor over several windows is one spec per window: name it once.
  const monitors = [...new Set(config.monitors.map((m) => m.name))];
  return {
    async report(): Promise<DriftStatusV1> {
      try {
        await o.flush?.();
        const report = await runDrift(o.store, config, { now: (o.now ?? Date.now)() });
        o.metrics?.record(report);
        return { status: "ok", monitors, ...report };
      } catch (err) {
        if (!(err instanceof MonitorError)) throw err;
        // The monitor's store cannot be reached: the service's dependency is down (503, retried), not the report in error.
        if (err.code === "monitor/store-unavailable" || err.code === "monitor/store-closed") throw new ServiceError("service/unavailable", `the monitor store cannot be reached (${err.code}): ${err.message}; operators: ${err.hint ?? "check the monitor store"}`);
        if (err.code === "monitor/no-baseline") {
          const hint = `once the service has seen normal traffic, run: palisade baseline create normal --from -1h --db ${o.store.location}`;
          return { status: "no-baseline", code: err.code, message: "no baseline yet: drift compares live traffic with a baseline", hint, monitors };
        }
        return { status: "error", code: err.code, message: err.message, hint: err.hint ?? null, monitors };
      }
    },
  };
}
