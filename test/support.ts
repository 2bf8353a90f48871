// Helpers every suite shares: where the shared vectors live, and the servers test/run.ts started.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

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
