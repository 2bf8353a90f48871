// `npm run mutate [-- PART...] [-- --changed[=REF]] [-- --files=A,B] [-- --full] [-- --concurrency=N] [-- --timeout-ms=N]`: mutation
// testing of the core parts with StrykerJS. Each part names the files whose mutants count and the
// test files that may kill them; Stryker's tap runner runs each test file as its own node:test
// process (TAP out), learns in a first run which files reach which mutants, and then runs only
// those files against each mutant. Results are incremental (reports/mutation/PART.incremental.json):
// a rerun tests only mutants whose code or covering tests changed. The score of each part goes to
// bench/results/mutation.json; a part under its floor fails the command. Policy: spec/testing.md.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, relative, resolve } from "node:path";
import type { LogLevel } from "@stryker-mutator/api/core";
import { PARTS, partsTouchedBy, scoreOf, type MutantOutcome, type PartScore } from "./mutation/parts.ts";

const root = resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const a = args.find((x) => x === `--${name}` || x.startsWith(`--${name}=`));
  return a === undefined ? undefined : a.includes("=") ? a.slice(a.indexOf("=") + 1) : "";
};
const named = args.filter((a) => !a.startsWith("--"));
for (const n of named) {
  if (!Object.hasOwn(PARTS, n)) {
    console.error(`mutate: unknown part '${n}' (known: ${Object.keys(PARTS).join(", ")})`);
    process.exit(2);
  }
}

let parts = named.length > 0 ? named : Object.keys(PARTS);
const changed = flag("changed");
if (changed !== undefined) {
  const base = changed === "" ? "main" : changed;
  const files = execFileSync("git", ["diff", "--name-only", `${base}...HEAD`], { cwd: root, encoding: "utf8" }).split("\n").filter(Boolean);
  const dirty = execFileSync("git", ["diff", "--name-only", "HEAD"], { cwd: root, encoding: "utf8" }).split("\n").filter(Boolean);
  const touched = partsTouchedBy([...files, ...dirty]);
  parts = parts.filter((p) => touched.includes(p));
  console.error(`mutate: parts touched since ${base}: ${parts.length > 0 ? parts.join(", ") : "none"}`);
}
// Two workers at most: the machine (and CI) has 2 cores shared with other work.
const concurrency = Number(flag("concurrency") ?? Math.min(2, cpus().length));
const full = flag("full") !== undefined;
// --files narrows each part to the named files it mutates (quick checks while writing tests);
// such a run's score is the narrowed one, and mutation.json says which files it covered.
const only = flag("files")?.split(",").filter(Boolean);
// A mutant's time limit is timeoutFactor x its covering tests' time in the first run, plus this.
// The tests of a part take 0.1 to 12 s each; a mutant that loops forever waits out the whole limit,
// so a minute per timeout made a part with 18 looping mutants take 18 minutes more. Ten seconds
// still leaves a loaded machine twice the tests' own time and more.
const timeoutMS = Number(flag("timeout-ms") ?? 10_000);

const reportsDir = join(root, "reports", "mutation");
mkdirSync(reportsDir, { recursive: true });
const resultsFile = join(root, "bench", "results", "mutation.json");

// Imported late: only this command needs Stryker, and it is a dev dependency.
const { Stryker } = await import("@stryker-mutator/core");
const version = (JSON.parse(readFileSync(join(root, "node_modules", "@stryker-mutator", "core", "package.json"), "utf8")) as { version: string }).version;

// The sandbox sits inside the worktree, one folder deeper, so the tests are told where
// `../shared/vectors` is (test/support.ts reads PALISADE_VECTORS_DIR).
process.env.PALISADE_VECTORS_DIR ??= resolve(root, "..", "shared", "vectors");
process.env.PALISADE_TEST = "1";
// Tests whose properties dominate a part's time run fewer cases under mutation (engine/compile/test/compile.test.ts).
process.env.PALISADE_MUTATION = "1";

let failed = false;
for (const name of parts) {
  const part = only === undefined ? PARTS[name] : { ...PARTS[name], mutate: PARTS[name].mutate.filter((f) => only.includes(f)) };
  if (part.mutate.length === 0) continue;
  const started = performance.now();
  const load = loadavg()[0];
  const stryker = new Stryker({
    mutate: [...part.mutate],
    testRunner: "tap",
    tap: {
      testFiles: [...part.tests],
      // The tests' own flags as test/run.ts gives them; the hook records which mutants a file reached.
      nodeArgs: ["--disable-warning=ExperimentalWarning", "--test-reporter=tap", "-r", "{{hookFile}}", "{{testFile}}"],
      forceBail: true,
    },
    coverageAnalysis: "perTest",
    concurrency,
    incremental: true,
    force: full,
    incrementalFile: join(reportsDir, `${name}.incremental.json`),
    reporters: ["json", "progress-append-only"],
    jsonReporter: { fileName: join(reportsDir, `${name}.json`) },
    tempDirName: join(".stryker-tmp", name),
    // A mutant that makes a loop endless is a kill by timeout.
    timeoutMS,
    timeoutFactor: 2,
    ignoreStatic: true,
    cleanTempDir: "always",
    logLevel: "warn" as LogLevel,
  });
  const mutants = (await stryker.runMutationTest()) as unknown as MutantOutcome[];
  const score = scoreOf(mutants, part.floor, part.equivalent ?? []);
  const s: PartScore = { ...score, seconds: Math.round((performance.now() - started) / 1000), load_average_start: Math.round(load * 10) / 10, files: part.mutate.length, ...(only !== undefined ? { only: part.mutate } : {}) };
  console.error(`mutate ${name}: score ${s.score}% (${s.killed} killed, ${s.survived} survived, ${s.no_coverage} without coverage, ${s.equivalent} equivalent) floor ${s.floor}% in ${s.seconds} s`);
  for (const m of score.survivors) console.error(`  survived: ${m}`);
  if (s.score < s.floor) {
    console.error(`mutate ${name}: ${s.score}% is under the floor of ${s.floor}%: kill the survivors above with tests, or list an equivalent one with its reason in scripts/mutation/parts.ts`);
    failed = true;
  }
  // Read again before writing: another `npm run mutate` of other parts may have written since.
  const now = existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, "utf8")) as { parts?: Record<string, PartScore> }) : {};
  writeFileSync(resultsFile, `${JSON.stringify({ tool: `StrykerJS ${version} (tap runner over node:test)`, policy: "spec/testing.md", parts: { ...(now.parts ?? {}), [name]: s } }, null, 2)}\n`);
  console.error(`mutate ${name}: ${relative(root, resultsFile)} updated`);
}
process.exitCode = failed ? 1 : 0;
