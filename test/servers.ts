// The real servers suites and benchmarks need, brought up the same way for both: a throwaway
// PostgreSQL on loopback (Debian's package, installed when missing and allowed) and Debian's
// Chromium. A missing server ends the process with the command that installs it.
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

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

/** A running throwaway PostgreSQL server. */
export interface Postgres { url: string; stop(): void }

/** Starts a throwaway PostgreSQL cluster on a free loopback port. */
export async function startPostgres(): Promise<Postgres> {
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

/** The path of Debian's Chromium, installed when missing and allowed. */
export function ensureChromium(): string {
  const path = process.env.PALISADE_CHROMIUM ?? "/usr/bin/chromium";
  if (!existsSync(path)) aptInstall("chromium");
  if (!existsSync(path) || !statSync(path).isFile()) fail(`chromium not found at ${path}; run: apt-get install -y chromium`);
  return path;
}

