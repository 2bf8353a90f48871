// The SQLite store's thread starts under the V8 and process flags production runs use
// (`node --max-old-space-size=512 palisade serve`): a worker given those flags explicitly
// refuses them, and the store then failed to open with an "internal error".
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

test("the store's thread starts when node runs with V8 flags (--max-old-space-size, --stack-size)", () => {
  const dir = mkdtempSync(join(tmpdir(), "palisade-flags-"));
  try {
    const store = new URL("../sqlite-thread.ts", import.meta.url).href;
    const script = `const { ThreadedSqliteStore } = await import(${JSON.stringify(store)}); const s = await ThreadedSqliteStore.open(${JSON.stringify(join(dir, "a.db"))}); console.log("size", await s.size()); await s.close();`;
    writeFileSync(join(dir, "open.mjs"), script);
    const out = execFileSync(process.execPath, ["--max-old-space-size=512", "--stack-size=2000", "--disable-warning=ExperimentalWarning", join(dir, "open.mjs")], { encoding: "utf8" });
    assert.equal(out.trim(), "size 0");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
