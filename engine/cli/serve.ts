// `palisade serve`: the decision service, the playground and the console on one port. With no
// configuration it runs on embedded defaults (a SQLite log in the working folder, the example
// policies) and mints a one-off admin key for the console, printed once and never stored.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { AuditLog, generateKey, openStore, parseSignerKey } from "../audit/index.ts";
import { loadPolicySet } from "../runtime/index.ts";
import { MemoryApprovalStore } from "../service/approval-store.ts";
import { ConfigError, loadServiceConfig } from "../service/config.ts";
import type { ServiceConfig } from "../service/config.ts";
import { newKey } from "../service/keys.ts";
import { createService } from "../service/server.ts";
import { UsageError, intFlag, parseArgs, stringFlag } from "./args.ts";
import type { Command, CommandIO } from "./command.ts";
import { readPolicyFiles } from "./files.ts";
import { printDiagnostics } from "./policies.ts";

const root = join(import.meta.dirname, "..", "..");

const help = `usage: palisade serve [PATH...] [--port N] [--host H] [--db FILE|postgres://URL] [--config FILE] [--key FILE]

Serves the decision API (/v1/decide), the approval queue, the audit log's checkpoints,
proofs and C2SP tiles (/tlog/), /metrics, /healthz and /readyz, the playground
(/playground) and the console (/console).

  PATH            .policy files or folders (default: the repository's examples/policies)
  --port N        port (default 7878; 0 picks a free one)
  --host H        address to listen on (default 127.0.0.1)
  --db LOCATION   the audit log and approval queue: a SQLite file (default palisade-audit.db
                  here) or a postgres:// URL shared by several nodes
  --config FILE   JSON: keys (SHA-256 digests, scopes, roles), rateLimit, bodyLimit,
                  approvalTimeoutMs, checkpointEveryMs, tls {cert, key}, signingKeyFile
  --key FILE      checkpoint signing key (default <db>.key, or palisade-audit.key for
                  PostgreSQL; created when missing)

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

/** Builds the playground bundle when it is missing or older than its sources; failures leave the API up. */
async function pages(io: CommandIO): Promise<string | undefined> {
  try {
    const { ensurePlayground } = await import("../../playground/build.ts");
    return await ensurePlayground();
  } catch (err) {
    io.stderr(`palisade serve: the playground could not be built (${err instanceof Error ? err.message : String(err)}); the API runs without it\n`);
    return undefined;
  }
}

/** The serve command. */
export const command: Command = {
  name: "serve",
  summary: "serve the decision API, the playground and the console",
  help,
  async run(argv, io) {
    const args = parseArgs(argv, { port: { type: "string" }, host: { type: "string" }, db: { type: "string" }, config: { type: "string" }, key: { type: "string" } });
    const port = intFlag(args, "port") ?? 7878;
    if (port > 65535) throw new UsageError(`option '--port' must be at most 65535, got ${port}`);
    const host = stringFlag(args, "host") ?? "127.0.0.1";
    const dbFlag = stringFlag(args, "db") ?? "palisade-audit.db";
    const db = isUrl(dbFlag) ? dbFlag : resolve(io.cwd, dbFlag);
    const paths = args.positionals.length > 0 ? args.positionals : [join(root, "examples", "policies")];
    const sources = readPolicyFiles(paths, io.cwd);
    const { policySet, diagnostics } = loadPolicySet(sources);
    if (!policySet) {
      printDiagnostics(diagnostics, sources, io, "human");
      return 2;
    }
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
    const keyFlag = stringFlag(args, "key");
    const keyPath = keyFlag !== undefined ? resolve(io.cwd, keyFlag) : config.signingKeyFile ?? (isUrl(db) ? resolve(io.cwd, "palisade-audit.key") : `${db}.key`);
    const audit = await AuditLog.open(await openStore(db), { signingKey: signingKey(keyPath, io) });
    let approvals;
    if (isUrl(db)) {
      const { PostgresApprovalStore } = await import("../service/approval-store-pg.ts");
      approvals = await PostgresApprovalStore.open(db);
    } else approvals = new MemoryApprovalStore();
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
      onError: (err) => io.stderr(`palisade serve: ${err instanceof Error ? err.message : String(err)}\n`),
    });
    const url = await service.listen(port, host);
    io.stdout(`palisade serve: listening on ${url}\n`);
    io.stdout(`  policies: ${sources.length} files, ${policySet.program.rules.length} rules, ${policySet.digest.slice(0, 23)}...\n  audit log: ${isUrl(db) ? db.replace(/\/\/[^@]*@/, "//") : db}\n`);
    if (pagesDir) io.stdout(`  playground: ${url}/playground\n`);
    if (minted) io.stdout(`  console:    ${url}/console#key=${minted}\n  admin key (this run only): ${minted}\n`);
    await new Promise<void>((done) => {
      const stop = () => done();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    await service.close();
    return 0;
  },
};
