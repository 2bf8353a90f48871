// `palisade bundle build|verify|keygen`: pack policies into a signed bundle, check one against
// trusted keys, and make a signing key pair.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { buildBundle, readBundleFile, serializeBundle, verifyBundle } from "../environments/bundle.ts";
import { CONFIG_FILE, environment, environmentOfBundle, loadEnvironmentsConfig } from "../environments/config.ts";
import type { EnvironmentConfig, EnvironmentsConfig } from "../environments/config.ts";
import { readSignerKey, readVerifierKey, writeKeyPair } from "../environments/keys.ts";
import { buildInto } from "../environments/promotion.ts";
import { describeFailure } from "../environments/report.ts";
import { writeAtomically } from "../environments/state.ts";
import type { JsonValue } from "../audit/index.ts";
import { UsageError, parseArgs, stringFlag } from "./args.ts";
import type { ParsedArgs } from "./args.ts";
import type { Command, CommandIO } from "./command.ts";
import { readPolicyFiles } from "./files.ts";
import { readToolSchemas } from "./policies.ts";
import { printResult } from "./promote.ts";

const help = `usage: palisade bundle build PATH... (--out FILE | --env NAME) [--key KEYFILE] [options]
       palisade bundle verify FILE (--trust VKEY... | --config FILE --env NAME)
       palisade bundle keygen NAME [--out PREFIX]

build    checks the .policy files under PATH and packs them (sources, their digest, the
         compiler version, tool schemas, metadata) into one JSON bundle, signed with the
         Ed25519 key in KEYFILE as a C2SP signed note; without --key it is unsigned and every
         environment refuses it. With --env it builds into that environment, which must be the
         first in the config's order: its key attests the bundle, its signed state records the
         build, and its audit log the attempt. --out never writes an environment's bundle file
         (the attempt is refused and recorded): only promote and rollback change what serves
verify   checks a bundle's signature and contents against trusted verifier keys
keygen   writes NAME.key (signing key, mode 0600; keep it secret) and NAME.vkey (verifier key,
         for the config and --trust): for build keys, environments and approvers alike

options:
  --out FILE|PREFIX     build: the bundle file; keygen: the key files' prefix (default NAME)
  --env NAME            build: build into this environment; verify: trust its keys ...
  --config FILE         ... of this environments config (default ${CONFIG_FILE} when present)
  --key KEYFILE         build: the signing key (a .key file of 'bundle keygen')
  --env-key KEYFILE     build --env: the environment's signing key (default: beside its .vkey)
  --tool-schemas FILE   build: JSON object, tool name -> JSON Schema of its args
  --version V           build: release label reported in decisions as policy.version
  --meta KEY=VALUE      build: metadata to record (repeatable), e.g. --meta commit=4f2a9c1
  --trust VKEY          verify: a trusted verifier key, as text or a .vkey file (repeatable)
  -h, --help            show this help

exit status: 0 ok, 1 the bundle is refused or the policies do not check, 2 bad arguments`;

const spec = {
  out: { type: "string" },
  key: { type: "string" },
  "tool-schemas": { type: "string" },
  version: { type: "string" },
  meta: { type: "string", multiple: true },
  trust: { type: "string", multiple: true },
  config: { type: "string" },
  env: { type: "string" },
  "env-key": { type: "string" },
} as const;

function list(value: string | boolean | string[] | undefined): string[] {
  return Array.isArray(value) ? value : [];
}

/** The environments config of a build: --config, else the one in the working folder when there is one. */
function buildConfig(args: ParsedArgs, io: CommandIO): EnvironmentsConfig | undefined {
  const named = stringFlag(args, "config");
  const file = resolve(io.cwd, named ?? CONFIG_FILE);
  if (named === undefined && !existsSync(file)) return undefined;
  return loadEnvironmentsConfig(file);
}

async function build(paths: readonly string[], args: ParsedArgs, io: CommandIO): Promise<number> {
  const out = stringFlag(args, "out");
  const envName = stringFlag(args, "env");
  if ((out === undefined) === (envName === undefined)) throw new UsageError("bundle build needs --out FILE or --env NAME (one of them)");
  const metadata: Record<string, JsonValue> = {};
  for (const m of list(args.flags.meta)) {
    const eq = m.indexOf("=");
    if (eq <= 0) throw new UsageError(`--meta must read KEY=VALUE, got '${m}'`);
    metadata[m.slice(0, eq)] = m.slice(eq + 1);
  }
  const keyFile = stringFlag(args, "key");
  const version = stringFlag(args, "version");
  const envKey = stringFlag(args, "env-key");
  const sources = readPolicyFiles(paths, io.cwd);
  const toolSchemas = readToolSchemas(stringFlag(args, "tool-schemas"), io.cwd);
  const make = () =>
    buildBundle({
      sources,
      ...(keyFile !== undefined ? { key: readSignerKey(keyFile, io.cwd) } : {}),
      ...(toolSchemas !== undefined ? { toolSchemas } : {}),
      ...(version !== undefined ? { version } : {}),
      metadata,
    });
  const config = buildConfig(args, io);
  const target = out === undefined ? undefined : config === undefined ? undefined : environmentOfBundle(config, resolve(io.cwd, out));
  if (config !== undefined && (envName !== undefined || target !== undefined)) {
    // Into an environment: recorded whatever happens, and only ever into the first one.
    const name = envName ?? (target as EnvironmentConfig).name;
    const r = await buildInto({ config, env: name, make, direct: envName === undefined, ...(envKey !== undefined ? { key: readSignerKey(envKey, io.cwd) } : {}) });
    const b = r.bundle;
    const what = b === null ? `into '${name}'` : `${b.digest} into '${name}': ${b.bundle.sources.length} sources, policy ${b.bundle.policy_digest}${b.bundle.version !== null ? `, version ${b.bundle.version}` : ""}`;
    return printResult(r, r.outcome === "unchanged" ? `'${name}' already serves ${b?.digest}` : what, io, "bundle");
  }
  if (envName !== undefined) throw new UsageError(`bundle build --env needs an environments config: pass --config FILE or run where ${CONFIG_FILE} is`);
  const bundle = make();
  writeAtomically(resolve(io.cwd, out as string), serializeBundle(bundle));
  io.stdout(`wrote ${out}: ${bundle.sources.length} sources, policy ${bundle.policy_digest}${bundle.version !== null ? `, version ${bundle.version}` : ""}\n`);
  if (keyFile === undefined) io.stderr("palisade bundle: warning: the bundle is unsigned; environments refuse it (sign with --key KEYFILE)\n");
  return 0;
}

function verify(files: readonly string[], args: ParsedArgs, io: CommandIO): number {
  if (files.length !== 1) throw new UsageError("bundle verify takes one FILE");
  const configFile = stringFlag(args, "config");
  const envName = stringFlag(args, "env");
  const trust = list(args.flags.trust);
  if ((configFile === undefined) !== (envName === undefined)) throw new UsageError("--config and --env go together");
  if (trust.length === 0 && configFile === undefined) throw new UsageError("bundle verify needs the keys to trust: --trust VKEY, or --config FILE --env NAME");
  const keys = trust.map((k) => readVerifierKey(k, io.cwd));
  if (configFile !== undefined && envName !== undefined) {
    const env = environment(loadEnvironmentsConfig(resolve(io.cwd, configFile)), envName);
    keys.push(env.key, ...env.trustedKeys);
  }
  const v = verifyBundle(readBundleFile(resolve(io.cwd, files[0])), keys);
  const b = v.bundle;
  io.stdout(`ok: ${files[0]} signed by ${v.signers.join(", ")}\n  bundle ${v.digest}\n  policy ${b.policy_digest}\n  ${b.sources.length} sources, built ${b.created} with ${b.compiler}${b.version !== null ? `, version ${b.version}` : ""}\n`);
  return 0;
}

function keygen(names: readonly string[], args: ParsedArgs, io: CommandIO): number {
  if (names.length !== 1) throw new UsageError("bundle keygen takes one NAME");
  const prefix = resolve(io.cwd, stringFlag(args, "out") ?? names[0]);
  const { keyFile, vkeyFile, vkey } = writeKeyPair(names[0], prefix);
  io.stdout(`wrote ${keyFile} (secret) and ${vkeyFile}\n${vkey}\n`);
  return 0;
}

/** The bundle command. */
export const command: Command = {
  name: "bundle",
  summary: "build, verify and sign policy bundles",
  help,
  async run(argv, io) {
    const args = parseArgs(argv, spec);
    const [sub, ...rest] = args.positionals;
    try {
      if (sub === "build") return await build(rest, args, io);
      if (sub === "verify") return verify(rest, args, io);
      if (sub === "keygen") return keygen(rest, args, io);
    } catch (err) {
      const failure = describeFailure("bundle", err);
      if (!failure) throw err;
      io.stderr(failure.text);
      return failure.code;
    }
    throw new UsageError(sub === undefined ? "name a subcommand: build, verify or keygen" : `unknown subcommand '${sub}': expected build, verify or keygen`);
  },
};
