// The terminal report and its charts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { bar, barRows, sparkline } from "../chart.ts";
import type { MetricResult } from "../drift.ts";
import { renderReport } from "../report.ts";

test("sparklines scale to a shared maximum; bars have eighth-cell resolution", () => {
  assert.equal(sparkline([0, 0.5, 1]), " ▅█");
  assert.equal(sparkline([0.5], 1), "▅");
  assert.equal(sparkline([]), "");
  assert.equal(bar(1, 4), "████");
  assert.equal(bar(0.5, 4), "██  ");
  assert.equal(bar(1 / 32, 4), "▏   ");
  assert.equal(bar(Number.NaN, 2), "  ");
  const rows = barRows(["a", "b", "c"], [0.5, 0.3, 0.2], [0.2, 0.3, 0.5], { rows: 2, width: 4 });
  assert.equal(rows.length, 3);
  assert.match(rows[2], /^\(1 more\)/);
});

const HOUR = 3_600_000;
const base = { threshold: 0.01, rearm: 0.1, referenceN: 100, currentN: 100, windowMs: HOUR, dispersion: 1, calibrated: true, summary: "'b' 50.0% → 80.0%", moved: [{ category: "b", reference: 0.5, current: 0.8, contribution: 9 }, { category: "a", reference: 0.5, current: 0.2, contribution: 9 }], chart: { labels: ["a", "b"], reference: [0.5, 0.5], current: [0.2, 0.8] } };
const results: MetricResult[] = [
  { ...base, key: "t/tools@1h", monitor: "t", metric: "tools", test: "chi2", statistic: 12.5, pValue: 0.0004, adjustedP: 0.0008, dispersion: 1.4, verdict: "drift" },
  { ...base, key: "l/latency@1h", monitor: "l", metric: "latency", test: "psi", statistic: 0.05, distance: 0.05, threshold: 0.2, rearm: 0.1, verdict: "ok" },
  { ...base, key: "d/denial_rate@1d", monitor: "d", metric: "denial_rate", windowMs: 24 * HOUR, test: "fisher", statistic: null, verdict: "insufficient", note: "the window has 3 observations, fewer than the 100 required", chart: { labels: [], reference: [], current: [] }, summary: "", moved: [] },
];
const baseline = { name: "normal", createdAt: 0, count: 1000, from: null, to: null };

test("one line per metric with statistic, p and q or distance, verdict; bars under drift", () => {
  const text = renderReport({ baseline, agent: "clinic-agent", env: "production", window: { from: Date.UTC(2026, 0, 1, 9), to: Date.UTC(2026, 0, 1, 10), count: 100 }, results, unrecorded: ["categories"], drifted: 1, warnings: ["the window overlaps the baseline"] });
  const lines = text.split("\n");
  assert.equal(lines[0], "drift: baseline 'normal' (1,000 decisions) vs 2026-01-01 09:00Z → 2026-01-01 10:00Z (100 decisions) for agent clinic-agent, env production");
  assert.equal(lines[1], "warning: the window overlaps the baseline");
  assert.match(text, /DRIFT tools +1h +chi2 +stat 12\.5 +p 4\.00e-4 +q 8\.00e-4 +\(alert q ≤ 0\.01 φ 1\.40\) +▅▅ → ▃█ +'b' 50\.0% → 80\.0%/);
  assert.match(text, /\n +b +baseline █{12}▌ +50\.0% +now █{20} +80\.0%\n +a +baseline/, "bars in order of what moved most");
  assert.match(text, /ok +latency +1h +psi +psi 0\.0500/);
  assert.match(text, /n\/a +denial_rate +1d +fisher +the window has 3 observations/);
  assert.match(text, /1 of 3 metric windows drifted, 1 without enough data/);
  assert.match(text, /\nnot recorded by any event: categories\n$/, "no row of n/a for what nothing records (case 7)");
  assert.doesNotMatch(text, /\u001b\[/, "no colour unless asked");
  assert.match(renderReport({ baseline, agent: null, env: null, window: { from: 0, to: 1, count: 1 }, results, unrecorded: [], drifted: 1, warnings: [] }, { color: true }), /\u001b\[1;31mDRIFT/);
});
