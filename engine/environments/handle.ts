// How a guard or service holds its environment's policies: one reference to a fully loaded,
// verified PolicySet, replaced in a single assignment once a new bundle has loaded completely.
//
// Invariant relied on by callers: a decision reads `current()` once and decides with that set
// only, so it never sees half of two bundles; a reload that fails leaves the reference as it was.
import { watch } from "node:fs";
import type { FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import type { Evaluator, PolicySet, PolicySource } from "../runtime/policy-set.ts";
import { policySetOf } from "./bundle.ts";
import type { EnvironmentConfig } from "./config.ts";
import { EnvironmentError } from "./errors.ts";
import { currentBundle } from "./state.ts";

/** What a reload did. */
export type ReloadResult =
  | { readonly ok: true; readonly changed: boolean; readonly digest: string }
  | { readonly ok: false; readonly error: EnvironmentError; readonly serving: string };

/** A bundle loaded for serving. */
interface Loaded {
  readonly set: PolicySet;
  readonly digest: string;
  readonly sources: readonly PolicySource[];
}

/** Options of an EnvironmentHandle. */
export interface HandleOptions {
  /** Called after a new bundle replaced the old one. */
  readonly onReload?: (digest: string, previous: string) => void;
  /** Called when a bundle failed to load; the old one keeps serving. */
  readonly onError?: (error: EnvironmentError, serving: string) => void;
  readonly evaluator?: Evaluator;
  /** Milliseconds to let a burst of file events settle before reloading (default 50). */
  readonly debounceMs?: number;
}

function asEnvironmentError(err: unknown): EnvironmentError {
  return err instanceof EnvironmentError ? err : new EnvironmentError("bundle/malformed", err instanceof Error ? err.message : String(err));
}

/** An environment's serving policy set, hot-reloadable. */
export class EnvironmentHandle {
  /** The environment served. */
  readonly env: EnvironmentConfig;
  readonly #options: HandleOptions;
  /** Set, digest and sources together: a swap is one assignment. */
  #loaded: Loaded;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;

  private constructor(env: EnvironmentConfig, loaded: Loaded, options: HandleOptions) {
    this.env = env;
    this.#loaded = loaded;
    this.#options = options;
  }

  /** Loads the environment's bundle. Throws EnvironmentError when it is missing, unsigned, untrusted, tampered or does not check. */
  static open(env: EnvironmentConfig, options: HandleOptions = {}): EnvironmentHandle {
    return new EnvironmentHandle(env, EnvironmentHandle.#load(env, options.evaluator), options);
  }

  static #load(env: EnvironmentConfig, evaluator: Evaluator | undefined): Loaded {
    const verified = currentBundle(env);
    return { set: policySetOf(verified, evaluator), digest: verified.digest, sources: verified.bundle.sources };
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

  /**
   * Reads the bundle file again and swaps it in when it verified and loaded; otherwise the old
   * set keeps serving and the error is returned (and passed to onError). Never throws.
   */
  reload(): ReloadResult {
    let loaded: Loaded;
    try {
      loaded = EnvironmentHandle.#load(this.env, this.#options.evaluator);
    } catch (err) {
      const error = asEnvironmentError(err);
      this.#options.onError?.(error, this.#loaded.digest);
      return { ok: false, error, serving: this.#loaded.digest };
    }
    if (loaded.digest === this.#loaded.digest) return { ok: true, changed: false, digest: loaded.digest };
    const previous = this.#loaded.digest;
    // The swap: one assignment, so no decision observes half of two bundles.
    this.#loaded = loaded;
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

  /** Stops watching. */
  close(): void {
    clearTimeout(this.#timer);
    this.#watcher?.close();
    this.#watcher = undefined;
  }
}
