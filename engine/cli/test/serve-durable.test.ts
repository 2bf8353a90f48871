// `palisade serve` as an operator runs it and as a crash finds it: a SIGKILL under load loses no
// decision that was answered, approvals survive a restart, a long-poll at shutdown gets an
// answer, keys are minted with `palisade keys create`, and the admin key stays out of logs.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { AuditLog, fileSignerMemory, logFiles, openStore, readSigningKey, readVerifierKeys } from "../../audit/index.ts";
import { SHOP_POLICY, serve } from "./serve-support.ts";
import type { Served } from "./serve-support.ts";
import { run } from "./support.ts";

const dir = mkdtempSync(join(tmpdir(), "palisade-serve-durable-"));
writeFileSync(join(dir, "shop.policy"), SHOP_POLICY);
const running: Served[] = [];
after(async () => {
  for (const s of running) if (s.proc.exitCode === null) s.proc.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

async function start(args: string[], key?: string): Promise<Served> {
  const s = await serve(args, dir, key);
  running.push(s);
  return s;
}

/** Mints a key with `palisade keys create` into `config`; returns it. */
async function mint(config: string, ...flags: string[]): Promise<string> {
  const r = await run(["keys", "create", "--config", config, ...flags], dir);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

describe("palisade keys", () => {
  it("mints scoped keys into the config, and the first decision with one works on the first try", async () => {
    const agent = await mint("keys.json", "--agent", "shop-bot", "--env", "production");
    const watcher = await mint("keys.json", "--agent", "*", "--env", "*", "--scope", "metrics", "--expires", "30d");
    assert.match(agent, /^pal_[A-Za-z0-9_-]{43}$/);
    const config = JSON.parse(readFileSync(join(dir, "keys.json"), "utf8")) as { keys: { id: string; sha256: string; scopes?: string[]; expires?: string }[] };
    assert.deepEqual(config.keys.map((k) => k.id), ["shop-bot", "key"]);
    assert.ok(!readFileSync(join(dir, "keys.json"), "utf8").includes(agent), "the key itself is never written to the config");
    assert.deepEqual(config.keys[1].scopes, ["metrics"]);
    assert.ok(Date.parse(config.keys[1].expires ?? "") > Date.now() + 29 * 86_400_000);
    const listed = await run(["keys", "list", "--config", "keys.json"], dir);
    assert.match(listed.stdout, /^shop-bot\tagents \["shop-bot"\], environments \["production"\]$/m);
    assert.doesNotMatch(listed.stdout, /pal_|[0-9a-f]{64}/);

    const s = await start(["shop.policy", "--db", "keys.db", "--config", "keys.json"], agent);
    // What the README's quick start sends: no agent, no environment, the key's own are used.
    const r = await s.call("POST", "/v1/decide", { phase: "tool_call", input: { tool: { name: "shell", args: {} } } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.decision, "deny");
    const m = await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${watcher}` } });
    assert.equal(m.status, 200);
    assert.equal((await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${agent}` } })).status, 403);
    await s.stop();

    const bad = await run(["keys", "create", "--config", "keys.json", "--agent", "a", "--env", "e", "--scope", "root"], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown scope 'root'/);
  });

  it("keeps every key when several are minted at once", async () => {
    await Promise.all(Array.from({ length: 6 }, (_, i) => mint("many.json", "--agent", `bot-${i}`, "--env", "production")));
    const config = JSON.parse(readFileSync(join(dir, "many.json"), "utf8")) as { keys: { id: string }[] };
    assert.equal(config.keys.length, 6);
  });
});

describe("the admin key", () => {
  it("lives in a 0600 file, is never printed to a redirected stdout, and is the same after a restart", async () => {
    const s = await start(["shop.policy", "--db", "admin.db"]);
    const path = join(dir, "admin.db.admin-key");
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.ok(!s.stdout().includes(s.key), "the admin key reached stdout");
    assert.equal((await s.call("GET", "/v1/policies")).status, 200);
    await s.stop();
    const again = await start(["shop.policy", "--db", "admin.db"]);
    assert.equal(again.key, s.key);
    await again.stop();
  });

  it("lets two nodes start together on one folder: one signing key and one admin key", async () => {
    const [a, b] = await Promise.all([start(["shop.policy", "--db", "twin.db"]), start(["shop.policy", "--db", "twin.db"])]);
    assert.equal(a.key, b.key);
    assert.equal((await a.call("GET", "/v1/policies")).status, 200);
    assert.equal((await b.call("GET", "/v1/policies")).status, 200);
    await Promise.all([a.stop(), b.stop()]);
  });
});

describe("crashes and restarts", () => {
  it("loses no answered decision to a SIGKILL under load, and the log verifies", async () => {
    const s = await start(["shop.policy", "--db", "crash.db"]);
    const answered: string[] = [];
    let stop = false;
    const loop = async (w: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        try {
          if (i % 5 === 4) {
            const r = await s.call("POST", "/v1/decide/batch", { requests: Array.from({ length: 8 }, (_, j) => ({ phase: "tool_call", environment: "production", input: { agent: { id: "shop-bot" }, tool: { name: j % 3 === 0 ? "shell" : "lookup", args: { w, i, j } } } })) });
            if (r.status === 200) for (const x of r.body.results as { id?: string }[]) if (x.id) answered.push(x.id);
          } else {
            const r = await s.call("POST", "/v1/decide", { phase: "tool_call", environment: "production", input: { agent: { id: "shop-bot" }, tool: { name: "lookup", args: { w, i } } } });
            if (r.status === 200) answered.push(r.body.id as string);
          }
        } catch {
          return; // the connection died with the server
        }
      }
    };
    const loops = Array.from({ length: 16 }, (_, w) => loop(w));
    // Killed mid-load, once enough is in flight (by count, not time: a loaded machine is slow).
    for (let waited = 0; answered.length < 200 && waited < 15_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    s.proc.kill("SIGKILL");
    stop = true;
    await Promise.all(loops);
    assert.ok(answered.length > 20, `only ${answered.length} decisions were answered before the kill`);

    // Reopened as the restarted node would: with its key and the signer's memory, so the
    // checkpoint it signs must be consistent with whatever it signed before the kill.
    const files = logFiles(join(dir, "crash.db"));
    const log = await AuditLog.open(await openStore(join(dir, "crash.db"), { create: false }), { signingKey: readSigningKey(files.key), signerMemory: fileSignerMemory(files.checkpoint) });
    try {
      const logged = new Set<string>();
      const size = await log.size();
      for (let i = 0; i < size; i++) logged.add((await log.read(i)).record.decision_id as string);
      const lost = answered.filter((id) => !logged.has(id));
      assert.deepEqual(lost, [], `${lost.length} of ${answered.length} answered decisions are not in the log`);
      // Trust comes from the verifier key file beside the database, never from the database.
      await log.checkpoint();
      const report = await log.verify({ verifierKeys: readVerifierKeys(files.vkey) });
      assert.equal(report.ok, true, JSON.stringify(report.problems));
    } finally {
      await log.close();
    }
  });

  it("keeps approvals and session histories across a restart, and answers a long-poll at shutdown", async () => {
    const s = await start(["shop.policy", "--db", "approvals.db"]);
    const search = { phase: "tool_call", environment: "production", session: "kept", input: { agent: { id: "shop-bot" }, tool: { name: "search", args: {} } } };
    assert.equal((await s.call("POST", "/v1/decide", search)).body.decision, "allow");
    assert.equal((await s.call("POST", "/v1/decide", search)).body.decision, "allow");
    const asked = await s.call("POST", "/v1/decide", { phase: "tool_call", environment: "production", input: { agent: { id: "shop-bot" }, tool: { name: "refund", args: { amount: 900 } } } });
    const id = asked.body.approval.id as string;
    const waiting = s.call("GET", `/v1/approvals/${id}?wait=30`);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await s.stop(), 0);
    const polled = await waiting;
    assert.equal(polled.status, 200);
    assert.deepEqual([polled.body.id, polled.body.status], [id, "pending"]);

    const again = await start(["shop.policy", "--db", "approvals.db"]);
    assert.equal((await again.call("POST", "/v1/decide", search)).body.decision, "deny", "a restart erased the session's history");
    const listed = await again.call("GET", "/v1/approvals?status=pending");
    assert.deepEqual(listed.body.approvals.map((a: { id: string }) => a.id), [id]);
    const ok = await again.call("POST", "/v1/approvals", { id, action: "approve" });
    assert.deepEqual([ok.status, ok.body.outcome], [200, "allow"]);
    assert.equal((await again.call("POST", "/v1/approvals", { id, action: "reject" })).status, 409);
    await again.stop();
  });
});
