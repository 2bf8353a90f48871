// The Python SDK's suite inside `npm test`: a virtual environment under node_modules/.cache with
// the package installed (editable) with its pinned test extras from PyPI, then ruff, mypy --strict
// and pytest, whose conftest starts throwaway `palisade serve` processes on loopback. The venv is
// reused until python/pyproject.toml changes. A machine without Python fails with the fix.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./support.ts";

const pkg = join(repoRoot, "python");
const venv = join(repoRoot, "node_modules", ".cache", "palisade-python");
const bin = (name: string): string => join(venv, "bin", name);

function run(cmd: string, args: readonly string[], timeout = 600_000): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd: pkg, encoding: "utf8", timeout, env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", MYPY_CACHE_DIR: join(venv, "mypy-cache") } });
  return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}` };
}

/** The venv's python with the package and its test extras; installs on first use or when pyproject.toml changed. */
function ensureVenv(): string {
  const stampFile = join(venv, "palisade-installed.txt");
  const stamp = createHash("sha256").update(readFileSync(join(pkg, "pyproject.toml"))).update(pkg).digest("hex");
  if (existsSync(bin("python")) && existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp) return bin("python");
  if (!existsSync(bin("python"))) {
    const made = spawnSync("python3", ["-m", "venv", venv], { encoding: "utf8" });
    if (made.status !== 0) throw new Error(`Python 3.10+ with venv is needed for the Python SDK's suite: apt-get install -y python3 python3-venv (${made.error?.message ?? made.stderr.trim()})`);
  }
  const pip = run(bin("python"), ["-m", "pip", "install", "-q", "--disable-pip-version-check", "-e", ".[test]"]);
  if (pip.status !== 0) throw new Error(`installing the Python SDK's test extras from PyPI failed; run: ${bin("python")} -m pip install -e '${pkg}[test]'\n${pip.out}`);
  writeFileSync(stampFile, stamp);
  return bin("python");
}

test("python sdk: ruff, mypy --strict and pytest against a real palisade serve", async (t) => {
  const python = ensureVenv();
  await t.test("ruff", () => {
    const r = run(python, ["-m", "ruff", "check", "src", "tests", "bench", "examples"]);
    assert.equal(r.status, 0, r.out);
  });
  await t.test("mypy --strict", () => {
    const r = run(python, ["-m", "mypy"]);
    assert.equal(r.status, 0, r.out);
  });
  await t.test("pytest", () => {
    const r = run(python, ["-m", "pytest", "-q", "-p", "no:cacheprovider"]);
    // The summary line (and the failures, when there are some) end up in the test's output.
    console.log(r.out.split("\n").slice(-40).join("\n"));
    assert.equal(r.status, 0, r.out);
  });
});
