// `palisade drift`: compares the latest windows of recorded decisions with a baseline, metric by
// metric, and prints a report (or JSON). Exit 0 when nothing drifted, 1 when something did, so a
// scheduler can act on it. With --alert, alerts are kept in the database (hysteresis between
// runs), appended to the audit log as evidence, and sent to the config's sinks.
// `palisade drift alerts` lists kept alerts; `palisade drift ack` records who acknowledged one.
import { trace } from "@opentelemetry/api";
import { resolve } from "node:path";
import { AuditLog } from "../audit/index.ts";
import { Alerter, acknowledgeAlert, auditSink, logSink, otelSink, webhookSink } from "../monitor/alerts.ts";
import type { AlertSink } from "../monitor/alerts.ts";
import { defaultMonitorConfig, loadMonitorConfig } from "../monitor/config.ts";
import { formatDuration, parseDuration } from "../monitor/duration.ts";
import { MonitorError } from "../monitor/errors.ts";
import { TRACER_NAME, driftMetrics } from "../monitor/otel.ts";
import { startTelemetry } from "../monitor/telemetry.ts";
import { renderReport } from "../monitor/report.ts";
import { runDrift } from "../monitor/run.ts";
import type { AlertRecord } from "../monitor/store.ts";
import { UsageError, parseArgs, stringFlag } from "./args.ts";
import type { ParsedArgs } from "./args.ts";
import { DEFAULT_DB, instantFlag, monitorDb, reportMonitorError, withMonitorStore } from "./baseline.ts";
import type { Command, CommandIO } from "./command.ts";

const help = `usage: palisade drift [--baseline NAME] [--window 1h] [options]
       palisade drift alerts [--unacknowledged] [--json] [--db LOCATION]
       palisade drift ack ID|KEY --by NAME [--note TEXT] [--db LOCATION]

Compares the most recent windows of recorded decisions with a baseline: tool mix, escalation,
denial and error rates (per rule and tool), latency (per tool), tokens, output size, response
categories and answer descriptors (refusals, language, PII), evaluator scores. Prints, per
metric and window, the test, its statistic, p-value (corrected by the baseline's own
variability, and the Benjamini–Hochberg q-value across the run) or distance, a verdict, a small
chart, and what moved most.

options:
  --baseline NAME     the baseline (default: the config's, else the newest one)
  --window DURATION   compare this window only, e.g. 30m, 1h, 1d (default: each monitor's, 1h 6h 24h)
  --at T              end of the window: ISO-8601, ms since the epoch, or 'now' (default)
  --config FILE       monitors as JSON (default: the built-in set; see examples/monitors.json)
  --agent A           only this agent (default: the baseline's)
  --agent-version V   only this agent version
  --env E             only this environment (default: the baseline's)
  --alert             keep alerts for drifted metrics, append them to the audit log in the same
                      database, and send them to the config's sinks (webhook, log,
                      OpenTelemetry), at most once until the metric recovers
  --json              print the report as JSON
  --db LOCATION       the database: a SQLite file or a postgres:// URL (default: ${DEFAULT_DB} here)
  -h, --help          show this help

alerts: lists kept alerts, newest first (--unacknowledged: only those nobody acknowledged).
ack: records that NAME acknowledged the alert ID (or the latest alert of KEY), in the monitor
store and in the audit log.

exit status: 0 no drift (or done), 1 some metric drifted, 2 bad arguments, an unusable database
or an unknown alert`;

const iso = (ms: number) => new Date(ms).toISOString();

/** Runs `body` with the audit log in `db` open, closing it afterwards. */
async function withAudit<T>(db: string, body: (log: AuditLog) => Promise<T>): Promise<T> {
  const log = await AuditLog.open(db);
  try {
    return await body(log);
  } finally {
    await log.close();
  }
}

/** Refuses options that belong to another form of the command. */
function only(args: ParsedArgs, allowed: readonly string[]): void {
  for (const [name, v] of Object.entries(args.flags)) if (v !== undefined && name !== "help" && !allowed.includes(name)) throw new UsageError(`option '--${name}' does not apply here`);
}

async function check(args: ParsedArgs, io: CommandIO): Promise<number> {
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  only(args, ["db", "baseline", "window", "at", "config", "agent", "agent-version", "env", "alert", "json"]);
  const w = stringFlag(args, "window");
  const windowMs = w === undefined ? undefined : parseDuration(w);
  if (w !== undefined && windowMs === undefined) throw new UsageError(`option '--window' must be a duration like 30m, 1h or 7d, got '${w}'`);
  const now = instantFlag(args, "at", Date.now()) ?? Date.now();
  const configPath = stringFlag(args, "config");
  const config = configPath === undefined ? defaultMonitorConfig() : loadMonitorConfig(resolve(io.cwd, configPath));
  const db = monitorDb(args, io);
  // OTLP export of the run's drift metrics and alert events, when the config or OTEL_* ask for it.
  const telemetry = await startTelemetry(config.otel);
  try {
    return await withMonitorStore(db, async (store) => {
      const report = await runDrift(store, config, { baseline: stringFlag(args, "baseline"), now, windowMs, agent: stringFlag(args, "agent"), agentVersion: stringFlag(args, "agent-version"), env: stringFlag(args, "env") });
      const metrics = telemetry ? driftMetrics(telemetry.meter) : undefined;
      metrics?.record(report);
      if (args.flags.alert === true) {
        await withAudit(db, async (log) => {
          const sinks: AlertSink[] = [auditSink(log), ...config.alerts.webhooks.map((u) => webhookSink(u))];
          if (config.alerts.log) sinks.push(logSink(io.stderr));
          if (config.alerts.otel || telemetry) sinks.push(otelSink(telemetry?.tracer ?? trace.getTracer(TRACER_NAME)));
          const onError = (err: unknown, sink: AlertSink) => io.stderr(`palisade drift: alert to ${sink.name} failed: ${err instanceof Error ? err.message : String(err)}\n`);
          const fired = await new Alerter(sinks, { store, onError }).process(report, config.monitors, now);
          for (const a of fired) metrics?.alert(a);
        });
      }
      io.stdout(args.flags.json === true ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report, { color: io.isTTY && !process.env.NO_COLOR }));
      return report.drifted > 0 ? 1 : 0;
    });
  } finally {
    await telemetry?.shutdown().catch((err: unknown) => io.stderr(`palisade drift: otel: ${err instanceof Error ? err.message : String(err)}\n`));
  }
}

function alertLine(r: AlertRecord): string {
  const a = r.alert;
  const state = r.acknowledged !== null ? `acknowledged by ${r.acknowledged.by} at ${iso(r.acknowledged.at)}` : "UNACKNOWLEDGED";
  const window = `${formatDuration(Date.parse(a.window.to) - Date.parse(a.window.from))} to ${a.window.to}`;
  return `${a.id}  ${iso(a.time)}  ${a.key}\n    ${a.test} ${a.q !== null ? `q ${a.q.toExponential(2)}` : `${a.value.toPrecision(3)}`} over ${window}; ${a.summary}\n    ${state}${r.resolvedAt !== null ? `; recovered at ${iso(r.resolvedAt)}` : ""}\n`;
}

async function alerts(args: ParsedArgs, io: CommandIO): Promise<number> {
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  only(args, ["db", "json", "unacknowledged"]);
  const all = await withMonitorStore(monitorDb(args, io), (s) => s.alerts({ unacknowledged: args.flags.unacknowledged === true }));
  if (args.flags.json === true) io.stdout(`${JSON.stringify(all, null, 2)}\n`);
  else if (all.length === 0) io.stdout(args.flags.unacknowledged === true ? "no unacknowledged drift alerts\n" : "no drift alerts\n");
  else for (const r of all) io.stdout(alertLine(r));
  return 0;
}

async function ack(args: ParsedArgs, io: CommandIO): Promise<number> {
  const [target, ...extra] = args.positionals;
  if (target === undefined || target === "") throw new UsageError("an alert ID or KEY is required (see 'palisade drift alerts')");
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  only(args, ["db", "by", "note"]);
  const by = stringFlag(args, "by");
  if (by === undefined || by.trim() === "") throw new UsageError("say who acknowledges: --by NAME");
  const db = monitorDb(args, io);
  const done = await withMonitorStore(db, (store) => withAudit(db, (log) => acknowledgeAlert(store, target, by, { note: stringFlag(args, "note"), audit: log })));
  io.stdout(`acknowledged ${done.alert.id} (${done.alert.key}) as ${by}; recorded in the audit log\n`);
  return 0;
}

/** The `drift` command. */
export const command: Command = {
  name: "drift",
  summary: "compare recent decisions with a baseline, list and acknowledge drift alerts",
  help,
  async run(argv, io) {
    const sub = argv[0] === "ack" || argv[0] === "alerts" ? argv[0] : undefined;
    const args = parseArgs(sub === undefined ? argv : argv.slice(1), {
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
      by: { type: "string" },
      note: { type: "string" },
      unacknowledged: { type: "boolean" },
    });
    if (args.flags.help === true) {
      io.stdout(`${help}\n`);
      return 0;
    }
    try {
      if (sub === "ack") return await ack(args, io);
      if (sub === "alerts") return await alerts(args, io);
      return await check(args, io);
    } catch (err) {
      if (err instanceof MonitorError) return reportMonitorError("drift", err, io);
      throw err;
    }
  },
};
