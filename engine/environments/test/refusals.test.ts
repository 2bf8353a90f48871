// Cases 5 and 7 of issue 20: every attempt leaves a trace — refused promotions (for the bundle's
// own reasons too) and builds into an environment are audit entries — and an environment's log is
// signed from its first entry.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AuditLog, openStore } from "../../audit/index.ts";
import { run } from "../../cli/test/support.ts";
import { repoRoot } from "../../../test/support.ts";
import { scanRecords } from "../log-io.ts";
import { buildInto, promote } from "../promotion.ts";
import type { ChangeEvent } from "../records.ts";
import { approve, auditOf, bundleOf, editConfig, exampleCopy, newKey, pipeline, refundsPolicy } from "./support.ts";


test("a promotion refused for its bundle — tampered, untrusted, not what the source serves — is recorded", async () => {
  const p = await pipeline("staging");
  const { dir, keys } = p;
  const approvals = () => [approve(p.reload(), keys, "alice", "staging", "production"), approve(p.reload(), keys, "bob", "staging", "production")];
  // Untrusted: production accepts only another build key.
  editConfig(dir, (c) => void (c.environments[2].trustedKeys = [newKey("ci").vkey]));
  const untrusted = await promote({ config: p.reload(), from: "staging", to: "production", approvals: approvals() });
  assert.equal(untrusted.refusal?.code, "bundle/untrusted");
  editConfig(dir, (c) => void (c.environments[2].trustedKeys = ["keys/release.vkey"]));
  const signed = approvals();
  // Tampered: staging's bundle file edited after it was installed.
  const file = join(dir, "bundles", "staging.json");
  writeFileSync(file, readFileSync(file, "utf8").replace("MAX_REFUND = 500", "MAX_REFUND = 5000"));
  const tampered = await promote({ config: p.reload(), from: "staging", to: "production", approvals: signed });
  assert.equal(tampered.refusal?.code, "env/not-promoted");
  const records = (await scanRecords(auditOf(dir, "production"), 0)).map((r) => r.record);
  assert.deepEqual(records.map((r) => [r.phase, r.decision, (r.event as ChangeEvent).refusal?.code]), [["promotion", "deny", "bundle/untrusted"], ["promotion", "deny", "env/not-promoted"]]);
  assert.equal((records[0].event as ChangeEvent).bundle_digest !== null, true, "the refused bundle is named when it could be read");
  // Through the command: exit 1, the error, and where it was recorded.
  const cli = await run(["promote", "--from", "staging", "--to", "production"], dir);
  assert.equal(cli.code, 1);
  assert.match(cli.stderr, /^palisade promote: error\[env\/not-promoted\]/m);
  assert.match(cli.stdout, /^refused: .* \(audit entry 2 in .*production\.db\)$/m);
});

test("every build into an environment is recorded: built, or refused for its policies or its signer", async () => {
  const { dir, keys, config } = exampleCopy();
  const cfg = config();
  const built = await buildInto({ config: cfg, env: "development", make: () => bundleOf(refundsPolicy(500), keys.release.signer, "1") });
  assert.equal(built.outcome, "built");
  const again = await buildInto({ config: cfg, env: "development", make: () => bundleOf(refundsPolicy(500), keys.release.signer, "1") });
  assert.equal(again.outcome, "built", "a new build instant is a new bundle");
  const bad = await run(["bundle", "build", "policies", "--env", "development", "--key", "keys/release.key"], dir);
  assert.equal(bad.code, 0, bad.stderr);
  writeFileSync(join(dir, "policies", "refunds.policy"), "package acme.refunds\nrule r on tool_call { when tool.nme == 1 then deny \"x\" }\n");
  const broken = await run(["bundle", "build", "policies", "--env", "development", "--key", "keys/release.key"], dir);
  assert.equal(broken.code, 1);
  assert.match(broken.stderr, /error\[bundle\/does-not-check\]/);
  const unsigned = await buildInto({ config: cfg, env: "development", make: () => bundleOf(refundsPolicy(400), newKey("laptop").signer) });
  assert.equal(unsigned.refusal?.code, "bundle/untrusted");
  const records = (await scanRecords(auditOf(dir, "development"), 0)).map((r) => r.record.event as ChangeEvent);
  assert.deepEqual(records.map((e) => [e.type, e.outcome, e.refusal?.code ?? null]), [
    ["palisade.build/1", "built", null],
    ["palisade.build/1", "built", null],
    ["palisade.build/1", "built", null],
    ["palisade.build/1", "blocked", "bundle/does-not-check"],
    ["palisade.build/1", "blocked", "bundle/untrusted"],
  ]);
  assert.deepEqual(records[0].who, ["release"]);
});

test("an environment's log is signed from its first entry: a report and a verification need no extra step", async () => {
  const { dir, keys, config } = exampleCopy();
  await buildInto({ config: config(), env: "development", make: () => bundleOf(refundsPolicy(500), keys.release.signer) });
  const db = auditOf(dir, "development");
  assert.equal(existsSync(`${db}.key`), true);
  assert.match(readFileSync(`${db}.vkey`, "utf8"), /^palisade\.local\/audit\/development\+[0-9a-f]{8}\+/);
  const log = await AuditLog.open(await openStore(db), { verifierKeys: [readFileSync(`${db}.vkey`, "utf8").trim()] });
  try {
    assert.equal((await log.latestCheckpoint())?.size, 1);
    assert.equal((await log.verify()).ok, true);
  } finally {
    await log.close();
  }
  const verify = await run(["audit", "verify", "--db", "audit/development.db"], dir);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  const report = await run(["report", "--framework", "soc2", "--db", "audit/development.db", "--format", "json", "--out", "r.json"], dir);
  assert.equal(report.code, 0, report.stderr);
});

test("the example's .gitignore keeps secrets and databases out, and verifier keys, bundles and states in", () => {
  const example = join(repoRoot, "examples", "environments");
  const ignored = (path: string) => spawnSync("git", ["check-ignore", "--no-index", "-q", path], { cwd: example }).status === 0;
  for (const kept of ["keys/release.vkey", "approvers/alice.vkey", "bundles/production.json", "state/production/state.json", "state/production/bundles/ab.json", "audit/production.db.vkey", "palisade.environments.json"]) assert.equal(ignored(kept), false, `${kept} belongs in git`);
  for (const secret of ["keys/release.key", "approvers/alice.key", "audit/production.db.key", "audit/production.db", "audit/production.db-wal", "state/production/nodes/host_1.json"]) assert.equal(ignored(secret), true, `${secret} stays out of git`);
});
