// Two `palisade serve` processes on one PostgreSQL: decisions taken on both land in one
// consistent audit log, and an approval filed on one node is answered on the other while the
// client waits on the first.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { AuditLog, generateKey, openCheckpoint, openStore } from "../../audit/index.ts";
import { pgUrl, repoRoot } from "../../../test/support.ts";
import { hashKey } from "../keys.ts";
import { POLICY, toolCall } from "./harness.ts";

const dir = mkdtempSync(join(tmpdir(), "palisade-nodes-"));
const nodes: { proc: ChildProcess; url: string }[] = [];
const key = generateKey("nodes.test/audit");

function startNode(): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", join(repoRoot, "engine/cli/main.ts"), "serve", join(dir, "shop.policy"), "--port", "0", "--db", pgUrl(), "--config", join(dir, "config.json")], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    proc.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ proc, url: m[1] });
    });
    proc.once("exit", (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

async function call(url: string, method: string, path: string, k: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url + path, { method, headers: { authorization: `Bearer ${k}`, ...(body ? { "content-type": "application/json" } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, body: await res.json() };
}

before(async () => {
  writeFileSync(join(dir, "shop.policy"), POLICY);
  writeFileSync(join(dir, "audit.key"), `${key.signerKey}\n`);
  writeFileSync(join(dir, "config.json"), JSON.stringify({
    keys: [
      { id: "agent", sha256: hashKey("k-agent"), agents: ["shop-bot"], environments: ["production"] },
      { id: "admin", sha256: hashKey("k-admin"), agents: ["*"], environments: ["*"], roles: ["admin"], principal: "alice" },
    ],
    checkpointEveryMs: 200,
    signingKeyFile: "audit.key",
  }));
  nodes.push(...(await Promise.all([startNode(), startNode()])));
});

after(async () => {
  for (const n of nodes) if (n.proc.exitCode === null) n.proc.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

it("shares one audit log and one approval queue", async () => {
  const [a, b] = nodes;
  const ids = new Set<string>();
  await Promise.all(Array.from({ length: 200 }, async (_, i) => {
    const r = await call(i % 2 === 0 ? a.url : b.url, "POST", "/v1/decide", "k-agent", toolCall(i % 5 === 0 ? "shell" : "lookup", { i }));
    assert.equal(r.status, 200);
    ids.add(r.body.id);
  }));
  assert.equal(ids.size, 200);

  const asked = await call(a.url, "POST", "/v1/decide", "k-agent", toolCall("export"));
  const id = asked.body.approval.id as string;
  const waiting = call(a.url, "GET", `/v1/approvals/${id}?wait=20`, "k-agent");
  const seenOnB = await call(b.url, "GET", "/v1/approvals?status=pending", "k-admin");
  assert.ok(seenOnB.body.approvals.some((x: { id: string }) => x.id === id));
  const approved = await call(b.url, "POST", "/v1/approvals", "k-admin", { id, action: "approve" });
  assert.equal(approved.body.status, "approved");
  const outcome = await waiting;
  assert.equal(outcome.body.outcome, "allow");
  const twice = await call(a.url, "POST", "/v1/approvals", "k-admin", { id, action: "reject" });
  assert.equal(twice.status, 409);

  // Stopping commits what each node queued; then the shared log holds every decision once.
  await Promise.all(nodes.map((n) => new Promise((r) => { n.proc.once("exit", r); n.proc.kill("SIGTERM"); })));
  const log = await AuditLog.open(await openStore(pgUrl()), { verifierKeys: [key.verifierKey] });
  try {
    assert.equal(await log.size(), 202);
    const seen = new Map<string, number>();
    let approvals = 0;
    for (let i = 0; i < 202; i++) {
      const rec = (await log.read(i)).record as { decision_id?: string; approval?: { id: string } };
      if (rec.approval) approvals++;
      else if (rec.decision_id) seen.set(rec.decision_id, (seen.get(rec.decision_id) ?? 0) + 1);
    }
    assert.equal(approvals, 1);
    assert.equal(seen.size, 201);
    for (const x of ids) assert.equal(seen.get(x), 1);
    const report = await log.verify();
    assert.equal(report.ok, true, JSON.stringify(report).slice(0, 500));
    const cp = await log.latestCheckpoint();
    assert.ok(cp);
    assert.ok(openCheckpoint(cp.note, [key.verifierKey]).ok);
  } finally {
    await log.close();
  }
});
