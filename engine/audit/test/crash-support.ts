// Spawning writer processes and checking what they acknowledged against the store afterwards.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { AuditLog } from "../log.ts";
import { openStore } from "../store.ts";

const writerScript = join(import.meta.dirname, "writer.ts");

/** One acknowledged append: where it landed, and which record it was. */
export interface Ack {
  readonly index: number;
  readonly tag: string;
  readonly n: number;
}

/** A running writer process and the acknowledgements it has printed so far. */
export interface Writer {
  readonly child: ChildProcess;
  readonly acks: Ack[];
  /** Resolves when the writer has printed at least `k` acknowledgements. */
  until(k: number): Promise<void>;
  /** Resolves once a held writer has opened the log (or has exited). */
  readonly ready: Promise<void>;
  /** Lets a held writer start appending. */
  release(): void;
  /** Resolves with the exit code (or signal) once the process is gone. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** How the writer appends: sealed records (append), or entries the store encodes (appendDocument). */
export type WriterMode = "records" | "documents";

/** Starts `writer.ts` against `location`; `count` records, or "inf". With `held`, it waits for `release()`. */
export function startWriter(location: string, tag: string, count: number | "inf", held = false, mode: WriterMode = "records"): Writer {
  const argv = ["--disable-warning=ExperimentalWarning", writerScript, location, tag, String(count), ...(held ? ["wait"] : [])];
  const child = spawn(process.execPath, argv, { stdio: [held ? "pipe" : "ignore", "pipe", "pipe"], env: { ...process.env, PALISADE_WRITER: mode } });
  let readyResolve: () => void = () => {};
  const ready = new Promise<void>((r) => (readyResolve = r));
  const acks: Ack[] = [];
  let buf = "";
  let stderr = "";
  const waiters: { k: number; resolve: () => void }[] = [];
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line === "ready") {
        readyResolve();
        continue;
      }
      const [index, t, n] = line.split(" ");
      acks.push({ index: Number(index), tag: t, n: Number(n) });
    }
    for (const w of waiters.splice(0)) (acks.length >= w.k ? w.resolve() : waiters.push(w));
  });
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (c: string) => void (stderr += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on("exit", (code, signal) => {
      readyResolve();
      for (const w of waiters.splice(0)) w.resolve();
      resolve({ code, signal, stderr });
    });
  });
  return {
    child,
    acks,
    exited,
    ready,
    release: () => void child.stdin?.end("go\n"),
    until: (k) => (acks.length >= k ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ k, resolve }))),
  };
}

/**
 * Reopens the log and asserts: every acknowledged entry is present with the record it was
 * acknowledged for, entries are contiguous with no partial one, and the whole tree verifies.
 */
export async function assertLogHolds(location: string, acks: readonly Ack[], mode: WriterMode = "records"): Promise<{ size: number }> {
  const log = await AuditLog.open(await openStore(location, { create: false }));
  try {
    const size = await log.size();
    const report = await log.verify({ allowUnsigned: true });
    assert.ok(report.ok, `the log verifies after the crash: ${JSON.stringify(report.problems.slice(0, 3))}`);
    assert.equal(report.size, size);
    const entries = await log.store.entries(0, size);
    assert.equal(entries.length, size, "no gap and no partial batch: every index below the size holds an entry");
    const byIndex = new Map<number, { tag: string; n: number }>();
    for (const e of entries) {
      const r = JSON.parse(new TextDecoder().decode(e.data)) as { tag: string; n: number };
      byIndex.set(e.index, r);
    }
    for (const a of acks) {
      const got = byIndex.get(a.index);
      assert.ok(got, `acknowledged entry ${a.index} is present`);
      assert.equal(`${got.tag}/${got.n}`, `${a.tag}/${a.n}`, `entry ${a.index} holds the record acknowledged for it`);
    }
    const opened = await log.read(acks[acks.length - 1].index);
    assert.equal(opened.status, mode === "documents" ? "plain" : "open");
    if (mode === "documents") {
      assert.equal((opened.record.input as { i: number }).i, acks[acks.length - 1].n);
      return { size };
    }
    assert.match(String(opened.record.principal), /^user-\d$/);
    assert.match(String((opened.record.meta as { user_name: string }).user_name), /^User \d$/);
    return { size };
  } finally {
    await log.close();
  }
}
