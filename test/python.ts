// A Python virtual environment for suites that run independent Python tools (an OpenAPI
// validator, a fuzzer, the Python SDK's tests): made once under node_modules/.cache from PyPI with
// pinned versions, reused after. A machine without Python fails the run with the command to fix it.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./support.ts";

const venv = join(repoRoot, "node_modules", ".cache", "palisade-py");

/** The venv's python with `packages` (pip requirement strings) installed; throws with the fix when it cannot. */
export function pythonWith(packages: readonly string[]): string {
  const python = join(venv, "bin", "python");
  const stamp = join(venv, "installed.txt");
  const have = existsSync(stamp) ? new Set(readFileSync(stamp, "utf8").split("\n").filter(Boolean)) : new Set<string>();
  const missing = packages.filter((p) => !have.has(p));
  if (existsSync(python) && missing.length === 0) return python;
  if (!existsSync(python)) {
    const made = spawnSync("python3", ["-m", "venv", venv], { encoding: "utf8" });
    if (made.status !== 0) throw new Error(`python3 with venv is needed for this suite: apt-get install -y python3 python3-venv (${made.error?.message ?? made.stderr.trim()})`);
  }
  const pip = spawnSync(python, ["-m", "pip", "install", "-q", "--disable-pip-version-check", ...missing], { encoding: "utf8", timeout: 600_000 });
  if (pip.status !== 0) throw new Error(`installing ${missing.join(" ")} from PyPI failed; run: ${python} -m pip install ${missing.join(" ")}\n${pip.stderr}`);
  writeFileSync(stamp, [...have, ...missing].join("\n") + "\n");
  return python;
}
