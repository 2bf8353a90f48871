// Rolling baselines (case 2: the baseline was a fixed snapshot): the last N days before each run's
// windows, per agent and environment, recomputed when the refresh grid moves and stored for the
// next run. A slow seasonal change is absorbed; a sudden one is still caught.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { run } from "../../cli/test/support.ts";
import { createBaseline, rollingRange } from "../baseline.ts";
import { parseMonitorConfig } from "../config.ts";
import { Monitor } from "../monitor.ts";
import { seededRandom } from "../random.ts";
import { renderReport } from "../report.ts";
import { runDrift } from "../run.ts";
import { SqliteMonitorStore } from "../sqlite-store.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 0, 5);
const dir = mkdtempSync(join(tmpdir(), "palisade-rolling-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Twelve days of a tool mix whose share of 'b' creeps up a point a day, with a jump on day 11 for env 'prod'. */
async function record(db: string): Promise<void> {
  const m = new Monitor({ store: SqliteMonitorStore.open(db), flushIntervalMs: 0, retentionMs: 0, overflow: "backpressure", bucketMs: HOUR, descriptors: false });
  const rand = seededRandom(11);
  for (let h = 0; h < 12 * 24; h++) {
    const day = Math.floor(h / 24);
    for (const env of ["prod", "staging"]) {
      const share = 0.2 + 0.01 * day + (env === "prod" && day === 11 ? 0.15 : 0);
      for (let i = 0; i < 300; i++) m.record({ time: START + h * HOUR + i * 10_000, decision: "allow", phase: "tool_call", tool: rand() < share ? "b" : "a", agent: "bot", env });
    }
  }
  await m.close();
}

const config = parseMonitorConfig({ defaults: { window: "1d" }, monitors: [{ metric: "tools" }] });

test("the range sits on the refresh grid, before the widest window", () => {
  assert.deepEqual(rollingRange({ lookbackMs: 3 * DAY, refreshMs: DAY }, START + 10 * DAY + 5 * HOUR, DAY), { from: START + 6 * DAY, to: START + 9 * DAY });
});

test("a rolling baseline follows slow change, catches a jump, is per environment, and is stored when it moves", async () => {
  const db = join(dir, "a.db");
  await record(db);
  const store = SqliteMonitorStore.open(db);
  try {
    await createBaseline(store, "fixed", { from: START, to: START + DAY, agent: "bot", env: "prod" });
    await createBaseline(store, "rolling", { rolling: { lookbackMs: 3 * DAY, refreshMs: DAY }, agent: "bot", env: "prod" }, { now: START + 4 * DAY, windows: [DAY] });
    const at = (d: number, name: string) => runDrift(store, config, { baseline: name, now: START + d * DAY });
    // Day 10 ends with 'b' at 29% of calls: nine points above the fixed day 1, two above the rolling days 7–9.
    assert.equal((await at(10, "fixed")).drifted, 1, "the fixed snapshot calls the season drift");
    const calm = await at(10, "rolling");
    assert.equal(calm.drifted, 0, calm.results[0].summary);
    assert.deepEqual([calm.baseline.from, calm.baseline.to], [START + 6 * DAY, START + 9 * DAY], "recomputed for the run");
    const stored = await store.baseline("rolling");
    assert.deepEqual([stored?.selector.from, stored?.selector.to], [START + 6 * DAY, START + 9 * DAY], "and stored for the next run");
    assert.ok(stored?.calibrations?.some((c) => c.windowMs === DAY));
    const jump = await at(12, "rolling");
    assert.equal(jump.drifted, 1, "day 11's jump in prod");
    assert.match(jump.results[0].summary, /'b'/);
    await createBaseline(store, "rolling-staging", { rolling: { lookbackMs: 3 * DAY, refreshMs: DAY }, agent: "bot", env: "staging" }, { now: START + 4 * DAY, windows: [DAY] });
    const staging = await runDrift(store, config, { baseline: "rolling-staging", now: START + 12 * DAY });
    assert.equal(staging.env, "staging");
    assert.equal(staging.drifted, 0, "staging never jumped");
  } finally {
    await store.close();
  }
});

test("palisade baseline create --rolling", async () => {
  const db = join(dir, "b.db");
  await record(db);
  const made = await run(["baseline", "create", "last-week", "--rolling", "7d", "--agent", "bot", "--env", "prod", "--db", db], dir);
  assert.equal(made.code, 2, "nothing recorded in the last week before now");
  assert.match(made.stderr, /no recorded decisions match the baseline 'last-week' \(the 7d before .*\)\n {2}help: a rolling baseline needs traffic in its lookback/);
  const bad = await run(["baseline", "create", "x", "--rolling", "7d", "--from", "2026-01-05", "--db", db], dir);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /'--rolling' takes no '--from' or '--to'/);
  const refresh = await run(["baseline", "create", "x", "--refresh", "1d", "--env", "prod", "--db", db], dir);
  assert.match(refresh.stderr, /'--refresh' applies to a rolling baseline/);
  const fixed = await run(["baseline", "create", "week", "--from", "2026-01-05", "--to", "2026-01-12", "--agent", "bot", "--env", "prod", "--db", db], dir);
  assert.equal(fixed.code, 0, fixed.stderr);
  assert.match(fixed.stdout, /created baseline 'week': 50,400 decisions .*; calibrated at 1h \(168 chunks\), 6h \(82 chunks\), 1d \(25 chunks\)/);
});

test("NodeLoom's 'last 30 days against the last 50 runs': a window of runs read from raw events", async () => {
  const { MemoryMonitorStore } = await import("../memory-store.ts");
  const store = new MemoryMonitorStore();
  const m = new Monitor({ store, flushIntervalMs: 0, overflow: "backpressure", descriptors: false, now: () => START + 31 * DAY });
  const rand = seededRandom(12);
  // Thirty days of runs of 4 tool calls, then 50 runs that call 'b' far more often.
  let run = 0;
  const session = (time: number, share: number) => {
    const id = `run-${run++}`;
    for (let k = 0; k < 4; k++) m.record({ time: time + k * 1000, decision: "allow", phase: "tool_call", tool: rand() < share ? "b" : "a", session: id, agent: "bot", env: "prod" });
  };
  for (let t = START; t < START + 30 * DAY; t += 20 * 60_000) session(t, 0.2);
  for (let i = 0; i < 50; i++) session(START + 30 * DAY + i * 60_000, 0.6);
  await m.flush();
  await createBaseline(store, "month", { from: START, to: START + 30 * DAY, agent: "bot", env: "prod" });
  const config = parseMonitorConfig({ monitors: [{ name: "tool mix", metric: "tools", window: ["50 runs", "1h"] }] });
  const report = await runDrift(store, config, { baseline: "month", now: START + 30 * DAY + HOUR });
  const byWindow = new Map(report.results.map((r) => [r.key, r]));
  const runs = byWindow.get("tool mix/tools@50runs");
  assert.ok(runs, [...byWindow.keys()].join(", "));
  assert.equal(runs.runs, 50);
  assert.equal(runs.currentN, 200, "the 50 runs' 200 tool calls");
  assert.equal(runs.verdict, "drift");
  assert.match(runs.summary, /'b' 19\.\d% → 5\d\.\d%/);
  assert.ok(runs.windowMs > 49 * 60_000 && runs.windowMs <= HOUR, "the span the runs covered");
  assert.match(renderReport(report), /DRIFT tools +50 runs chi2/);
  const none = await runDrift(store, parseMonitorConfig({ monitors: [{ metric: "tools", window: "80 runs" }] }), { baseline: "month", now: START + 40 * DAY });
  assert.match(none.warnings.join("\n"), /a window of 80 runs found 0 in the raw events of the last 7 days/);
  assert.throws(() => parseMonitorConfig({ monitors: [{ metric: "tools", window: "0 runs" }] }), /a window of runs holds from 1 to 100,000 runs/);
});
