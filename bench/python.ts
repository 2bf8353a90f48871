// `npm run bench -- python`: the Python SDK's side of a guarded tool call against a local
// `palisade serve` (python/bench/guard_bench.py, run from the SDK's venv), p50/p99 per call over
// keep-alive and calls/s from one process with 8 concurrent sessions, over several runs.
import { ensurePythonSdk, runIn } from "../test/python-sdk-venv.ts";

/** The figures of python/bench/guard_bench.py. */
export async function benchPython(): Promise<Record<string, unknown>> {
  const python = ensurePythonSdk();
  const r = runIn(python, ["bench/guard_bench.py"], 1_800_000);
  if (r.status !== 0) throw new Error(`python/bench/guard_bench.py failed:\n${r.out}`);
  const figures = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as Record<string, unknown>;
  console.log(JSON.stringify(figures, null, 2));
  return { python: figures };
}
