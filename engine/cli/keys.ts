// `palisade keys create|list`: API keys for `palisade serve`. A new key is random; only its SHA-256
// digest and its scope go into the service's configuration file, and the key itself is shown once
// (on standard output, or in a 0600 file with --out). Several `keys create` at once do not lose
// each other's keys: the file is rewritten under a lock and replaced atomically.
import { closeSync, existsSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError, parseServiceConfig } from "../service/config.ts";
import { SCOPES, newKey } from "../service/keys.ts";
import { UsageError, parseArgs, stringFlag } from "./args.ts";
import type { Command } from "./command.ts";
import { readOrCreateSecret } from "./secret-file.ts";

/** The configuration file `palisade keys` writes and `palisade serve --config` reads, by default. */
export const DEFAULT_CONFIG = "palisade.config.json";

const help = `usage: palisade keys create --agent A --env E [--role R] [--scope S] [--id ID]
                            [--principal P] [--expires 90d|2027-01-31T00:00:00Z]
                            [--config FILE] [--out FILE]
       palisade keys list [--config FILE]

create  mints an API key for 'palisade serve', adds its SHA-256 digest and scope to the
        configuration file (default ${DEFAULT_CONFIG}, made when missing) and prints the key
        once: store it now, it cannot be shown again. Restart 'palisade serve --config FILE'
        to load it.
          --agent A     agent id the key may decide for ("*" for any); repeatable
          --env E       environment it may decide in ("*" for any); repeatable
          --role R      admin, or an approver role a rule names (from "supervisor"); repeatable
          --scope S     ${SCOPES.join(", ")}: read /metrics, send its own session.calls, or relay its framework's approvals; repeatable
          --id ID       the name logs and metrics use (default: made from the agent and role)
          --principal P who answers approvals with this key (default: the id)
          --expires T   a duration (30d, 12h) or an ISO-8601 instant after which it is refused
          --out FILE    write the key to FILE (mode 0600) instead of printing it
list    prints each key's id, scope and expiry (never a key or digest)`;

function list(args: ReturnType<typeof parseArgs>, name: string): string[] {
  const v = args.flags[name];
  return Array.isArray(v) ? v : [];
}

/** An ISO instant from `30d`, `12h`, `45m` or an ISO-8601 instant. */
export function expiry(text: string, now = Date.now()): string {
  const m = /^(\d{1,5})([dhm])$/.exec(text);
  if (m) return new Date(now + Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2] as "d" | "h" | "m"]).toISOString();
  const t = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(t)) throw new UsageError(`option '--expires' must be a duration (30d, 12h, 45m) or an ISO-8601 instant, got '${text}'`);
  if (t <= now) throw new UsageError(`option '--expires' is in the past: ${text}`);
  return new Date(t).toISOString();
}

/** Runs `body` holding `<file>.lock` (made with O_EXCL), waiting up to 5 s for another holder. */
async function locked<T>(file: string, body: () => T): Promise<T> {
  const lock = `${file}.lock`;
  for (let waited = 0; ; waited += 20) {
    try {
      closeSync(openSync(lock, "wx"));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      if (waited > 5000) throw new UsageError(`${lock} has been held for 5 s: another 'palisade keys' is running, or one died; remove the file if none runs`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  try {
    return body();
  } finally {
    unlinkSync(lock);
  }
}

function readConfig(file: string): Record<string, unknown> & { keys: Record<string, unknown>[] } {
  if (!existsSync(file)) return { keys: [] };
  const text = readFileSync(file, "utf8");
  try {
    parseServiceConfig(text, resolve(file, ".."));
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`--config ${file}: ${err.message}`);
    throw err;
  }
  return JSON.parse(text) as Record<string, unknown> & { keys: Record<string, unknown>[] };
}

/** The keys command. */
export const command: Command = {
  name: "keys",
  summary: "mint and list API keys for palisade serve",
  help,
  async run(argv, io) {
    const args = parseArgs(argv, {
      agent: { type: "string", multiple: true },
      env: { type: "string", multiple: true },
      role: { type: "string", multiple: true },
      scope: { type: "string", multiple: true },
      id: { type: "string" },
      principal: { type: "string" },
      expires: { type: "string" },
      config: { type: "string" },
      out: { type: "string" },
    });
    if (args.flags.help) {
      io.stdout(`${help}\n`);
      return 0;
    }
    const [sub, ...extra] = args.positionals;
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const file = resolve(io.cwd, stringFlag(args, "config") ?? DEFAULT_CONFIG);
    if (sub === "list") {
      const config = readConfig(file);
      for (const k of config.keys) {
        const scope = [`agents ${JSON.stringify(k.agents)}`, `environments ${JSON.stringify(k.environments)}`, ...(Array.isArray(k.roles) && k.roles.length > 0 ? [`roles ${JSON.stringify(k.roles)}`] : []), ...(Array.isArray(k.scopes) && k.scopes.length > 0 ? [`scopes ${JSON.stringify(k.scopes)}`] : [])];
        io.stdout(`${String(k.id)}\t${scope.join(", ")}${typeof k.expires === "string" ? `, expires ${k.expires}` : ""}\n`);
      }
      return 0;
    }
    if (sub !== "create") throw new UsageError(sub === undefined ? "give a subcommand: create or list" : `unknown subcommand '${sub}': expected create or list`);
    const agents = list(args, "agent");
    const envs = list(args, "env");
    const roles = list(args, "role");
    const scopes = list(args, "scope");
    if (agents.length === 0 && !roles.includes("admin")) throw new UsageError("give --agent A (the agent the key decides for, \"*\" for any)");
    if (envs.length === 0 && !roles.includes("admin")) throw new UsageError("give --env E (the environment the key decides in, \"*\" for any)");
    for (const s of scopes) if (!(SCOPES as readonly string[]).includes(s)) throw new UsageError(`unknown scope '${s}': expected ${SCOPES.join(", ")}`);
    const expires = stringFlag(args, "expires");
    const k = newKey();
    const out = stringFlag(args, "out");
    const id = await locked(file, () => {
      const config = readConfig(file);
      const taken = new Set(config.keys.map((x) => x.id));
      const base = stringFlag(args, "id") ?? [agents.length === 1 && agents[0] !== "*" ? agents[0] : roles[0] ?? "key", ...(roles.length > 0 && agents.length === 1 && agents[0] !== "*" ? [roles[0]] : [])].join("-");
      if (stringFlag(args, "id") !== undefined && taken.has(base)) throw new UsageError(`a key with id '${base}' is already in ${file}: choose another --id`);
      let name = base;
      for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
      const entry: Record<string, unknown> = {
        id: name,
        sha256: k.sha256,
        agents: agents.length > 0 ? agents : ["*"],
        environments: envs.length > 0 ? envs : ["*"],
        ...(roles.length > 0 ? { roles } : {}),
        ...(scopes.length > 0 ? { scopes } : {}),
        ...(stringFlag(args, "principal") !== undefined ? { principal: stringFlag(args, "principal") } : {}),
        ...(expires !== undefined ? { expires: expiry(expires) } : {}),
      };
      const next = { ...config, keys: [...config.keys, entry] };
      // Checked as serve will read it before it replaces anything.
      parseServiceConfig(JSON.stringify(next), resolve(file, ".."));
      if (out !== undefined) {
        const written = readOrCreateSecret(resolve(io.cwd, out), () => `${k.key}\n`);
        if (!written.created) throw new UsageError(`${out} exists already: the key is written only to a new file`);
      }
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: existsSync(file) ? statSync(file).mode & 0o777 : 0o644 });
      renameSync(tmp, file);
      return name;
    });
    if (out !== undefined) io.stderr(`palisade keys: key '${id}' written to ${out} (mode 0600); its digest is in ${file}\n`);
    else {
      io.stdout(`${k.key}\n`);
      io.stderr(`palisade keys: key '${id}' added to ${file}; the key above is shown only now: store it\n`);
    }
    return 0;
  },
};
