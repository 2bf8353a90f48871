// The Python SDK's suite inside `npm test`: the venv (test/python-sdk-venv.ts), then ruff,
// mypy --strict and pytest, whose conftest starts throwaway `palisade serve` processes on
// loopback. A machine without Python fails with the command that fixes it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ensurePythonSdk, runIn as run } from "./python-sdk-venv.ts";

test("python sdk: ruff, mypy --strict and pytest against a real palisade serve", async (t) => {
  const python = ensurePythonSdk();
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
