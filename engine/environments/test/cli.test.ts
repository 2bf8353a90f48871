import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, runProcess } from "../../cli/test/support.ts";
import { loadBundle } from "../bundle.ts";
import { readVerifierKey } from "../keys.ts";
import { scanRecords } from "../log-io.ts";
import { editConfig, exampleCopy, recordTraffic, refund } from "./support.ts";

const TRAFFIC = [50, 200, 300, 900, 20].map(refund);

/** The example folder without keys, as a user starts from it. */
function fresh(): string {
  const { dir } = exampleCopy();
  rmSync(join(dir, "release.key"));
  rmSync(join(dir, "release.vkey"));
  return dir;
}

async function ok(argv: string[], dir: string): Promise<string> {
  const r = await run(argv, dir);
  assert.equal(r.code, 0, `palisade ${argv.join(" ")}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

test("the README walk-through: keygen, build, replay, promote through three environments, roll back", async () => {
  const dir = fresh();
  await ok(["bundle", "keygen", "release"], dir);
  await ok(["bundle", "build", "policies", "--out", "bundles/development.json", "--key", "release.key", "--version", "1.0.0"], dir);
  assert.match(await ok(["bundle", "verify", "bundles/development.json", "--trust", "release.vkey"], dir), /^ok: .* signed by release/);
  const keys = [readVerifierKey("release.vkey", dir)];
  // The agents in development record their decisions (with their inputs) as they run.
  await recordTraffic(join(dir, "audit", "development.db"), "development", loadBundle(join(dir, "bundles", "development.json"), keys), TRAFFIC);
  assert.match(await ok(["promote", "--from", "development", "--to", "staging", "--approved-by", "alice"], dir), /^promoted: bundle sha256:\w+ from 'development' to 'staging'/m);
  await recordTraffic(join(dir, "audit", "staging.db"), "staging", loadBundle(join(dir, "bundles", "staging.json"), keys), TRAFFIC);
  await ok(["promote", "--from", "staging", "--to", "production", "--approved-by", "alice,bob"], dir);

  // A stricter limit: replay shows what it changes, then it moves up the same way.
  const policy = join(dir, "policies", "refunds.policy");
  writeFileSync(policy, readFileSync(policy, "utf8").replace("MAX_REFUND = 500", "MAX_REFUND = 250"));
  await ok(["bundle", "build", "policies", "--out", "bundles/development.json", "--key", "release.key", "--version", "1.1.0"], dir);
  const replayed = await ok(["replay", "--bundle", "bundles/development.json", "--from-audit", "audit/staging.db", "--env", "staging", "--window", "24h", "--config", "palisade.environments.json"], dir);
  assert.match(replayed, /^changed  #3 .*refund: allow -> deny/m);
  assert.match(replayed, /replayed 5 of 5 decisions in 'staging' .*: 1 would change/);
  await ok(["promote", "--from", "development", "--to", "staging", "--approved-by", "carol"], dir);
  await ok(["promote", "--from", "staging", "--to", "production", "--approved-by", "carol", "--approved-by", "bob"], dir);
  assert.equal(loadBundle(join(dir, "bundles", "production.json"), keys).version, "1.1.0");

  assert.match(await ok(["rollback", "--env", "production", "--by", "alice"], dir), /^rolled back 'production' from sha256:\w+ to sha256:\w+/);
  assert.equal(loadBundle(join(dir, "bundles", "production.json"), keys).version, "1.0.0");
  const phases = (await scanRecords(join(dir, "audit", "production.db"), 0)).map((r) => `${r.record.phase}:${r.record.decision}`);
  assert.deepEqual(phases, ["promotion:allow", "promotion:allow", "rollback:allow"]);
  // The governance records sit in a log that still verifies.
  const verified = await run(["audit", "verify", "--db", "audit/production.db", "--allow-unsigned"], dir);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
});

test("a blocked promotion prints each gate and exits 1", async () => {
  const dir = fresh();
  await ok(["bundle", "keygen", "release"], dir);
  await ok(["bundle", "build", "policies", "--out", "bundles/development.json", "--key", "release.key"], dir);
  const r = await run(["promote", "--from", "development", "--to", "staging", "--approved-by", "bob"], dir);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^gate approval +FAILED  needs an approver with role 'release-manager'; qualifying: none$/m);
  assert.match(r.stdout, /^gate tests +passed/m);
  assert.match(r.stdout, /^gate replay +FAILED/m); // no traffic recorded in development yet
  assert.match(r.stdout, /^blocked: /m);
});

test("a tampered bundle is refused by the installed command with a stable code and no stack trace", async () => {
  const dir = fresh();
  await ok(["bundle", "keygen", "release"], dir);
  await ok(["bundle", "build", "policies", "--out", "b.json", "--key", "release.key"], dir);
  writeFileSync(join(dir, "b.json"), readFileSync(join(dir, "b.json"), "utf8").replace("MAX_REFUND = 500", "MAX_REFUND = 5000"));
  const r = runProcess(["bundle", "verify", "b.json", "--trust", "release.vkey"], dir);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^palisade bundle: error\[bundle\/tampered\]: the bundle's contents do not match its signature/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  const unsigned = await run(["bundle", "build", "policies", "--out", "u.json"], dir);
  assert.match(unsigned.stderr, /unsigned/);
  const refused = await run(["bundle", "verify", "u.json", "--trust", "release.vkey"], dir);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /error\[bundle\/unsigned\]/);
});

test("bad arguments exit 2 with a clear message", async () => {
  const dir = fresh();
  await ok(["bundle", "keygen", "release"], dir);
  const cases: Array<[string[], RegExp]> = [
    [["bundle"], /name a subcommand: build, verify or keygen/],
    [["bundle", "frob"], /unknown subcommand 'frob'/],
    [["bundle", "build", "policies"], /needs --out FILE/],
    [["bundle", "verify", "x.json"], /needs the keys to trust/],
    [["promote", "--from", "staging"], /needs --from ENV and --to ENV/],
    [["promote", "--from", "a", "--to", "b", "--bogus"], /unknown option '--bogus'/],
    [["rollback"], /needs --env ENV/],
    [["replay", "--bundle", "b", "--from-audit", "a", "--env", "e", "--window", "3x", "--config", "c"], /--window' must be a duration/],
    [["promote", "--from", "development", "--to", "nowhere", "--approved-by", "alice"], /error\[env\/unknown\]: no environment 'nowhere'/],
  ];
  for (const [argv, message] of cases) {
    const r = await run(argv, dir);
    assert.equal(r.code, 2, argv.join(" "));
    assert.match(r.stderr, message, argv.join(" "));
  }
  editConfig(dir, (c) => void (c.environments[0].mode = "loud"));
  const invalid = await run(["rollback", "--env", "production"], dir);
  assert.equal(invalid.code, 2);
  assert.match(invalid.stderr, /error\[config\/invalid\]: .*environments\.0\.mode must be equal to one of the allowed values/);
});

test("--help on each command", async () => {
  for (const name of ["bundle", "promote", "rollback", "replay"]) {
    const r = await run([name, "--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, new RegExp(`^usage: palisade ${name} `));
  }
  assert.match((await run(["--help"])).stdout, /^ {2}promote +promote a bundle/m);
});
