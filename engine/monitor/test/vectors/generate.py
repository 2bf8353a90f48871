"""Test vectors for the monitor's statistics, computed with SciPy.

Run from the repository root (any Python 3.11 with numpy and scipy; the versions used are
recorded in the output):

    python3 -m venv node_modules/.cache/scipy-venv
    node_modules/.cache/scipy-venv/bin/pip install scipy
    node_modules/.cache/scipy-venv/bin/python engine/monitor/test/vectors/generate.py

It rewrites engine/monitor/test/vectors/monitor-stats.json. The suite only reads the JSON.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path

import numpy as np
import scipy
from scipy import stats

OUT = Path(__file__).with_name("monitor-stats.json")
rng = np.random.default_rng(20261207)


def fnum(x: float) -> float | str | None:
    x = float(x)
    if np.isnan(x):
        return None
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def fisher_cases() -> list[dict]:
    tables = [
        # The rare-event case: 0 of 86,487 in the baseline, 1 of 925 in the window.
        [[0, 86487], [1, 924]],
        [[6, 2], [1, 4]],
        [[8, 2], [1, 5]],
        [[0, 10], [0, 12]],
        [[3, 0], [0, 3]],
        [[1, 0], [0, 1]],
        [[10, 10], [10, 10]],
        [[5, 0], [5, 0]],
        [[1700, 84787], [40, 885]],
        [[12, 86475], [3, 922]],
        [[25, 1000], [40, 1000]],
        [[200, 800], [260, 740]],
        [[0, 5000], [3, 200]],
        [[4, 100000], [0, 1000]],
    ]
    for _ in range(40):
        n1 = int(rng.integers(1, 3000))
        n2 = int(rng.integers(1, 3000))
        p = float(rng.choice([0.001, 0.01, 0.05, 0.2, 0.5]))
        a = int(rng.binomial(n1, p))
        c = int(rng.binomial(n2, min(1.0, p * float(rng.choice([1, 1, 1.5, 3])))))
        tables.append([[a, n1 - a], [c, n2 - c]])
    for _ in range(10):
        tables.append([[int(x) for x in rng.integers(0, 8, 2)], [int(x) for x in rng.integers(0, 8, 2)]])
    out = []
    for t in tables:
        r = stats.fisher_exact(t)
        out.append({"table": t, "odds_ratio": fnum(r.statistic), "p": fnum(r.pvalue)})
    return out


def binom_cases() -> list[dict]:
    params = [(1, 925, 0.0), (3, 10, 0.5), (0, 20, 0.1), (20, 20, 0.9), (7, 100, 0.07), (7, 100, 0.02), (1, 2, 0.5),
              (50, 100, 0.5), (1, 87412, 925 / 87412), (0, 87412, 925 / 87412), (40, 1740, 925 / 87412),
              (4, 10, 1 / 3), (2, 9, 1 / 3), (13, 1000, 0.01)]
    for _ in range(40):
        n = int(rng.integers(1, 5000))
        p = float(rng.choice([0.001, 0.01, 0.1, 0.3, 0.5, 0.77]))
        k = int(rng.binomial(n, min(1.0, p * float(rng.choice([1, 1, 0.5, 2])))))
        params.append((k, n, p))
    out = []
    for k, n, p in params:
        out.append({"k": k, "n": n, "p": p, "pvalue": fnum(stats.binomtest(k, n, p).pvalue)})
    return out


def pmf_cases() -> list[dict]:
    out = []
    for x, n, p in [(0, 10, 0.3), (3, 10, 0.3), (10, 10, 0.3), (500, 1000, 0.5), (1, 86487, 1e-5), (30, 100000, 0.0002), (7, 16, 0.999)]:
        out.append({"dist": "binom", "x": x, "n": n, "p": p, "pmf": fnum(stats.binom.pmf(x, n, p))})
    for x, total, marked, draws in [(0, 87412, 86487, 1), (2, 13, 8, 7), (40, 87412, 925, 1740), (100, 1000, 500, 200)]:
        out.append({"dist": "hypergeom", "x": x, "total": total, "marked": marked, "draws": draws, "pmf": fnum(stats.hypergeom.pmf(x, total, marked, draws))})
    return out


def main() -> None:
    doc = {
        "schema": "palisade.monitor-stats-vectors/1",
        "generator": "engine/monitor/test/vectors/generate.py",
        "environment": {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__},
        "conventions": "two-sided p-values; 'inf' for infinity, null for NaN",
        "fisher_exact": fisher_cases(),
        "binomtest": binom_cases(),
        "pmf": pmf_cases(),
    }
    # One case per line: the file stays readable and its diffs small.
    lines = ["{"]
    items = list(doc.items())
    for i, (key, value) in enumerate(items):
        end = "," if i < len(items) - 1 else ""
        if isinstance(value, list):
            body = ",\n".join("  " + json.dumps(v) for v in value)
            lines.append(f" {json.dumps(key)}: [\n{body}\n ]{end}")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value)}{end}")
    lines.append("}")
    OUT.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
