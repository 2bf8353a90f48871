// `palisade drift`: compares the latest window of recorded decisions with a baseline, metric by
// metric, and prints a report (or JSON). Exit 0 when nothing drifted, 1 when something did, so
// a scheduler can act on it; with --alert, alerts also go to the config's sinks, with the
// hysteresis state kept in the database between runs.
import { trace } from "@opentelemetry/api";
import { resolve } from "node:path";
import { Alerter, logSink, otelSink, webhookSink } from "../monitor/alerts.ts";
import type { AlertSink } from "../monitor/alerts.ts";
import { defaultMonitorConfig, loadMonitorConfig } from "../monitor/config.ts";
import { parseDuration } from "../monitor/duration.ts";
import { MonitorError } from "../monitor/errors.ts";
import { TRACER_NAME } from "../monitor/otel.ts";
import { renderReport } from "../monitor/report.ts";
import { runDrift } from "../monitor/run.ts";
import { UsageError, parseArgs, stringFlag } from "./args.ts";
import { DEFAULT_DB, instantFlag, monitorDb, reportMonitorError, withMonitorStore } from "./baseline.ts";
import type { Command } from "./command.ts";

const help = `usage: palisade drift [--baseline NAME] [--window 1h] [options]

Compares the most recent window of recorded decisions with a baseline: tool mix, decision mix,
escalation and denial rates (per rule), response and quality categories, latency, token use and
quality scores. Prints, per metric, the test, its statistic, p-value (and the Benjamini–Hochberg
q-value across the run) or distance, a verdict and a small chart.

options:
  --baseline NAME     the baseline (default: the config's, else the newest one)
  --window DURATION   the current window, e.g. 30m, 1h, 1d (default: each monitor's, 1h)
  --at T              end of the window: ISO-8601, ms since the epoch, or 'now' (default)
  --config FILE       monitors as JSON (default: the built-in set; see examples/monitors.json)
  --agent A           only this agent (default: the baseline's)
  --agent-version V   only this agent version
  --env E             only this environment (default: the baseline's)
  --alert             send alerts for drifted metrics to the config's sinks (webhook, log,
                      OpenTelemetry), at most once until the metric recovers
  --json              print the report as JSON
  --db LOCATION       the database: a SQLite file or a postgres:// URL (default: ${DEFAULT_DB} here)
  -h, --help          show this help

exit status: 0 no drift, 1 some metric drifted, 2 bad arguments or an unusable database`;

/** The `drift` command. */
export const command: Command = {
  name: "drift",
  summary: "compare recent decisions with a baseline and report drift",
  help,
  async run(argv, io) {
    const args = parseArgs(argv, {
      db: { type: "string" },
      baseline: { type: "string" },
      window: { type: "string" },
      at: { type: "string" },
      config: { type: "string" },
      agent: { type: "string" },
      "agent-version": { type: "string" },
      env: { type: "string" },
      alert: { type: "boolean" },
      json: { type: "boolean" },
    });
    if (args.flags.help === true) {
      io.stdout(`${help}\n`);
      return 0;
    }
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
    const w = stringFlag(args, "window");
    const windowMs = w === undefined ? undefined : parseDuration(w);
    if (w !== undefined && windowMs === undefined) throw new UsageError(`option '--window' must be a duration like 30m, 1h or 7d, got '${w}'`);
    const now = instantFlag(args, "at", Date.now()) ?? Date.now();
    const configPath = stringFlag(args, "config");
    try {
      const config = configPath === undefined ? defaultMonitorConfig() : loadMonitorConfig(resolve(io.cwd, configPath));
      return await withMonitorStore(monitorDb(args, io), async (store) => {
        const report = await runDrift(store, config, {
          baseline: stringFlag(args, "baseline"),
          now,
          windowMs,
          agent: stringFlag(args, "agent"),
          agentVersion: stringFlag(args, "agent-version"),
          env: stringFlag(args, "env"),
        });
        if (args.flags.alert === true) {
          const sinks: AlertSink[] = config.alerts.webhooks.map((u) => webhookSink(u));
          if (config.alerts.log) sinks.push(logSink(io.stderr));
          if (config.alerts.otel) sinks.push(otelSink(trace.getTracer(TRACER_NAME)));
          await new Alerter(sinks, { store, onError: (err, sink) => io.stderr(`palisade drift: alert to ${sink.name} failed: ${err instanceof Error ? err.message : String(err)}\n`) }).process(report.results, config.monitors, report.baseline.name, now);
        }
        io.stdout(args.flags.json === true ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report, { color: io.isTTY && !process.env.NO_COLOR }));
        return report.drifted > 0 ? 1 : 0;
      });
    } catch (err) {
      if (err instanceof MonitorError) return reportMonitorError("drift", err, io);
      throw err;
    }
  },
};
