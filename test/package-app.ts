// The installed app that suites named `*.pkg.test.ts` run against: Palisade as a user gets it.
// test/run.ts calls startPackageApp() once per `npm test` run when any such file is selected:
//
//   1. `npm pack` in the repository (its `prepack` runs `npm run build`, so this is the tarball
//      npm would publish);
//   2. `npm install` of that tarball into a throwaway app folder under the OS temp dir, with the
//      frameworks the adapters target as the app's own dependencies, at the versions the
//      repository's node_modules hold (one copy of each: Palisade only declares them as peers),
//      plus TypeScript and the types a strict app needs.
//
// It runs in the background while the other suites do (run.ts puts the `*.pkg.test.ts` files
// last), and its outcome lands in `ready.json` beside the app folder. Suites reach the app
// through `installedApp()` from test/support.ts, which waits for that file and fails loudly
// (with the setup log) when the setup failed or `npm test` did not start it. Only the npm
// registry is contacted, through npm's cache (`--prefer-offline`): a second run reuses it.
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/**
 * Packages the app depends on besides Palisade, at the version the repository has installed:
 * every framework Palisade declares as a peer (so a new adapter's framework comes with it), zod
 * (the frameworks' schemas), LangGraph (the LangChain adapter's tests resume an agent through
 * its checkpointer), and TypeScript with Node's types for the strict type-check.
 */
export function appPackages(root: string): string[] {
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { peerDependencies?: Record<string, string> };
  return [...Object.keys(manifest.peerDependencies ?? {}), "zod", "@langchain/langgraph", "typescript", "@types/node"];
}

// The AI SDK's own declarations import `json-schema`'s types; a strict app that also checks
// libraries' declarations (skipLibCheck: false) needs them, as any user of `ai` would.
const EXTRA_PACKAGES: Readonly<Record<string, string>> = { "@types/json-schema": "7.0.15" };

/** A framework adapter's suite, by its path from the repository root: run against the app (test/installed-hooks.ts). */
export const ADAPTER_SUITE = /^engine\/sdk\/[^/]+\/test\/[^/]+\.test\.ts$/;

/** What `ready.json` holds once the setup ends. */
export type AppStatus =
  | { readonly ok: true; readonly tarball: string; readonly size: number; readonly unpackedSize: number; readonly entryCount: number; readonly packMs: number; readonly installMs: number }
  | { readonly ok: false; readonly error: string };

/** The status file of the app in `appDir`. */
export function statusFile(appDir: string): string {
  return join(dirname(appDir), "ready.json");
}

/** The setup's log (npm's output) for the app in `appDir`. */
export function logFile(appDir: string): string {
  return join(dirname(appDir), "setup.log");
}

/** The app's status once its setup has ended, or undefined while it runs. */
export function appStatus(appDir: string): AppStatus | undefined {
  return existsSync(statusFile(appDir)) ? (JSON.parse(readFileSync(statusFile(appDir), "utf8")) as AppStatus) : undefined;
}

/** Why a finished setup failed, with the end of its log. */
export function setupFailure(appDir: string, error: string): Error {
  const log = existsSync(logFile(appDir)) ? readFileSync(logFile(appDir), "utf8").split("\n").slice(-40).join("\n") : "";
  return new Error(`the package app could not be set up: ${error}\n${log}`);
}

const SETUP_LIMIT_MS = 600_000;

/**
 * Blocks until the app in `appDir` is set up, for code that cannot wait asynchronously (module
 * resolution hooks); throws when the setup failed or took longer than ten minutes.
 */
export function waitForApp(appDir: string): void {
  const deadline = Date.now() + SETUP_LIMIT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  let status: AppStatus | undefined;
  while ((status = appStatus(appDir)) === undefined) {
    if (Date.now() > deadline) throw new Error(`the package app in ${appDir} was not ready after 10 minutes; see ${logFile(appDir)}`);
    Atomics.wait(pause, 0, 0, 250);
  }
  if (!status.ok) throw setupFailure(appDir, status.error);
}

/** A running setup: the app folder to hand to suites, and how to stop and remove it. */
export interface PackageApp {
  readonly dir: string;
  /** Resolves once ready.json is written (success or failure). */
  readonly done: Promise<AppStatus>;
  /** Stops a setup still running and removes the folder. */
  cleanup(): void;
}

// npm as the running `npm test` found it. Child processes get none of its `npm_*` variables,
// which describe the outer run (its prefix, its script) and would mislead an npm run in the app.
function npmCommand(): [string, string[]] {
  const cli = process.env.npm_execpath;
  return cli ? [process.execPath, [cli]] : ["npm", []];
}

/** The environment of processes run for or in the app. */
export function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  // Scripts and bin shebangs (`#!/usr/bin/env node`) must find this Node (22), not the system's.
  env.PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ""}`;
  return env;
}

/** Starts packing and installing; see the top of this file. */
export function startPackageApp(root: string): PackageApp {
  const base = mkdtempSync(join(tmpdir(), "palisade-pkg-"));
  const dir = join(base, "app");
  mkdirSync(dir);
  const log = openSync(logFile(dir), "a");
  const running = new Set<ReturnType<typeof spawn>>();

  const npm = (args: string[], cwd: string, stdout: number): Promise<void> =>
    new Promise((ok, ko) => {
      const [cmd, pre] = npmCommand();
      const child = spawn(cmd, [...pre, ...args], { cwd, env: childEnv(), stdio: ["ignore", stdout, log] });
      running.add(child);
      const timer = setTimeout(() => child.kill("SIGTERM"), 300_000);
      child.on("error", ko);
      child.on("exit", (code, signal) => {
        clearTimeout(timer);
        running.delete(child);
        if (code === 0) ok();
        else ko(new Error(`npm ${args[0]} ${signal ? `was stopped (${signal})` : `exited with ${code}`}; its output is in ${logFile(dir)}`));
      });
    });

  const version = (pkg: string): string => (JSON.parse(readFileSync(join(root, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;

  const done = (async (): Promise<AppStatus> => {
    let status: AppStatus;
    try {
      const t0 = Date.now();
      const packOut = join(base, "pack.json");
      const fd = openSync(packOut, "w");
      try {
        await npm(["pack", "--json", "--pack-destination", base, "--loglevel=error"], root, fd);
      } finally {
        closeSync(fd);
      }
      const [packed] = JSON.parse(readFileSync(packOut, "utf8")) as { filename: string; size: number; unpackedSize: number; entryCount: number }[];
      if (!packed) throw new Error("npm pack printed no tarball");
      const tarball = join(base, packed.filename);
      const t1 = Date.now();
      const dependencies: Record<string, string> = { palisade: `file:${tarball}`, ...EXTRA_PACKAGES };
      for (const p of appPackages(root)) dependencies[p] = version(p);
      writeFileSync(join(dir, "package.json"), `${JSON.stringify({ name: "palisade-test-app", private: true, type: "module", dependencies }, null, 2)}\n`);
      await npm(["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], dir, log);
      status = { ok: true, tarball, size: packed.size, unpackedSize: packed.unpackedSize, entryCount: packed.entryCount, packMs: t1 - t0, installMs: Date.now() - t1 };
    } catch (err) {
      status = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    writeFileSync(statusFile(dir), JSON.stringify(status));
    return status;
  })();

  return {
    dir,
    done,
    cleanup() {
      for (const c of running) c.kill("SIGTERM");
      try {
        closeSync(log);
      } catch {
        // already closed
      }
      rmSync(base, { recursive: true, force: true });
    },
  };
}
