// How a guard or service holds its environment's policies: one reference to a fully loaded,
// verified PolicySet, replaced in a single assignment once a new bundle has loaded completely.
//
// Invariants relied on by callers: a decision reads `current()` once and decides with that set
// only, so it never sees half of two bundles; a reload that fails leaves the reference as it was.
// Only the bundle the environment's signed state names as current loads (state.ts), and never
// one from a state older than the one already loaded: anything else is a refusal, passed to
// onRefusal (which openEnvironment records in the environment's audit log).
import { watch } from "node:fs";
import type { FSWatcher } from "node:fs";
import { hostname } from "node:os";
import { basename, dirname } from "node:path";
import type { Evaluator, PolicySet, PolicySource } from "../runtime/policy-set.ts";
import { bundleDigest, policySetOf, readBundleFile } from "./bundle.ts";
import { environment, loadEnvironmentsConfig } from "./config.ts";
import type { EnvironmentConfig, EnvironmentsConfig } from "./config.ts";
import { EnvironmentError } from "./errors.ts";
import { appendGovernanceRecord, environmentLog } from "./log-io.ts";
import { bundleRefusalRecord } from "./records.ts";
import type { BundleRefusal } from "./records.ts";
import { currentBundle, readState } from "./state.ts";
import { defaultNodeName, removeNodeStatus, writeNodeStatus } from "./status.ts";
import type { NodeStatus } from "./status.ts";

/** What a reload did. */
export type ReloadResult =
  | { readonly ok: true; readonly changed: boolean; readonly digest: string }
  | { readonly ok: false; readonly error: EnvironmentError; readonly serving: string };

/** A bundle loaded for serving. */
interface Loaded {
  readonly set: PolicySet;
  readonly digest: string;
  readonly sources: readonly PolicySource[];
  readonly version: string | null;
  readonly seq: number;
  readonly since: string;
}

/** A refused bundle, as a node reports it (the record's `refusal` without its type tag). */
export type RefusalReport = Omit<BundleRefusal, "type">;

/** Options of an EnvironmentHandle. */
export interface HandleOptions {
  /** Called after a new bundle replaced the old one. */
  readonly onReload?: (digest: string, previous: string) => void;
  /** Called when a bundle failed to load; the old one keeps serving. */
  readonly onError?: (error: EnvironmentError, serving: string) => void;
  /** Called with every refused bundle, at open and on reload (openEnvironment records them). */
  readonly onRefusal?: (refusal: RefusalReport) => void;
  readonly evaluator?: Evaluator;
  /** Milliseconds to let a burst of file events settle before reloading (default 50). */
  readonly debounceMs?: number;
  /** This node's name in status reports and refusal records (default host:pid). */
  readonly node?: string;
  /** Report what this node serves in the environment's state folder (status.ts); default false. */
  readonly reportStatus?: boolean;
}

function asEnvironmentError(err: unknown): EnvironmentError {
  return err instanceof EnvironmentError ? err : new EnvironmentError("bundle/malformed", err instanceof Error ? err.message : String(err));
}

/** What is known about a refused bundle: the file's digest and the state's current, where they can be read. */
function refusalReport(env: EnvironmentConfig, error: EnvironmentError, serving: string | null, node: string): RefusalReport {
  let bundle: string | null = null;
  let state: string | null = null;
  try {
    bundle = bundleDigest(readBundleFile(env.bundle));
  } catch {
    // unreadable: the error says why
  }
  try {
    state = readState(env).stack.at(-1)?.digest ?? null;
  } catch {
    // unsigned or damaged: the error says why
  }
  return { node, code: error.code, message: error.message, bundle_digest: bundle, state_digest: state, serving };
}

/** An environment's serving policy set, hot-reloadable. */
export class EnvironmentHandle {
  /** The environment served. */
  readonly env: EnvironmentConfig;
  /** This node's name. */
  readonly node: string;
  readonly #options: HandleOptions;
  /** Set, digest and sources together: a swap is one assignment. */
  #loaded: Loaded;
  #refused: NodeStatus["refused"] = null;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;

  private constructor(env: EnvironmentConfig, loaded: Loaded, options: HandleOptions, node: string) {
    this.env = env;
    this.#loaded = loaded;
    this.#options = options;
    this.node = node;
    this.#report();
  }

  /**
   * Loads the environment's bundle. Throws EnvironmentError when nothing was installed, the bundle
   * is not the one the signed state names, or it is missing, unsigned, tampered or does not check.
   */
  static open(env: EnvironmentConfig, options: HandleOptions = {}): EnvironmentHandle {
    const node = options.node ?? defaultNodeName();
    let loaded: Loaded;
    try {
      loaded = EnvironmentHandle.#load(env, options.evaluator, 0);
    } catch (err) {
      const error = asEnvironmentError(err);
      options.onRefusal?.(refusalReport(env, error, null, node));
      throw error;
    }
    return new EnvironmentHandle(env, loaded, options, node);
  }

  static #load(env: EnvironmentConfig, evaluator: Evaluator | undefined, minSeq: number): Loaded {
    const served = currentBundle(env);
    if (served.state.seq < minSeq) throw new EnvironmentError("env/state-stale", `the state of environment '${env.name}' is at change ${served.state.seq}, older than change ${minSeq} already served here`, "an older state file was put back: restore the newest one, or promote again");
    return { set: policySetOf(served, evaluator), digest: served.digest, sources: served.bundle.sources, version: served.bundle.version, seq: served.state.seq, since: new Date().toISOString() };
  }

  /** The policy set to decide with. Read it once per decision. */
  current(): PolicySet {
    return this.#loaded.set;
  }

  /** The serving bundle's policy sources (what `current()` was compiled from). */
  get sources(): readonly PolicySource[] {
    return this.#loaded.sources;
  }

  /** The serving bundle's digest. */
  get digest(): string {
    return this.#loaded.digest;
  }

  /** The environment's default mode. */
  get mode(): "enforce" | "shadow" {
    return this.env.mode;
  }

  /** What this node serves, as it reports it (status.ts). */
  status(): NodeStatus {
    const l = this.#loaded;
    return { node: this.node, env: this.env.name, host: hostname(), pid: process.pid, digest: l.digest, version: l.version, seq: l.seq, since: l.since, refused: this.#refused, updated: new Date().toISOString() };
  }

  #report(): void {
    if (this.#options.reportStatus !== true) return;
    try {
      writeNodeStatus(this.env, this.status());
    } catch (err) {
      this.#options.onError?.(new EnvironmentError("env/state-damaged", `cannot write this node's status in ${this.env.state}: ${err instanceof Error ? err.message : String(err)}`), this.#loaded.digest);
    }
  }

  /**
   * Reads the bundle file again and swaps it in when it is the one the signed state names, verified
   * and loaded; otherwise the old set keeps serving and the refusal is returned (and passed to
   * onRefusal and onError). Never throws.
   */
  reload(): ReloadResult {
    let loaded: Loaded;
    try {
      loaded = EnvironmentHandle.#load(this.env, this.#options.evaluator, this.#loaded.seq);
    } catch (err) {
      const error = asEnvironmentError(err);
      this.#refused = { code: error.code, message: error.message, time: new Date().toISOString() };
      this.#report();
      this.#options.onRefusal?.(refusalReport(this.env, error, this.#loaded.digest, this.node));
      this.#options.onError?.(error, this.#loaded.digest);
      return { ok: false, error, serving: this.#loaded.digest };
    }
    if (loaded.digest === this.#loaded.digest) return { ok: true, changed: false, digest: loaded.digest };
    const previous = this.#loaded.digest;
    // The swap: one assignment, so no decision observes half of two bundles.
    this.#loaded = loaded;
    this.#report();
    this.#options.onReload?.(loaded.digest, previous);
    return { ok: true, changed: true, digest: loaded.digest };
  }

  /**
   * Reloads whenever the bundle file changes. The folder is watched rather than the file,
   * because bundles are replaced by rename and a watch on the old inode would go quiet.
   */
  watch(): void {
    if (this.#watcher) return;
    const name = basename(this.env.bundle);
    this.#watcher = watch(dirname(this.env.bundle), (_event, file) => {
      if (file !== null && file !== name) return;
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.reload(), this.#options.debounceMs ?? 50);
    });
    this.#watcher.on("error", (err) => this.#options.onError?.(asEnvironmentError(err), this.#loaded.digest));
  }

  /** Stops watching, and withdraws this node's status report. */
  close(): void {
    clearTimeout(this.#timer);
    this.#watcher?.close();
    this.#watcher = undefined;
    if (this.#options.reportStatus === true) removeNodeStatus(this.env, this.node);
  }
}

/** Options of openEnvironment. */
export interface OpenEnvironmentOptions extends Omit<HandleOptions, "onRefusal"> {
  /** Where refusals are recorded; default the environment's audit log (appendGovernanceRecord). */
  readonly recordRefusal?: (env: EnvironmentConfig, refusal: RefusalReport) => Promise<void>;
}

async function recordInLog(env: EnvironmentConfig, refusal: RefusalReport): Promise<void> {
  await appendGovernanceRecord(environmentLog(env), bundleRefusalRecord(env.name, refusal));
}

/**
 * The bundle loader for a process serving an environment (an SDK guard, `palisade serve --env`):
 * opens `name` of the config (a file or a loaded config) and records every refused bundle in the
 * environment's audit log — a refused start before it throws, a refused reload as it happens
 * (a failure to record goes to onError).
 */
export async function openEnvironment(config: EnvironmentsConfig | string, name: string, options: OpenEnvironmentOptions = {}): Promise<EnvironmentHandle> {
  const env = environment(typeof config === "string" ? loadEnvironmentsConfig(config) : config, name);
  const record = options.recordRefusal ?? recordInLog;
  let refused: RefusalReport | undefined;
  try {
    return EnvironmentHandle.open(env, {
      ...options,
      onRefusal: (r) => {
        // A refused start (nothing serving yet) is recorded below, before open's error is thrown.
        if (r.serving === null) refused = r;
        else record(env, r).catch((err: unknown) => options.onError?.(asEnvironmentError(err), r.serving ?? ""));
      },
    });
  } catch (err) {
    if (refused !== undefined) await record(env, refused);
    throw err;
  }
}
