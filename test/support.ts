// Helpers every suite shares: where the shared vectors live, and the servers test/run.ts started.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { appStatus, childEnv, logFile, setupFailure, waitForApp } from "./package-app.ts";
import type { AppStatus } from "./package-app.ts";

/** The repository's root folder. */
export const repoRoot = resolve(import.meta.dirname, "..");

/**
 * `../shared/vectors`, beside the clone (or PALISADE_VECTORS_DIR: mutation testing runs the
 * tests in a copy of the tree); its absence fails the run rather than skipping suites.
 */
export const vectorsDir = process.env.PALISADE_VECTORS_DIR ?? resolve(repoRoot, "..", "shared", "vectors");

/** Reads and parses one vector file from `../shared/vectors`. */
export function readVectors<T = unknown>(name: string): T {
  const p = resolve(vectorsDir, name);
  if (!existsSync(p)) throw new Error(`vector file ${p} is missing: the tests read ../shared/vectors beside the clone`);
  return JSON.parse(readFileSync(p, "utf8")) as T;
}

/** The URL of the throwaway PostgreSQL server that test/run.ts started; fails when absent. */
export function pgUrl(): string {
  const url = process.env.PALISADE_TEST_PG_URL;
  if (!url) throw new Error("PALISADE_TEST_PG_URL is not set: run the PostgreSQL suites through `npm test` (test/run.ts starts the server)");
  return url;
}

/** Debian's Chromium, found (or installed) by test/run.ts. */
export function chromiumPath(): string {
  const p = process.env.PALISADE_CHROMIUM;
  if (!p) throw new Error("PALISADE_CHROMIUM is not set: run the browser suites through `npm test`");
  return p;
}

/**
 * A Node.js older than 22 on this machine (the system's, as a user's PATH may hold it), for the
 * tests of what such a Node is told. Fails with the command that installs one.
 */
export function olderNode(): { path: string; version: string } {
  const candidates = new Set(["/usr/bin/node", "/usr/local/bin/node"]);
  for (const p of spawnSync("which", ["-a", "node"], { encoding: "utf8" }).stdout?.split("\n") ?? []) if (p) candidates.add(p);
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    const r = spawnSync(path, ["-p", "process.versions.node"], { encoding: "utf8" });
    const version = r.stdout?.trim() ?? "";
    if (r.status === 0 && Number(version.split(".")[0]) < 22) return { path, version };
  }
  throw new Error(`no Node.js older than 22 found (looked at ${[...candidates].join(", ")}); install Debian's with: apt-get install -y nodejs`);
}

/** The packed package installed into a throwaway app (test/package-app.ts); see installedApp(). */
export interface InstalledApp {
  /**
   * The app folder: package.json and node_modules holding palisade and the frameworks. Other
   * suites use it at the same time: put your files in a folder of your own inside it
   * (`mkdtempSync(join(app.dir, "name-"))`), where Node and tsc find its node_modules.
   */
  readonly dir: string;
  /** The tarball `npm pack` made, and its size and file count as npm reported them. */
  readonly tarball: string;
  readonly size: number;
  readonly entryCount: number;
  /** An environment for processes run in the app: this Node (22) first on PATH, for `npx` and bin shebangs. */
  readonly env: NodeJS.ProcessEnv;
}

/**
 * The installed app test/run.ts prepares for `*.pkg.test.ts` files, once it is ready (the setup
 * runs while other suites do). Fails with the setup's log when it failed, and when the file is
 * not run through `npm test`.
 */
export async function installedApp(): Promise<InstalledApp> {
  const dir = process.env.PALISADE_TEST_APP;
  if (!dir) throw new Error("PALISADE_TEST_APP is not set: run the package suites (*.pkg.test.ts) through `npm test`, which packs and installs the package");
  const deadline = Date.now() + 600_000;
  let status: AppStatus | undefined;
  while ((status = appStatus(dir)) === undefined) {
    if (Date.now() > deadline) throw new Error(`the package app in ${dir} was not ready after 10 minutes; see ${logFile(dir)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  if (!status.ok) throw setupFailure(dir, status.error);
  return { dir, tarball: status.tarball, size: status.size, entryCount: status.entryCount, env: childEnv() };
}

/**
 * The `palisade` command a suite runs: the installed package's bin when the suite runs against
 * the installed package (test/installed-hooks.ts), else the CLI's sources. Run it with this Node.
 */
export function palisadeCli(): string {
  const app = process.env.PALISADE_TEST_INSTALLED;
  if (!app) return resolve(repoRoot, "engine", "cli", "main.ts");
  waitForApp(app);
  return resolve(app, "node_modules", "palisade", "bin", "palisade.js");
}
