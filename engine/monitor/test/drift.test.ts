// Drift evaluation without I/O: each test on a known shift, the sample-size floor, pattern
// expansion, and Benjamini–Hochberg across the run.
import assert from "node:assert/strict";
import { test } from "node:test";
import { addEvent, emptyAggregate } from "../aggregate.ts";
import type { Aggregate } from "../aggregate.ts";
import { parseMonitorConfig } from "../config.ts";
import { evaluateDrift } from "../drift.ts";
import type { DecisionEvent } from "../event.ts";
import { benjaminiHochberg } from "../stats/multiple-testing.ts";
import { seededRandom } from "../random.ts";

function build(n: number, seed: number, make: (rand: () => number, i: number) => Partial<DecisionEvent>): Aggregate {
  const rand = seededRandom(seed);
  const a = emptyAggregate();
  for (let i = 0; i < n; i++) addEvent(a, { time: i, decision: "allow", ...make(rand, i) }, undefined, 5000, rand);
  return a;
}

function run(monitors: unknown[], ref: Aggregate, cur: Aggregate) {
  const config = parseMonitorConfig({ defaults: { window: "1h" }, monitors });
  return evaluateDrift(config.monitors, () => ref, () => cur);
}

test("a latency shift is found by KS, PSI and normed Wasserstein; an unshifted one is not", () => {
  const ref = build(3000, 1, (r) => ({ latencyMs: 100 + 20 * r() }));
  const same = build(3000, 2, (r) => ({ latencyMs: 100 + 20 * r() }));
  const slow = build(3000, 3, (r) => ({ latencyMs: 110 + 20 * r() }));
  const monitors = [{ name: "ks", metric: "decision_latency" }, { name: "psi", metric: "decision_latency", test: "psi" }, { name: "w", metric: "decision_latency", test: "wasserstein" }];
  assert.deepEqual(run(monitors, ref, same).map((r) => r.verdict), ["ok", "ok", "ok"]);
  const shifted = run(monitors, ref, slow);
  assert.deepEqual(shifted.map((r) => r.verdict), ["drift", "drift", "drift"]);
  assert.ok((shifted[0].statistic ?? 0) > 0.4);
  assert.equal(shifted[0].chart.labels.length, 10, "decile bins of the baseline");
  assert.match(shifted[0].summary, /mean 110 → 120/);
});

test("rates: a per-rule denial rate moves, the other rule's does not", () => {
  const mk = (pA: number) => (r: () => number): Partial<DecisionEvent> => {
    const u = r();
    if (u < pA) return { decision: "deny", rules: [{ rule: "r.a", effect: "deny" }] };
    if (u < pA + 0.02) return { decision: "deny", rules: [{ rule: "r.b", effect: "deny" }] };
    return {};
  };
  const res = run([{ metric: "denial_rate:*" }], build(5000, 4, mk(0.02)), build(5000, 5, mk(0.06)));
  assert.deepEqual(res.map((r) => [r.metric, r.verdict]), [["denial_rate:r.a", "drift"], ["denial_rate:r.b", "ok"]]);
  assert.equal(res[0].key, "denial_rate:*/denial_rate:r.a@1h");
  assert.equal(res[0].test, "fisher");
});

test("too few observations give no verdict, with the reason", () => {
  const res = run([{ metric: "tools", minSamples: 500 }], build(1000, 6, () => ({ tool: "a" })), build(100, 7, () => ({ tool: "b" })));
  assert.equal(res[0].verdict, "insufficient");
  assert.match(res[0].note ?? "", /the window has 100 observations, fewer than the 500 required/);
  const none = run([{ metric: "decision_latency" }], build(200, 8, () => ({})), build(200, 9, () => ({})));
  assert.equal(none[0].verdict, "insufficient");
});

test("p-values are adjusted together by Benjamini–Hochberg", () => {
  const ref = build(2000, 10, (r) => ({ tool: r() < 0.5 ? "a" : "b", latencyMs: r(), category: r() < 0.5 ? "x" : "y" }));
  const cur = build(2000, 11, (r) => ({ tool: r() < 0.45 ? "a" : "b", latencyMs: r(), category: r() < 0.5 ? "x" : "y" }));
  const res = run([{ metric: "tools" }, { metric: "decision_latency" }, { metric: "categories" }], ref, cur);
  const p = res.map((r) => r.pValue as number);
  assert.deepEqual(res.map((r) => r.adjustedP), benjaminiHochberg(p).adjusted);
});

test("categorical distances: Jensen–Shannon and PSI on category shares", () => {
  const ref = build(1000, 12, (r) => ({ category: r() < 0.8 ? "answer" : "refusal" }));
  const cur = build(1000, 13, (r) => ({ category: r() < 0.3 ? "answer" : "refusal" }));
  const res = run([{ name: "js", metric: "categories", test: "jensen_shannon" }, { name: "psi", metric: "categories", test: "psi" }, { name: "gof", metric: "categories", test: "chi2_gof" }], ref, cur);
  assert.deepEqual(res.map((r) => r.verdict), ["drift", "drift", "drift"]);
  assert.ok((res[0].distance ?? 0) > 0.3 && (res[0].distance ?? 1) <= 1);
});
