// Crash safety on SQLite: a writer killed with SIGKILL mid-stream loses nothing it acknowledged.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { assertLogHolds, startWriter } from "./crash-support.ts";

const dir = mkdtempSync(join(tmpdir(), "palisade-crash-"));
after(() => rmSync(dir, { recursive: true, force: true }));

for (const mode of ["records", "documents"] as const) test(`sqlite: every acknowledged entry survives SIGKILL and the tree verifies (${mode})`, async () => {
  const db = join(dir, `crash-${mode}.db`);
  for (let round = 0; round < 3; round++) {
    const w = startWriter(db, `r${round}`, "inf", false, mode);
    await w.until(1500 + 700 * round);
    w.child.kill("SIGKILL");
    const exit = await w.exited;
    assert.equal(exit.signal, "SIGKILL", exit.stderr);
    const { size } = await assertLogHolds(db, w.acks, mode);
    assert.ok(size >= w.acks.length);
  }
});
