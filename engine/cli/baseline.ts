// `palisade baseline create|list`: capture "normal" from recorded decisions (a time range, an
// agent version, an environment) under a name, and list what is stored. The monitor's tables
// sit in the audit log's database, so `--db` is the same as for `palisade audit`.
import { resolve } from "node:path";
import { createBaseline } from "../monitor/baseline.ts";
import { defaultMonitorConfig } from "../monitor/config.ts";
import { formatDuration, parseDuration, parseInstant } from "../monitor/duration.ts";
import { MonitorError } from "../monitor/errors.ts";
import { openMonitorStore } from "../monitor/store.ts";
import type { BaselineSelector, MonitorStore } from "../monitor/store.ts";
import { UsageError, parseArgs, stringFlag } from "./args.ts";
import type { ParsedArgs } from "./args.ts";
import type { Command, CommandIO } from "./command.ts";

/** The database both the audit log and the monitor use unless `--db` says otherwise. */
export const DEFAULT_DB = "palisade-audit.db";

const help = `usage: palisade baseline create NAME [--from T] [--to T] [--agent A] [--agent-version V] [--env E] [options]
       palisade baseline create NAME --rolling 30d [--refresh 1d] [--agent A] [--env E] [options]
       palisade baseline list [--json] [options]

Captures "normal" behaviour from the decisions recorded so far, under a name that 'palisade
drift --baseline NAME' compares later windows with. Select by time, agent version and
environment, in any mix (at least one). A rolling baseline is the last DURATION before each
run's windows (say the last 30 days, against the last hour, six hours and day), recomputed on
the refresh grid. Each baseline is calibrated: how much its metrics move between windows of
the baseline itself, which the drift tests then allow for.

create options:
  --from T            start of the range (inclusive): ISO-8601 (2026-01-05T08:00Z), ms since
                      the epoch, 'now', or a duration ago (-24h)
  --to T              end of the range (exclusive), same forms
  --rolling DURATION  a rolling baseline over the last DURATION (e.g. 7d, 30d) instead of a range
  --refresh DURATION  how often a rolling baseline moves (default 1d from a week's lookback, else 1h)
  --agent A           only this agent
  --agent-version V   only this agent version
  --env E             only this environment
  --replace           overwrite a baseline of the same name

options:
  --db LOCATION       the database: a SQLite file or a postgres:// URL (default: ${DEFAULT_DB} here)
  --json              (list) print JSON
  -h, --help          show this help

exit status: 0 done, 2 bad arguments, an unusable database, or nothing to capture`;

/** Resolves `--db` against the working directory (URLs are left alone). */
export function monitorDb(args: ParsedArgs, io: CommandIO): string {
  const db = stringFlag(args, "db") ?? DEFAULT_DB;
  if (db === "") throw new UsageError("option '--db' must not be empty");
  return /^postgres(ql)?:\/\//i.test(db) ? db : resolve(io.cwd, db);
}

/** Reads a time flag: an instant, 'now', or '-DURATION' before `now`. */
export function instantFlag(args: ParsedArgs, name: string, now: number): number | undefined {
  const v = stringFlag(args, name);
  if (v === undefined) return undefined;
  if (v === "now") return now;
  if (v.startsWith("-")) {
    const d = parseDuration(v.slice(1));
    if (d !== undefined) return now - d;
  }
  const t = parseInstant(v);
  if (t === undefined) throw new UsageError(`option '--${name}' must be an ISO-8601 instant, ms since the epoch, 'now' or a duration ago like -24h, got '${v}'`);
  return t;
}

/** Reads a duration flag (`30d`, `1h`); undefined when absent. */
export function durationFlag(args: ParsedArgs, name: string): number | undefined {
  const v = stringFlag(args, name);
  if (v === undefined) return undefined;
  const ms = parseDuration(v);
  if (ms === undefined) throw new UsageError(`option '--${name}' must be a duration like 1h, 7d or 30d, got '${v}'`);
  return ms;
}

/** Opens the store (which must exist), runs `body`, closes it. */
export async function withMonitorStore<T>(db: string, body: (store: MonitorStore) => Promise<T>): Promise<T> {
  const store = await openMonitorStore(db, { create: false });
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}

/** Prints a MonitorError the way every monitor command does; returns the exit code. */
export function reportMonitorError(command: string, err: MonitorError, io: CommandIO): number {
  io.stderr(`palisade ${command}: error: ${err.message}\n${err.hint ? `  help: ${err.hint}\n` : ""}`);
  return 2;
}

const iso = (ms: number | undefined) => (ms === undefined ? "…" : new Date(ms).toISOString());

async function create(args: ParsedArgs, io: CommandIO): Promise<number> {
  const [name, ...extra] = args.positionals;
  if (name === undefined || name === "") throw new UsageError("a baseline NAME is required");
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  const now = Date.now();
  const from = instantFlag(args, "from", now);
  const to = instantFlag(args, "to", now);
  if (from !== undefined && to !== undefined && !(from < to)) throw new UsageError("'--from' must be before '--to'");
  const rolling = durationFlag(args, "rolling");
  const refresh = durationFlag(args, "refresh");
  if (rolling !== undefined && (from !== undefined || to !== undefined)) throw new UsageError("'--rolling' takes no '--from' or '--to': it covers the lookback before each run's windows");
  if (refresh !== undefined && rolling === undefined) throw new UsageError("'--refresh' applies to a rolling baseline: give '--rolling' too");
  const selector: BaselineSelector = {
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(rolling !== undefined ? { rolling: { lookbackMs: rolling, refreshMs: refresh ?? (rolling >= 7 * 86_400_000 ? 86_400_000 : 3_600_000) } } : {}),
    ...(stringFlag(args, "agent") !== undefined ? { agent: stringFlag(args, "agent") } : {}),
    ...(stringFlag(args, "agent-version") !== undefined ? { agentVersion: stringFlag(args, "agent-version") } : {}),
    ...(stringFlag(args, "env") !== undefined ? { env: stringFlag(args, "env") } : {}),
  };
  if (Object.keys(selector).length === 0) throw new UsageError("say what is normal: give --from/--to, --rolling, --agent-version or --env");
  const windows = [...new Set(defaultMonitorConfig().monitors.map((m) => m.windowMs))];
  const b = await withMonitorStore(monitorDb(args, io), (s) => createBaseline(s, name, selector, { replace: args.flags.replace === true, now, windows }));
  const s = b.selector;
  const calibrated = (b.calibrations ?? []).map((c) => `${formatDuration(c.windowMs)} (${c.chunks} chunks)`).join(", ");
  io.stdout(`created ${s.rolling ? `rolling baseline '${b.name}' (the last ${formatDuration(s.rolling.lookbackMs)}, moved every ${formatDuration(s.rolling.refreshMs)})` : `baseline '${b.name}'`}: ${b.aggregate.count.toLocaleString("en-US")} decisions from ${iso(s.from)} to ${iso(s.to)}${s.agent ? `, agent ${s.agent}` : ""}${s.agentVersion ? `, version ${s.agentVersion}` : ""}${s.env ? `, env ${s.env}` : ""}; calibrated at ${calibrated}\n`);
  return 0;
}

async function list(args: ParsedArgs, io: CommandIO): Promise<number> {
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const all = await withMonitorStore(monitorDb(args, io), (s) => s.baselines());
  if (args.flags.json === true) {
    io.stdout(`${JSON.stringify(all.map((b) => ({ name: b.name, createdAt: new Date(b.createdAt).toISOString(), selector: b.selector, decisions: b.aggregate.count })), null, 2)}\n`);
    return 0;
  }
  if (all.length === 0) {
    io.stdout("no baselines yet; create one with 'palisade baseline create NAME --from T --to T'\n");
    return 0;
  }
  const w = Math.max(4, ...all.map((b) => b.name.length));
  io.stdout(`${"NAME".padEnd(w)}  ${"DECISIONS".padStart(10)}  CREATED                   SELECTED\n`);
  for (const b of all) {
    const s = b.selector;
    const what = [s.rolling ? `rolling ${formatDuration(s.rolling.lookbackMs)} (moved every ${formatDuration(s.rolling.refreshMs)}), last` : "", s.from !== undefined || s.to !== undefined ? `${iso(s.from)} → ${iso(s.to)}` : "", s.agent ? `agent ${s.agent}` : "", s.agentVersion ? `version ${s.agentVersion}` : "", s.env ? `env ${s.env}` : ""].filter(Boolean).join(", ");
    io.stdout(`${b.name.padEnd(w)}  ${b.aggregate.count.toLocaleString("en-US").padStart(10)}  ${new Date(b.createdAt).toISOString().padEnd(24)}  ${what}\n`);
  }
  return 0;
}

/** The `baseline` command. */
export const command: Command = {
  name: "baseline",
  summary: "capture and list behavioural baselines for drift detection",
  help,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    const args = parseArgs(rest, {
      db: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      agent: { type: "string" },
      "agent-version": { type: "string" },
      env: { type: "string" },
      replace: { type: "boolean" },
      rolling: { type: "string" },
      refresh: { type: "string" },
      json: { type: "boolean" },
    });
    if (args.flags.help === true) {
      io.stdout(`${help}\n`);
      return 0;
    }
    try {
      if (sub === "create") return await create(args, io);
      if (sub === "list") return await list(args, io);
    } catch (err) {
      if (err instanceof MonitorError) return reportMonitorError("baseline", err, io);
      throw err;
    }
    throw new UsageError(sub === undefined ? "a subcommand is required: create or list" : `unknown subcommand '${sub}'`);
  },
};
