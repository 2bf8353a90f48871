// `palisade serve` wires the console's sources on its own: a monitor fed with every decision in
// the audit log's SQLite file, drift against a baseline made with `palisade baseline create`,
// compliance reports, and the working folder's palisade.environments.json.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { parseSignerKey } from "../../audit/index.ts";
import { buildBundle, install, verifyBundle } from "../../environments/index.ts";
import { DEFAULT_MONITORS } from "../../monitor/index.ts";
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
  assert.match(s.stdout(), new RegExp(`drift: +${DEFAULT_MONITORS.length} monitors over decisions recorded in the same database`));
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

it("serves an environment's signed bundle with --env, swaps in a promotion, and refuses other environments", async () => {
  const staging = envs.config.environments[0];
  const e = await serve(["--env", "staging", "--db", "staging.db"], envs.dir);
  try {
    assert.match(e.stdout(), new RegExp(`environment: staging, bundle ${envs.digest.slice(0, 23)}`));
    const shell = { agent: { id: "shop-bot" }, tool: { name: "shell", args: {} }, principal: { id: "u1", roles: [] } };
    // No env in the input: the served environment's, although the key may decide in any.
    const before = await e.call("POST", "/v1/decide", { phase: "tool_call", input: shell });
    assert.equal(before.status, 200, JSON.stringify(before.body));
    assert.equal(before.body.decision, "deny");
    assert.equal(before.body.payload.env, "staging");
    const elsewhere = await e.call("POST", "/v1/decide", { phase: "tool_call", input: { ...shell, env: "production" } });
    assert.equal(elsewhere.status, 409);
    assert.equal(elsewhere.body.error.code, "request/wrong-environment");
    assert.equal(elsewhere.body.error.path, "/input/env");

    // A promotion replaces the bundle file: the next decisions use the new policies.
    const relaxed = `package shop\n\nrule shell_warn on tool_call {\n  when tool.name == "shell"\n  then warn "shell used"\n}\n`;
    const next = verifyBundle(buildBundle({ sources: [{ path: "shop.policy", text: relaxed }], key: parseSignerKey(envs.signerKey), version: "2.2.0" }), staging.trustedKeys);
    install(staging, next, { key: parseSignerKey(envs.stagingKey), by: ["alice", "bob"], action: "promotion", from: null });
    let after = before;
    for (let i = 0; i < 200 && after.body.decision !== "allow"; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = await e.call("POST", "/v1/decide", { phase: "tool_call", input: shell });
    }
    assert.equal(after.body.decision, "allow");
    assert.equal(after.body.warnings[0].rule, "shop.shell_warn");
    assert.notEqual(after.body.policy.digest, before.body.policy.digest);
    assert.match(e.stdout(), new RegExp(`environment staging: now serving bundle ${next.digest.slice(0, 23)}`));
    const policies = await e.call("GET", "/v1/policies");
    assert.equal(policies.status, 200, JSON.stringify(policies.body));
    assert.equal(policies.body.version, "2.2.0");
  } finally {
    await e.stop();
  }
});

it("refuses --env beside policy paths, and an environment that is not configured", async () => {
  const both = await run(["serve", "shop.policy", "--env", "staging", "--port", "0"], envs.dir);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /give policy paths or --env, not both/);
  const unknown = await run(["serve", "--env", "qa", "--port", "0"], envs.dir);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /--env qa: no environment 'qa' in .*palisade\.environments\.json \(known: staging, production\)/);
  const empty = await run(["serve", "--env", "production", "--port", "0"], envs.dir);
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /--env production: nothing was installed in environment 'production' yet/);
  assert.doesNotMatch(empty.stderr, /\n\s+at /, "no stack trace");
});
