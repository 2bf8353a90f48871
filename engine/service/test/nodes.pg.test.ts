// Three `palisade serve` processes on one throwaway PostgreSQL database: they start together
// (one signing key, made race-free), a session rule holds whichever node gets the call,
// approvals cross nodes, any node's console shows every node's decisions, a SIGKILL of one node under load loses no answered decision, the log
// verifies; a node with another key is refused, and a node whose database is gone answers 503.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { AuditLog, generateKey, openCheckpoint, openStore, parseSignerKey, readVerifierKeys } from "../../audit/index.ts";
import { freshDatabase, pgRelay } from "../../audit/test/pg-support.ts";
import { repoRoot } from "../../../test/support.ts";
import { rebuildHistories } from "../../sdk/history.ts";
import type { RecordedDecision } from "../../sdk/history.ts";
import { hashKey } from "../keys.ts";
import { POLICY, toolCall } from "./harness.ts";

const dir = mkdtempSync(join(tmpdir(), "palisade-nodes-"));
interface Node {
  readonly proc: ChildProcess;
  readonly url: string;
}
const procs: ChildProcess[] = [];
let db: string;
let nodes: Node[];

function startNode(cwd: string, database: string, config = join(dir, "config.json")): Promise<Node> {
  const proc = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", join(repoRoot, "engine/cli/main.ts"), "serve", join(dir, "shop.policy"), "--port", "0", "--db", database, "--config", config], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  procs.push(proc);
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    proc.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ proc, url: m[1] });
    });
    proc.once("exit", (code) => reject(Object.assign(new Error(`serve exited ${code}: ${err}`), { stderr: err })));
  });
}

async function call(url: string, method: string, path: string, k: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url + path, { method, headers: { authorization: `Bearer ${k}`, ...(body ? { "content-type": "application/json" } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, body: await res.json() };
}

function stop(n: Node): Promise<unknown> {
  if (n.proc.exitCode !== null) return Promise.resolve();
  return new Promise((r) => {
    n.proc.once("exit", r);
    n.proc.kill("SIGTERM");
  });
}

before(async () => {
  db = await freshDatabase("nodes");
  writeFileSync(join(dir, "shop.policy"), POLICY);
  writeFileSync(join(dir, "config.json"), JSON.stringify({
    keys: [
      { id: "agent", sha256: hashKey("k-agent"), agents: ["shop-bot"], environments: ["production"] },
      { id: "admin", sha256: hashKey("k-admin"), agents: ["*"], environments: ["*"], roles: ["admin"], principal: "alice" },
    ],
    checkpointEveryMs: 200,
    audit: { timeoutMs: 3000 },
  }));
  // No key file yet: three nodes starting at once in one folder make exactly one.
  nodes = await Promise.all([startNode(dir, db), startNode(dir, db), startNode(dir, db)]);
});

after(async () => {
  for (const p of procs) if (p.exitCode === null) p.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

it("holds a session rule whichever node gets the call, even for calls racing on three nodes", async () => {
  const [a, b, c] = nodes;
  assert.equal((await call(a.url, "POST", "/v1/decide", "k-agent", toolCall("search", {}, "mn-clinic"))).body.decision, "allow");
  assert.equal((await call(b.url, "POST", "/v1/decide", "k-agent", toolCall("search", {}, "mn-clinic"))).body.decision, "allow");
  const third = await call(c.url, "POST", "/v1/decide", "k-agent", toolCall("search", {}, "mn-clinic"));
  assert.equal(third.body.decision, "deny");
  assert.deepEqual(third.body.payload.session, { id: "mn-clinic", calls_before: 2 });
  // Any node's console shows the session's steps and the decisions of every node.
  let steps: { decision: string }[] = [];
  for (let i = 0; i < 50 && steps.length < 3; i++) {
    await new Promise((r) => setTimeout(r, 50));
    steps = (await call(a.url, "GET", "/v1/sessions/mn-clinic", "k-admin")).body.steps;
  }
  assert.deepEqual(steps.map((x) => x.decision), ["allow", "allow", "deny"]);
  const live = await call(b.url, "GET", "/v1/decisions?session=mn-clinic&decision=deny", "k-admin");
  assert.deepEqual(live.body.decisions.map((x: { id: string }) => x.id), [third.body.id]);
  assert.ok((await call(c.url, "GET", "/v1/sessions", "k-admin")).body.sessions.includes("mn-clinic"));
  const racing = await Promise.all(Array.from({ length: 15 }, (_, i) => call(nodes[i % 3].url, "POST", "/v1/decide", "k-agent", toolCall("search", {}, "race"))));
  assert.deepEqual(racing.map((r) => r.body.decision).sort(), [...Array(2).fill("allow"), ...Array(13).fill("deny")]);
});

it("keeps a session one principal's on every node: claimed on one, foreign on the others; racing principals get one owner", async () => {
  const [a, b, c] = nodes;
  assert.equal((await call(a.url, "POST", "/v1/decide", "k-agent", toolCall("search", {}, "mn-owned", "u1"))).body.decision, "allow");
  for (const n of [b, c]) assert.deepEqual((await call(n.url, "POST", "/v1/decide", "k-agent", toolCall("search", {}, "mn-owned", "u2"))).body.reasons.map((r: { rule: string }) => r.rule), ["palisade.session_principal"], n.url);
  // Three principals, one new session each round, one request per node at once: one owner.
  for (let round = 0; round < 5; round++) {
    const answers = await Promise.all(nodes.map((n, i) => call(n.url, "POST", "/v1/decide", "k-agent", toolCall("lookup", {}, `mn-race-${round}`, `p${i}`))));
    assert.deepEqual(answers.map((r) => r.body.decision).sort(), ["allow", "deny", "deny"], `round ${round}`);
  }
});

it("shares one approval queue: asked on one node, answered on another, waited on a third", async () => {
  const [a, b, c] = nodes;
  const asked = await call(a.url, "POST", "/v1/decide", "k-agent", toolCall("export"));
  const id = asked.body.approval.id as string;
  const waiting = call(c.url, "GET", `/v1/approvals/${id}?wait=20`, "k-agent");
  const seenOnB = await call(b.url, "GET", "/v1/approvals?status=pending", "k-admin");
  assert.ok(seenOnB.body.approvals.some((x: { id: string }) => x.id === id));
  const [approve, reject] = await Promise.all([call(b.url, "POST", "/v1/approvals", "k-admin", { id, action: "approve" }), call(c.url, "POST", "/v1/approvals", "k-admin", { id, action: "reject" })]);
  assert.deepEqual([approve.status, reject.status].sort(), [200, 409]);
  const outcome = await waiting;
  assert.equal(outcome.body.outcome, approve.status === 200 ? "allow" : "deny");
});

it("writes an approval's answer into the session's history on every node, and the log replays it", async () => {
  const [a, b, c] = nodes;
  const asked = await call(a.url, "POST", "/v1/decide", "k-agent", toolCall("export", { to: "x" }, "mn-answer"));
  assert.equal(asked.body.decision, "require_approval");
  // Node c reads (and caches) the session while the export is pending.
  const before = await call(c.url, "POST", "/v1/decide", "k-agent", { ...toolCall("search", {}, "mn-answer"), payload: "history" });
  assert.deepEqual(before.body.payload.session.calls.map((x: { outcome: string }) => x.outcome), ["pending"]);
  assert.equal((await call(b.url, "POST", "/v1/approvals", "k-admin", { id: asked.body.approval.id, action: "reject" })).status, 200);
  for (const n of [a, c]) {
    const next = await call(n.url, "POST", "/v1/decide", "k-agent", { ...toolCall("lookup", {}, "mn-answer"), payload: "history" });
    assert.equal(next.body.payload.session.calls[0].outcome, "approval_refused", n.url);
    assert.equal(next.body.payload.session.calls[0].decision, "require_approval");
  }
  // Replay rebuilds the same history from the log: the answer's entry settles call 0.
  const log = await AuditLog.open(await openStore(db));
  try {
    const records = [];
    for (let i = 0, size = await log.size(); i < size; i++) records.push((await log.read(i)).record);
    const history = rebuildHistories(records as unknown as RecordedDecision[]).get("mn-answer");
    assert.deepEqual(history?.map((x) => [x.tool.name, x.outcome]), [["export", "approval_refused"], ["search", "executed"], ["lookup", "executed"], ["lookup", "executed"]]);
  } finally {
    await log.close();
  }
});

it("settles a failed tool call on one node, and every node's next decision reads it failed (its copy included)", async () => {
  const [a, b, c] = nodes;
  const ran = await call(a.url, "POST", "/v1/decide", "k-agent", toolCall("lookup", {}, "mn-failed"));
  assert.equal(ran.body.call_seq, 0);
  // Node c reads (and caches) the session while the lookup reads executed.
  assert.equal((await call(c.url, "POST", "/v1/decide", "k-agent", toolCall("wire", {}, "mn-failed"))).body.decision, "allow");
  // Another key may not settle it, on any node.
  assert.equal((await call(c.url, "POST", "/v1/settlements", "k-admin", { agent: "shop-bot", environment: "production", session: "mn-failed", call_seq: 0, outcome: "failed" })).status, 403);
  const settled = await call(b.url, "POST", "/v1/settlements", "k-agent", { session: "mn-failed", call_seq: 0, outcome: "failed", error: { type: "ValueError" } });
  assert.deepEqual(settled.body, { session: "mn-failed", call_seq: 0, outcome: "failed", settled: true });
  // A retry on another node is the same answer; another outcome is refused there too.
  assert.equal((await call(c.url, "POST", "/v1/settlements", "k-agent", { session: "mn-failed", call_seq: 0, outcome: "failed" })).body.settled, false);
  assert.equal((await call(a.url, "POST", "/v1/settlements", "k-agent", { session: "mn-failed", call_seq: 0, outcome: "denied" })).status, 409);
  for (const n of [a, c, b]) {
    const next = await call(n.url, "POST", "/v1/decide", "k-agent", { ...toolCall("wire", {}, "mn-failed"), payload: "history" });
    assert.equal(next.body.decision, "deny", n.url);
    assert.equal(next.body.payload.session.calls[0].outcome, "failed", n.url);
  }
});

it("refuses a node whose signing key is not the log's, naming both keys", async () => {
  const other = join(dir, "elsewhere");
  mkdirSync(other);
  // From another folder with no key: refused before it makes one of its own.
  await assert.rejects(startNode(other, db), (err: Error & { stderr?: string }) => /checkpoints are signed by palisade\.local\/audit\/[0-9a-f]+\+[0-9a-f]{8}\+\S+, whose signing key is not at .*elsewhere/.test(err.stderr ?? ""));
  const k = generateKey("palisade.local/audit");
  writeFileSync(join(other, "palisade-audit.key"), `${k.signerKey}\n`);
  await assert.rejects(startNode(other, db), (err: Error & { stderr?: string }) => (err.stderr ?? "").includes(parseSignerKey(k.signerKey).vkey) && /is not this log's: the log's checkpoints are signed by palisade\.local\/audit\/[0-9a-f]+\+/.test(err.stderr ?? ""));
});

it("loses no answered decision when a node is killed under load, and the log verifies", async () => {
  const answered: string[] = [];
  let running = true;
  const loop = async (w: number): Promise<void> => {
    for (let i = 0; running; i++) {
      const n = nodes[w % 3];
      try {
        const r = await call(n.url, "POST", "/v1/decide", "k-agent", toolCall(i % 4 === 0 ? "shell" : "lookup", { w, i }, i % 2 === 0 ? `s-${w}` : undefined));
        if (r.status === 200) answered.push(r.body.id as string);
      } catch {
        if (n === nodes[1]) return;
      }
    }
  };
  const loops = Array.from({ length: 12 }, (_, w) => loop(w));
  for (let waited = 0; answered.length < 150 && waited < 15_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  nodes[1].proc.kill("SIGKILL");
  await new Promise((r) => setTimeout(r, 500));
  running = false;
  await Promise.all(loops);
  await Promise.all([stop(nodes[0]), stop(nodes[2])]);
  assert.ok(answered.length > 20, `only ${answered.length} answered`);

  const log = await AuditLog.open(await openStore(db));
  try {
    const size = await log.size();
    const logged = new Set<string>();
    for (let i = 0; i < size; i++) {
      const rec = (await log.read(i)).record as { decision_id?: string };
      if (rec.decision_id) logged.add(rec.decision_id);
    }
    const lost = answered.filter((id) => !logged.has(id));
    assert.deepEqual(lost, [], `${lost.length} of ${answered.length} answered decisions are not in the log`);
    const report = await log.verify({ verifierKeys: readVerifierKeys(join(dir, "palisade-audit.vkey")) });
    assert.equal(report.ok, true, JSON.stringify(report).slice(0, 500));
    const cp = await log.latestCheckpoint();
    assert.ok(cp);
    assert.ok(openCheckpoint(cp.note, readVerifierKeys(join(dir, "palisade-audit.vkey"))).ok);
  } finally {
    await log.close();
  }
});

it("answers 503 audit/unavailable while its database is unreachable, and is not ready", async () => {
  const relay = await pgRelay(db);
  const n = await startNode(dir, relay.url);
  try {
    assert.equal((await call(n.url, "POST", "/v1/decide", "k-agent", toolCall("lookup"))).status, 200);
    // The database goes away: the proxy drops every connection and refuses new ones.
    await relay.close();
    const down = await call(n.url, "POST", "/v1/decide", "k-agent", toolCall("lookup"));
    assert.deepEqual([down.status, down.body.error.code], [503, "audit/unavailable"]);
    const ready = await fetch(`${n.url}/readyz`);
    assert.equal(ready.status, 503);
  } finally {
    await stop(n);
  }
});
