// The serve benchmark splits a server's CPU by thread: the event loop, the busiest other thread
// (the audit store's), and the rest. A split that credited the wrong thread would send the next
// engineer to optimise the wrong one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fsyncLatency, threadSeconds, threadSplit, waitFor } from "../serve.ts";

test("threadSplit credits a spinning worker thread as the busiest, apart from an idle event loop", { skip: process.platform !== "linux" ? "reads /proc" : false }, async () => {
  // The main thread waits while a worker does a fixed amount of work (about 0.2 s of CPU). The
  // worker then stays (a timer), or its thread could be gone from /proc before it is read.
  const script = `const { Worker } = require("node:worker_threads");
const w = new Worker("const { parentPort } = require('node:worker_threads'); parentPort.once('message', () => { let x = 0; for (let i = 0; i < 2e8; i++) x = (x + i) % 1000003; parentPort.postMessage(x); setInterval(() => {}, 1 << 30); });", { eval: true });
w.once("online", () => console.log("ready 1"));
process.stdin.once("data", () => w.postMessage("go"));
w.once("message", () => { console.log("done"); process.stdin.once("end", () => process.exit(0)); });`;
  const p = spawn(process.execPath, ["-e", script], { stdio: ["pipe", "pipe", "inherit"] });
  await waitFor(p, /ready (\d)/);
  const before = threadSeconds(p.pid);
  assert.ok(before.has(p.pid ?? -1), "the main thread is listed");
  const done = waitFor(p, /(done)/);
  p.stdin.write("go\n");
  await done;
  // Read while the process lives: it exits once its stdin ends.
  const split = threadSplit(p.pid ?? 0, before, threadSeconds(p.pid));
  const exited = new Promise((r) => p.once("exit", r));
  p.stdin.end();
  await exited;
  assert.ok(split.busiest >= 0.05, `the spinning worker used ${split.busiest} s`);
  assert.ok(split.main < split.busiest / 2, `main ${split.main} s against the worker's ${split.busiest} s`);
});

test("fsyncLatency gives p50 at most p99, both positive, and leaves nothing behind", () => {
  const dir = mkdtempSync(join(tmpdir(), "palisade-fsync-"));
  try {
    const f = fsyncLatency(dir, 20);
    assert.ok(f.p50 >= 0 && f.p99 >= f.p50, JSON.stringify(f));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
