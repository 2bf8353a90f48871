// The false-alarm simulation: a stationary week of clinic-agent traffic (daily and weekly cycles,
// sessions whose decisions move together), a control day, and one shifted day per signal, with
// the default monitors run every hour as a scheduler would run them. It asserts the figures the
// README and spec/drift.md state: at most 1% of stationary hours raise any drift (the week itself,
// compared with its own baseline, and the control day), and each shift is detected within the
// hours stated for it. Seeded (engine/monitor/random.ts), so every run sees the same traffic.
//
// Buckets are an hour wide here because every run ends on the hour: a window is then the same set
// of events as with minute buckets, merged in fewer steps (the sample cap is raised so that no
// bucket subsamples).
import assert from "node:assert/strict";
import { test } from "node:test";
import { createBaseline } from "../baseline.ts";
import { defaultMonitorConfig } from "../config.ts";
import type { TelemetryEvent } from "../event.ts";
import { MemoryMonitorStore } from "../memory-store.ts";
import { Monitor } from "../monitor.ts";
import { runDrift } from "../run.ts";
import type { Baseline, MonitorStore } from "../store.ts";
import { simulateClinic } from "./clinic-sim.ts";
import type { Shift } from "./clinic-sim.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 0, 5); // a Monday, 00:00 UTC
const SEED = Number(process.env.PALISADE_SIM_SEED ?? 1);

/**
 * Hours from a shift's start (at midnight, the quietest hour) to the first hourly run that flags
 * the shifted signal: the figures spec/drift.md and the README state.
 */
export const DETECTION_HOURS: Readonly<Record<Shift, number>> = {
  tool_mix: 12,
  denials: 15,
  escalations: 18,
  errors: 15,
  latency: 10,
  tokens: 3,
  output_size: 3,
  refusals: 12,
  language: 6,
};

/** The metrics that count as flagging each shift. */
const FLAGS: Readonly<Record<Shift, RegExp>> = {
  tool_mix: /^tools$/,
  denials: /^denial_rate/,
  escalations: /^approval_rate/,
  errors: /^error_rate/,
  latency: /^latency/,
  tokens: /^(output_tokens|tokens|latency:model:)/,
  output_size: /^output_size$/,
  refusals: /^eval:refusal$/,
  language: /^eval:language$/,
};

async function record(store: MonitorStore, given: readonly TelemetryEvent[]): Promise<void> {
  // PALISADE_SIM_NO_SESSIONS=1: the same traffic with no session ids, as a caller that names none sends it.
  const events = process.env.PALISADE_SIM_NO_SESSIONS === "1" ? given.map(({ session: _s, ...e }) => e as TelemetryEvent) : given;
  const monitor = new Monitor({ store, flushIntervalMs: 0, retentionMs: 0, bucketMs: HOUR, sampleCap: 20_000, queueCapacity: 1 << 17 });
  for (let i = 0; i < events.length; i += 100_000) {
    for (const e of events.slice(i, i + 100_000)) assert.ok(monitor.record(e), "nothing is dropped");
    await monitor.flush();
  }
}

const config = defaultMonitorConfig();

/** Runs the default monitors at the end of each hour; returns, per hour, the metrics that drifted. */
async function hourly(store: MonitorStore, from: number, hours: number, stopWhen?: (drifted: readonly string[]) => boolean): Promise<string[][]> {
  const out: string[][] = [];
  for (let h = 1; h <= hours; h++) {
    const report = await runDrift(store, config, { now: from + h * HOUR });
    const drifted = report.results.filter((r) => r.verdict === "drift").map((r) => `${r.metric}@${r.windowMs / HOUR}h`);
    out.push(drifted);
    if (stopWhen?.(drifted)) break;
  }
  return out;
}

test(`false alarms and detection delays of the default monitors, run hourly (seed ${SEED})`, async (t) => {
  const store = new MemoryMonitorStore();
  await record(store, simulateClinic({ seed: SEED, start: START, hours: 168 }));
  const baseline = await createBaseline(store, "week", { from: START, to: START + 7 * DAY, agent: "clinic-agent", env: "production" }, { windows: [...new Set(config.monitors.map((m) => m.windowMs))] });
  assert.ok(baseline.aggregate.count > 100_000, `a week of traffic: ${baseline.aggregate.count} decisions`);

  const week = await hourly(store, START, 168);
  await record(store, simulateClinic({ seed: SEED + 1000, start: START + 7 * DAY, hours: 24 }));
  const control = await hourly(store, START + 7 * DAY, 24);
  const stationary = [...week, ...control];
  const alarmed = stationary.map((d, h) => (d.length > 0 ? `hour ${h + 1}: ${d.join(", ")}` : "")).filter((x) => x !== "");
  t.diagnostic(`stationary hours with any drift: ${alarmed.length} of ${stationary.length}${alarmed.length > 0 ? ` (${alarmed.join("; ")})` : ""}`);
  assert.ok(alarmed.length <= 0.01 * stationary.length, `at most 1% of stationary hours raise drift: ${alarmed.join("; ")}`);

  const delays: string[] = [];
  for (const shift of Object.keys(DETECTION_HOURS) as Shift[]) {
    const day = new MemoryMonitorStore();
    await day.saveBaseline(baseline as Baseline);
    const at = START + 7 * DAY;
    await record(day, simulateClinic({ seed: SEED + 2000, start: at, hours: 24, shift: { signal: shift, at } }));
    const flagged = (d: readonly string[]) => d.some((m) => FLAGS[shift].test(m.slice(0, m.lastIndexOf("@"))));
    const runs = await hourly(day, at, DETECTION_HOURS[shift], flagged);
    const hit = runs.findIndex(flagged);
    delays.push(`${shift} ${hit < 0 ? "missed" : `${hit + 1}h`}`);
    assert.ok(hit >= 0, `${shift}: detected within ${DETECTION_HOURS[shift]} hours (runs: ${runs.map((d) => d.join(",")).join(" | ")})`);
  }
  t.diagnostic(`detected after: ${delays.join(", ")}`);
});
