import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, runProcess } from "../../cli/test/support.ts";
import { repoRoot } from "../../../test/support.ts";
import { loadEnvironmentsConfig } from "../config.ts";
import { scanRecords } from "../log-io.ts";
import type { ChangeEvent } from "../records.ts";
import { currentBundle } from "../state.ts";
import { editConfig, exampleCopy, exampleFiles } from "./support.ts";

/** Splits a shell command line into words: double and single quotes, nothing else. */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

/** The shell lines of the README's "Environments and promotion" walk, continuations joined and comments dropped. */
function readmeWalk(): string[] {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Environments and promotion"));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  return block.replace(/\\\n\s*/g, "").split("\n").map((l) => l.replace(/\s+#.*$/, "").replace(/^#.*$/, "").trim()).filter((l) => l !== "");
}

test("the README walk runs as written: keys, a build, signed approvals, three environments, a rollback", async () => {
  const dir = exampleFiles();
  const lines = readmeWalk();
  assert.ok(lines.filter((l) => l.startsWith("npx palisade promote --from")).length >= 4, "the walk promotes");
  for (const line of lines) {
    const argv = words(line);
    if (argv[0] === "cd") continue; // the test runs in its own copy of the folder
    if (argv[0] === "sed") {
      const [, from, to] = /^s\/(.*)\/(.*)\/$/.exec(argv[2]) ?? [];
      const file = join(dir, argv[3]);
      const text = readFileSync(file, "utf8");
      assert.ok(text.includes(from), line);
      writeFileSync(file, text.replace(from, to));
      continue;
    }
    assert.deepEqual(argv.slice(0, 2), ["npx", "palisade"], `the walk holds only palisade commands, sed and cd: ${line}`);
    const r = await run(argv.slice(2), dir);
    assert.equal(r.code, 0, `${line}\n${r.stdout}${r.stderr}`);
    if (argv[2] === "replay") assert.match(r.stdout, /replayed 16 of 16 decisions in 'staging' .*: 4 would change \(allow -> deny: 4\)/);
    if (argv[2] === "promote" && argv[3] !== "sign") assert.match(r.stdout, /^promoted: bundle sha256:\w+ from '\w+' to '\w+'/m);
  }
  const config = loadEnvironmentsConfig(join(dir, "palisade.environments.json"));
  assert.equal(currentBundle(config.environments[2]).bundle.version, "1.0.0");
  assert.equal(currentBundle(config.environments[1]).bundle.version, "1.1.0");
  const events = (await scanRecords(join(dir, "audit", "production.db"), 0)).map((r) => r.record).filter((r) => r.phase === "promotion" || r.phase === "rollback").map((r) => r.event as ChangeEvent);
  assert.deepEqual(events.map((e) => [e.outcome, e.who]), [["promoted", ["alice", "bob"]], ["promoted", ["carol", "bob"]], ["rolled_back", ["alice"]]]);
  assert.equal(events[1].replay?.target?.changed, 4, "the second promotion replayed production's own traffic");
  const verified = await run(["audit", "verify", "--db", "audit/production.db"], dir);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
});

test("names alone no longer promote or roll back, with a message saying what replaced them", async () => {
  const { dir } = exampleCopy();
  const promote = await run(["promote", "--from", "development", "--to", "staging", "--approved-by", "alice,bob"], dir);
  assert.equal(promote.code, 2);
  assert.match(promote.stderr, /--approved-by is gone: a name proves nothing\. Each approver signs with 'palisade promote sign/);
  const rollback = await run(["rollback", "--env", "production", "--by", "mallory"], dir);
  assert.equal(rollback.code, 2);
  assert.match(rollback.stderr, /--by is gone: a name proves nothing/);
});

test("a tampered bundle is refused by the installed command with a stable code and no stack trace", async () => {
  const { dir } = exampleCopy();
  assert.equal((await run(["bundle", "build", "policies", "--out", "b.json", "--key", "keys/release.key"], dir)).code, 0);
  writeFileSync(join(dir, "b.json"), readFileSync(join(dir, "b.json"), "utf8").replace("MAX_REFUND = 500", "MAX_REFUND = 5000"));
  const r = runProcess(["bundle", "verify", "b.json", "--trust", "keys/release.vkey"], dir);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^palisade bundle: error\[bundle\/tampered\]: the bundle's contents do not match its signature/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  const unsigned = await run(["bundle", "build", "policies", "--out", "u.json"], dir);
  assert.match(unsigned.stderr, /unsigned/);
  const refused = await run(["bundle", "verify", "u.json", "--trust", "keys/release.vkey"], dir);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /error\[bundle\/unsigned\]/);
});

test("bad arguments exit 2 with a clear message", async () => {
  const { dir } = exampleCopy();
  const cases: Array<[string[], RegExp]> = [
    [["bundle"], /name a subcommand: build, verify or keygen/],
    [["bundle", "frob"], /unknown subcommand 'frob'/],
    [["bundle", "build", "policies"], /needs --out FILE or --env NAME/],
    [["bundle", "verify", "x.json"], /needs the keys to trust/],
    [["promote", "--from", "staging"], /needs --from ENV and --to ENV/],
    [["promote", "--from", "a", "--to", "b", "--bogus"], /unknown option '--bogus'/],
    [["promote", "sign", "--from", "development", "--to", "staging"], /promote sign needs --from ENV, --to ENV and --key KEYFILE/],
    [["promote", "--from", "development", "--to", "staging", "--approval", "missing.note"], /error\[approval\/unreadable\]: cannot read approval 'missing\.note'/],
    [["promote", "sign", "--from", "development", "--to", "staging", "--key", "keys/release.key"], /error\[key\/invalid\]: the key release belongs to no approver/],
    [["rollback"], /needs --env ENV/],
    [["env"], /name a subcommand: status or decide/],
    [["env", "decide", "--env", "development"], /needs --env NAME and --inputs FILE/],
    [["replay", "--bundle", "b", "--from-audit", "a", "--env", "e", "--window", "3x", "--config", "c"], /--window' must be a duration/],
    [["promote", "--from", "development", "--to", "nowhere"], /error\[env\/unknown\]: no environment 'nowhere'/],
  ];
  for (const [argv, message] of cases) {
    const r = await run(argv, dir);
    assert.equal(r.code, 2, `${argv.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message, argv.join(" "));
  }
  editConfig(dir, (c) => void (c.environments[0].mode = "loud"));
  const invalid = await run(["rollback", "--env", "production"], dir);
  assert.equal(invalid.code, 2);
  assert.match(invalid.stderr, /error\[config\/invalid\]: .*environments\.0\.mode must be equal to one of the allowed values/);
});

test("--help on each command", async () => {
  for (const name of ["bundle", "promote", "rollback", "replay", "env"]) {
    const r = await run([name, "--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, new RegExp(`^usage: palisade ${name} `));
  }
  assert.match((await run(["--help"])).stdout, /^ {2}promote +promote a bundle/m);
});
