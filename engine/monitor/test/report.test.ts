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

const base = { threshold: 0.01, rearm: 0.1, referenceN: 100, currentN: 100, summary: "'a' 50.0% → 20.0%", chart: { labels: ["a", "b"], reference: [0.5, 0.5], current: [0.2, 0.8] } };
const results: MetricResult[] = [
  { ...base, key: "t/tools", monitor: "t", metric: "tools", test: "chi2", statistic: 12.5, pValue: 0.0004, adjustedP: 0.0008, verdict: "drift" },
  { ...base, key: "l/latency", monitor: "l", metric: "latency", test: "psi", statistic: 0.05, distance: 0.05, threshold: 0.2, rearm: 0.1, verdict: "ok" },
  { ...base, key: "d/denial_rate", monitor: "d", metric: "denial_rate", test: "z", statistic: null, verdict: "insufficient", note: "the window has 3 observations, fewer than the 100 required", chart: { labels: [], reference: [], current: [] }, summary: "" },
];

test("one line per metric with statistic, p and q or distance, verdict; bars under drift", () => {
  const text = renderReport({ baseline: { name: "normal", createdAt: 0, count: 1000 }, window: { from: Date.UTC(2026, 0, 1, 9), to: Date.UTC(2026, 0, 1, 10), count: 100 }, results, drifted: 1 });
  const lines = text.split("\n");
  assert.equal(lines[0], "drift: baseline 'normal' (1,000 decisions) vs 2026-01-01 09:00Z → 2026-01-01 10:00Z (100 decisions)");
  assert.match(text, /DRIFT tools +chi2 +stat 12\.5 +p 4\.00e-4 +q 8\.00e-4 +\(alert q ≤ 0\.01\) +▅▅ → ▃█ +'a' 50\.0% → 20\.0%/);
  assert.match(text, /\n +a +baseline █{12}▌ +50\.0% +now █{5} +20\.0%/);
  assert.match(text, /ok +latency +psi +psi 0\.0500/);
  assert.match(text, /n\/a +denial_rate +z +the window has 3 observations/);
  assert.match(text, /1 of 3 metrics drifted, 1 without enough data/);
  assert.doesNotMatch(text, /\u001b\[/, "no colour unless asked");
  assert.match(renderReport({ baseline: { name: "n", createdAt: 0, count: 1 }, window: { from: 0, to: 1, count: 1 }, results, drifted: 1 }, { color: true }), /\u001b\[1;31mDRIFT/);
});
