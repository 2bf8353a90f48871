// The Python SDK's suite inside `npm test`: the venv (test/python-sdk-venv.ts), then ruff,
// mypy --strict and pytest, run side by side (pytest mostly waits on its services and imports;
// the linters fill the gaps). pytest's conftest starts the throwaway `palisade serve` services
// in one Node process on loopback. A machine without Python fails with the command that fixes it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ensurePythonSdk, runInAsync as run } from "./python-sdk-venv.ts";

test("python sdk: ruff, mypy --strict and pytest against a real palisade serve", async (t) => {
  const python = ensurePythonSdk();
  const ruff = run(python, ["-m", "ruff", "check", "src", "tests", "bench", "examples"]);
  const mypy = run(python, ["-m", "mypy"]);
  const pytest = run(python, ["-m", "pytest", "-q", "-p", "no:cacheprovider"]);
  await t.test("ruff", async () => {
    const r = await ruff;
    assert.equal(r.status, 0, r.out);
  });
  await t.test("mypy --strict", async () => {
    const r = await mypy;
    assert.equal(r.status, 0, r.out);
  });
  await t.test("pytest", async () => {
    const r = await pytest;
    // The summary line (and the failures, when there are some) end up in the test's output.
    console.log(r.out.split("\n").slice(-40).join("\n"));
    assert.equal(r.status, 0, r.out);
  });
});
