// The AgentDojo harness's virtual environment (node_modules/.cache/agentdojo): the real
// `agentdojo` package pinned in bench/agentdojo/requirements.txt and the Python SDK (editable),
// reused until either file changes. Shared by the test slice and `npm run bench -- agentdojo`.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./support.ts";

export const harnessDir = join(repoRoot, "bench", "agentdojo");
const venv = join(repoRoot, "node_modules", ".cache", "agentdojo");
const python = join(venv, "bin", "python");
const requirements = join(harnessDir, "requirements.txt");

/** The venv's python with agentdojo and the SDK; installs from PyPI on first use or when the pins changed. */
export function ensureAgentDojo(): string {
  const stampFile = join(venv, "palisade-installed.txt");
  const stamp = createHash("sha256").update(readFileSync(requirements)).update(readFileSync(join(repoRoot, "python", "pyproject.toml"))).digest("hex");
  if (existsSync(python) && existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp) return python;
  if (!existsSync(python)) {
    const made = spawnSync("python3", ["-m", "venv", venv], { encoding: "utf8" });
    if (made.status !== 0) throw new Error(`Python 3.10+ with venv is needed for the AgentDojo harness: apt-get install -y python3 python3-venv (${made.error?.message ?? made.stderr.trim()})`);
  }
  const pip = spawnSync(python, ["-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", requirements, "-e", join(repoRoot, "python")], { encoding: "utf8", timeout: 900_000 });
  if (pip.status !== 0) throw new Error(`installing agentdojo from PyPI failed; run: ${python} -m pip install -r ${requirements} -e ${join(repoRoot, "python")}\n${pip.stdout}${pip.stderr}`);
  writeFileSync(stampFile, stamp);
  return python;
}

/** Runs the harness with `args`; its stdout is one JSON document. */
export function runHarness(args: readonly string[], timeout = 3_600_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(ensureAgentDojo(), ["harness.py", ...args], { cwd: harnessDir, encoding: "utf8", timeout, maxBuffer: 256 * 1024 * 1024, env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } });
  return { status: r.status, stdout: r.stdout ?? "", stderr: `${r.stderr ?? ""}${r.error ? String(r.error) : ""}` };
}
