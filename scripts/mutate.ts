// `npm run mutate [-- PART...] [-- --changed[=REF]] [-- --files=A,B] [-- --full] [-- --concurrency=N] [-- --timeout-ms=N] [-- --rescore] [-- --retest [--lines=A-B]]`: mutation
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
import { isEquivalent, PARTS, partsTouchedBy, scoreOf, useSources, type MutantOutcome, type Part, type PartScore } from "./mutation/parts.ts";

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
/** Scores one part's mutants, prints the survivors, and writes the part's entry of mutation.json. */
function report(name: string, part: Part, mutants: readonly MutantOutcome[], run: Pick<PartScore, "seconds" | "load_average_start" | "load_average_end" | "timeout_ms" | "files" | "only" | "retested">): void {
  // An incremental report keeps the results of files a part no longer mutates: they do not count.
  const mine = mutants.filter((m) => part.mutate.includes(relative(root, resolve(root, m.fileName))));
  const score = scoreOf(mine, part.floor, part.equivalent ?? []);
  const s: PartScore = { ...score, ...run };
  console.error(`mutate ${name}: score ${s.score}% (${s.killed} killed, ${s.timeout} timed out, ${s.survived} survived, ${s.no_coverage} without coverage, ${s.equivalent} equivalent) floor ${s.floor}% in ${s.seconds} s`);
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

/** One part's last JSON report, its mutants with their file names. */
function lastReport(name: string): { files: Record<string, { source: string; mutants: Omit<MutantOutcome, "fileName">[] }>; mutants: MutantOutcome[] } | undefined {
  const file = join(reportsDir, `${name}.json`);
  if (!existsSync(file)) return undefined;
  const r = JSON.parse(readFileSync(file, "utf8")) as { files: Record<string, { source: string; mutants: Omit<MutantOutcome, "fileName">[] }> };
  return { files: r.files, mutants: Object.entries(r.files).flatMap(([fileName, f]) => f.mutants.map((m) => ({ ...m, fileName }))) };
}
const samePlace = (a: MutantOutcome, b: MutantOutcome): boolean =>
  relative(root, resolve(root, a.fileName)) === relative(root, resolve(root, b.fileName)) && a.mutatorName === b.mutatorName && a.replacement === b.replacement && JSON.stringify(a.location) === JSON.stringify(b.location);

// --rescore: score each part again from its last JSON report (reports/mutation/PART.json) without
// running anything, as after listing an equivalent mutant; the run's time and load are kept.
if (flag("rescore") !== undefined) {
  const before = existsSync(resultsFile) ? ((JSON.parse(readFileSync(resultsFile, "utf8")) as { parts?: Record<string, PartScore> }).parts ?? {}) : {};
  for (const name of parts) {
    const r = lastReport(name);
    if (r === undefined) {
      console.error(`mutate: no report of '${name}' to rescore (reports/mutation/${name}.json): run it first`);
      failed = true;
      continue;
    }
    useSources(Object.fromEntries(Object.entries(r.files).map(([f, x]) => [f, x.source])));
    const { seconds, load_average_start, load_average_end, timeout_ms, files, only: o, retested } = before[name] ?? {};
    // A run narrowed by --files is rescored over the same files.
    const part = o === undefined ? PARTS[name] : { ...PARTS[name], mutate: PARTS[name].mutate.filter((f) => o.includes(f)) };
    report(name, part, r.mutants, { seconds, load_average_start, load_average_end, timeout_ms, files, retested, ...(o !== undefined ? { only: o } : {}) });
  }
  process.exit(failed ? 1 : 0);
}

// --retest: run again only the last report's survivors and mutants without coverage (after new
// tests were written for them), and merge their new status into that report. Valid only while
// the mutated files are as the report saw them; a full run (incremental) remains the reference.
const retest = flag("retest") !== undefined;

for (const name of parts) {
  const part = only === undefined ? PARTS[name] : { ...PARTS[name], mutate: PARTS[name].mutate.filter((f) => only.includes(f)) };
  if (part.mutate.length === 0) continue;
  let mutate = [...part.mutate];
  const previous = retest ? lastReport(name) : undefined;
  if (retest) {
    if (previous === undefined) throw new Error(`mutate: no report of '${name}' to retest: run it first`);
    for (const [f, { source }] of Object.entries(previous.files)) {
      if (part.mutate.includes(f) && readFileSync(resolve(root, f), "utf8") !== source) throw new Error(`mutate: ${f} changed since the last run of '${name}': run the part again (incremental) instead of --retest`);
    }
    useSources(Object.fromEntries(Object.entries(previous.files).map(([f, x]) => [f, x.source])));
    // --lines=A-B narrows a retest to the mutants starting on those lines (engineers splitting one file's survivors).
    const [from, to] = (flag("lines") ?? "-").split("-").map((x, i) => (x === "" ? [0, Infinity][i] : Number(x)));
    const open = previous.mutants.filter((m) => part.mutate.includes(m.fileName) && (m.status === "Survived" || m.status === "NoCoverage") && !isEquivalent(m, part.equivalent ?? []) && m.location.start.line >= from && m.location.start.line <= to);
    // Stryker's ranges: lines from 1, columns from 0.
    mutate = open.map((m) => `${m.fileName}:${m.location.start.line}:${m.location.start.column - 1}-${m.location.end.line}:${m.location.end.column - 1}`);
    console.error(`mutate ${name}: retesting ${open.length} survivors`);
    if (mutate.length === 0) continue;
  }
  const started = performance.now();
  const load = loadavg()[0];
  const stryker = new Stryker({
    mutate,
    testRunner: "tap",
    tap: {
      testFiles: [...part.tests],
      // The tests' own flags as test/run.ts gives them; the hook records which mutants a file reached.
      // scripts/mutation/no-shrink.ts: a failing property stops at its first counterexample.
      nodeArgs: ["--disable-warning=ExperimentalWarning", "--test-reporter=tap", "--import", "./scripts/mutation/no-shrink.ts", "-r", "{{hookFile}}", "{{testFile}}"],
      forceBail: true,
    },
    coverageAnalysis: "perTest",
    concurrency,
    incremental: !retest,
    force: full,
    incrementalFile: join(reportsDir, `${name}.incremental.json`),
    reporters: ["json", "progress-append-only"],
    jsonReporter: { fileName: join(reportsDir, retest ? `${name}.retest.json` : `${name}.json`) },
    tempDirName: join(".stryker-tmp", name),
    // Another part's sandbox (a run of it under way) is no input: copying it would copy files
    // that vanish mid-copy.
    ignorePatterns: ["/.stryker-tmp", "/reports/mutation"],
    // A mutant that makes a loop endless is a kill by timeout.
    timeoutMS,
    timeoutFactor: 2,
    ignoreStatic: true,
    cleanTempDir: "always",
    logLevel: "warn" as LogLevel,
  });
  const tenth = (x: number): number => Math.round(x * 10) / 10;
  const ran = (await stryker.runMutationTest()) as unknown as MutantOutcome[];
  if (previous !== undefined) {
    // Merge the retested mutants into the full report, which keeps the run's time and load.
    const merged = previous.mutants.map((m) => ran.find((n) => samePlace(m, n)) ?? m);
    const again = ran.filter((n) => previous.mutants.some((m) => samePlace(m, n)));
    console.error(`mutate ${name}: retested ${again.length}, now killed ${again.filter((m) => m.status === "Killed" || m.status === "Timeout").length}, in ${Math.round((performance.now() - started) / 1000)} s`);
    const file = join(reportsDir, `${name}.json`);
    const full = JSON.parse(readFileSync(file, "utf8")) as { files: Record<string, { mutants: { status: string }[] }> };
    for (const [f, entry] of Object.entries(full.files)) {
      entry.mutants = entry.mutants.map((m) => {
        const n = again.find((x) => samePlace({ ...(m as unknown as MutantOutcome), fileName: f }, x));
        return n === undefined ? m : { ...m, status: n.status };
      });
    }
    writeFileSync(file, JSON.stringify(full));
    const before = existsSync(resultsFile) ? ((JSON.parse(readFileSync(resultsFile, "utf8")) as { parts?: Record<string, PartScore> }).parts?.[name] ?? {}) : {};
    const { seconds, load_average_start, load_average_end, timeout_ms, files, only: o } = before as PartScore;
    const retested = { mutants: again.length, killed: again.filter((m) => m.status === "Killed" || m.status === "Timeout").length, seconds: Math.round((performance.now() - started) / 1000), load_average_start: tenth(load) };
    report(name, part, merged, { seconds, load_average_start, load_average_end, timeout_ms, files, retested, ...(o !== undefined ? { only: o } : {}) });
    continue;
  }
  const mutants = ran;
  // Places point into the sources the run mutated (its report holds them), not the files as they are now.
  const done = lastReport(name);
  if (done !== undefined) useSources(Object.fromEntries(Object.entries(done.files).map(([f, x]) => [f, x.source])));
  report(name, part, mutants, { seconds: Math.round((performance.now() - started) / 1000), load_average_start: tenth(load), load_average_end: tenth(loadavg()[0]), timeout_ms: timeoutMS, files: part.mutate.length, ...(only !== undefined ? { only: part.mutate } : {}) });
}
process.exitCode = failed ? 1 : 0;
