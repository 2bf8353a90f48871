// `palisade serve`: the decision service, the playground and the console on one port. With no
// configuration it runs on embedded defaults (a SQLite log in the working folder, the example
// policies) and mints a one-off admin key for the console, printed once and never stored. A
// monitor records every decision beside the audit log for /v1/drift, and a
// palisade.environments.json in the working folder is listed under /v1/environments. With --env
// it serves that environment's signed bundle, reloaded when a promotion or rollback replaces it.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { PACKAGE_ROOT } from "../package-root.ts";
import { AuditLog, generateKey, openStore, parseSignerKey } from "../audit/index.ts";
import { CONFIG_FILE as ENVIRONMENTS_FILE, EnvironmentError, appendGovernanceRecord, appendGovernanceTo, bundleRefusalRecord, environment, loadEnvironmentsConfig, openEnvironment } from "../environments/index.ts";
import type { EnvironmentConfig, EnvironmentHandle, EnvironmentsConfig, GovernanceRecord, LogLocation } from "../environments/index.ts";
import { Monitor, MonitorError, openMonitorStore } from "../monitor/index.ts";
import { loadPolicySet } from "../runtime/index.ts";
import type { PolicySet, PolicySource } from "../runtime/index.ts";
import { MemoryApprovalStore } from "../service/approval-store.ts";
import { ConfigError, loadServiceConfig } from "../service/config.ts";
import type { ServiceConfig } from "../service/config.ts";
import type { DriftSource } from "../service/context.ts";
import { monitorDriftSource, serviceMonitorConfig } from "../service/drift-source.ts";
import { environmentSource } from "../service/environment-source.ts";
import { newKey } from "../service/keys.ts";
import { createService } from "../service/server.ts";
import { UsageError, intFlag, parseArgs, stringFlag } from "./args.ts";
import type { Command, CommandIO } from "./command.ts";
import { readPolicyFiles } from "./files.ts";
import { printDiagnostics } from "./policies.ts";

const help = `usage: palisade serve [PATH... | --env NAME] [--port N] [--host H] [--db FILE|postgres://URL] [--config FILE] [--key FILE] [--environments FILE]

Serves the decision API (/v1/decide), the approval queue, the audit log's checkpoints,
proofs and C2SP tiles (/tlog/), /metrics, /healthz and /readyz, drift against a baseline
(/v1/drift), compliance reports from the audit log (/v1/reports/soc2, hipaa, ...),
environments and their bundles (/v1/environments), the playground (/playground) and the
console (/console).

  PATH            .policy files or folders (default: Palisade's examples/policies)
  --env NAME      serve environment NAME's bundle instead, verified against its trusted keys
                  and swapped in when a promotion or rollback replaces it; requests for
                  another environment are refused; --db defaults to its audit log
  --port N        port (default 7878; 0 picks a free one)
  --host H        address to listen on (default 127.0.0.1)
  --db LOCATION   the audit log, the approval queue and the monitor's telemetry: a SQLite
                  file (default palisade-audit.db here) or a postgres:// URL shared by
                  several nodes
  --config FILE   JSON: keys (SHA-256 digests, scopes, roles), rateLimit, bodyLimit,
                  approvalTimeoutMs, checkpointEveryMs, tls {cert, key}, signingKeyFile,
                  monitor (monitors as in examples/monitors.json, inline or a file path;
                  false records no telemetry), environments (a palisade.environments.json)
  --key FILE      checkpoint signing key (default <db>.key, or palisade-audit.key for
                  PostgreSQL; created when missing)
  --environments FILE
                  the environments the console lists and --env reads (default: the config's, else
                  ${ENVIRONMENTS_FILE} in the working folder when there is one)

Every decision is recorded for drift (aggregated beside the audit log, off the decision
path). /v1/drift compares the last hour with the newest baseline; make one from normal
traffic with 'palisade baseline create NAME --from -1h --db LOCATION'.

Without --config a one-off admin key is minted and printed with the console's address.`;

function isUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

function signingKey(path: string, io: CommandIO): string {
  if (existsSync(path)) {
    const text = readFileSync(path, "utf8").trim();
    parseSignerKey(text);
    return text;
  }
  const k = generateKey("palisade.local/audit");
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${k.signerKey}\n`, { mode: 0o600, flag: "wx" });
  io.stderr(`palisade serve: created checkpoint signing key ${path}\n`);
  return k.signerKey;
}

/**
 * The playground and console pages. The installed package carries them prebuilt (`npm pack`
 * bundles them into dist/playground, beside dist/engine, with no esbuild or CodeMirror at run
 * time); a checkout builds them from playground/src when missing or older than their sources.
 * A failed build leaves the API up.
 */
async function pages(io: CommandIO): Promise<string | undefined> {
  const packed = join(import.meta.dirname, "..", "..", "playground");
  if (existsSync(join(packed, "BUILT"))) return packed;
  try {
    const { ensurePlayground } = await import("../../playground/build.ts");
    return await ensurePlayground();
  } catch (err) {
    io.stderr(`palisade serve: the playground could not be built (${err instanceof Error ? err.message : String(err)}); the API runs without it\n`);
    return undefined;
  }
}

/**
 * The environments source: the file named by the flag or the config (a mistake in it stops the
 * start, as any configuration mistake does), else the working folder's, which is only warned
 * about when broken since nobody asked for it.
 */
function environmentsOf(named: string | undefined, io: CommandIO): EnvironmentsConfig | undefined {
  const file = named !== undefined ? resolve(io.cwd, named) : join(io.cwd, ENVIRONMENTS_FILE);
  if (named === undefined && !existsSync(file)) return undefined;
  try {
    return loadEnvironmentsConfig(file);
  } catch (err) {
    if (!(err instanceof EnvironmentError)) throw err;
    if (named !== undefined) throw new UsageError(`environments ${named}: ${err.message}`);
    io.stderr(`palisade serve: ignoring ${file}: ${err.message}${err.hint ? ` (${err.hint})` : ""}\n`);
    return undefined;
  }
}

/** The environment --env names. */
function envOf(environments: EnvironmentsConfig | undefined, name: string): EnvironmentConfig {
  if (environments === undefined) throw new UsageError(`--env ${name}: no environments are configured: pass --environments FILE, name one in the config's "environments", or put ${ENVIRONMENTS_FILE} here`);
  try {
    return environment(environments, name);
  } catch (err) {
    if (err instanceof EnvironmentError) throw new UsageError(`--env ${name}: ${err.message}${err.hint ? ` (${err.hint})` : ""}`);
    throw err;
  }
}

/**
 * The environment's bundle: only the one its signed state names, attested by its key. Once
 * watched, a promotion or rollback swaps it in between two decisions; a refused bundle leaves the
 * old one serving. Every refusal is an audit entry: a refused start in `log` before the command
 * fails, a refused reload through `record` (the service's own store once it is up).
 */
async function serveEnvironment(environments: EnvironmentsConfig, env: EnvironmentConfig, log: LogLocation, record: () => ((r: GovernanceRecord) => Promise<unknown>) | undefined, io: CommandIO): Promise<EnvironmentHandle> {
  const name = env.name;
  try {
    return await openEnvironment(environments, name, {
      reportStatus: true,
      onReload: (digest, previous) => io.stdout(`palisade serve: environment ${name}: now serving bundle ${digest.slice(0, 23)}... (was ${previous.slice(0, 23)}...)\n`),
      onError: (err, serving) => io.stderr(`palisade serve: environment ${name}: kept bundle ${serving.slice(0, 23)}...: ${err.message}${err.hint ? ` (${err.hint})` : ""}\n`),
      recordRefusal: async (_env, refusal) => {
        const r = bundleRefusalRecord(name, refusal);
        const append = record();
        await (append ? append(r) : appendGovernanceRecord(log, r));
      },
    });
  } catch (err) {
    if (err instanceof EnvironmentError) throw new UsageError(`--env ${name}: ${err.message}${err.hint ? ` (${err.hint})` : ""}; the refusal is recorded in ${log.location}`);
    throw err;
  }
}

/** The monitor fed with every decision and the drift source over its store, unless the config says `monitor: false`. */
async function monitorOf(db: string, config: ServiceConfig, io: CommandIO): Promise<{ monitor?: Monitor; drift?: DriftSource }> {
  if (config.monitor === false) return {};
  let store;
  try {
    store = await openMonitorStore(db);
  } catch (err) {
    if (err instanceof MonitorError) throw new UsageError(`--db: ${err.message}${err.hint ? ` (${err.hint})` : ""}`);
    throw err;
  }
  // Aggregates only: drift reads buckets, and a row per decision would double the database's
  // write load for raw events nothing in the service reads.
  const monitor = new Monitor({ store, retentionMs: 0, onError: (err) => io.stderr(`palisade serve: monitor: ${err instanceof Error ? err.message : String(err)}\n`) });
  const drift = monitorDriftSource({ store, ...(config.monitor ? { config: config.monitor } : {}), flush: () => monitor.flush() });
  return { monitor, drift };
}

/** The serve command. */
export const command: Command = {
  name: "serve",
  summary: "serve the decision API, the playground and the console",
  help,
  async run(argv, io) {
    const args = parseArgs(argv, { port: { type: "string" }, host: { type: "string" }, db: { type: "string" }, config: { type: "string" }, key: { type: "string" }, environments: { type: "string" }, env: { type: "string" } });
    const port = intFlag(args, "port") ?? 7878;
    if (port > 65535) throw new UsageError(`option '--port' must be at most 65535, got ${port}`);
    const host = stringFlag(args, "host") ?? "127.0.0.1";
    const envName = stringFlag(args, "env");
    if (envName !== undefined && args.positionals.length > 0) throw new UsageError("give policy paths or --env, not both: with --env the service serves that environment's bundle");
    let config: ServiceConfig;
    let minted: string | undefined;
    const configPath = stringFlag(args, "config");
    if (configPath !== undefined) {
      try {
        config = loadServiceConfig(resolve(io.cwd, configPath));
      } catch (err) {
        if (err instanceof ConfigError || (err as NodeJS.ErrnoException).code === "ENOENT") throw new UsageError(`--config ${configPath}: ${err instanceof Error ? err.message : String(err)}`);
        throw err;
      }
    } else {
      const k = newKey();
      minted = k.key;
      config = { keys: [{ id: "console", sha256: k.sha256, agents: ["*"], environments: ["*"], roles: ["admin"], principal: "operator" }] };
    }
    const environments = environmentsOf(stringFlag(args, "environments") ?? config.environments, io);
    const envConfig = envName === undefined ? undefined : envOf(environments, envName);
    // The environment's own audit log, unless --db names another.
    const dbFlag = stringFlag(args, "db") ?? envConfig?.audit ?? "palisade-audit.db";
    const db = isUrl(dbFlag) ? dbFlag : resolve(io.cwd, dbFlag);
    const keyFlag = stringFlag(args, "key");
    const keyPath = keyFlag !== undefined ? resolve(io.cwd, keyFlag) : config.signingKeyFile ?? (isUrl(db) ? resolve(io.cwd, "palisade-audit.key") : `${db}.key`);
    let served: EnvironmentHandle | undefined;
    let audit: AuditLog | undefined;
    let policySet: PolicySet;
    let sources: readonly PolicySource[];
    if (environments !== undefined && envConfig !== undefined) {
      const log = { location: db, keyFile: keyPath, origin: `palisade.local/audit/${envConfig.name}` };
      served = await serveEnvironment(environments, envConfig, log, () => (audit ? (r) => appendGovernanceTo(audit as AuditLog, r) : undefined), io);
      policySet = served.current();
      sources = served.sources;
    } else {
      const paths = args.positionals.length > 0 ? args.positionals : [join(PACKAGE_ROOT, "examples", "policies")];
      sources = readPolicyFiles(paths, io.cwd);
      const loaded = loadPolicySet(sources);
      if (!loaded.policySet) {
        printDiagnostics(loaded.diagnostics, sources, io, "human");
        return 2;
      }
      policySet = loaded.policySet;
    }
    audit = await AuditLog.open(await openStore(db), { signingKey: signingKey(keyPath, io) });
    let approvals;
    if (isUrl(db)) {
      const { PostgresApprovalStore } = await import("../service/approval-store-pg.ts");
      approvals = await PostgresApprovalStore.open(db);
    } else approvals = new MemoryApprovalStore();
    // An environment's monitor store is what its promotion gate reads for open drift alerts.
    const monitorDb = served?.env.monitor ?? db;
    const { monitor, drift } = await monitorOf(monitorDb, config, io);
    const pagesDir = await pages(io);
    const service = await createService({
      policySet,
      sources,
      audit,
      approvals,
      keys: config.keys,
      ...(config.rateLimit ? { rateLimit: config.rateLimit } : {}),
      ...(config.bodyLimit !== undefined ? { bodyLimit: config.bodyLimit } : {}),
      ...(config.approvalTimeoutMs !== undefined ? { approvalTimeoutMs: config.approvalTimeoutMs } : {}),
      ...(config.checkpointEveryMs !== undefined ? { checkpointEveryMs: config.checkpointEveryMs } : {}),
      ...(config.tls ? { tls: { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) } } : {}),
      ...(pagesDir ? { pagesDir } : {}),
      ...(monitor ? { monitor } : {}),
      ...(drift ? { drift } : {}),
      ...(environments ? { environments: environmentSource(environments) } : {}),
      ...(served ? { environment: served } : {}),
      onError: (err) => io.stderr(`palisade serve: ${err instanceof Error ? err.message : String(err)}\n`),
    });
    const url = await service.listen(port, host);
    // Watched only once up: a start that fails must not leave a watcher holding the process.
    served?.watch();
    io.stdout(`palisade serve: listening on ${url}\n`);
    if (served) io.stdout(`  environment: ${served.env.name}, bundle ${served.digest.slice(0, 23)}... (${served.env.bundle}), reloaded when promoted or rolled back\n`);
    io.stdout(`  policies: ${sources.length} files, ${policySet.program.rules.length} rules, ${policySet.digest.slice(0, 23)}...\n  audit log: ${isUrl(db) ? db.replace(/\/\/[^@]*@/, "//") : db}\n`);
    io.stdout(`  drift:      ${monitor ? `${(config.monitor || serviceMonitorConfig()).monitors.length} monitors over decisions recorded in ${monitorDb === db ? "the same database" : monitorDb.replace(/\/\/[^@]*@/, "//")}` : "off (monitor: false)"}\n`);
    if (environments) io.stdout(`  environments: ${environments.file}\n`);
    if (pagesDir) io.stdout(`  playground: ${url}/playground\n`);
    if (minted) io.stdout(`  console:    ${url}/console#key=${minted}\n  admin key (this run only): ${minted}\n`);
    await new Promise<void>((done) => {
      const stop = () => done();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    served?.close();
    await service.close();
    return 0;
  },
};
