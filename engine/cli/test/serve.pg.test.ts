// `palisade serve --db postgres://...`: the monitor's telemetry lands in the same PostgreSQL
// database as the audit log, drift runs against a baseline made there, and a stop flushes it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { freshDatabase } from "../../audit/test/pg-support.ts";
import { SHOP_POLICY, monitorRoundTrip, serve } from "./serve-support.ts";
import type { Served } from "./serve-support.ts";

const dir = mkdtempSync(join(tmpdir(), "palisade-serve-pg-"));
let s: Served | undefined;
after(async () => {
  await s?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it("records decisions into PostgreSQL and reports drift from there", async () => {
  const db = await freshDatabase("serve_monitor");
  writeFileSync(join(dir, "shop.policy"), SHOP_POLICY);
  s = await serve(["shop.policy", "--db", db], dir);
  await monitorRoundTrip(s, db, dir);
});
