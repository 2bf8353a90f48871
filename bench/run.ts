// `npm run bench [-- --json] [-- --runs=N] [-- SUITE...]`: runs the benchmark suites in this
// process and prints their figures (ratios against peers where a suite has them). With --json each
// suite's figures are also written to bench/results/<suite>.json, the files the issues ask for.
// Each suite runs N times (default 3 with --json, else 1): a figure is the median of its runs,
// `spread` holds its [min, max], `runs` and `load_average` say how and where it was measured.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { foldRuns } from "./runs.ts";

interface Suite {
  /** The results file name (bench/results/<out>.json). */
  readonly out: string;
  /** Modules and the async function each exports; their figures are merged. */
  readonly parts: readonly { readonly file: string; readonly fn: string }[];
  /** With --json, a module's function that is given the figures once they are written (the README's generated table). */
  readonly afterJson?: { readonly file: string; readonly fn: string };
}

const suites: Record<string, Suite> = {
  audit: { out: "audit", parts: [{ file: "audit-store.ts", fn: "benchAuditStore" }, { file: "audit-core.ts", fn: "benchAuditCore" }] },
  monitor: { out: "monitor", parts: [{ file: "monitor.ts", fn: "benchMonitor" }] },
  stdlib: { out: "stdlib", parts: [{ file: "stdlib.ts", fn: "benchStdlib" }] },
  language: { out: "language", parts: [{ file: "language.ts", fn: "benchLanguage" }] },
  engine: { out: "engine", parts: [{ file: "engine.ts", fn: "benchEngine" }] },
  sdk: { out: "sdk", parts: [{ file: "sdk.ts", fn: "benchSdk" }] },
  serve: { out: "serve", parts: [{ file: "serve.ts", fn: "benchServe" }] },
  python: { out: "python", parts: [{ file: "python.ts", fn: "benchPython" }] },
  provenance: { out: "provenance", parts: [{ file: "provenance.ts", fn: "benchProvenance" }] },
  agentdojo: { out: "agentdojo", parts: [{ file: "agentdojo.ts", fn: "benchAgentDojo" }] },
  peers: { out: "peers", parts: [{ file: "peers/peers.ts", fn: "benchPeers" }], afterJson: { file: "peers/table.ts", fn: "writeReadmeTable" } },
};

const args = process.argv.slice(2);
const json = args.includes("--json");
const runsArg = args.find((a) => a.startsWith("--runs="));
const runs = runsArg === undefined ? (json ? 3 : 1) : Number(runsArg.slice("--runs=".length));
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`bench: --runs takes a whole number of runs, got '${runsArg}'`);
  process.exit(2);
}
const wanted = args.filter((a) => !a.startsWith("--"));
for (const w of wanted) {
  if (!Object.hasOwn(suites, w)) {
    console.error(`bench: unknown suite '${w}' (known: ${Object.keys(suites).join(", ")})`);
    process.exit(2);
  }
}
const here = import.meta.dirname;
const resultsDir = join(here, "results");
let failed = false;

/** One run of a suite's parts in this process: its figures, or undefined when a part is missing. */
async function runOnce(name: string, suite: Suite, label: string): Promise<Record<string, unknown> | undefined> {
  const one: Record<string, unknown> = {};
  for (const part of suite.parts) {
    const file = resolve(here, part.file);
    if (!existsSync(file)) {
      console.error(`bench ${name}: ${part.file} is missing`);
      return undefined;
    }
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const fn = mod[part.fn];
    if (typeof fn !== "function") {
      console.error(`bench ${name}: ${part.file} does not export ${part.fn}()`);
      return undefined;
    }
    const started = performance.now();
    Object.assign(one, (await (fn as () => Promise<Record<string, unknown>>)()) ?? {});
    console.error(`bench ${name}: ${part.file} took ${((performance.now() - started) / 1000).toFixed(1)} s (${label})`);
  }
  return one;
}

// A child run: `--one=SUITE --out=FILE` runs the suite once and writes its figures to FILE.
const oneArg = args.find((a) => a.startsWith("--one="));
if (oneArg !== undefined) {
  const name = oneArg.slice("--one=".length);
  const out = args.find((a) => a.startsWith("--out="))?.slice("--out=".length);
  const figures = Object.hasOwn(suites, name) && out !== undefined ? await runOnce(name, suites[name], args.find((a) => a.startsWith("--label="))?.slice("--label=".length) ?? "run") : undefined;
  if (figures === undefined || out === undefined) process.exit(1);
  writeFileSync(out, JSON.stringify(figures));
  process.exit(0);
}

for (const [name, suite] of Object.entries(suites)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  const load = loadavg()[0];
  const each: Record<string, unknown>[] = [];
  // Each run in a fresh process: one run's JIT state, caches and heap cannot shape the next
  // (and V8 22's deoptimizer once aborted the engine suite's second run in one process).
  const tmp = mkdtempSync(join(tmpdir(), "palisade-bench-"));
  for (let run = 1; run <= runs; run++) {
    const out = join(tmp, `${run}.json`);
    const child = spawnSync(process.execPath, [...process.execArgv, import.meta.filename, `--one=${name}`, `--out=${out}`, `--label=run ${run} of ${runs}`], { stdio: "inherit" });
    if (child.status !== 0 || !existsSync(out)) {
      console.error(`bench ${name}: run ${run} of ${runs} failed (${child.signal ?? `exit ${child.status}`})`);
      failed = true;
      continue;
    }
    each.push(JSON.parse(readFileSync(out, "utf8")) as Record<string, unknown>);
  }
  rmSync(tmp, { recursive: true, force: true });
  if (each.length === 0) continue;
  const folded = foldRuns(each);
  const figures: Record<string, unknown> = { ...folded.figures, runs, spread: folded.spread, load_average: { start: Number(load.toFixed(1)), end: Number(loadavg()[0].toFixed(1)), cores: availableParallelism() } };
  console.log(`\n== ${name}`);
  for (const [k, v] of Object.entries(folded.figures)) console.log(`  ${k.padEnd(44)} ${typeof v === "number" ? fmt(v) : JSON.stringify(v)}`);
  if (json) {
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(join(resultsDir, `${suite.out}.json`), `${JSON.stringify(figures, null, 2)}\n`);
    if (suite.afterJson) {
      const mod = (await import(pathToFileURL(resolve(here, suite.afterJson.file)).href)) as Record<string, (f: Record<string, unknown>) => void>;
      mod[suite.afterJson.fn](figures);
    }
  }
}
process.exitCode = failed ? 1 : 0;

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString("en-US");
  return n.toPrecision(4);
}
