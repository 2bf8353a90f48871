// A real C2SP tlog-witness for the interoperability test: litewitness from its public Go module
// (filippo.io/torchwood, pinned), built with `go install` from the Go module proxy into a cache
// folder under node_modules (built once, reused after), and run on loopback with a key held by a
// dedicated ssh-agent, as its README prescribes. Nothing of the witness is written here.
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, openSync, closeSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const MODULE = "filippo.io/torchwood";
const VERSION = "v0.6.1";
const root = resolve(import.meta.dirname, "../../..");
const cache = join(root, "node_modules", ".cache", "palisade-go", `torchwood-${VERSION}`);

function fail(message: string): never {
  throw new Error(`witness test setup: ${message}`);
}

function tool(name: string, debianPackage: string): void {
  if (spawnSync("sh", ["-c", `command -v ${name}`]).status === 0) return;
  const isRoot = process.getuid?.() === 0;
  if (isRoot && process.env.PALISADE_NO_APT !== "1") {
    spawnSync("apt-get", ["update", "-q"], { stdio: "ignore" });
    if (spawnSync("apt-get", ["install", "-y", "-q", "--no-install-recommends", debianPackage], { stdio: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } }).status === 0) return;
  }
  fail(`${name} is missing; install it with: sudo apt-get install -y ${debianPackage}`);
}

/** The litewitness and witnessctl binaries, built from the module proxy on first use. */
export function witnessBinaries(): { litewitness: string; witnessctl: string } {
  const bin = join(cache, "bin");
  const out = { litewitness: join(bin, "litewitness"), witnessctl: join(bin, "witnessctl") };
  if (existsSync(out.litewitness) && existsSync(out.witnessctl)) return out;
  tool("go", "golang-go");
  mkdirSync(bin, { recursive: true });
  // GOTOOLCHAIN=auto lets an older local Go fetch the toolchain the module asks for, from the proxy too.
  const env = { ...process.env, GOBIN: bin, GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? "auto", GOFLAGS: "-mod=mod", CGO_ENABLED: "0" };
  const r = spawnSync("go", ["install", `${MODULE}/cmd/litewitness@${VERSION}`, `${MODULE}/cmd/witnessctl@${VERSION}`], { env, encoding: "utf8", timeout: 15 * 60_000 });
  if (r.status !== 0 || !existsSync(out.litewitness)) {
    fail(`building the witness failed; run: GOBIN=${bin} go install ${MODULE}/cmd/litewitness@${VERSION} ${MODULE}/cmd/witnessctl@${VERSION}\n${r.stderr ?? ""}`);
  }
  return out;
}

function freePort(): Promise<number> {
  return new Promise((ok, ko) => {
    const s = createServer();
    s.once("error", ko);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => ok(typeof a === "object" && a ? a.port : 0));
    });
  });
}

async function until<T>(what: string, check: () => T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const probes = new Set<number>();
/** Whether a TCP connection to the port succeeded (probed in the background, seen on a later call). */
function answering(port: number): boolean {
  if (probes.has(-port)) return true;
  if (!probes.has(port)) {
    probes.add(port);
    const c = connect(port, "127.0.0.1");
    c.once("connect", () => {
      probes.add(-port);
      c.destroy();
    });
    c.once("error", () => probes.delete(port));
  }
  return false;
}

/** A running litewitness that knows one log (origin and verifier key). */
export interface RunningWitness {
  /** Its submission prefix. */
  readonly url: string;
  /** Its cosignature verifier key, as it printed it. */
  readonly vkey: string;
  /** What it logged so far. */
  log(): string;
  stop(): Promise<void>;
}

/** Starts litewitness named `name` on loopback, trusting `logVkey` for the log `origin`. */
export async function startWitness(name: string, origin: string, logVkey: string): Promise<RunningWitness> {
  const bins = witnessBinaries();
  tool("ssh-agent", "openssh-client");
  const dir = mkdtempSync(join(tmpdir(), "pw-"));
  const db = join(dir, "witness.db");
  const sock = join(dir, "agent.sock");
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const c of children) if (c.exitCode === null) {
      const exited = new Promise((r) => c.once("exit", r));
      c.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) => {
      const r = spawnSync(cmd, args, { encoding: "utf8", env });
      if (r.status !== 0) fail(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
      return r.stdout;
    };
    run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", join(dir, "witness")]);
    const fingerprint = /(SHA256:\S+)/.exec(run("ssh-keygen", ["-l", "-E", "sha256", "-f", join(dir, "witness.pub")]))?.[1];
    if (!fingerprint) fail("ssh-keygen printed no fingerprint");
    // A dedicated agent holds the witness key, in the foreground so that it stops with the test.
    const agent = spawn("ssh-agent", ["-D", "-a", sock], { stdio: "ignore" });
    children.push(agent);
    await until("the ssh-agent socket", () => (existsSync(sock) ? true : undefined));
    run("ssh-add", ["-q", join(dir, "witness")], { ...process.env, SSH_AUTH_SOCK: sock });
    run(bins.witnessctl, ["add-log", "-db", db, "-origin", origin]);
    run(bins.witnessctl, ["add-key", "-db", db, "-origin", origin, "-key", logVkey]);
    const port = await freePort();
    // Its log goes to a file: a pipe nobody reads would block it once full.
    const logFile = join(dir, "litewitness.log");
    const fd = openSync(logFile, "a");
    const w = spawn(bins.litewitness, ["-db", db, "-name", name, "-key", fingerprint, "-ssh-agent", sock, "-listen", `127.0.0.1:${port}`], { stdio: ["ignore", fd, fd] });
    closeSync(fd);
    children.push(w);
    const log = () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : "");
    const vkey = await until("litewitness to start", () => {
      if (w.exitCode !== null) fail(`litewitness exited:\n${log()}`);
      return /msg=listening/.test(log()) ? /vkey=(\S+)/.exec(log())?.[1] : undefined;
    });
    const url = `http://127.0.0.1:${port}`;
    await until("litewitness to answer", () => (answering(port) ? true : undefined));
    return { url, vkey, log, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
