// `palisade replay --bundle FILE --from-audit DB --env E`: recorded decisions decided again by a
// candidate bundle; prints each one that would change, then a summary.
import { resolve } from "node:path";
import { policySetOf, readBundleFile, verifyBundle } from "../environments/bundle.ts";
import { environment, loadEnvironmentsConfig } from "../environments/config.ts";
import { readVerifierKey } from "../environments/keys.ts";
import { describeFailure } from "../environments/report.ts";
import { formatReplay, replay } from "../environments/replay.ts";
import { parseDuration, parseInstant } from "../monitor/duration.ts";
import { UsageError, parseArgs, stringFlag } from "./args.ts";
import type { Command } from "./command.ts";

const help = `usage: palisade replay --bundle FILE --from-audit DB --env ENV [options]

Decides the decisions ENV recorded in the audit log over the window again with the bundle, and
prints each input whose decision would change, then a summary. Only records that carry their
'input' (matching their input_digest) can be replayed; the others are counted.

options:
  --bundle FILE         the candidate bundle (verified before use)
  --from-audit DB       the audit log: a SQLite file or a postgres:// URL
  --env ENV             the environment whose recorded traffic is replayed
  --window DURATION     how far back, e.g. 30m, 24h, 7d (default 24h)
  --at T                end of the window: ISO-8601 or ms since the epoch (default now)
  --trust VKEY          a trusted verifier key, text or .vkey file (repeatable) ...
  --config FILE         ... or trust the keys of ENV in this environments config
  --json                print the changes and summary as JSON
  -h, --help            show this help

exit status: 0 replayed, 1 the bundle is refused or the log unreadable, 2 bad arguments`;

/** The replay command. */
export const command: Command = {
  name: "replay",
  summary: "replay recorded decisions through a candidate bundle",
  help,
  async run(argv, io) {
    const args = parseArgs(argv, { bundle: { type: "string" }, "from-audit": { type: "string" }, env: { type: "string" }, window: { type: "string" }, at: { type: "string" }, trust: { type: "string", multiple: true }, config: { type: "string" }, json: { type: "boolean" } });
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
    const bundleFile = stringFlag(args, "bundle");
    const audit = stringFlag(args, "from-audit");
    const env = stringFlag(args, "env");
    if (bundleFile === undefined || audit === undefined || env === undefined) throw new UsageError("replay needs --bundle FILE, --from-audit DB and --env ENV");
    const w = stringFlag(args, "window") ?? "24h";
    const windowMs = parseDuration(w);
    if (windowMs === undefined) throw new UsageError(`option '--window' must be a duration like 30m, 24h or 7d, got '${w}'`);
    const at = stringFlag(args, "at");
    const now = at === undefined ? Date.now() : parseInstant(at);
    if (now === undefined) throw new UsageError(`option '--at' must be an ISO-8601 instant or ms since the epoch, got '${at}'`);
    const trust = args.flags.trust;
    const configFile = stringFlag(args, "config");
    if (!Array.isArray(trust) && configFile === undefined) throw new UsageError("replay needs the keys to trust: --trust VKEY, or --config FILE");
    try {
      const keys = (Array.isArray(trust) ? trust : []).map((k) => readVerifierKey(k, io.cwd));
      if (configFile !== undefined) {
        const e = environment(loadEnvironmentsConfig(resolve(io.cwd, configFile)), env);
        keys.push(e.key, ...e.trustedKeys);
      }
      const set = policySetOf(verifyBundle(readBundleFile(resolve(io.cwd, bundleFile)), keys));
      const location = /^postgres(ql)?:\/\//i.test(audit) ? audit : resolve(io.cwd, audit);
      const result = await replay(set, location, { env, windowMs, now });
      io.stdout(args.flags.json === true ? `${JSON.stringify(result, null, 2)}\n` : formatReplay(result));
      return 0;
    } catch (err) {
      const failure = describeFailure("replay", err);
      if (!failure) throw err;
      io.stderr(failure.text);
      return failure.code;
    }
  },
};
