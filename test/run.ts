// The project's test command: finds every `*.test.ts` beside the code, brings up the real
// servers the suites need (a throwaway PostgreSQL on loopback, Debian's Chromium, the packed
// package installed into a throwaway app for `*.pkg.test.ts`: see test/package-app.ts), runs
// node:test over them, and tears the servers down. When the app is set up, the framework
// adapters' suites run against it instead of the sources (test/installed-hooks.ts). A missing
// server fails the run with the command that installs it: no suite is skipped silently.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { nodeTestArgs } from "./node-args.ts";
import { ensureChromium, startPostgres } from "./servers.ts";
import type { Postgres } from "./servers.ts";
import { ADAPTER_SUITE, startPackageApp } from "./package-app.ts";
import type { AppStatus, PackageApp } from "./package-app.ts";

const root = resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith("--"));

function findTests(dir: string, out: string[]): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) findTests(p, out);
    else if (entry.name.endsWith(".test.ts") && p.includes(`${"/"}test${"/"}`)) out.push(p);
  }
  return out;
}

let files = findTests(root, []).sort();
if (filters.length > 0) files = files.filter((f) => filters.some((x) => relative(root, f).includes(x)));
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}

const needsPostgres = files.some((f) => /\.pg\.test\.ts$/.test(f) || f.includes("postgres"));
const needsChromium = files.some((f) => /\.browser\.test\.ts$/.test(f));
const isPkg = (f: string) => /\.pkg\.test\.ts$/.test(f);
// Any run that reaches the installed app (a package suite, or the whole suite) runs the adapters'
// suites against it; a run of those suites alone tests the sources, with no packing.
const withApp = files.some(isPkg);
const needsApp = (f: string) => isPkg(f) || (withApp && ADAPTER_SUITE.test(relative(root, f)));
// The app is packed and installed while the other suites run; the suites that need it run after
// them, in a second `node --test` (which orders the files it is given by name, so a single run
// could start them first and have them wait for the app while holding both slots).
const phases = [files.filter((f) => !needsApp(f)), files.filter(needsApp)].filter((p) => p.length > 0);
const env: NodeJS.ProcessEnv = { ...process.env, PALISADE_TEST: "1" };
let pg: Postgres | undefined;
if (needsPostgres) {
  pg = await startPostgres();
  env.PALISADE_TEST_PG_URL = pg.url;
}
if (needsChromium) env.PALISADE_CHROMIUM = ensureChromium();
let app: PackageApp | undefined;
if (withApp) {
  app = startPackageApp(root);
  env.PALISADE_TEST_APP = app.dir;
}

const cleanup = () => {
  pg?.stop();
  app?.cleanup();
  pg = undefined;
  app = undefined;
};
// However the run ends, the servers, the app setup's npm and its folder go with it.
process.on("exit", cleanup);
process.on("SIGINT", () => { cleanup(); process.exit(130); });
process.on("SIGTERM", () => { cleanup(); process.exit(143); });

const hooks = withApp ? [`--import=${pathToFileURL(join(root, "test", "installed-hooks.ts")).href}`] : [];
const flags = args.filter((a) => a.startsWith("--"));
const runPhase = (phase: string[]): Promise<number> =>
  new Promise((done) => {
    const child = spawn(process.execPath, nodeTestArgs(phase, [...(phase.some(needsApp) ? hooks : []), ...flags], env), { stdio: "inherit", env, cwd: root });
    child.on("exit", (code, signal) => done(code ?? (signal ? 1 : 0)));
  });
let appStatus: AppStatus | undefined;
void app?.done.then((s) => (appStatus = s));
let code = 0;
for (const phase of phases) code = Math.max(code, await runPhase(phase));
if (appStatus?.ok) console.error(`test setup: packed palisade (${(appStatus.size / 1000).toFixed(0)} kB, ${appStatus.entryCount} files) in ${(appStatus.packMs / 1000).toFixed(1)} s; installed the app in ${(appStatus.installMs / 1000).toFixed(1)} s`);
cleanup();
process.exit(code);
