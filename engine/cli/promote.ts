// `palisade promote --from A --to B`: runs the target's gates on A's bundle, installs it in B when
// all pass, and records the attempt in the audit log either way.
import { resolve } from "node:path";
import { CONFIG_FILE, loadEnvironmentsConfig } from "../environments/config.ts";
import { promote } from "../environments/promotion.ts";
import { describeFailure } from "../environments/report.ts";
import { UsageError, parseArgs, stringFlag } from "./args.ts";
import type { Command } from "./command.ts";

const help = `usage: palisade promote --from ENV --to ENV --approved-by NAME[,NAME2] [options]

Promotes the bundle serving in --from into --to once every gate configured for --to passes:
approval by a configured role (two distinct approvers under the two-person rule), the bundle's
tests, a replay of --from's recorded decisions within the configured limit of changes, and no
open drift alert in --from. The attempt, granted or blocked, is written to the audit log with
who approved, the bundle digest and each gate's outcome.

options:
  --from ENV            the source environment
  --to ENV              the target environment
  --approved-by NAMES   comma-separated approvers, as named under "approvers" (repeatable)
  --config FILE         the environments config (default ${CONFIG_FILE})
  --audit-db LOCATION   replay and read drift alerts from this audit log (SQLite file or
                        postgres:// URL) instead of --from's
  --json                print the result as JSON
  -h, --help            show this help

exit status: 0 promoted, 1 blocked by a gate or the bundle refused, 2 bad arguments or config`;

/** The promote command. */
export const command: Command = {
  name: "promote",
  summary: "promote a bundle to the next environment through its gates",
  help,
  async run(argv, io) {
    const args = parseArgs(argv, { from: { type: "string" }, to: { type: "string" }, "approved-by": { type: "string", multiple: true }, config: { type: "string" }, "audit-db": { type: "string" }, json: { type: "boolean" } });
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
    const from = stringFlag(args, "from");
    const to = stringFlag(args, "to");
    if (from === undefined || to === undefined) throw new UsageError("promote needs --from ENV and --to ENV");
    const raw = args.flags["approved-by"];
    const approvedBy = (Array.isArray(raw) ? raw : []).flatMap((v) => v.split(",")).map((n) => n.trim()).filter((n) => n !== "");
    const auditDb = stringFlag(args, "audit-db");
    try {
      const config = loadEnvironmentsConfig(resolve(io.cwd, stringFlag(args, "config") ?? CONFIG_FILE));
      const r = await promote({ config, from, to, approvedBy, ...(auditDb !== undefined ? { auditDb: /^postgres(ql)?:\/\//i.test(auditDb) ? auditDb : resolve(io.cwd, auditDb) } : {}) });
      if (args.flags.json === true) {
        io.stdout(`${JSON.stringify({ promoted: r.promoted, record: r.record, recordedIn: r.recordedIn, recordIndex: r.recordIndex, replay: r.replay }, null, 2)}\n`);
      } else {
        for (const g of r.gates) io.stdout(`gate ${g.gate.padEnd(9)} ${g.passed ? "passed" : "FAILED"}  ${g.detail}\n`);
        for (const c of r.replay && !r.gates.find((g) => g.gate === "replay")?.passed ? r.replay.changes.slice(0, 20) : []) io.stdout(`  changed #${c.index} ${c.phase}${c.tool ? ` ${c.tool}` : ""}: ${c.recorded} -> ${c.replayed}\n`);
        io.stdout(`${r.promoted ? "promoted" : "blocked"}: bundle ${r.bundle.digest} from '${from}' to '${to}' (audit entry ${r.recordIndex} in ${r.recordedIn})\n`);
      }
      return r.promoted ? 0 : 1;
    } catch (err) {
      const failure = describeFailure("promote", err);
      if (!failure) throw err;
      io.stderr(failure.text);
      return failure.code;
    }
  },
};
