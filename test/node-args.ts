// The arguments test/run.ts gives `node --test`, kept apart so a test can run a fixture under the
// very same settings. Every test gets a timeout: a test that hangs fails, named by its file, instead of
// holding CI to its limit. A test that needs longer says so with its own `{ timeout }`.

/** The per-test timeout in milliseconds: PALISADE_TEST_TIMEOUT_MS, else two minutes. */
export function testTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PALISADE_TEST_TIMEOUT_MS;
  const ms = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(ms) && ms > 0 ? ms : 120_000;
}

/** `node` arguments that run `files` as node:test suites, two files at a time. */
export function nodeTestArgs(files: readonly string[], extra: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): string[] {
  return ["--disable-warning=ExperimentalWarning", "--test", "--test-concurrency=2", `--test-timeout=${testTimeoutMs(env)}`, ...extra, ...files];
}
