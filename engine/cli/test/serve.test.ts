// `palisade serve` wires the console's sources on its own: a monitor fed with every decision in
// the audit log's SQLite file, drift against a baseline made with `palisade baseline create`,
// compliance reports, and the working folder's palisade.environments.json.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { environmentsFixture } from "../../service/test/sources-support.ts";
import { SHOP_POLICY, monitorRoundTrip, serve } from "./serve-support.ts";
import type { Served } from "./serve-support.ts";
import { run } from "./support.ts";

let envs: ReturnType<typeof environmentsFixture>;
let s: Served;
before(async () => {
  envs = environmentsFixture();
  writeFileSync(join(envs.dir, "shop.policy"), SHOP_POLICY);
  s = await serve(["shop.policy", "--db", "audit.db"], envs.dir);
});
after(async () => {
  await s?.stop();
  envs?.close();
});

it("serves drift, reports and the working folder's environments", async () => {
  assert.match(s.stdout(), /drift: +5 monitors over decisions recorded in the same database/);
  assert.ok(s.stdout().includes(`environments: ${envs.file}`), s.stdout());
  const e = await s.call("GET", "/v1/environments");
  assert.equal(e.body.configured, true);
  assert.deepEqual(e.body.environments.map((x: { name: string; bundle: { version: string } | null }) => [x.name, x.bundle?.version ?? null]), [["staging", "2.1.0"], ["production", null]]);
  const r = await s.call("GET", "/v1/reports/gdpr");
  assert.equal(r.status, 200);
  assert.equal(r.body.framework.id, "gdpr");
  await monitorRoundTrip(s, join(envs.dir, "audit.db"), envs.dir);
});

it("refuses an environments file that does not load, before opening anything", async () => {
  const bad = await run(["serve", "--environments", "missing.json", "--port", "0"], envs.dir);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /palisade serve: environments missing\.json: cannot read environments config/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /, "no stack trace");
});
