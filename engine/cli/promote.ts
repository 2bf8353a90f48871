// `palisade promote --from A --to B --approval FILE...`: runs B's gates on the bundle A serves,
// installs it in B when all pass, and records the attempt in B's audit log whatever happens.
// `palisade promote sign`: an approver signs one such promotion with their own key.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { signApproval } from "../environments/approvals.ts";
import { CONFIG_FILE, environment, loadEnvironmentsConfig } from "../environments/config.ts";
import type { EnvironmentsConfig } from "../environments/config.ts";
import { EnvironmentError } from "../environments/errors.ts";
import { readSignerKey } from "../environments/keys.ts";
import { checkOrder, promote } from "../environments/promotion.ts";
import type { ChangeResult } from "../environments/promotion.ts";
import { describeFailure } from "../environments/report.ts";
import { currentBundle, readState, writeAtomically } from "../environments/state.ts";
import type { SignerKey } from "../audit/index.ts";
import { UsageError, parseArgs, stringFlag } from "./args.ts";
import type { ParsedArgs } from "./args.ts";
import type { Command, CommandIO } from "./command.ts";

const help = `usage: palisade promote --from ENV --to ENV --approval FILE... [options]
       palisade promote sign --from ENV --to ENV --key KEYFILE [--out FILE] [options]

Promotes the bundle serving in --from into --to, the next environment in the config's order,
once every gate configured for --to passes: signed approvals of this very change by enough
approvers holding a required role (two distinct ones under the two-person rule), the bundle's
tests, a replay of --to's own recent traffic through the bundle within its limit of changes (no
traffic fails, unless the approvers signed a waiver), and no open drift alert in --from. The
bundle is attested with --to's key and its signed state updated. Every attempt — promoted,
blocked by a gate, refused (order, bundle, state, keys), or a no-op because --to already serves
the bundle — is an entry in --to's audit log. Backwards is a rollback, not a promotion.

sign     an approver signs the promotion --from ENV --to ENV of the bundle --from serves now,
         replacing what --to serves now, with their key (a C2SP signed note naming all of it
         and the time); the approver is the one whose verifier key in the config matches

options:
  --from ENV            the source environment
  --to ENV              the target environment
  --approval FILE       a signed approval (repeatable); names alone count for nothing
  --skip                allow going past environments, when the approvals were signed --skip
  --key KEYFILE         promote: --to's signing key (default: its .vkey file's path ending in .key)
                        sign: the approver's signing key
  --out FILE            sign: write the approval there (default: standard output)
  --waive-replay REASON sign: also waive the replay gate should --to have no traffic to replay
  --config FILE         the environments config (default ${CONFIG_FILE})
  --json                print the result as JSON
  -h, --help            show this help

exit status: 0 promoted (or already serving), 1 blocked or refused, 2 bad arguments or config`;

const spec = {
  from: { type: "string" },
  to: { type: "string" },
  approval: { type: "string", multiple: true },
  "approved-by": { type: "string", multiple: true },
  skip: { type: "boolean" },
  key: { type: "string" },
  out: { type: "string" },
  "waive-replay": { type: "string" },
  config: { type: "string" },
  json: { type: "boolean" },
} as const;

/** Reads approval files; an unreadable one is the user's mistake (exit 2), a bad one a finding. */
export function readApprovals(files: readonly string[], cwd: string): string[] {
  return files.map((f) => {
    try {
      return readFileSync(resolve(cwd, f), "utf8");
    } catch (err) {
      throw new EnvironmentError("approval/unreadable", `cannot read approval '${f}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`, "pass the files approvers wrote with 'palisade promote sign' or 'palisade rollback sign'");
    }
  });
}

/** The configured approver whose verifier key is `key`'s. Throws EnvironmentError "key/invalid". */
export function approverOf(config: EnvironmentsConfig, key: SignerKey): string {
  for (const a of config.approvers.values()) if (a.key.vkey === key.vkey) return a.name;
  throw new EnvironmentError("key/invalid", `the key ${key.name} belongs to no approver in ${config.file}`, `list its .vkey under "approvers" with the roles its holder has`);
}

/** Refuses the names-only flags of old: they proved nothing. */
export function refuseNames(args: ParsedArgs, flag: string, sign: string): void {
  if (args.flags[flag] !== undefined) throw new UsageError(`--${flag} is gone: a name proves nothing. Each approver signs with '${sign}' and you pass their files with --approval FILE`);
}

function configOf(args: ParsedArgs, io: CommandIO): EnvironmentsConfig {
  return loadEnvironmentsConfig(resolve(io.cwd, stringFlag(args, "config") ?? CONFIG_FILE));
}

/** Prints an attempt's outcome and returns the exit code. */
export function printResult(r: ChangeResult, what: string, io: CommandIO, command: string): number {
  const where = `(audit entry ${r.recordIndex} in ${r.recordedIn})`;
  for (const g of r.gates) io.stdout(`gate ${g.gate.padEnd(9)} ${g.passed ? "passed" : "FAILED"}  ${g.detail}\n`);
  const target = r.replay?.target;
  if (target && r.gates.some((g) => g.gate === "replay" && !g.passed)) for (const c of target.examples) io.stdout(`  changed #${c.index} ${c.phase}${c.tool ? ` ${c.tool}` : ""}: ${c.recorded} -> ${c.replayed}${c.rules.length > 0 ? ` (by ${c.rules.join(", ")})` : ""}\n`);
  if (r.unsigned !== null) io.stderr(`palisade ${command}: warning: no checkpoint was signed after the entry: ${r.unsigned}\n`);
  if (r.refusal !== null) {
    const failure = describeFailure(command, r.refusal);
    io.stderr(failure?.text ?? `palisade ${command}: error: ${r.refusal.message}\n`);
    io.stdout(`refused: ${what} ${where}\n`);
    return failure?.code ?? 1;
  }
  io.stdout(`${r.outcome === "unchanged" ? "unchanged" : r.changed ? r.outcome.replace("_", " ") : "blocked"}: ${what} ${where}\n`);
  return r.changed || r.outcome === "unchanged" ? 0 : 1;
}

async function sign(args: ParsedArgs, io: CommandIO): Promise<number> {
  const from = stringFlag(args, "from");
  const to = stringFlag(args, "to");
  const keyFile = stringFlag(args, "key");
  if (from === undefined || to === undefined || keyFile === undefined) throw new UsageError("promote sign needs --from ENV, --to ENV and --key KEYFILE");
  const config = configOf(args, io);
  const source = environment(config, from);
  const target = environment(config, to);
  const skip = checkOrder(config, source, target, args.flags.skip === true);
  const key = readSignerKey(keyFile, io.cwd);
  const approver = approverOf(config, key);
  const served = currentBundle(source);
  const state = readState(target);
  const replacing = state.stack.at(-1)?.digest ?? null;
  const waive = stringFlag(args, "waive-replay");
  const note = signApproval({ action: "promote", from, to, bundle: served.digest, replacing, change: state.seq + 1, skip }, approver, key, waive !== undefined ? { waiveReplay: waive } : {});
  const out = stringFlag(args, "out");
  if (out !== undefined) writeAtomically(resolve(io.cwd, out), note);
  else io.stdout(note);
  io.stderr(`${approver} approves promoting ${served.digest}${served.bundle.version !== null ? ` (version ${served.bundle.version})` : ""} from '${from}' to '${to}', replacing ${replacing ?? "nothing"}${skip.length > 0 ? `, past ${skip.join(", ")}` : ""}${waive !== undefined ? `; waives the replay gate: ${waive}` : ""}${out !== undefined ? ` (written to ${out})` : ""}\n`);
  return 0;
}

/** The promote command. */
export const command: Command = {
  name: "promote",
  summary: "promote a bundle to the next environment through its gates",
  help,
  async run(argv, io) {
    const args = parseArgs(argv, spec);
    const [sub, ...rest] = args.positionals;
    if (rest.length > 0 || (sub !== undefined && sub !== "sign")) throw new UsageError(`unexpected argument '${sub === "sign" ? rest[0] : sub}'`);
    refuseNames(args, "approved-by", "palisade promote sign --from A --to B --key THEIR.key --out FILE");
    try {
      if (sub === "sign") return await sign(args, io);
      if (stringFlag(args, "waive-replay") !== undefined || stringFlag(args, "out") !== undefined) throw new UsageError("--waive-replay and --out belong to 'promote sign'");
      const from = stringFlag(args, "from");
      const to = stringFlag(args, "to");
      if (from === undefined || to === undefined) throw new UsageError("promote needs --from ENV and --to ENV");
      const raw = args.flags.approval;
      const approvals = readApprovals(Array.isArray(raw) ? raw : [], io.cwd);
      const config = configOf(args, io);
      const keyFile = stringFlag(args, "key");
      const r = await promote({ config, from, to, approvals, skip: args.flags.skip === true, ...(keyFile !== undefined ? { key: readSignerKey(keyFile, io.cwd) } : {}) });
      if (args.flags.json === true) {
        io.stdout(`${JSON.stringify({ outcome: r.outcome, changed: r.changed, refusal: r.refusal === null ? null : { code: r.refusal.code, message: r.refusal.message }, record: r.record, recordedIn: r.recordedIn, recordIndex: r.recordIndex }, null, 2)}\n`);
        return r.changed || r.outcome === "unchanged" ? 0 : 1;
      }
      const digest = r.bundle?.digest ?? r.record.event.bundle_digest ?? "(not read)";
      const what = r.outcome === "unchanged" ? `'${to}' already serves bundle ${digest}` : `bundle ${digest} from '${from}' to '${to}'`;
      return printResult(r, what, io, "promote");
    } catch (err) {
      const failure = describeFailure("promote", err);
      if (!failure) throw err;
      io.stderr(failure.text);
      return failure.code;
    }
  },
};
