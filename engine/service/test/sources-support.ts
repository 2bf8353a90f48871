// Fixtures of the console's data sources: a service whose decisions feed a monitor (SQLite store
// beside the test's files), traffic of a chosen tool mix, and an environments setup with one
// environment promoted into and one still empty.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKey, parseSignerKey } from "../../audit/index.ts";
import { buildBundle, install, loadEnvironmentsConfig, verifyBundle } from "../../environments/index.ts";
import type { EnvironmentsConfig } from "../../environments/index.ts";
import { Monitor, openMonitorStore } from "../../monitor/index.ts";
import type { MonitorConfig } from "../../monitor/index.ts";
import { monitorDriftSource } from "../drift-source.ts";
import type { ServiceOptions } from "../server.ts";
import { POLICY, startHarness, toolCall } from "./harness.ts";
import type { Harness } from "./harness.ts";

/** A harness whose service feeds `monitor`, with /v1/drift over its store. */
export interface MonitoredHarness extends Harness {
  readonly monitor: Monitor;
  /** Sends `counts[tool]` tool calls of each tool through POST /v1/decide/batch. */
  traffic(counts: Readonly<Record<string, number>>): Promise<void>;
}

/** Starts a service with a monitor (manual flushes only, so tests decide when data lands). */
export async function startMonitored(o: { readonly config?: MonitorConfig; readonly extra?: Partial<ServiceOptions> } = {}): Promise<MonitoredHarness> {
  const dir = mkdtempSync(join(tmpdir(), "palisade-monitored-"));
  const monitor = new Monitor({ store: await openMonitorStore(join(dir, "monitor.db")), flushIntervalMs: 0, retentionMs: 0 });
  const drift = monitorDriftSource({ store: monitor.store, flush: () => monitor.flush(), ...(o.config ? { config: o.config } : {}) });
  const h = await startHarness({ monitor, drift, ...o.extra });
  return {
    ...h,
    monitor,
    async traffic(counts) {
      const requests = Object.entries(counts).flatMap(([tool, n]) => Array.from({ length: n }, () => toolCall(tool, tool === "refund" ? { amount: 10 } : {})));
      for (let i = 0; i < requests.length; i += 1000) {
        const r = await h.call("POST", "/v1/decide/batch", "agent", { requests: requests.slice(i, i + 1000) });
        if (r.status !== 200) throw new Error(`batch failed: ${JSON.stringify(r.body)}`);
      }
    },
    async close() {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * `palisade.environments.json` in a fresh folder: staging serving a signed bundle (version
 * 2.1.0) that alice and bob promoted, production with nothing installed yet.
 */
export function environmentsFixture(): { dir: string; file: string; config: EnvironmentsConfig; digest: string; signerKey: string; stagingKey: string; close(): void } {
  const dir = mkdtempSync(join(tmpdir(), "palisade-envs-"));
  const key = generateKey("release");
  writeFileSync(join(dir, "release.vkey"), `${key.verifierKey}\n`);
  // Each environment and approver has a key of its own (engine/environments/config.ts).
  const own: Record<string, string> = {};
  for (const name of ["staging", "production", "alice", "bob"]) {
    const k = generateKey(name);
    own[name] = k.signerKey;
    writeFileSync(join(dir, `${name}.vkey`), `${k.verifierKey}\n`);
  }
  const file = join(dir, "palisade.environments.json");
  writeFileSync(file, JSON.stringify({
    approvers: { alice: { roles: ["release-manager"], key: "alice.vkey" }, bob: { roles: ["security"], key: "bob.vkey" } },
    environments: [
      { name: "staging", bundle: "bundles/staging.json", state: "state/staging", key: "staging.vkey", trustedKeys: ["release.vkey"] },
      { name: "production", bundle: "bundles/production.json", state: "state/production", key: "production.vkey", trustedKeys: ["release.vkey"] },
    ],
  }));
  const config = loadEnvironmentsConfig(file);
  const staging = config.environments[0];
  const verified = verifyBundle(buildBundle({ sources: [{ path: "shop.policy", text: POLICY }], key: parseSignerKey(key.signerKey), version: "2.1.0" }), staging.trustedKeys);
  install(staging, verified, { key: parseSignerKey(own.staging), by: ["alice", "bob"], action: "promotion", from: null, now: new Date("2026-11-20T10:00:00Z") });
  return { dir, file, config, digest: verified.digest, signerKey: key.signerKey, stagingKey: own.staging, close: () => rmSync(dir, { recursive: true, force: true }) };
}
