// Case 7: what the report says besides verdicts. A window inside the baseline is flagged; a
// numeric metric whose deciles repeat (82, 82, 82...) is charted without empty "82–82" bins; a
// metric nothing records is named once at the end, not shown as a row of n/a.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createBaseline } from "../baseline.ts";
import { compare } from "../comparisons.ts";
import { parseMonitorConfig } from "../config.ts";
import { Monitor } from "../monitor.ts";
import { renderReport } from "../report.ts";
import { runDrift } from "../run.ts";

const HOUR = 3_600_000;
const start = Date.UTC(2026, 0, 5);

async function recorded(): Promise<Monitor> {
  const m = new Monitor({ flushIntervalMs: 0, retentionMs: 0 });
  for (let i = 0; i < 4000; i++) {
    const time = start + i * 2_700; // three hours
    m.record({ time, decision: "allow", phase: "tool_call", tool: i % 3 === 0 ? "a" : "b", agent: "x", env: "e" });
    m.record({ kind: "outcome", time: time + 1, phase: "tool_call", tool: "a", durationMs: i % 10 < 7 ? 82 : 80 + (i % 7), agent: "x", env: "e" });
  }
  await m.flush();
  return m;
}

test("a window inside the baseline is flagged", async () => {
  const m = await recorded();
  await createBaseline(m.store, "all", { from: start, to: start + 3 * HOUR, agent: "x", env: "e" });
  const config = parseMonitorConfig({ defaults: { window: "1h" }, monitors: [{ metric: "tools" }] });
  const inside = await runDrift(m.store, config, { now: start + 2 * HOUR });
  assert.match(inside.warnings.join("\n"), /the window 2026-01-05T01:00:00\.000Z → 2026-01-05T02:00:00\.000Z overlaps the baseline 'all' \(2026-01-05T00:00:00\.000Z → 2026-01-05T03:00:00\.000Z\): traffic compared with itself looks like no drift/);
  assert.match(renderReport(inside), /\nwarning: the window .* overlaps the baseline 'all'/);
  const after = await runDrift(m.store, config, { now: start + 4 * HOUR });
  assert.ok(!after.warnings.some((w) => w.includes("overlaps")), after.warnings.join("\n"));
  await m.close();
});

test("repeated deciles make one bin, not empty ones", () => {
  const values = Array.from({ length: 1000 }, (_, i) => (i % 10 < 7 ? 82 : 80 + (i % 7)));
  const sample = (xs: number[]) => ({ kind: "numeric" as const, n: xs.length, sample: { count: xs.length, sum: xs.reduce((a, b) => a + b, 0), min: Math.min(...xs), max: Math.max(...xs), values: xs } });
  const r = compare("ks", sample(values), sample(values.map((v) => v + 1)));
  for (const label of r.chart.labels) {
    const m = /^(.+)–(.+)$/.exec(label);
    if (m) assert.notEqual(m[1], m[2], `no empty bin like ${label}`);
  }
  assert.ok(r.chart.labels.length < 10, r.chart.labels.join(" | "));
  assert.ok(r.chart.reference.every((share) => share > 0), "every bin holds reference values");
});

test("a metric that nothing records is named once, not a row of n/a", async () => {
  const m = await recorded();
  await createBaseline(m.store, "first", { from: start, to: start + HOUR, agent: "x", env: "e" });
  const config = parseMonitorConfig({ defaults: { window: "1h" }, monitors: [{ metric: "tools" }, { metric: "categories" }] });
  const report = await runDrift(m.store, config, { now: start + 3 * HOUR });
  assert.deepEqual(report.results.map((r) => r.metric), ["tools"]);
  assert.deepEqual(report.unrecorded, ["categories"]);
  const text = renderReport(report);
  assert.doesNotMatch(text, /n\/a +categories/);
  assert.match(text, /not recorded by any event: categories/);
  await m.close();
});
