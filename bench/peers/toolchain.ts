// Building the native peers from their registries: OPA's Go SDK harness and the `opa` command
// from the Go module proxy (bench/peers/opa/go.mod pins the version), the Cedar harness from
// crates.io (bench/peers/cedar-native/Cargo.lock pins it), the Python scanners from PyPI into a
// virtual environment. Everything built goes under node_modules/.cache/palisade-peers, so a
// second run rebuilds nothing. A missing toolchain makes the rows that need it skip, loudly.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** The repository's root. */
export const repoRoot = resolve(import.meta.dirname, "..", "..");
/** Where the peers' builds and scratch files live (never committed). */
export const cacheDir = join(repoRoot, "node_modules", ".cache", "palisade-peers");

/** A built peer, or why it could not be built. */
export type Built = { readonly ok: true; readonly path: string; readonly version: string } | { readonly ok: false; readonly reason: string };

function run(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.error) return { ok: false, out: r.error.message };
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

/** The first line `cmd --version`-like prints, or undefined when the command is missing. */
export function toolVersion(cmd: string, args: readonly string[] = ["--version"]): string | undefined {
  const r = run(cmd, args, repoRoot);
  return r.ok ? r.out.trim().split("\n")[0] : undefined;
}

function cache(...parts: string[]): string {
  const p = join(cacheDir, ...parts);
  mkdirSync(p, { recursive: true });
  return p;
}

/** The OPA harness (Go SDK) and the `opa` command, built from the Go module proxy. */
export function buildOpa(): { harness: Built; cli: Built } {
  const go = toolVersion("go", ["version"]);
  if (go === undefined) {
    const reason = "Go is missing (install it: apt-get install -y golang, or from go.dev); OPA rows skipped";
    return { harness: { ok: false, reason }, cli: { ok: false, reason } };
  }
  const dir = join(repoRoot, "bench", "peers", "opa");
  const bin = cache("bin");
  const built = (path: string, args: string[]): Built => {
    const r = run("go", ["build", "-o", path, ...args], dir);
    return r.ok ? { ok: true, path, version: go } : { ok: false, reason: `go build failed:\n${r.out}` };
  };
  return { harness: built(join(bin, "opa-peer"), ["."]), cli: built(join(bin, "opa"), ["github.com/open-policy-agent/opa"]) };
}

/** The Cedar harness (the `cedar-policy` crate, natively), built from crates.io. */
export function buildCedar(): Built {
  const cargo = toolVersion("cargo");
  if (cargo === undefined) return { ok: false, reason: "cargo is missing (install Rust with rustup); the native Cedar row is skipped" };
  const target = cache("cedar-target");
  const r = run("cargo", ["build", "--release", "--locked", "--quiet"], join(repoRoot, "bench", "peers", "cedar-native"), { ...process.env, CARGO_TARGET_DIR: target });
  const path = join(target, "release", "palisade-peer-cedar");
  return r.ok && existsSync(path) ? { ok: true, path, version: cargo } : { ok: false, reason: `cargo build failed:\n${r.out}` };
}

/**
 * A virtual environment holding the Python scanners, from bench/peers/requirements.txt: every
 * package pinned and installed without dependency resolution, because LlamaFirewall's and
 * Invariant's declared dependencies bring PyTorch and model weights the scanners never use.
 */
export function buildPython(): Built {
  const py = toolVersion("python3");
  if (py === undefined) return { ok: false, reason: "python3 is missing (apt-get install -y python3 python3-venv); the detector rows are skipped" };
  const requirements = join(repoRoot, "bench", "peers", "requirements.txt");
  const venv = join(cacheDir, "venv");
  const python = join(venv, "bin", "python");
  const marker = join(venv, `.installed-${createHash("sha256").update(readFileSync(requirements)).digest("hex").slice(0, 16)}`);
  if (!existsSync(marker)) {
    const steps: [string, string[]][] = [
      ["python3", ["-m", "venv", "--clear", venv]],
      [python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps", "-r", requirements]],
    ];
    for (const [cmd, args] of steps) {
      const r = run(cmd, args, repoRoot);
      if (!r.ok) return { ok: false, reason: `${cmd} ${args.join(" ")} failed:\n${r.out}` };
    }
    run("touch", [marker], repoRoot);
  }
  return { ok: true, path: python, version: py };
}

/** Runs a built harness on `args` and parses the JSON it prints. */
export function runJson<T>(path: string, args: readonly string[], cwd = repoRoot): T {
  const r = run(path, args, cwd);
  if (!r.ok) throw new Error(`${path} failed:\n${r.out}`);
  const last = r.out.trim().split("\n").filter((l) => l.startsWith("{")).pop();
  if (last === undefined) throw new Error(`${path} printed no JSON:\n${r.out}`);
  return JSON.parse(last) as T;
}

/** Compiles a Rego module to Wasm with `opa build -t wasm` and returns the policy's bytes' path. */
export function buildWasm(opa: string, name: string, rego: string, entrypoint: string, writeFile: (p: string, text: string) => void): string {
  const dir = cache("wasm", name);
  writeFile(join(dir, "policy.rego"), rego);
  const b = run(opa, ["build", "-t", "wasm", "-e", entrypoint, "policy.rego", "-o", "bundle.tar.gz"], dir);
  if (!b.ok) throw new Error(`opa build ${name} failed:\n${b.out}`);
  const x = run("tar", ["-xzf", "bundle.tar.gz", "--strip-components=0", "/policy.wasm"], dir);
  if (!x.ok) throw new Error(`unpacking ${name}'s bundle failed:\n${x.out}`);
  return join(dir, "policy.wasm");
}
