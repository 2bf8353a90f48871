// `palisade.environments.json`: the environments a policy moves through, in order, and what it
// takes to enter each. Validated with ajv against CONFIG_SCHEMA; every path in it is relative to
// the config file's folder, so a repository can carry the file and its verifier keys together.
//
// Keys, and why each is separate (a key that serves two purposes lets one holder walk past a gate):
// - `trustedKeys` of an environment: the build signers whose bundles may enter it (a build into
//   the first environment, or a promotion into any other).
// - `key` of an environment: its own key. It signs the environment's state (what serves) and
//   attests every bundle installed there; serving nodes trust this key alone, so production need
//   not trust the key that signs development builds. Each environment has its own.
// - `key` of an approver: signs their approvals; a name without a valid signature counts for nothing.
import { readFileSync, realpathSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { Ajv } from "ajv";
import type { ErrorObject } from "ajv";
import type { VerifierKey } from "../audit/index.ts";
import { parseDuration } from "../monitor/duration.ts";
import { EnvironmentError } from "./errors.ts";
import { isVerifierKeyText, readVerifierKey } from "./keys.ts";

/** The default config file name. */
export const CONFIG_FILE = "palisade.environments.json";

/** A person who may approve, with the roles they hold and the key they sign with. */
export interface Approver {
  readonly name: string;
  readonly roles: readonly string[];
  readonly key: VerifierKey;
}

/** Who must approve a promotion into an environment. */
export interface ApprovalConfig {
  /** Approvers holding any of these roles count. */
  readonly roles: readonly string[];
  /** Two distinct qualifying approvers are needed (the two-person rule). */
  readonly twoPerson: boolean;
  /** How old a signed approval may be when it is used, in ms (default 24 h). */
  readonly maxAgeMs: number;
}

/** The gates a bundle passes to enter an environment. */
export interface PromotionConfig {
  /** The bundle's own test blocks must all pass. */
  readonly requireTests: boolean;
  /** Most of the target's recorded decisions the new bundle may decide differently; null: no replay gate. */
  readonly maxReplayChanges: number | null;
  /** How far back the replay reads the target's (and the source's) audit log, in ms. */
  readonly replayWindowMs: number;
  /** No drift alert may be open in the source environment. */
  readonly noOpenDriftAlert: boolean;
  /** Who must approve; null: no approval needed. */
  readonly approval: ApprovalConfig | null;
}

/** One environment, paths resolved. */
export interface EnvironmentConfig {
  readonly name: string;
  /** The bundle file the environment's engines load (and watch). */
  readonly bundle: string;
  /** The folder holding the signed state and a copy of every bundle installed. */
  readonly state: string;
  /** The environment's own key (verifier half): signs its state and attests its bundles. */
  readonly key: VerifierKey;
  /** The file `key` was read from (its signing half is the same path ending in `.key`), or undefined when given as text. */
  readonly keyFile: string | undefined;
  /** Build signers whose bundles may enter this environment. */
  readonly trustedKeys: readonly VerifierKey[];
  /** How engines apply decisions by default. */
  readonly mode: "enforce" | "shadow";
  /** The environment's audit log (SQLite path or postgres:// URL), if it has one. */
  readonly audit: string | undefined;
  /** The checkpoint signing key of the audit log: `auditKey`, else `<audit>.key` beside a SQLite log. */
  readonly auditKey: string | undefined;
  /** The environment's monitor store, whose open drift alerts block promotions out of it. */
  readonly monitor: string | undefined;
  readonly promotion: PromotionConfig;
}

/** The whole file, validated and resolved. */
export interface EnvironmentsConfig {
  /** The file it was read from (absolute), or "<inline>". */
  readonly file: string;
  /** Approvers by name. */
  readonly approvers: ReadonlyMap<string, Approver>;
  /** In pipeline order: a promotion goes from one to the next. */
  readonly environments: readonly EnvironmentConfig[];
}

const DURATION = "^(\\d+(\\.\\d+)?(ms|s|m|h|d|w))+$";

/** The JSON Schema of `palisade.environments.json`. */
export const CONFIG_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  required: ["environments"],
  additionalProperties: false,
  properties: {
    $schema: { type: "string" },
    approvers: {
      description: "person -> the roles they hold and the verifier key they sign approvals with",
      type: "object",
      propertyNames: { pattern: "^[A-Za-z0-9][A-Za-z0-9._@-]*$" },
      additionalProperties: {
        type: "object",
        required: ["roles", "key"],
        additionalProperties: false,
        properties: {
          roles: { type: "array", items: { type: "string", minLength: 1 }, uniqueItems: true },
          key: { type: "string", minLength: 1 },
        },
      },
    },
    environments: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        required: ["name", "bundle", "state", "key", "trustedKeys"],
        additionalProperties: false,
        properties: {
          name: { type: "string", pattern: "^[a-z0-9][a-z0-9_-]*$" },
          bundle: { type: "string", minLength: 1 },
          state: { type: "string", minLength: 1 },
          key: { type: "string", minLength: 1 },
          trustedKeys: { type: "array", items: { type: "string", minLength: 1 } },
          mode: { enum: ["enforce", "shadow"] },
          audit: { type: "string", minLength: 1 },
          auditKey: { type: "string", minLength: 1 },
          monitor: { type: "string", minLength: 1 },
          promotion: {
            type: "object",
            additionalProperties: false,
            properties: {
              requireTests: { type: "boolean" },
              maxReplayChanges: { type: ["integer", "null"], minimum: 0 },
              replayWindow: { type: "string", pattern: DURATION },
              noOpenDriftAlert: { type: "boolean" },
              approval: {
                type: "object",
                required: ["roles"],
                additionalProperties: false,
                properties: {
                  roles: { type: "array", minItems: 1, items: { type: "string", minLength: 1 } },
                  twoPerson: { type: "boolean" },
                  maxAge: { type: "string", pattern: DURATION },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;

interface RawEnvironment {
  name: string;
  bundle: string;
  state: string;
  key: string;
  trustedKeys: string[];
  mode?: "enforce" | "shadow";
  audit?: string;
  auditKey?: string;
  monitor?: string;
  promotion?: { requireTests?: boolean; maxReplayChanges?: number | null; replayWindow?: string; noOpenDriftAlert?: boolean; approval?: { roles: string[]; twoPerson?: boolean; maxAge?: string } };
}

interface RawConfig {
  approvers?: Record<string, { roles: string[]; key: string }>;
  environments: RawEnvironment[];
}

let validator: ReturnType<Ajv["compile"]> | undefined;

function errorText(e: ErrorObject): string {
  const at = e.instancePath === "" ? "the config" : e.instancePath.replace(/^\//, "").replaceAll("/", ".");
  if (e.keyword === "additionalProperties") return `${at} has an unknown field '${(e.params as { additionalProperty: string }).additionalProperty}'`;
  if (e.keyword === "required") return `${at} needs '${(e.params as { missingProperty: string }).missingProperty}'`;
  return `${at} ${e.message ?? "is invalid"}`;
}

function isUrlOrMemory(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value) || value === ":memory:";
}

function location(value: string, baseDir: string): string {
  return isUrlOrMemory(value) ? value : resolve(baseDir, value);
}

// A key given as a file (not as key text) has its signing half beside it, ending in `.key`.
function keyFileOf(spec: string, baseDir: string): string | undefined {
  return isVerifierKeyText(spec) ? undefined : resolve(baseDir, spec);
}

/** Validates a parsed config and resolves its paths against `baseDir`. Throws EnvironmentError "config/invalid" or "key/invalid". */
export function parseEnvironmentsConfig(value: unknown, baseDir: string, file = "<inline>"): EnvironmentsConfig {
  const invalid = (why: string, hint?: string) => new EnvironmentError("config/invalid", `${file}: ${why}`, hint);
  // The old shape (person -> roles) gave names that anyone could type: say what replaced it.
  const rawApprovers = (value as { approvers?: unknown } | null)?.approvers;
  if (typeof rawApprovers === "object" && rawApprovers !== null) {
    for (const [name, v] of Object.entries(rawApprovers)) {
      if (Array.isArray(v)) throw invalid(`approver '${name}' has no key: an approval counts only when signed`, `write "${name}": { "roles": ${JSON.stringify(v)}, "key": "approvers/${name}.vkey" } (make the key with 'palisade bundle keygen ${name}')`);
    }
  }
  validator ??= new Ajv({ allErrors: true, strict: false }).compile(CONFIG_SCHEMA);
  if (!validator(value)) {
    const errors = (validator.errors ?? []).map(errorText);
    throw invalid(errors.slice(0, 3).join("; "), "see the schema in engine/environments/config.ts and the README's \"Environments and promotion\"");
  }
  const raw = value as RawConfig;
  const approvers = new Map<string, Approver>();
  const keyOwners = new Map<string, string>();
  const claim = (k: VerifierKey, owner: string): void => {
    const id = Buffer.from(k.publicKey).toString("hex");
    const other = keyOwners.get(id);
    if (other !== undefined) throw invalid(`${owner} and ${other} use the same key`, "give every approver and every environment a key of its own, or one holder could pass for two");
    keyOwners.set(id, owner);
  };
  for (const [name, a] of Object.entries(raw.approvers ?? {})) {
    const key = readVerifierKey(a.key, baseDir);
    claim(key, `approver '${name}'`);
    approvers.set(name, { name, roles: a.roles, key });
  }
  const seen = new Set<string>();
  const environments = raw.environments.map((e): EnvironmentConfig => {
    if (seen.has(e.name)) throw invalid(`environment '${e.name}' is defined twice`);
    seen.add(e.name);
    const p = e.promotion ?? {};
    for (const role of p.approval?.roles ?? []) {
      if (![...approvers.values()].some((a) => a.roles.includes(role))) throw invalid(`environment '${e.name}' needs approval by role '${role}', which no approver holds`, "add a person with that role under \"approvers\"");
    }
    const key = readVerifierKey(e.key, baseDir);
    claim(key, `environment '${e.name}'`);
    const audit = e.audit === undefined ? undefined : location(e.audit, baseDir);
    const auditKey = e.auditKey !== undefined ? resolve(baseDir, e.auditKey) : audit !== undefined && !isUrlOrMemory(audit) ? `${audit}.key` : undefined;
    return {
      name: e.name,
      bundle: resolve(baseDir, e.bundle),
      state: resolve(baseDir, e.state),
      key,
      keyFile: keyFileOf(e.key, baseDir),
      trustedKeys: e.trustedKeys.map((k) => readVerifierKey(k, baseDir)),
      mode: e.mode ?? "enforce",
      audit,
      auditKey,
      monitor: e.monitor === undefined ? undefined : location(e.monitor, baseDir),
      promotion: {
        requireTests: p.requireTests ?? true,
        maxReplayChanges: p.maxReplayChanges ?? null,
        replayWindowMs: parseDuration(p.replayWindow ?? "24h") ?? 86_400_000,
        noOpenDriftAlert: p.noOpenDriftAlert ?? true,
        approval: p.approval === undefined ? null : { roles: p.approval.roles, twoPerson: p.approval.twoPerson ?? false, maxAgeMs: parseDuration(p.approval.maxAge ?? "24h") ?? 86_400_000 },
      },
    };
  });
  const bundles = new Map<string, string>();
  for (const e of environments) {
    const other = bundles.get(e.bundle) ?? bundles.get(e.state);
    if (other !== undefined) throw invalid(`environments '${other}' and '${e.name}' share a bundle file or state folder`, "give each environment its own");
    bundles.set(e.bundle, e.name);
    bundles.set(e.state, e.name);
  }
  return { file, approvers, environments };
}

/** Reads and validates a config file. Throws EnvironmentError "config/unreadable", "config/invalid" or "key/invalid". */
export function loadEnvironmentsConfig(file: string): EnvironmentsConfig {
  const abs = resolve(file);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(abs, "utf8"));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new EnvironmentError(code === undefined ? "config/invalid" : "config/unreadable", code === undefined ? `${file} is not valid JSON: ${(err as Error).message}` : `cannot read environments config '${file}': ${code}`, `write one as shown in the README's "Environments and promotion"`);
  }
  return parseEnvironmentsConfig(json, dirname(abs), file);
}

/** The named environment. Throws EnvironmentError "env/unknown". */
export function environment(config: EnvironmentsConfig, name: string): EnvironmentConfig {
  const env = config.environments.find((e) => e.name === name);
  if (!env) throw new EnvironmentError("env/unknown", `no environment '${name}' in ${config.file}`, `known: ${config.environments.map((e) => e.name).join(", ")}`);
  return env;
}

// A path with its folder's symbolic links resolved, so two spellings of one file compare equal.
function real(file: string): string {
  try {
    return join(realpathSync.native(dirname(file)), basename(file));
  } catch {
    return file;
  }
}

/**
 * The environment whose bundle file `file` (absolute) is, or whose state folder holds it: a path
 * only promote and rollback may write.
 */
export function environmentOfBundle(config: EnvironmentsConfig, file: string): EnvironmentConfig | undefined {
  const f = real(file);
  return config.environments.find((e) => f === real(e.bundle) || f.startsWith(`${real(join(e.state, "x")).slice(0, -1)}`));
}
