// The arguments test/run.ts gives `node --test`, kept apart so a test can run a fixture under the
// very same settings. Every test file gets a timeout: a file that hangs fails, named, instead of
// holding CI to its 90-minute limit. Node applies --test-timeout to each file's process as a
// whole (files run isolated), so the limit bounds a whole file, with room for a loaded machine;
// tests inside a file set their own tighter `{ timeout }` where a hang is plausible.

/** The per-file timeout in milliseconds: PALISADE_TEST_TIMEOUT_MS, else ten minutes. */
export function testTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PALISADE_TEST_TIMEOUT_MS;
  const ms = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(ms) && ms > 0 ? ms : 600_000;
}

/** `node` arguments that run `files` as node:test suites, two files at a time. */
export function nodeTestArgs(files: readonly string[], extra: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): string[] {
  return ["--disable-warning=ExperimentalWarning", "--test", "--test-concurrency=2", `--test-timeout=${testTimeoutMs(env)}`, ...extra, ...files];
}
