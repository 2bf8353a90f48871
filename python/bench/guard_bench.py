"""The Python side of a guarded tool call against a local sidecar (`palisade serve` on loopback):

- per call, over one keep-alive connection: the wall time of a guarded no-op tool (its
  `tool_call` and `tool_result` decisions included) and the Python process's own CPU time for it
  (thread CPU: what the SDK adds in this process, the sidecar's work and the wait excluded), in
  one session that grows to `calls` tool calls (the service keeps its history);
- calls/s from one process with 8 concurrent sessions (asyncio, 8 tasks, one session each).

Each figure is measured in a process of its own, `runs` times, interleaved with the same
measurement of a baseline when `PALISADE_BENCH_BASELINE` names a git revision (its `python/src`
is checked out into a temporary folder and imported instead of this tree's), so that both see
the same load on a shared machine. Prints JSON: medians and the spread over runs, the load
average with them.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

POLICY = (ROOT / "tests" / "policies" / "guard.policy").read_text()


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def per_call(url: str, key: str, n: int) -> dict[str, float]:
    from palisade import Guard, RetryPolicy

    with Guard(url, key, retry=RetryPolicy(deadline=30)) as g:
        tool = g.session(f"bench-{time.time_ns()}", "u").wrap_tool(lambda q: "ok", name="lookup")
        for _ in range(20):
            tool("warm")
        wall: list[float] = []
        cpu: list[float] = []
        for _ in range(n):
            w0, c0 = time.perf_counter(), time.thread_time()
            tool("q")
            cpu.append((time.thread_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
    return {
        "cpu_p50_ms": pct(cpu, 50),
        "cpu_p99_ms": pct(cpu, 99),
        "wall_p50_ms": pct(wall, 50),
        "wall_p99_ms": pct(wall, 99),
    }


async def concurrent(url: str, key: str, seconds: float, sessions: int = 8) -> float:
    from palisade import Guard, RetryPolicy

    async with Guard(url, key, retry=RetryPolicy(deadline=30)) as g:
        done = 0
        until = time.monotonic() + seconds

        async def lookup(q: str) -> str:
            return "ok"

        async def run(i: int) -> None:
            nonlocal done
            tool = g.session(f"bench-{i}-{time.time_ns()}", "u").wrap_tool(lookup)
            while time.monotonic() < until:
                await tool("q")
                done += 1

        started = time.monotonic()
        await asyncio.gather(*(run(i) for i in range(sessions)))
        return done / (time.monotonic() - started)


def measure(url: str, key: str, n: int, seconds: float) -> dict[str, Any]:
    """One run's figures, in this process."""
    import palisade

    r: dict[str, Any] = per_call(url, key, n)
    r["calls_per_s_8_sessions"] = asyncio.run(concurrent(url, key, seconds))
    r["package"] = str(Path(palisade.__file__).parent)
    return r


def checkout(rev: str, into: Path) -> Path:
    """`python/src` of git revision `rev`, extracted under `into`."""
    tar = subprocess.run(
        ["git", "archive", "--format=tar", rev, "python/src"], cwd=ROOT.parent, check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(tar)) as t:
        t.extractall(into, filter="data")
    return into / "python" / "src"


def in_process(src: Path, url: str, key: str, n: int, seconds: float) -> dict[str, Any]:
    run = subprocess.run(
        [sys.executable, str(HERE), "--measure", url, key, str(n), str(seconds)],
        env={**os.environ, "PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        raise RuntimeError(f"measuring {src} failed:\n{run.stderr[-3000:]}")
    out = run.stdout
    r: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    if Path(r.pop("package")).resolve() != (src / "palisade").resolve():
        raise RuntimeError(f"the measured process imported another palisade than {src}")
    return r


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k in results[0]:
        xs = [r[k] for r in results]
        out[k] = {"median": statistics.median(xs), "min": min(xs), "max": max(xs)}
    return out


def main() -> None:
    from tests import service as svc

    runs = int(os.environ.get("PALISADE_BENCH_RUNS", "3"))
    n = int(os.environ.get("PALISADE_BENCH_CALLS", "150"))
    seconds = float(os.environ.get("PALISADE_BENCH_SECONDS", "5"))
    baseline = os.environ.get("PALISADE_BENCH_BASELINE")
    s = svc.start("bench", {"guard.policy": POLICY}).wait()
    current: list[dict[str, Any]] = []
    base: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="palisade-bench-") as tmp:
            base_src = checkout(baseline, Path(tmp)) if baseline else None
            for _ in range(runs):
                if base_src is not None:
                    base.append(in_process(base_src, s.url, s.agent_key, n, seconds))
                current.append(in_process(ROOT / "src", s.url, s.agent_key, n, seconds))
    finally:
        s.stop()
    out: dict[str, Any] = {"runs": runs, "calls_per_run": n, "load_average": os.getloadavg()[0], **summary(current)}
    if base:
        out["baseline"] = {"revision": baseline, **summary(base)}
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        url, key, calls, secs = sys.argv[2:6]
        print(json.dumps(measure(url, key, int(calls), float(secs))))
    else:
        main()
