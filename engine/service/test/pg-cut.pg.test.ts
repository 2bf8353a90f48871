// PostgreSQL drops the service's connections while decisions are being committed (a failover,
// a killed backend, a network cut): no answered decision is missing from the log, the log still
// verifies, nothing answers 500, and the service decides again once the database is back.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { AuditLog, openStore, readVerifierKeys } from "../../audit/index.ts";
import { freshDatabase, pgRelay } from "../../audit/test/pg-support.ts";
import { repoRoot } from "../../../test/support.ts";
import { hashKey } from "../keys.ts";
import { POLICY, toolCall } from "./harness.ts";

const dir = mkdtempSync(join(tmpdir(), "palisade-pgcut-"));
let proc: ChildProcess | undefined;
after(() => {
  if (proc && proc.exitCode === null) proc.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

it("loses no answered decision when PostgreSQL drops its connections mid-commit, and recovers", async () => {
  const db = await freshDatabase("pgcut");
  const relay = await pgRelay(db);
  writeFileSync(join(dir, "shop.policy"), POLICY);
  writeFileSync(join(dir, "config.json"), JSON.stringify({ keys: [{ id: "agent", sha256: hashKey("k-agent"), agents: ["shop-bot"], environments: ["production"] }], checkpointEveryMs: 100, audit: { timeoutMs: 2000 } }));
  proc = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", join(repoRoot, "engine/cli/main.ts"), "serve", join(dir, "shop.policy"), "--port", "0", "--db", relay.url, "--config", join(dir, "config.json")], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  proc.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    proc!.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    proc!.once("exit", (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  const decide = async (body: unknown): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${url}/v1/decide`, { method: "POST", headers: { authorization: "Bearer k-agent", "content-type": "application/json" }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  };
  const answered: string[] = [];
  const statuses = new Map<number, number>();
  let running = true;
  const loop = async (w: number): Promise<void> => {
    for (let i = 0; running; i++) {
      let r;
      try {
        r = await decide(toolCall(i % 3 === 0 ? "search" : "lookup", { w, i }, i % 2 === 0 ? `cut-${w}` : undefined));
      } catch (err) {
        throw new Error(`no answer (${String(err)}; exit ${proc!.exitCode}); stderr: ${stderr.slice(-3000)}`);
      }
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.status === 200) answered.push(r.body.id as string);
    }
  };
  const loops = Array.from({ length: 6 }, (_, w) => loop(w));
  // Cut every connection to the database ten times, 150 ms apart, while the loops run.
  for (let cut = 0; cut < 10; cut++) {
    await new Promise((r) => setTimeout(r, 150));
    relay.cut();
  }
  await new Promise((r) => setTimeout(r, 300));
  running = false;
  await Promise.all(loops);
  // Back: the service decides again.
  let after = { status: 0, body: {} as any };
  for (let i = 0; i < 40 && after.status !== 200; i++) {
    after = await decide(toolCall("lookup", { after: i }));
    if (after.status !== 200) await new Promise((r) => setTimeout(r, 250));
  }
  assert.equal(after.status, 200, `the service did not recover: ${JSON.stringify(after.body)}; stderr: ${stderr.slice(-2000)}`);
  answered.push(after.body.id as string);
  assert.ok(!statuses.has(500), `500s: ${JSON.stringify([...statuses])}; stderr: ${stderr.slice(-3000)}`);
  await new Promise<void>((r) => {
    proc!.once("exit", () => r());
    proc!.kill("SIGTERM");
  });
  await relay.close();
  const log = await AuditLog.open(await openStore(db));
  try {
    const size = await log.size();
    const logged = new Set<string>();
    for (let i = 0; i < size; i++) {
      const rec = (await log.read(i)).record as { decision_id?: string };
      if (rec.decision_id) logged.add(rec.decision_id);
    }
    const lost = answered.filter((id) => !logged.has(id));
    assert.deepEqual(lost, [], `${lost.length} of ${answered.length} answered decisions are not in the log (statuses ${JSON.stringify([...statuses])})`);
    const report = await log.verify({ verifierKeys: readVerifierKeys(join(dir, "palisade-audit.vkey")) });
    assert.equal(report.ok, true, JSON.stringify(report).slice(0, 500));

  } finally {
    await log.close();
  }
});
