// A store the service depends on that fails is 503, never 500 "internal error", on every route:
// the guarded stores (sessions, approvals, the console's decisions) say so themselves; the audit
// log, read directly by the proof, record, audit, tile, report and metrics routes, failed as
// StoreError (its store closed, unreadable, or alarmed), and its SQLite thread dropped the driver's
// error code on the way back, so those routes answered 500.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Socket } from "node:net";
import { after, it } from "node:test";
import pg from "pg";
import { openStore } from "../../audit/index.ts";
import { isStoreFailure } from "../store-guard.ts";
import { startHarness, toolCall } from "./harness.ts";

it("every route that reads the audit log answers 503 audit/unavailable once its store is gone, never 500", async () => {
  const h = await startHarness();
  try {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await h.call("POST", "/v1/decide", "agent", toolCall("lookup", { i }, "s1"))).body.id);
    await h.service.checkpoint();
    // What a dead store thread, a closed pool or a lost file leaves: a store that refuses every call.
    await h.service.context.audit.store.close();
    const routes = [`/v1/decisions/${ids[0]}/proof`, `/v1/decisions/${ids[1]}/record`, "/v1/audit/status", "/v1/audit/proof?index=0", "/v1/audit/checkpoint", "/tlog/checkpoint", "/tlog/tile/0/000.p/3", "/v1/reports/soc2"];
    const seen: string[] = [];
    for (const path of routes) {
      const r = await h.call("GET", path, "admin");
      seen.push(`${path} ${r.status} ${r.body?.error?.code ?? ""}`);
    }
    // Metrics show what they can (a gauge that cannot be read is left out), never an error.
    assert.equal((await h.call("GET", "/metrics", "admin")).status, 200);
    const decided = await h.call("POST", "/v1/decide", "agent", toolCall("lookup", { after: true }));
    seen.push(`decide ${decided.status} ${decided.body?.error?.code ?? ""}`);
    assert.deepEqual(seen.filter((s) => !/ 503 (audit|service)\/unavailable$/.test(s)), [], seen.join("\n"));
  } finally {
    await h.close().catch(() => {});
  }
});

const open: { close(): void }[] = [];
after(() => {
  for (const o of open) o.close();
});

it("a driver's failure to reach its store is told from a bug as it arrives: PostgreSQL's, the socket's, SQLite's", async () => {
  // A server that accepts and never answers: the client's own connect timeout.
  const sockets: Socket[] = [];
  const silent = createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  open.push({ close: () => { for (const s of sockets) s.destroy(); silent.close(); } });
  const port = (silent.address() as { port: number }).port;
  const timedOut = await new pg.Client({ host: "127.0.0.1", port, user: "x", database: "x", connectionTimeoutMillis: 50 }).connect().then(() => undefined, (e: unknown) => e);
  const pool = new pg.Pool({ host: "127.0.0.1", port, user: "x", database: "x", connectionTimeoutMillis: 50 });
  pool.on("error", () => {});
  const poolTimedOut = await pool.query("SELECT 1").then(() => undefined, (e: unknown) => e);
  await pool.end().catch(() => {});
  // Nobody listening.
  const refused = await new pg.Client({ host: "127.0.0.1", port: 1, user: "x", database: "x" }).connect().then(() => undefined, (e: unknown) => e);
  const failures = { timedOut, poolTimedOut, refused, sqlite: Object.assign(new Error("database is locked"), { code: "ERR_SQLITE_ERROR" }), full: Object.assign(new Error("no space left on device"), { code: "ENOSPC", errno: -28, syscall: "write" }) };
  for (const [name, err] of Object.entries(failures)) assert.equal(isStoreFailure(err), true, `${name}: ${String(err)}`);
  for (const bug of [new TypeError("Cannot read properties of undefined (reading 'owner')"), new RangeError("Invalid array length"), Object.assign(new Error("x"), { code: "ERR_INVALID_ARG_TYPE" }), "Connection terminated", null]) assert.equal(isStoreFailure(bug), false, String(bug));
});

it("the SQLite store's thread passes SQLite's own error code back (it arrived as a bare Error, which the service took for a bug)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "palisade-thread-"));
  const store = await openStore(join(dir, "audit.db"));
  try {
    // A statement SQLite refuses, on the store's thread.
    const err = await store.setMeta("x", null as unknown as string).then(() => undefined, (e: unknown) => e);
    assert.equal((err as { code?: unknown }).code, "ERR_SQLITE_ERROR", String(err));
    assert.equal(isStoreFailure(err), true);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
