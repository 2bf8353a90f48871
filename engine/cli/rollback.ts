// `palisade rollback --env E`: returns an environment to the bundle it ran before, audited.
import { userInfo } from "node:os";
import { resolve } from "node:path";
import { CONFIG_FILE, loadEnvironmentsConfig } from "../environments/config.ts";
import { rollback } from "../environments/promotion.ts";
import { describeFailure } from "../environments/report.ts";
import { UsageError, parseArgs, stringFlag } from "./args.ts";
import type { Command } from "./command.ts";

const help = `usage: palisade rollback --env ENV [options]

Returns ENV to the bundle it served before its latest promotion (the copy kept in its state
folder, verified again against its trusted keys) and writes the rollback to the audit log.
Engines watching the bundle file pick it up at once.

options:
  --env ENV             the environment
  --by NAME             who rolls back (default: the current user)
  --config FILE         the environments config (default ${CONFIG_FILE})
  --audit-db LOCATION   record in this audit log when ENV has none configured
  -h, --help            show this help

exit status: 0 rolled back, 1 nothing to roll back to or the bundle refused, 2 bad arguments`;

/** The rollback command. */
export const command: Command = {
  name: "rollback",
  summary: "return an environment to its previous bundle",
  help,
  async run(argv, io) {
    const args = parseArgs(argv, { env: { type: "string" }, by: { type: "string" }, config: { type: "string" }, "audit-db": { type: "string" } });
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
    const env = stringFlag(args, "env");
    if (env === undefined) throw new UsageError("rollback needs --env ENV");
    const auditDb = stringFlag(args, "audit-db");
    try {
      const config = loadEnvironmentsConfig(resolve(io.cwd, stringFlag(args, "config") ?? CONFIG_FILE));
      const r = await rollback({ config, env, by: stringFlag(args, "by") ?? userInfo().username, ...(auditDb !== undefined ? { auditDb: /^postgres(ql)?:\/\//i.test(auditDb) ? auditDb : resolve(io.cwd, auditDb) } : {}) });
      io.stdout(`rolled back '${env}' from ${r.from} to ${r.to} (audit entry ${r.recordIndex} in ${r.recordedIn})\n`);
      return 0;
    } catch (err) {
      const failure = describeFailure("rollback", err);
      if (!failure) throw err;
      io.stderr(failure.text);
      return failure.code;
    }
  },
};
