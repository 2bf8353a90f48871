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


def poisson_cases() -> list[dict]:
    """R's two-sample poisson.test: x1 given x1 + x2 is binomial with p = t1 / (t1 + t2)."""
    out = []
    for x1, t1, x2, t2 in [(1, 925, 0, 86487), (12, 1000, 3, 1000), (0, 10, 4, 10), (30, 86487, 9, 925), (5, 2.5, 11, 3.5)]:
        out.append({"x1": x1, "t1": t1, "x2": x2, "t2": t2, "pvalue": fnum(stats.binomtest(x1, x1 + x2, t1 / (t1 + t2)).pvalue)})
    return out


def chi2_homogeneity(rest: list[int], cur: list[int]) -> tuple[float, int]:
    res = stats.chi2_contingency(np.array([rest, cur]))
    return float(res.statistic), int(res.dof)


def dispersion_cases() -> list[dict]:
    """Chunks of a reference and the dispersion each metric kind gets from them (spec/drift.md).

    Categorical: the mean over chunks of the chi-square statistic of the chunk against the rest,
    over its degrees of freedom (every expected count is at least 5 here, so nothing is pooled).
    Rates: Pearson's dispersion of the chunks' counts. Both at least 1.
    """
    out = []
    for k, clustered in [(14, False), (20, True), (30, True)]:
        probs = np.array([0.5, 0.3, 0.2])
        chunks = []
        for _ in range(k):
            n = int(rng.integers(200, 400))
            p = rng.dirichlet(probs * (40 if clustered else 4000))
            chunks.append([int(x) for x in rng.multinomial(n, p)])
        total = np.sum(chunks, axis=0)
        ratios = []
        for c in chunks:
            stat, dof = chi2_homogeneity([int(x) for x in total - np.array(c)], c)
            ratios.append(stat / dof)
        out.append({"kind": "categorical", "chunks": chunks, "phi": max(1.0, float(np.mean(ratios)))})
    for k, clustered in [(12, False), (24, True), (40, True)]:
        xs, ns = [], []
        for _ in range(k):
            n = int(rng.integers(100, 300))
            rate = rng.beta(2, 60) if clustered else 0.03
            xs.append(int(rng.binomial(n, rate)))
            ns.append(n)
        x, n = np.array(xs), np.array(ns)
        p = x.sum() / n.sum()
        phi = float(np.sum((x - n * p) ** 2 / (n * p * (1 - p))) / (k - 1))
        out.append({"kind": "proportion", "x": xs, "n": ns, "phi": max(1.0, phi)})
    return out


def corrected_cases() -> list[dict]:
    """Drift tests corrected by a dispersion phi, end to end from the data: chi2.sf(X/phi, dof) of
    chi2_contingency's statistic; 2 norm.sf(|z|/sqrt(phi)) of the pooled z; kstwo.sf(D,
    round(en/phi)) of ks_2samp's D; Fisher's exact test on counts divided by phi (half to even)."""
    out = []
    for ref, cur, phi in [([4000, 2500, 1400, 350], [150, 95, 40, 30], 1.43), ([900, 800, 300], [90, 60, 50], 1.0), ([5000, 3000, 2000], [300, 200, 150], 2.6)]:
        stat, dof = chi2_homogeneity(ref, cur)
        out.append({"test": "chi2", "reference": ref, "current": cur, "phi": phi, "pvalue": fnum(stats.chi2.sf(stat / phi, dof))})
    for x1, n1, x2, n2, phi in [(120, 10000, 25, 800, 1.8), (300, 20000, 9, 300, 1.2)]:
        p = (x1 + x2) / (n1 + n2)
        z = (x1 / n1 - x2 / n2) / np.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
        out.append({"test": "z", "x1": x1, "n1": n1, "x2": x2, "n2": n2, "phi": phi, "pvalue": fnum(2 * stats.norm.sf(abs(z) / np.sqrt(phi)))})
    for n1, n2, shift, phi in [(600, 3000, 0.15, 1.4), (400, 5000, 0.3, 2.0)]:
        a = np.round(rng.lognormal(5, 0.5, n2), 3)
        b = np.round(rng.lognormal(5 + shift, 0.5, n1), 3)
        d = float(stats.ks_2samp(a, b).statistic)
        en = n1 * n2 / (n1 + n2)
        out.append({"test": "ks", "reference": [float(x) for x in a], "current": [float(x) for x in b], "phi": phi, "pvalue": fnum(stats.kstwo.sf(d, int(np.round(en / phi))))})
    for x1, n1, x2, n2, phi in [(10, 86487, 1, 925, 1.32), (40, 20000, 9, 300, 2.5), (3, 500, 9, 480, 1.0)]:
        e = [int(np.round(v / phi)) for v in (x1, n1, x2, n2)]
        out.append({"test": "fisher", "x1": x1, "n1": n1, "x2": x2, "n2": n2, "phi": phi, "pvalue": fnum(stats.fisher_exact([[e[0], e[1] - e[0]], [e[2], e[3] - e[2]]]).pvalue)})
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
        "poisson": poisson_cases(),
        "dispersion": dispersion_cases(),
        "corrected": corrected_cases(),
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
