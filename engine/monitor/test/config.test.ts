// Monitor config files: defaults, validation with the field named, and the example file.
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../../../test/support.ts";
import { DEFAULT_MONITORS, defaultMonitorConfig, loadMonitorConfig, parseMonitorConfig } from "../config.ts";
import { MonitorError } from "../errors.ts";

function badConfig(json: unknown): MonitorError {
  try {
    parseMonitorConfig(json, "m.json");
  } catch (e) {
    assert.ok(e instanceof MonitorError);
    assert.equal(e.code, "monitor/bad-config");
    return e;
  }
  assert.fail("expected a bad-config error");
}

test("an empty config gives the default monitors with their usual tests, each over an hour, six hours and a day", () => {
  const c = defaultMonitorConfig();
  assert.deepEqual(c.monitors.map((m) => `${m.metric}@${m.windowMs / 3_600_000}`), DEFAULT_MONITORS.flatMap((m) => [1, 6, 24].map((h) => `${m.metric}@${h}`)));
  const by = new Map(c.monitors.map((m) => [m.metric, m]));
  assert.equal(by.get("tools")?.test, "chi2");
  assert.equal(by.get("approval_rate")?.test, "fisher", "exact tests for rates");
  assert.equal(by.get("denial_rate:*")?.test, "fisher");
  assert.equal(by.get("error_rate:*")?.test, "fisher");
  assert.equal(by.get("latency")?.test, "ks");
  assert.equal(by.get("tools")?.threshold, 0.001);
  assert.equal(by.get("tools")?.rearm, 0.1);
  assert.equal(by.get("tools")?.minSamples, 30);
  assert.equal(c.windowMs, 24 * 3_600_000);
  assert.equal(c.alerts.log, true);
  assert.equal(c.alerts.otel, false);
});

test("fields and defaults apply", () => {
  const c = parseMonitorConfig({
    baseline: "normal",
    defaults: { window: "30m", minSamples: 50, cooldown: "2h" },
    monitors: [{ name: "lat", metric: "latency", test: "psi" }, { metric: "tools", window: "15m", threshold: 0.001 }],
    alerts: { webhook: "http://127.0.0.1:1/x", otel: true },
  });
  assert.equal(c.baseline, "normal");
  const [lat, tools] = c.monitors;
  assert.deepEqual([lat.name, lat.test, lat.threshold, lat.rearm, lat.windowMs, lat.minSamples, lat.cooldownMs], ["lat", "psi", 0.2, 0.1, 1_800_000, 50, 7_200_000]);
  assert.deepEqual([tools.name, tools.windowMs, tools.threshold, tools.rearm], ["tools", 900_000, 0.001, 0.1]);
  assert.deepEqual(c.alerts.webhooks, ["http://127.0.0.1:1/x"]);
});

test("a monitor over several windows is one spec per window; defaults.window may be a list", () => {
  const c = parseMonitorConfig({ defaults: { window: ["30m", "1d"] }, monitors: [{ metric: "tools" }, { metric: "latency", window: "2h" }] });
  assert.deepEqual(c.monitors.map((m) => [m.name, m.windowMs]), [["tools", 1_800_000], ["tools", 86_400_000], ["latency", 7_200_000]]);
  assert.equal(c.windowMs, 86_400_000);
});

test("mistakes name the field", () => {
  assert.match(badConfig([]).message, /top level: must be a JSON object/);
  assert.match(badConfig({ monitor: [] }).message, /unknown field 'monitor'/);
  assert.match(badConfig({ monitors: [{}] }).message, /monitors\[0\]: 'metric' is required/);
  assert.match(badConfig({ monitors: [{ metric: "vibes" }] }).message, /unknown metric 'vibes'/);
  assert.match(badConfig({ monitors: [{ metric: "tools", test: "ks" }] }).message, /'ks' cannot test the categorical metric 'tools'/);
  assert.match(badConfig({ monitors: [{ metric: "latency", threshold: 2 }] }).message, /threshold/);
  assert.match(badConfig({ monitors: [{ metric: "latency", threshold: 0.05, rearm: 0.01 }] }).message, /rearm/);
  assert.match(badConfig({ monitors: [{ metric: "latency", test: "psi", threshold: 0.2, rearm: 0.3 }] }).message, /rearm/);
  assert.match(badConfig({ monitors: [{ metric: "tools", window: "soon" }] }).message, /'soon' is not a duration/);
  assert.match(badConfig({ monitors: [{ metric: "tools", window: ["1h", "soon"] }] }).message, /monitors\[0\]\.window\[1\]: 'soon' is not a duration/);
  assert.match(badConfig({ monitors: [{ metric: "tools", window: [] }] }).message, /names no window/);
  assert.match(badConfig({ monitors: [{ metric: "tools", window: ["1h", "60m"] }] }).message, /names a window twice/);
  assert.match(badConfig({ monitors: [{ metric: "tools", minSamples: 0 }] }).message, /minSamples/);
  assert.match(badConfig({ monitors: [{ metric: "tools" }, { metric: "tools" }] }).message, /two monitors are named 'tools'/);
  assert.match(badConfig({ alerts: { webhook: "ftp://x" } }).message, /not an http\(s\) URL/);
});

test("the example config in examples/ is valid", () => {
  const c = loadMonitorConfig(resolve(repoRoot, "examples", "monitors.json"));
  assert.ok(c.monitors.length >= 10);
  assert.ok(c.monitors.some((m) => m.metric === "eval:refusal"));
});
