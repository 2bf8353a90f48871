// `palisade env status`: what each environment serves, who changed it last, and which bundle each
// serving node reports it runs. `palisade env decide`: decisions taken as an agent in the
// environment would take them (its served bundle, its mode), recorded with their inputs in its
// audit log — the traffic the next promotion's replay gate reads.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { CONFIG_FILE, environment, loadEnvironmentsConfig } from "../environments/config.ts";
import type { EnvironmentConfig, EnvironmentsConfig } from "../environments/config.ts";
import { EnvironmentError } from "../environments/errors.ts";
import { openEnvironment } from "../environments/handle.ts";
import { environmentLog, openSignedLog, scanIfExists, signCheckpoint } from "../environments/log-io.ts";
import { describeFailure } from "../environments/report.ts";
import { currentBundle, readState } from "../environments/state.ts";
import { readNodeStatuses } from "../environments/status.ts";
import type { NodeStatus } from "../environments/status.ts";
import { isPhase } from "../runtime/index.ts";
import { createGuard } from "../sdk/index.ts";
import { UsageError, parseArgs, stringFlag } from "./args.ts";
import type { ParsedArgs } from "./args.ts";
import type { Command, CommandIO } from "./command.ts";

const help = `usage: palisade env status [--env NAME] [--json] [--config FILE]
       palisade env decide --env NAME --inputs FILE.jsonl [--agent ID] [--config FILE]

status   each environment in order: the bundle it serves (only the one its signed state names,
         attested by its key), its last change (checked against the changes its audit log
         records, so an older state put back is caught), and what each serving node reports it
         runs (nodes not on the current bundle are marked)
decide   decides each line of FILE.jsonl with the bundle NAME serves, as an agent there would,
         and records the decisions with their inputs in NAME's audit log (then signs a
         checkpoint); a line is an input for --phase, or { "phase": ..., "input": ... }

options:
  --env NAME          the environment
  --inputs FILE       decide: JSON Lines of inputs
  --phase PHASE       decide: the phase of lines that do not name one (default tool_call)
  --agent ID          decide: the agent recorded (default palisade-cli)
  --config FILE       the environments config (default ${CONFIG_FILE})
  --json              status: print JSON
  -h, --help          show this help

exit status: 0 ok, 1 a bundle refused or an environment not serving, 2 bad arguments`;

const spec = { env: { type: "string" }, inputs: { type: "string" }, phase: { type: "string" }, agent: { type: "string" }, config: { type: "string" }, json: { type: "boolean" } } as const;

/** One environment as `env status` shows it. */
interface EnvStatus {
  readonly name: string;
  readonly serving: { readonly digest: string; readonly version: string | null; readonly seq: number; readonly action: string; readonly by: readonly string[]; readonly time: string } | null;
  readonly previous: string | null;
  readonly problem: { readonly code: string; readonly message: string } | null;
  readonly nodes: readonly (NodeStatus & { readonly current: boolean })[];
}

/** The newest change the environment's audit log records as made: its state sequence number and entry. */
async function lastRecordedChange(env: EnvironmentConfig): Promise<{ readonly seq: number; readonly index: number } | null> {
  if (env.audit === undefined) return null;
  let last: { seq: number; index: number } | null = null;
  for (const { index, record } of await scanIfExists(env.audit, 0)) {
    const seq = (record.event as { state_seq?: unknown } | undefined)?.state_seq;
    if ((record.phase === "promotion" || record.phase === "rollback") && record.env === env.name && record.decision === "allow" && typeof seq === "number" && seq > (last?.seq ?? -1)) last = { seq, index };
  }
  return last;
}

async function statusOf(env: EnvironmentConfig): Promise<EnvStatus> {
  let serving: EnvStatus["serving"] = null;
  let problem: EnvStatus["problem"] = null;
  let previous: string | null = null;
  let current: string | null = null;
  try {
    const state = readState(env);
    current = state.stack.at(-1)?.digest ?? null;
    previous = [...state.stack].reverse().find((i) => i.digest !== current)?.digest ?? null;
    const s = currentBundle(env);
    // A node trusts the newest signed state it finds; the log says whether a newer one was written.
    const recorded = await lastRecordedChange(env);
    if (recorded !== null && recorded.seq > state.seq) throw new EnvironmentError("env/state-stale", `the state of '${env.name}' is at change ${state.seq}, but its audit log records change ${recorded.seq} (entry ${recorded.index}): an older state was put back`, "restore the newest state from version control, or promote again");
    serving = { digest: s.digest, version: s.bundle.version, seq: s.state.seq, action: s.installed.action, by: s.installed.by, time: s.installed.time };
  } catch (err) {
    if (!(err instanceof EnvironmentError)) throw err;
    problem = { code: err.code, message: err.message };
  }
  return { name: env.name, serving, previous, problem, nodes: readNodeStatuses(env).map((n) => ({ ...n, current: n.digest === current })) };
}

async function status(config: EnvironmentsConfig, args: ParsedArgs, io: CommandIO): Promise<number> {
  const name = stringFlag(args, "env");
  const all = await Promise.all((name === undefined ? config.environments : [environment(config, name)]).map(statusOf));
  if (args.flags.json === true) io.stdout(`${JSON.stringify({ environments: all }, null, 2)}\n`);
  else {
    for (const e of all) {
      const s = e.serving;
      io.stdout(s ? `${e.name}: ${s.digest}${s.version !== null ? ` (version ${s.version})` : ""}, change ${s.seq}: ${s.action} by ${s.by.join(", ") || "?"} at ${s.time}; previous ${e.previous ?? "none"}\n` : `${e.name}: not serving: error[${e.problem?.code}]: ${e.problem?.message}\n`);
      for (const n of e.nodes) io.stdout(`  node ${n.node}: ${n.digest ?? "nothing"}${n.current ? "" : "  NOT CURRENT"}${n.refused ? `; refused ${n.refused.code} at ${n.refused.time}` : ""} (reported ${n.updated})\n`);
    }
  }
  return all.every((e) => e.problem === null && e.nodes.every((n) => n.current)) ? 0 : 1;
}

async function decide(config: EnvironmentsConfig, args: ParsedArgs, io: CommandIO): Promise<number> {
  const name = stringFlag(args, "env");
  const file = stringFlag(args, "inputs");
  if (name === undefined || file === undefined) throw new UsageError("env decide needs --env NAME and --inputs FILE");
  const phase = stringFlag(args, "phase") ?? "tool_call";
  if (!isPhase(phase)) throw new UsageError(`--phase must be a phase, got '${phase}'`);
  let text: string;
  try {
    text = readFileSync(resolve(io.cwd, file), "utf8");
  } catch (err) {
    throw new UsageError(`cannot read --inputs ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const lines = text.split("\n").map((l, i) => [l.trim(), i + 1] as const).filter(([l]) => l !== "");
  const calls = lines.map(([l, n]) => {
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch {
      throw new UsageError(`${file}:${n}: not JSON`);
    }
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new UsageError(`${file}:${n}: an input must be a JSON object`);
    const o = v as Record<string, unknown>;
    if (typeof o.phase === "string" && typeof o.input === "object" && o.input !== null) {
      if (!isPhase(o.phase)) throw new UsageError(`${file}:${n}: unknown phase '${o.phase}'`);
      return { phase: o.phase, input: o.input as Record<string, unknown> };
    }
    return { phase, input: o };
  });
  const env = environment(config, name);
  const handle = await openEnvironment(config, name);
  const { log, unsigned } = await openSignedLog(environmentLog(env));
  const counts: Record<string, number> = {};
  try {
    const guard = createGuard({ policies: handle.current(), env: env.name, agent: stringFlag(args, "agent") ?? "palisade-cli", mode: env.mode, audit: log, onError: (err) => io.stderr(`palisade env: recording failed: ${err instanceof Error ? err.message : String(err)}\n`) });
    for (const c of calls) {
      const d = guard.check(c.phase as Parameters<typeof guard.check>[0], c.input as Parameters<typeof guard.check>[1]);
      counts[d.decision] = (counts[d.decision] ?? 0) + 1;
    }
    await guard.flush();
    const why = await signCheckpoint(log, unsigned);
    if (why !== null) io.stderr(`palisade env: warning: no checkpoint was signed: ${why}\n`);
  } finally {
    await log.close();
    handle.close();
  }
  io.stdout(`decided ${calls.length} inputs in '${env.name}' with bundle ${handle.digest} (${Object.entries(counts).map(([k, n]) => `${k}: ${n}`).join(", ") || "none"}), recorded in ${env.audit}\n`);
  return 0;
}

/** The env command. */
export const command: Command = {
  name: "env",
  summary: "what each environment and node serves; decide and record traffic in one",
  help,
  async run(argv, io) {
    const args = parseArgs(argv, spec);
    const [sub, ...rest] = args.positionals;
    if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
    if (sub !== "status" && sub !== "decide") throw new UsageError(sub === undefined ? "name a subcommand: status or decide" : `unknown subcommand '${sub}': expected status or decide`);
    try {
      const config = loadEnvironmentsConfig(resolve(io.cwd, stringFlag(args, "config") ?? CONFIG_FILE));
      return sub === "status" ? await status(config, args, io) : await decide(config, args, io);
    } catch (err) {
      const failure = describeFailure("env", err);
      if (!failure) throw err;
      io.stderr(failure.text);
      return failure.code;
    }
  },
};
