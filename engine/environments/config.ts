// `palisade.environments.json`: the environments a policy moves through, in order, and what it
// takes to enter each. Validated with ajv against CONFIG_SCHEMA; every path in it is relative to
// the config file's folder, so a repository can carry the file and its keys together.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Ajv } from "ajv";
import type { ErrorObject } from "ajv";
import type { VerifierKey } from "../audit/index.ts";
import { parseDuration } from "../monitor/duration.ts";
import { EnvironmentError } from "./errors.ts";
import { readVerifierKey } from "./keys.ts";

/** The default config file name. */
export const CONFIG_FILE = "palisade.environments.json";

/** Who must approve a promotion into an environment. */
export interface ApprovalConfig {
  /** Approvers holding any of these roles count. */
  readonly roles: readonly string[];
  /** Two distinct qualifying approvers are needed (the two-person rule). */
  readonly twoPerson: boolean;
}

/** The gates a bundle passes to enter an environment. */
export interface PromotionConfig {
  /** The bundle's own test blocks must all pass. */
  readonly requireTests: boolean;
  /** Most recorded decisions the new bundle may decide differently; null: no replay gate. */
  readonly maxReplayChanges: number | null;
  /** How far back the replay reads the source environment's audit log, in ms. */
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
  /** The folder recording the installed bundles (current, previous). */
  readonly state: string;
  /** Keys whose signatures this environment accepts. */
  readonly trustedKeys: readonly VerifierKey[];
  /** How engines apply decisions by default. */
  readonly mode: "enforce" | "shadow";
  /** The environment's audit log (SQLite path or postgres:// URL), if it has one. */
  readonly audit: string | undefined;
  /** The environment's monitor store, whose open drift alerts block promotions out of it. */
  readonly monitor: string | undefined;
  readonly promotion: PromotionConfig;
}

/** The whole file, validated and resolved. */
export interface EnvironmentsConfig {
  /** The file it was read from (absolute), or "<inline>". */
  readonly file: string;
  /** Person -> roles. */
  readonly approvers: ReadonlyMap<string, readonly string[]>;
  /** In pipeline order. */
  readonly environments: readonly EnvironmentConfig[];
}

/** The JSON Schema of `palisade.environments.json`. */
export const CONFIG_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  required: ["environments"],
  additionalProperties: false,
  properties: {
    $schema: { type: "string" },
    approvers: {
      description: "person -> roles they hold",
      type: "object",
      additionalProperties: { type: "array", items: { type: "string", minLength: 1 }, uniqueItems: true },
    },
    environments: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        required: ["name", "bundle", "state", "trustedKeys"],
        additionalProperties: false,
        properties: {
          name: { type: "string", pattern: "^[a-z0-9][a-z0-9_-]*$" },
          bundle: { type: "string", minLength: 1 },
          state: { type: "string", minLength: 1 },
          trustedKeys: { type: "array", items: { type: "string", minLength: 1 } },
          mode: { enum: ["enforce", "shadow"] },
          audit: { type: "string", minLength: 1 },
          monitor: { type: "string", minLength: 1 },
          promotion: {
            type: "object",
            additionalProperties: false,
            properties: {
              requireTests: { type: "boolean" },
              maxReplayChanges: { type: ["integer", "null"], minimum: 0 },
              replayWindow: { type: "string", pattern: "^(\\d+(\\.\\d+)?(ms|s|m|h|d|w))+$" },
              noOpenDriftAlert: { type: "boolean" },
              approval: {
                type: "object",
                required: ["roles"],
                additionalProperties: false,
                properties: {
                  roles: { type: "array", minItems: 1, items: { type: "string", minLength: 1 } },
                  twoPerson: { type: "boolean" },
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
  trustedKeys: string[];
  mode?: "enforce" | "shadow";
  audit?: string;
  monitor?: string;
  promotion?: { requireTests?: boolean; maxReplayChanges?: number | null; replayWindow?: string; noOpenDriftAlert?: boolean; approval?: { roles: string[]; twoPerson?: boolean } };
}

interface RawConfig {
  approvers?: Record<string, string[]>;
  environments: RawEnvironment[];
}

let validator: ReturnType<Ajv["compile"]> | undefined;

function errorText(e: ErrorObject): string {
  const at = e.instancePath === "" ? "the config" : e.instancePath.replace(/^\//, "").replaceAll("/", ".");
  if (e.keyword === "additionalProperties") return `${at} has an unknown field '${(e.params as { additionalProperty: string }).additionalProperty}'`;
  return `${at} ${e.message ?? "is invalid"}`;
}

function location(value: string, baseDir: string): string {
  return /^postgres(ql)?:\/\//i.test(value) || value === ":memory:" ? value : resolve(baseDir, value);
}

/** Validates a parsed config and resolves its paths against `baseDir`. Throws EnvironmentError "config/invalid" or "key/invalid". */
export function parseEnvironmentsConfig(value: unknown, baseDir: string, file = "<inline>"): EnvironmentsConfig {
  validator ??= new Ajv({ allErrors: true, strict: false }).compile(CONFIG_SCHEMA);
  if (!validator(value)) {
    const errors = (validator.errors ?? []).map(errorText);
    throw new EnvironmentError("config/invalid", `${file}: ${errors.slice(0, 3).join("; ")}`, `see the schema in engine/environments/config.ts`);
  }
  const raw = value as RawConfig;
  const approvers = new Map(Object.entries(raw.approvers ?? {}));
  const seen = new Set<string>();
  const environments = raw.environments.map((e): EnvironmentConfig => {
    if (seen.has(e.name)) throw new EnvironmentError("config/invalid", `${file}: environment '${e.name}' is defined twice`);
    seen.add(e.name);
    const p = e.promotion ?? {};
    for (const role of p.approval?.roles ?? []) {
      if (![...approvers.values()].some((roles) => roles.includes(role))) throw new EnvironmentError("config/invalid", `${file}: environment '${e.name}' needs approval by role '${role}', which no approver holds`, "add a person with that role under \"approvers\"");
    }
    return {
      name: e.name,
      bundle: resolve(baseDir, e.bundle),
      state: resolve(baseDir, e.state),
      trustedKeys: e.trustedKeys.map((k) => readVerifierKey(k, baseDir)),
      mode: e.mode ?? "enforce",
      audit: e.audit === undefined ? undefined : location(e.audit, baseDir),
      monitor: e.monitor === undefined ? undefined : location(e.monitor, baseDir),
      promotion: {
        requireTests: p.requireTests ?? true,
        maxReplayChanges: p.maxReplayChanges ?? null,
        replayWindowMs: parseDuration(p.replayWindow ?? "24h") ?? 86_400_000,
        noOpenDriftAlert: p.noOpenDriftAlert ?? true,
        approval: p.approval === undefined ? null : { roles: p.approval.roles, twoPerson: p.approval.twoPerson ?? false },
      },
    };
  });
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
