// `palisade serve` as a real child process on a free port, and the round trip the console's
// drift panel tells an operator to make: traffic, `palisade baseline create`, drift.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { mergeAggregates, openMonitorStore, seededRandom } from "../../monitor/index.ts";
import { repoRoot } from "../../../test/support.ts";
import { POLICY, toolCall } from "../../service/test/harness.ts";
import { run } from "./support.ts";

/** A running `palisade serve` and what it printed. */
export interface Served {
  readonly proc: ChildProcess;
  readonly url: string;
  readonly key: string;
  readonly stdout: () => string;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `palisade serve ARGS` in `cwd`; resolves once it printed its address and where its admin key is (or at once with `key`, for a --config run). */
export function serve(args: readonly string[], cwd: string, withKey?: string): Promise<Served> {
  const proc = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", join(repoRoot, "engine/cli/main.ts"), "serve", ...args, "--port", "0"], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  proc.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      const keyFile = /admin key: +in (\S+) \(mode 0600/.exec(out)?.[1];
      if (!url || (!keyFile && withKey === undefined)) return;
      const key = withKey ?? readFileSync(keyFile as string, "utf8").trim();
      resolve({
        proc,
        url,
        key,
        stdout: () => out,
        async call(method, path, body) {
          const res = await fetch(url + path, { method, headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
          return { status: res.status, body: await res.json() };
        },
        stop() {
          if (proc.exitCode !== null) return Promise.resolve(proc.exitCode);
          return new Promise((done) => {
            proc.once("exit", (code) => done(code));
            proc.kill("SIGTERM");
          });
        },
      });
    });
    proc.once("exit", (code) => reject(new ServeExit(code, err)));
  });
}

/** `palisade serve` stopped before it listened. */
export class ServeExit extends Error {
  readonly code: number | null;
  readonly stderr: string;
  constructor(code: number | null, stderr: string) {
    super(`serve exited ${code}: ${stderr}`);
    this.code = code;
    this.stderr = stderr;
  }
}

/** The policy file the served tests decide with. */
export const SHOP_POLICY = POLICY;

/**
 * Decisions through the served API reach the monitor in `db`; the drift panel's advice (make a
 * baseline with the CLI) works against the running service; stopping it flushes the rest.
 */
export async function monitorRoundTrip(s: Served, db: string, cwd: string): Promise<void> {
  const before = await s.call("GET", "/v1/drift");
  assert.equal(before.status, 200);
  assert.equal(before.body.status, "no-baseline");
  const command = /palisade (baseline create normal --from -1h --db \S+)/.exec(before.body.hint)?.[1];
  assert.ok(command, before.body.hint);

  const batch = (tool: string, n: number) => s.call("POST", "/v1/decide/batch", { requests: Array.from({ length: n }, () => toolCall(tool)) });
  await batch("search", 150);
  await batch("lookup", 50);
  // Reading drift flushes the monitor, so the baseline below sees all 200.
  assert.equal((await s.call("GET", "/v1/drift")).body.status, "no-baseline");
  const argv = command.split(" ");
  // The hint names a PostgreSQL database without its credentials, which the operator adds.
  if (db.startsWith("postgres")) argv[argv.indexOf("--db") + 1] = db;
  const made = await run(argv, cwd);
  assert.equal(made.code, 0, made.stderr);
  assert.match(made.stdout, /created baseline 'normal': 200 decisions/);

  await batch("shell", 120);
  const after = await s.call("GET", "/v1/drift");
  assert.equal(after.body.status, "ok");
  assert.equal(after.body.baseline.name, "normal");
  const tools = after.body.results.find((r: { key: string }) => r.key === "tool mix/tools@1h");
  assert.equal(tools.verdict, "drift");
  const denials = after.body.results.find((r: { key: string }) => r.key === "denial rate per rule/denial_rate:shop.no_shell@1h");
  assert.equal(denials.verdict, "drift");

  await s.call("POST", "/v1/decide", toolCall("search"));
  assert.equal(await s.stop(), 0);
  const store = await openMonitorStore(db, { create: false });
  try {
    const buckets = await store.buckets({ from: 0, to: Number.MAX_SAFE_INTEGER });
    const all = mergeAggregates(buckets.map((b) => b.aggregate), 100, seededRandom(1));
    assert.equal(all.count, 321, "the decision made just before the stop was flushed on close");
    assert.equal(all.tools.get("shell"), 120);
  } finally {
    await store.close();
  }
}
