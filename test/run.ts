// The project's test command: finds every `*.test.ts` beside the code, brings up the real
// servers the suites need (a throwaway PostgreSQL on loopback, Debian's Chromium, the packed
// package installed into a throwaway app for `*.pkg.test.ts`: see test/package-app.ts), runs
// node:test over them, and tears the servers down. A missing server fails the run with the
// command that installs it: no suite is skipped silently.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { nodeTestArgs } from "./node-args.ts";
import { ensureChromium, startPostgres } from "./servers.ts";
import type { Postgres } from "./servers.ts";
import { startPackageApp } from "./package-app.ts";
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
// The app is packed and installed while the other suites run; its suites go last to meet it ready.
files = [...files.filter((f) => !isPkg(f)), ...files.filter(isPkg)];
const env: NodeJS.ProcessEnv = { ...process.env, PALISADE_TEST: "1" };
let pg: Postgres | undefined;
if (needsPostgres) {
  pg = await startPostgres();
  env.PALISADE_TEST_PG_URL = pg.url;
}
if (needsChromium) env.PALISADE_CHROMIUM = ensureChromium();
let app: PackageApp | undefined;
if (files.some(isPkg)) {
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

const nodeArgs = nodeTestArgs(files, args.filter((a) => a.startsWith("--")), env);
const child = spawn(process.execPath, nodeArgs, { stdio: "inherit", env, cwd: root });
let appStatus: AppStatus | undefined;
void app?.done.then((s) => (appStatus = s));
child.on("exit", (code, signal) => {
  if (appStatus?.ok) console.error(`test setup: packed palisade (${(appStatus.size / 1000).toFixed(0)} kB, ${appStatus.entryCount} files) in ${(appStatus.packMs / 1000).toFixed(1)} s; installed the app in ${(appStatus.installMs / 1000).toFixed(1)} s`);
  cleanup();
  process.exit(code ?? (signal ? 1 : 0));
});
