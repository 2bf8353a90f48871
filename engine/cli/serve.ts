// `palisade serve`: the decision service, the playground and the console on one port. With no
// configuration it runs on embedded defaults (a SQLite log in the working folder, the example
// policies) and keeps an admin key for the console in a 0600 file beside the log. A
// monitor records every decision beside the audit log for /v1/drift, and a
// palisade.environments.json in the working folder is listed under /v1/environments. With --env
// it serves that environment's signed bundle, reloaded when a promotion or rollback replaces it.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { PACKAGE_ROOT } from "../package-root.ts";
import { AuditLog, StoreError, defaultOrigin, fileSignerMemory, logFiles, openStore, signingKeyFor } from "../audit/index.ts";
import { CONFIG_FILE as ENVIRONMENTS_FILE, EnvironmentError, appendGovernanceRecord, appendGovernanceTo, bundleRefusalRecord, environment, loadEnvironmentsConfig, openEnvironment } from "../environments/index.ts";
import type { EnvironmentConfig, EnvironmentHandle, EnvironmentsConfig, GovernanceRecord, LogLocation } from "../environments/index.ts";
import { Monitor, MonitorError, driftMetrics, openMonitorStore, startTelemetry } from "../monitor/index.ts";
import type { Telemetry } from "../monitor/index.ts";
import { loadPolicySet } from "../runtime/index.ts";
import type { PolicySet, PolicySource } from "../runtime/index.ts";
import type { ApprovalStore } from "../service/approval-store.ts";
import { SqliteApprovalStore } from "../service/approval-store-sqlite.ts";
import { SqliteSessionStore } from "../service/session-store-sqlite.ts";
import type { SessionStore } from "../service/sessions.ts";
import type { SharedActivity } from "../service/context.ts";
import { ConfigError, loadServiceConfig } from "../service/config.ts";
import type { ServiceConfig } from "../service/config.ts";
import type { DriftSource } from "../service/context.ts";
import { monitorDriftSource, serviceMonitorConfig } from "../service/drift-source.ts";
import { environmentSource } from "../service/environment-source.ts";
import { hashKey, newKey } from "../service/keys.ts";
import { createService } from "../service/server.ts";
import { UsageError, intFlag, parseArgs, stringFlag } from "./args.ts";
import type { Command, CommandIO } from "./command.ts";
import { readPolicyFiles } from "./files.ts";
import { readOrCreateSecret } from "./secret-file.ts";
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
  --db LOCATION   the audit log, the approval queue, session histories and the monitor's
                  telemetry: a SQLite file (default palisade-audit.db here; approvals and
                  sessions in palisade-audit.state.db beside it) or a postgres:// URL shared
                  by several nodes
  --config FILE   JSON: keys (SHA-256 digests, scopes, roles), rateLimit, bodyLimit,
                  approvalTimeoutMs, checkpointEveryMs, tls {cert, key}, signingKeyFile,
                  audit {onFailure, timeoutMs, publicEntries, origin, witnesses [{url, vkey}]},
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

Without --config the console's admin key is kept in a 0600 file beside the log
(<db>.admin-key, or palisade-admin.key here for PostgreSQL), made on first start and
reused; it is printed only to a terminal. Mint scoped keys with 'palisade keys create'.
Every node of one log must use the same signing key: a node whose key is not the one the
log records refuses to start.`;

function isUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/** The SQLite file of a single node's approvals and session histories: `audit.db` -> `audit.state.db`. */
export function statePath(db: string): string {
  return db.endsWith(".db") ? `${db.slice(0, -3)}.state.db` : `${db}.state.db`;
}

/**
 * The console's admin key when no --config names keys: kept in a 0600 file beside the log, made
 * once and reused, so it is the same after a restart and never passes through a log. Printed only
 * to a terminal.
 */
function adminKey(path: string): { key: string; sha256: string; created: boolean } {
  const { text, created } = readOrCreateSecret(path, () => `${newKey().key}\n`);
  const key = text.trim();
  return { key, sha256: hashKey(key), created };
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
async function monitorOf(db: string, config: ServiceConfig, io: CommandIO): Promise<{ monitor?: Monitor; drift?: DriftSource; telemetry?: Telemetry }> {
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
  // OTLP export when the monitor config's `otel` or the OTEL_* variables ask for it.
  let telemetry: Telemetry | undefined;
  try {
    telemetry = await startTelemetry(config.monitor ? config.monitor.otel : undefined);
  } catch (err) {
    await store.close();
    if (err instanceof MonitorError) throw new UsageError(`${err.message}${err.hint ? ` (${err.hint})` : ""}`);
    throw err;
  }
  const monitor = new Monitor({ store, retentionMs: 0, onError: (err) => io.stderr(`palisade serve: monitor: ${err instanceof Error ? err.message : String(err)}${err instanceof MonitorError && err.hint ? ` (${err.hint})` : ""}\n`), ...(telemetry ? { tracer: telemetry.tracer, meter: telemetry.meter } : {}) });
  const drift = monitorDriftSource({ store, ...(config.monitor ? { config: config.monitor } : {}), flush: () => monitor.flush(), ...(telemetry ? { metrics: driftMetrics(telemetry.meter) } : {}) });
  return { monitor, drift, telemetry };
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
    let config: ServiceConfig | undefined;
    const configPath = stringFlag(args, "config");
    if (configPath !== undefined) {
      try {
        config = loadServiceConfig(resolve(io.cwd, configPath));
      } catch (err) {
        if (err instanceof ConfigError || (err as NodeJS.ErrnoException).code === "ENOENT") throw new UsageError(`--config ${configPath}: ${err instanceof Error ? err.message : String(err)}`);
        throw err;
      }
    }
    const environments = environmentsOf(stringFlag(args, "environments") ?? config?.environments, io);
    const envConfig = envName === undefined ? undefined : envOf(environments, envName);
    // The environment's own audit log, unless --db names another.
    const dbFlag = stringFlag(args, "db") ?? envConfig?.audit ?? "palisade-audit.db";
    const db = isUrl(dbFlag) ? dbFlag : resolve(io.cwd, dbFlag);
    const keyFlag = stringFlag(args, "key");
    const keyPath = keyFlag !== undefined ? resolve(io.cwd, keyFlag) : config?.signingKeyFile ?? (isUrl(db) ? resolve(io.cwd, "palisade-audit.key") : `${db}.key`);
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
    const files = logFiles(db, keyPath, io.cwd);
    const store = await openStore(db);
    try {
      // A log takes one key for life: a node without it refuses to start rather than sign with another.
      // A configured origin names a new log's key, and must be the name of an existing log's.
      const origin = config?.audit?.origin;
      const witnesses = config?.audit?.witnesses ?? [];
      const { signerKey, created } = await signingKeyFor(store, files, origin ?? defaultOrigin());
      if (created) io.stderr(`palisade serve: created checkpoint signing key ${files.key}; verifier key in ${files.vkey}\n`);
      audit = await AuditLog.open(store, { signingKey: signerKey, signerMemory: fileSignerMemory(files.checkpoint, files.leaves), ...(origin !== undefined ? { origin } : {}), ...(witnesses.length > 0 ? { witnesses } : {}) });
    } catch (err) {
      await store.close();
      served?.close();
      if (err instanceof StoreError) {
        io.stderr(`palisade serve: ${err.message}\n${err.hint ? `  help: ${err.hint}\n` : ""}`);
        return 2;
      }
      throw err;
    }
    let admin: ReturnType<typeof adminKey> | undefined;
    const adminPath = isUrl(db) ? resolve(io.cwd, "palisade-admin.key") : `${db}.admin-key`;
    if (config === undefined) {
      admin = adminKey(adminPath);
      config = { keys: [{ id: "console", sha256: admin.sha256, agents: ["*"], environments: ["*"], roles: ["admin"], principal: "operator" }] };
    }
    // Approvals and session histories: the shared PostgreSQL database, or for one node a SQLite
    // state file beside the log (its own file, so its writes never wait on the log's commits).
    let approvals: ApprovalStore;
    let sessions: SessionStore;
    let activity: SharedActivity | undefined;
    if (isUrl(db)) {
      const { PostgresApprovalStore } = await import("../service/approval-store-pg.ts");
      const { PostgresSessionStore } = await import("../service/session-store-pg.ts");
      const { PostgresActivity } = await import("../service/activity-pg.ts");
      approvals = await PostgresApprovalStore.open(db);
      sessions = await PostgresSessionStore.open(db);
      activity = await PostgresActivity.open(db, (err) => io.stderr(`palisade serve: console feed: ${err instanceof Error ? err.message : String(err)}\n`));
    } else {
      const state = statePath(db);
      approvals = SqliteApprovalStore.open(state);
      sessions = SqliteSessionStore.open(state);
    }
    // An environment's monitor store is what its promotion gate reads for open drift alerts.
    const monitorDb = served?.env.monitor ?? db;
    const { monitor, drift, telemetry } = await monitorOf(monitorDb, config, io);
    const pagesDir = await pages(io);
    const service = await createService({
      policySet,
      sources,
      audit,
      approvals,
      sessions,
      ...(activity ? { activity } : {}),
      keys: config.keys,
      ...(config.rateLimit ? { rateLimit: config.rateLimit } : {}),
      ...(config.authFailureLimit ? { authFailureLimit: config.authFailureLimit } : {}),
      ...(config.audit?.onFailure ? { auditOnFailure: config.audit.onFailure } : {}),
      ...(config.audit?.timeoutMs !== undefined ? { auditTimeoutMs: config.audit.timeoutMs } : {}),
      ...(config.timeouts ? { timeouts: config.timeouts } : {}),
      ...(config.bodyLimit !== undefined ? { bodyLimit: config.bodyLimit } : {}),
      ...(config.approvalTimeoutMs !== undefined ? { approvalTimeoutMs: config.approvalTimeoutMs } : {}),
      ...(config.checkpointEveryMs !== undefined ? { checkpointEveryMs: config.checkpointEveryMs } : {}),
      ...(config.audit?.publicEntries !== undefined ? { publicEntries: config.audit.publicEntries } : {}),
      // Without the file (a key given by path alone) the service serves the key's public half.
      ...(existsSync(files.vkey) ? { verifierKeyFile: files.vkey } : {}),
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
    io.stdout(`  verifier key: ${existsSync(files.vkey) ? files.vkey : "the signing key's public half"} (served at ${url}/v1/audit/vkey)${config.audit?.witnesses?.length ? `; witnesses: ${config.audit.witnesses.map((w) => w.url).join(", ")}` : ""}\n`);
    io.stdout(`  drift:      ${monitor ? `${new Set((config.monitor || serviceMonitorConfig()).monitors.map((m) => m.name)).size} monitors over decisions recorded in ${monitorDb === db ? "the same database" : monitorDb.replace(/\/\/[^@]*@/, "//")}` : "off (monitor: false)"}\n`);
    if (telemetry) io.stdout(`  otel:       spans and drift metrics over OTLP to ${telemetry.endpoint.replace(/\/v1\/traces$/, "")}\n`);
    if (environments) io.stdout(`  environments: ${environments.file}\n`);
    if (pagesDir) io.stdout(`  playground: ${url}/playground\n`);
    if (admin) {
      // A terminal is read by the operator; a redirected stdout ends up in a log.
      if (process.stdout.isTTY === true) io.stdout(`  console:    ${url}/console#key=${admin.key}\n`);
      else io.stdout(`  console:    ${url}/console (open it as /console#key=<the key in the file below>)\n`);
      io.stdout(`  admin key:  in ${adminPath} (mode 0600${admin.created ? ", made now" : ""}); other keys: palisade keys create --help\n`);
    }
    await new Promise<void>((done) => {
      const stop = () => done();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    served?.close();
    await service.close();
    await telemetry?.shutdown().catch((err: unknown) => io.stderr(`palisade serve: otel: ${err instanceof Error ? err.message : String(err)}\n`));
    return 0;
  },
};
