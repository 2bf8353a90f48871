// Crash safety on SQLite: a writer killed with SIGKILL mid-stream loses nothing it acknowledged.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { assertLogHolds, startWriter } from "./crash-support.ts";

const dir = mkdtempSync(join(tmpdir(), "palisade-crash-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("sqlite: every acknowledged entry survives SIGKILL and the tree verifies", async () => {
  const db = join(dir, "crash.db");
  for (let round = 0; round < 3; round++) {
    const w = startWriter(db, `r${round}`, "inf");
    await w.until(1500 + 700 * round);
    w.child.kill("SIGKILL");
    const exit = await w.exited;
    assert.equal(exit.signal, "SIGKILL", exit.stderr);
    const { size } = await assertLogHolds(db, w.acks);
    assert.ok(size >= w.acks.length);
  }
});
