// `palisade rollback --env E --approval FILE...`: returns an environment to the previous distinct
// bundle it served, once an approver signed this very rollback; recorded whatever happens.
// `palisade rollback sign`: an approver signs one.
import { resolve } from "node:path";
import { signApproval } from "../environments/approvals.ts";
import { CONFIG_FILE, environment, loadEnvironmentsConfig } from "../environments/config.ts";
import { readSignerKey } from "../environments/keys.ts";
import { rollback } from "../environments/promotion.ts";
import { describeFailure } from "../environments/report.ts";
import { readState, rollbackTarget, writeAtomically } from "../environments/state.ts";
import { UsageError, parseArgs, stringFlag } from "./args.ts";
import type { Command } from "./command.ts";
import { approverOf, printResult, readApprovals, refuseNames } from "./promote.ts";

const help = `usage: palisade rollback --env ENV --approval FILE... [options]
       palisade rollback sign --env ENV --key KEYFILE [--out FILE] [options]

Returns ENV to the newest bundle below the serving one on its install stack whose digest differs
(the copy kept in its state folder, verified again against ENV's key), once an approver who may
approve promotions into ENV signed this very rollback. Engines watching the bundle file pick it up
at once. Every attempt, done or refused, is an entry in ENV's audit log.

sign     an approver signs the rollback of ENV from the bundle it serves now to the one it would
         return to, with their key

options:
  --env ENV             the environment
  --approval FILE       a signed approval (repeatable); names alone count for nothing
  --key KEYFILE         rollback: ENV's signing key (default: its .vkey file's path ending in .key)
                        sign: the approver's signing key
  --out FILE            sign: write the approval there (default: standard output)
  --config FILE         the environments config (default ${CONFIG_FILE})
  -h, --help            show this help

exit status: 0 rolled back, 1 refused (no earlier bundle, approval missing), 2 bad arguments`;

/** The rollback command. */
export const command: Command = {
  name: "rollback",
  summary: "return an environment to its previous bundle",
  help,
  async run(argv, io) {
    const args = parseArgs(argv, { env: { type: "string" }, approval: { type: "string", multiple: true }, by: { type: "string" }, key: { type: "string" }, out: { type: "string" }, config: { type: "string" } });
    const [sub, ...rest] = args.positionals;
    if (rest.length > 0 || (sub !== undefined && sub !== "sign")) throw new UsageError(`unexpected argument '${sub === "sign" ? rest[0] : sub}'`);
    refuseNames(args, "by", "palisade rollback sign --env ENV --key THEIR.key --out FILE");
    const envName = stringFlag(args, "env");
    if (envName === undefined) throw new UsageError(`rollback${sub === "sign" ? " sign" : ""} needs --env ENV`);
    try {
      const config = loadEnvironmentsConfig(resolve(io.cwd, stringFlag(args, "config") ?? CONFIG_FILE));
      const keyFile = stringFlag(args, "key");
      if (sub === "sign") {
        if (keyFile === undefined) throw new UsageError("rollback sign needs --key KEYFILE");
        const env = environment(config, envName);
        const state = readState(env);
        const { from, to } = rollbackTarget(env, state);
        const key = readSignerKey(keyFile, io.cwd);
        const approver = approverOf(config, key);
        const note = signApproval({ action: "rollback", from: null, to: env.name, bundle: to.digest, replacing: from.digest, change: state.seq + 1, skip: [] }, approver, key);
        const out = stringFlag(args, "out");
        if (out !== undefined) writeAtomically(resolve(io.cwd, out), note);
        else io.stdout(note);
        io.stderr(`${approver} approves rolling '${env.name}' back from ${from.digest} to ${to.digest}${to.version !== null ? ` (version ${to.version})` : ""}${out !== undefined ? ` (written to ${out})` : ""}\n`);
        return 0;
      }
      if (stringFlag(args, "out") !== undefined) throw new UsageError("--out belongs to 'rollback sign'");
      const raw = args.flags.approval;
      const r = await rollback({ config, env: envName, approvals: readApprovals(Array.isArray(raw) ? raw : [], io.cwd), ...(keyFile !== undefined ? { key: readSignerKey(keyFile, io.cwd) } : {}) });
      return printResult(r, `'${envName}' from ${r.record.event.previous_digest ?? "nothing"} to ${r.bundle?.digest ?? "(none)"}`, io, "rollback");
    } catch (err) {
      const failure = describeFailure("rollback", err);
      if (!failure) throw err;
      io.stderr(failure.text);
      return failure.code;
    }
  },
};
