"""The Python side of a guarded tool call against a local sidecar (`palisade serve` on loopback):

- per call, over one keep-alive connection: the wall time of a guarded no-op tool (its
  `tool_call` and `tool_result` decisions included) and the Python process's own CPU time for it
  (thread CPU: what the SDK adds in this process, the sidecar's work and the wait excluded);
- calls/s from one process with 8 concurrent sessions (asyncio, 8 tasks, one session each).

Runs `runs` times and prints JSON: medians and the spread over runs. The machine may be shared:
the load average is recorded with the figures.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from palisade import Guard, RetryPolicy
from tests import service as svc

POLICY = (Path(__file__).resolve().parents[1] / "tests" / "policies" / "guard.policy").read_text()


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def per_call(url: str, key: str, n: int) -> dict[str, float]:
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
    return {"cpu_p50_ms": pct(cpu, 50), "cpu_p99_ms": pct(cpu, 99), "wall_p50_ms": pct(wall, 50), "wall_p99_ms": pct(wall, 99)}


async def concurrent(url: str, key: str, seconds: float, sessions: int = 8) -> float:
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


def main() -> None:
    runs = int(os.environ.get("PALISADE_BENCH_RUNS", "3"))
    n = int(os.environ.get("PALISADE_BENCH_CALLS", "400"))
    seconds = float(os.environ.get("PALISADE_BENCH_SECONDS", "5"))
    s = svc.start("bench", {"guard.policy": POLICY}).wait()
    try:
        results = []
        for _ in range(runs):
            r: dict[str, Any] = per_call(s.url, s.agent_key, n)
            r["calls_per_s_8_sessions"] = asyncio.run(concurrent(s.url, s.agent_key, seconds))
            results.append(r)
    finally:
        s.stop()
    out: dict[str, Any] = {"runs": runs, "calls_per_run": n, "load_average": os.getloadavg()[0]}
    for k in results[0]:
        xs = [r[k] for r in results]
        out[k] = {"median": statistics.median(xs), "min": min(xs), "max": max(xs)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
