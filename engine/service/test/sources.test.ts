// The console's data sources on a live service: decisions reach the monitor, /v1/drift compares
// later traffic with a baseline of earlier traffic, /v1/reports builds compliance reports from
// the service's audit log, and /v1/environments lists what each environment serves.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DEFAULT_MONITORS, createBaseline, mergeAggregates, openMonitorStore, parseMonitorConfig, seededRandom } from "../../monitor/index.ts";
import type { MetricResult, MonitorStore } from "../../monitor/index.ts";
import { ConfigError, parseServiceConfig } from "../config.ts";
import { environmentSource } from "../environment-source.ts";
import { startHarness, toolCall } from "./harness.ts";
import type { Harness } from "./harness.ts";
import { environmentsFixture, startMonitored } from "./sources-support.ts";
import type { MonitoredHarness } from "./sources-support.ts";

async function everything(store: MonitorStore) {
  const buckets = await store.buckets({ from: 0, to: Number.MAX_SAFE_INTEGER });
  return mergeAggregates(buckets.map((b) => b.aggregate), 1000, seededRandom(1));
}

describe("monitor and drift", () => {
  let h: MonitoredHarness;
  before(async () => {
    h = await startMonitored();
  });
  after(async () => {
    await h?.close();
  });

  it("says how to make a baseline before there is one", async () => {
    const r = await h.call("GET", "/v1/drift", "admin");
    assert.equal(r.status, 200);
    assert.equal(r.body.status, "no-baseline");
    assert.equal(r.body.code, "monitor/no-baseline");
    assert.match(r.body.hint, /palisade baseline create normal --from -1h --db .*monitor\.db/);
    assert.deepEqual(r.body.monitors, DEFAULT_MONITORS.map((m) => m.name));
    assert.equal((await h.call("GET", "/v1/drift", "agent")).status, 403);
  });

  it("records every decision made through POST /v1/decide", async () => {
    await h.call("POST", "/v1/decide", "agent", toolCall("search"));
    await h.call("POST", "/v1/decide", "agent", toolCall("shell"));
    await h.call("POST", "/v1/decide", "agent", { phase: "output", input: { agent: { id: "shop-bot" }, env: "production", output: { text: "hi" } } });
    assert.equal(h.monitor.pending, 3, "queued on the decision path, not yet stored");
    await h.monitor.flush();
    const a = await everything(h.monitor.store);
    assert.equal(a.count, 3);
    assert.equal(a.tools.get("search"), 1);
    assert.equal(a.tools.get("shell"), 1);
    assert.equal(a.decisions.get("deny"), 1);
    assert.equal(a.decisions.get("allow"), 2);
    assert.equal(a.ruleDenials.get("shop.no_shell"), 1);
  });

  it("detects a shifted tool mix against a baseline of earlier traffic", async () => {
    await h.traffic({ search: 160, refund: 40 });
    await h.monitor.flush();
    await createBaseline(h.monitor.store, "normal", {});
    const calm = await h.call("GET", "/v1/drift", "admin");
    assert.equal(calm.body.status, "ok");
    assert.equal(calm.body.baseline.name, "normal");
    assert.equal(calm.body.baseline.count, 203);
    const tools = (b: { results: MetricResult[] }) => b.results.find((r) => r.key === "tool mix/tools@1h") as MetricResult;
    assert.equal(tools(calm.body).verdict, "ok");
    assert.equal(calm.body.drifted, 0);

    // Left queued: the drift source flushes the monitor before it reads.
    await h.traffic({ lookup: 300 });
    const shifted = await h.call("GET", "/v1/drift", "admin");
    assert.equal(shifted.body.status, "ok");
    assert.equal(shifted.body.window.count, 503);
    const t = tools(shifted.body);
    assert.equal(t.verdict, "drift");
    assert.equal(t.test, "chi2");
    assert.ok((t.adjustedP as number) < 1e-6 && (t.statistic as number) > 100, `chi2 ${t.statistic}, q ${t.adjustedP}`);
    const i = t.chart.labels.indexOf("lookup");
    assert.equal(t.chart.reference[i], 0);
    // The tool mix counts tool calls: 502 of the 503 decisions (the earlier output named no tool).
    assert.ok(Math.abs(t.chart.current[i] - 300 / 502) < 1e-9);
    assert.ok(shifted.body.drifted >= 1);
  });

  it("runs the monitors the configuration declares, with their baseline", async () => {
    const config = parseMonitorConfig({ baseline: "missing", monitors: [{ name: "tools only", metric: "tools", minSamples: 5 }] }, "test");
    const m = await startMonitored({ config });
    try {
      const r = await m.call("GET", "/v1/drift", "admin");
      assert.equal(r.body.status, "error");
      assert.equal(r.body.code, "monitor/unknown-baseline");
      assert.deepEqual(r.body.monitors, ["tools only"]);
    } finally {
      await m.close();
    }
  });

  it("flushes and closes the monitor when the service closes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "palisade-close-"));
    const { Monitor } = await import("../../monitor/index.ts");
    const monitor = new Monitor({ store: await openMonitorStore(join(dir, "m.db")), flushIntervalMs: 0, retentionMs: 0 });
    const s = await startHarness({ monitor });
    try {
      await s.call("POST", "/v1/decide", "agent", toolCall("search"));
      await s.call("POST", "/v1/decide", "agent", toolCall("search"));
      assert.equal(monitor.pending, 2);
    } finally {
      await s.close();
    }
    await assert.rejects(monitor.store.buckets({ from: 0, to: 1 }), /closed/);
    const reopened = await openMonitorStore(join(dir, "m.db"), { create: false });
    try {
      assert.equal((await everything(reopened)).tools.get("search"), 2);
    } finally {
      await reopened.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("compliance reports", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  it("builds a report from every decision in the audit log", async () => {
    for (const tool of ["search", "shell", "search", "search"]) await h.call("POST", "/v1/decide", "agent", toolCall(tool, {}, "s-1"));
    const r = await h.call("GET", "/v1/reports/soc2", "admin");
    assert.equal(r.status, 200);
    assert.equal(r.body.format, "palisade.compliance-report/2");
    assert.equal(r.body.framework.id, "soc2");
    const size = await h.service.context.audit.size();
    assert.equal(size, 4);
    assert.equal(r.body.evidence.entries_read, size, "the report reads the whole log, queued decisions included");
    assert.equal(r.body.log.size, size);
    assert.equal(r.body.evidence.decisions.total, 4);
    assert.equal(r.body.evidence.decisions.deny, 2, "the shell call and the third search");
    assert.equal(r.body.evidence.decisions.allow, 2);
    assert.deepEqual(r.body.policies.paths, ["shop.policy"]);
  });

  it("answers in HTML or OSCAL on request, and names the reports it has", async () => {
    const html = await fetch(`${h.url}/v1/reports/hipaa?format=html`, { headers: { authorization: "Bearer k-admin" } });
    assert.equal(html.status, 200);
    assert.match(html.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(await html.text(), /<svg/);
    const oscal = await h.call("GET", "/v1/reports/soc2?format=oscal", "admin");
    assert.ok(oscal.body["assessment-results"], "an OSCAL assessment-results document");
    const list = await h.call("GET", "/v1/reports", "admin");
    assert.ok(list.body.reports.includes("soc2") && list.body.reports.includes("hipaa"));
  });

  it("refuses unknown reports and bad periods with the field at fault", async () => {
    const none = await h.call("GET", "/v1/reports/nope", "admin");
    assert.equal(none.status, 404);
    assert.equal(none.body.error.path, "/name");
    assert.match(none.body.error.message, /expected one of soc2/);
    const bad = await h.call("GET", "/v1/reports/soc2?from=yesterday", "admin");
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.path, "/from");
    const empty = await h.call("GET", "/v1/reports/soc2?from=2026-11-02&to=2026-11-01", "admin");
    assert.equal(empty.status, 400);
    assert.equal((await h.call("GET", "/v1/reports/soc2", "agent")).status, 403);
  });
});

describe("environments", () => {
  it("lists each environment with the bundle it serves and who promoted it", async () => {
    const f = environmentsFixture();
    const h = await startHarness({ environments: environmentSource(f.config) });
    try {
      const r = await h.call("GET", "/v1/environments", "admin");
      assert.equal(r.status, 200);
      assert.equal(r.body.configured, true);
      assert.equal(r.body.file, f.file);
      const [staging, production] = r.body.environments;
      assert.equal(staging.name, "staging");
      assert.equal(staging.bundle.digest, f.digest);
      assert.equal(staging.bundle.version, "2.1.0");
      assert.deepEqual(staging.bundle.signers, ["release"]);
      assert.deepEqual(staging.installed, { time: "2026-11-20T10:00:00.000Z", by: ["alice", "bob"], action: "promotion", digest: f.digest });
      assert.equal(staging.problem, null);
      assert.equal(production.name, "production");
      assert.equal(production.bundle, null);
      assert.equal(production.installed, null);
      assert.equal(production.problem.code, "env/no-state");
    } finally {
      await h.close();
      f.close();
    }
  });

  it("says how to set environments up when there are none", async () => {
    const h = await startHarness();
    try {
      const r = await h.call("GET", "/v1/environments", "admin");
      assert.equal(r.body.configured, false);
      assert.match(r.body.hint, /palisade\.environments\.json/);
    } finally {
      await h.close();
    }
  });
});

describe("service config", () => {
  const keys = [{ id: "a", sha256: "0".repeat(64), agents: ["*"], environments: ["*"] }];
  it("reads monitors inline or from a file, or turns the monitor off", () => {
    const inline = parseServiceConfig(JSON.stringify({ keys, monitor: { monitors: [{ name: "tools", metric: "tools", minSamples: 20 }] } }), "/srv");
    assert.ok(inline.monitor);
    assert.equal(inline.monitor.monitors[0].minSamples, 20);
    assert.equal(parseServiceConfig(JSON.stringify({ keys, monitor: false }), "/srv").monitor, false);
    const dir = mkdtempSync(join(tmpdir(), "palisade-config-"));
    try {
      writeFileSync(join(dir, "monitors.json"), JSON.stringify({ baseline: "nov", monitors: [{ metric: "decisions" }] }));
      const fromFile = parseServiceConfig(JSON.stringify({ keys, monitor: "monitors.json", environments: "envs/palisade.environments.json" }), dir);
      assert.ok(fromFile.monitor);
      assert.equal(fromFile.monitor.baseline, "nov");
      assert.equal(fromFile.environments, join(dir, "envs", "palisade.environments.json"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names the bad field of a monitor section", () => {
    assert.throws(() => parseServiceConfig(JSON.stringify({ keys, monitor: { monitors: [{ metric: "nope" }] } }), "/srv"), (e: unknown) => e instanceof ConfigError && /\/monitor: monitors\[0\]\.metric: unknown metric 'nope'/.test(e.message));
    assert.throws(() => parseServiceConfig(JSON.stringify({ keys, monitor: 3 }), "/srv"), (e: unknown) => e instanceof ConfigError && /\/monitor must be false/.test(e.message));
    assert.throws(() => parseServiceConfig(JSON.stringify({ keys, environments: 1 }), "/srv"), (e: unknown) => e instanceof ConfigError && /\/environments must be/.test(e.message));
  });
});
