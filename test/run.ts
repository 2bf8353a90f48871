// The project's test command: finds every `*.test.ts` beside the code, brings up the real
// servers the suites need (a throwaway PostgreSQL on loopback, Debian's Chromium, the packed
// package installed into a throwaway app for `*.pkg.test.ts`: see test/package-app.ts), runs
// node:test over them, and tears the servers down. A missing server fails the run with the
// command that installs it: no suite is skipped silently.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, chownSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { nodeTestArgs } from "./node-args.ts";
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
const isRoot = process.getuid?.() === 0;
const aptAllowed = isRoot && process.env.PALISADE_NO_APT !== "1";
let aptUpdated = false;

function fail(message: string): never {
  console.error(`test setup: ${message}`);
  process.exit(1);
}

function aptInstall(pkg: string): void {
  if (!aptAllowed) fail(`${pkg} is missing; install it with: sudo apt-get update && sudo apt-get install -y ${pkg}`);
  console.error(`test setup: installing Debian's ${pkg} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (!aptUpdated) {
    const u = spawnSync("apt-get", ["update", "-q"], { stdio: ["ignore", "ignore", "inherit"], env });
    if (u.status !== 0) fail(`apt-get update failed; run: apt-get update && apt-get install -y ${pkg}`);
    aptUpdated = true;
  }
  const r = spawnSync("apt-get", ["install", "-y", "-q", "--no-install-recommends", pkg], { stdio: ["ignore", "ignore", "inherit"], env });
  if (r.status !== 0) fail(`apt-get install ${pkg} failed; run: apt-get update && apt-get install -y ${pkg}`);
}

function findPgBin(): string | undefined {
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).filter((v) => existsSync(join(base, v, "bin", "initdb"))).sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(base, versions[0], "bin") : undefined;
}

function freePort(): Promise<number> {
  return new Promise((ok, ko) => {
    const s = createServer();
    s.once("error", ko);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => ok(port));
    });
  });
}

interface Postgres { url: string; stop(): void }

async function startPostgres(): Promise<Postgres> {
  let bin = findPgBin();
  if (!bin) {
    aptInstall("postgresql");
    bin = findPgBin();
    if (!bin) fail("postgresql installed but initdb not found under /usr/lib/postgresql/*/bin");
  }
  const dir = mkdtempSync(join(tmpdir(), "palisade-pg-"));
  const data = join(dir, "data");
  // PostgreSQL refuses to run as root: run it as the `postgres` user Debian creates.
  const asUser = (cmd: string, argv: string[]) => (isRoot ? ["runuser", ["-u", "postgres", "--", cmd, ...argv]] as const : [cmd, argv] as const);
  if (isRoot) {
    const id = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
    const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
    if (id.status !== 0) fail("the postgres user is missing; run: apt-get install -y postgresql");
    chownSync(dir, Number(id.stdout.trim()), Number(gid.stdout.trim()));
  }
  const [c1, a1] = asUser(join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  const init = spawnSync(c1, a1, { encoding: "utf8" });
  if (init.status !== 0) fail(`initdb failed:\n${init.stderr}`);
  const port = await freePort();
  const opts = `-k ${dir} -h 127.0.0.1 -p ${port} -c fsync=on -c max_connections=200`;
  const [c2, a2] = asUser(join(bin, "pg_ctl"), ["-D", data, "-o", opts, "-l", join(dir, "log"), "-w", "start"]);
  const start = spawnSync(c2, a2, { encoding: "utf8" });
  if (start.status !== 0) fail(`pg_ctl start failed:\n${start.stderr}${start.stdout}`);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      const [c3, a3] = asUser(join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "stop"]);
      spawnSync(c3, a3);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function ensureChromium(): string {
  const path = process.env.PALISADE_CHROMIUM ?? "/usr/bin/chromium";
  if (!existsSync(path)) aptInstall("chromium");
  if (!existsSync(path) || !statSync(path).isFile()) fail(`chromium not found at ${path}; run: apt-get install -y chromium`);
  return path;
}

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
