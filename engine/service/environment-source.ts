// `GET /v1/environments`: each environment of a `palisade.environments.json` with the bundle it
// serves (verified against the environment's keys, as an engine would load it) and the install
// that put it there. Read afresh on every request: promotions happen in other processes.
import { EnvironmentError, currentBundle, readNodeStatuses, readState } from "../environments/index.ts";
import type { EnvironmentConfig, EnvironmentsConfig, NodeStatus } from "../environments/index.ts";
import type { EnvironmentSource } from "./context.ts";

/** One environment as the console lists it. */
export interface EnvironmentV1 {
  readonly name: string;
  readonly mode: "enforce" | "shadow";
  /** The serving bundle, or null when it is missing or refused (see `problem`). */
  readonly bundle: { readonly digest: string; readonly policyDigest: string; readonly version: string | null; readonly created: string; readonly signers: readonly string[] } | null;
  /** The newest install (promotion or rollback), or null when nothing was promoted into it. */
  readonly installed: { readonly time: string; readonly by: readonly string[]; readonly action: "build" | "promotion" | "rollback"; readonly digest: string } | null;
  /** What each serving node reports it runs (engine/environments/status.ts), and whether that is the current bundle. */
  readonly nodes: readonly (NodeStatus & { readonly current: boolean })[];
  /** Why the bundle cannot be shown: a stable code, what is wrong, how to fix it. */
  readonly problem: { readonly code: string; readonly message: string; readonly hint: string | null } | null;
}

function problemOf(err: unknown): EnvironmentV1["problem"] {
  if (err instanceof EnvironmentError) return { code: err.code, message: err.message, hint: err.hint ?? null };
  throw err;
}

function describe(env: EnvironmentConfig): EnvironmentV1 {
  let bundle: EnvironmentV1["bundle"] = null;
  let installed: EnvironmentV1["installed"] = null;
  let problem: EnvironmentV1["problem"] = null;
  try {
    const v = currentBundle(env);
    bundle = { digest: v.digest, policyDigest: v.bundle.policy_digest, version: v.bundle.version, created: v.bundle.created, signers: v.signers };
  } catch (err) {
    problem = problemOf(err);
  }
  try {
    const top = readState(env).stack.at(-1);
    if (top) installed = { time: top.time, by: top.by, action: top.action, digest: top.digest };
  } catch (err) {
    problem ??= problemOf(err);
  }
  const nodes = readNodeStatuses(env).map((n) => ({ ...n, current: installed !== null && n.digest === installed.digest }));
  return { name: env.name, mode: env.mode, bundle, installed, problem, nodes };
}

/** An EnvironmentSource over a loaded environments config, in pipeline order. */
export function environmentSource(config: EnvironmentsConfig): EnvironmentSource {
  return {
    file: config.file,
    async list(): Promise<EnvironmentV1[]> {
      return config.environments.map(describe);
    },
  };
}
