// `palisade audit ...` through main() with captured output, and once as a real child process.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { after, before, test } from "node:test";
import { command } from "../../cli/audit.ts";
import { main } from "../../cli/main.ts";
import { fromHex, leafHash } from "../hash.ts";
import { AuditLog } from "../log.ts";
import { openCheckpoint } from "../checkpoint.ts";
import { SqliteStore } from "../sqlite-store.ts";
import { decodeEntryBundle, readerFromTiles } from "../tiles.ts";
import { rootFromReader } from "../merkle.ts";
import { verifyConsistency, verifyInclusion } from "../verify.ts";
import { decisionRecord } from "./records.ts";
import { captureIO } from "./tamper-suite.ts";

const dir = mkdtempSync(join(tmpdir(), "palisade-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const db = join(dir, "palisade-audit.db");
const SIZE = 20;

before(async () => {
  const log = await AuditLog.open(SqliteStore.open(db));
  await Promise.all(Array.from({ length: SIZE }, (_, i) => log.append(decisionRecord(i))));
  await log.close();
});

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO(dir);
  const code = await main(["audit", ...argv], io);
  return { code, out: io.out(), err: io.err() };
}

test("bad arguments are usage errors (exit 2) with a clear message", async () => {
  const none = await run();
  assert.equal(none.code, 2);
  assert.match(none.err, /a subcommand is required/);
  const bogus = await run("bogus");
  assert.equal(bogus.code, 2);
  assert.match(bogus.err, /unknown subcommand 'bogus'/);
  const flag = await run("verify", "--nope");
  assert.equal(flag.code, 2);
  assert.match(flag.err, /palisade audit verify: unknown option '--nope'/);
  const notInt = await run("prove", "--index", "x");
  assert.equal(notInt.code, 2);
  assert.match(notInt.err, /option '--index' must be a non-negative integer, got 'x'/);
  const missing = await run("prove");
  assert.equal(missing.code, 2);
  assert.match(missing.err, /option '--index' is required/);
  const out = await run("tiles");
  assert.equal(out.code, 2);
  assert.match(out.err, /option '--out' is required/);
  const stray = await run("verify", "extra");
  assert.equal(stray.code, 2);
  assert.match(stray.err, /unexpected argument 'extra'/);
});

test("a missing log is a clear error without a stack trace", async () => {
  const r = await run("verify", "--db", join(dir, "nowhere.db"));
  assert.equal(r.code, 2);
  assert.match(r.err, /^palisade audit verify: error: no audit log at '.*nowhere\.db'\n  help: pass --db/);
  assert.doesNotMatch(r.err, /\n\s+at /);
  assert.equal(existsSync(join(dir, "nowhere.db")), false, "verify does not create a log");
  const untrusted = await run("prove", "--db", db, "--index", "3");
  assert.equal(untrusted.code, 2, "a proof is checked against a signed root, so it needs a key to trust");
  assert.match(untrusted.err, /^palisade audit prove: error: no verifier key to trust\n  help: pass --vkey/);
});

test("--help prints usage for the command and for each subcommand", async () => {
  const top = await run("verify", "--help");
  assert.equal(top.code, 0);
  assert.match(top.out, /usage: palisade audit <subcommand>/);
  for (const sub of ["verify", "checkpoint", "prove", "consistency", "tiles", "erase"]) {
    const io = captureIO(dir);
    assert.equal(await command.run([sub, "--help"], io), 0);
    assert.match(io.out(), new RegExp(`^usage: palisade audit ${sub}`));
    assert.match(io.out(), /--db LOCATION/);
  }
});

test("verify, checkpoint (keys created beside the db), prove and consistency against signed checkpoints", async () => {
  const unsigned = await run("verify");
  assert.equal(unsigned.code, 2, "with no key to trust there is nothing to verify against");
  assert.match(unsigned.err, /error: no verifier key to trust\n  help: pass --vkey/);
  const v = await run("verify", "--allow-unsigned");
  assert.equal(v.code, 0, v.err);
  assert.match(v.out, /^ok: 20 entries, 18 nodes and 0 checkpoints verify\nroot: [0-9a-f]{64} \(size 20\)\nno trusted checkpoint \(--allow-unsigned\)\n$/);

  const cp = await run("checkpoint");
  assert.equal(cp.code, 0, cp.err);
  const keyFile = `${db}.key`;
  assert.ok(existsSync(keyFile));
  assert.equal(statSync(keyFile).mode & 0o777, 0o600, "the signing key is private to its owner");
  assert.equal(statSync(`${db}.vkey`).mode & 0o777, 0o644, "the verifier key is public");
  const vkey = readFileSync(`${db}.vkey`, "utf8").trim();
  assert.equal(/verifier key: (\S+)/.exec(cp.err)?.[1], vkey);
  const origin = vkey.split("+")[0];
  assert.match(origin, /^palisade\.local\/audit\/[0-9a-f]{16}$/, "a new log gets an origin of its own");
  const opened = openCheckpoint(cp.out, [vkey], origin);
  assert.ok(opened.ok);
  assert.equal(opened.checkpoint.size, SIZE);
  assert.equal(readFileSync(`${db}.checkpoint`, "utf8"), cp.out, "the signer remembers what it signed, outside the database");
  const root = opened.checkpoint.root;

  const p = await run("prove", "--index", "7");
  assert.equal(p.code, 0, p.err);
  const proof = JSON.parse(p.out) as { index: number; size: number; leafHash: string; proof: string[]; root: string; checkpoint: { origin: string; size: number; source: string }; verified: boolean };
  assert.equal(proof.verified, true);
  assert.deepEqual(proof.checkpoint, { origin, size: SIZE, source: "stored (latest)" });
  assert.deepEqual(fromHex(proof.root), root);
  assert.ok(verifyInclusion(fromHex(proof.leafHash), 7, SIZE, proof.proof.map(fromHex), root));
  const unsignedSize = await run("prove", "--index", "2", "--size", "5");
  assert.equal(unsignedSize.code, 1, "no checkpoint of size 5 was signed");
  assert.match(unsignedSize.err, /no checkpoint signed by a trusted key has size 5/);

  const c = await run("consistency", "--from", "5", "--to", "20");
  assert.equal(c.code, 0, c.err);
  const cons = JSON.parse(c.out) as { proof: string[]; fromRoot: string; toRoot: string; checkpoints: { from: { signed: boolean }; to: { signed: boolean; source: string } }; verified: boolean };
  assert.equal(cons.verified, true);
  assert.deepEqual([cons.checkpoints.from.signed, cons.checkpoints.to.signed, cons.checkpoints.to.source], [false, true, "stored"]);
  assert.ok(verifyConsistency(5, 20, cons.proof.map(fromHex), fromHex(cons.fromRoot), root));
  const bad = await run("consistency", "--from", "21");
  assert.equal(bad.code, 2);

  const again = await run("verify");
  assert.equal(again.code, 0, again.out + again.err);
  assert.match(again.out, /and 1 checkpoint verify, and the log contains 1 held checkpoint\n/);
  assert.match(again.out, new RegExp(`latest trusted checkpoint: size 20 \\(${origin.replaceAll(".", "\\.")}\\)`));
});

test("tiles writes a C2SP tlog-tiles tree that reproduces the log", async () => {
  const out = join(dir, "tiles");
  const r = await run("tiles", "--out", "tiles");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^wrote 3 files for tree size 20 to /);
  const note = readFileSync(join(out, "checkpoint"), "utf8");
  const cp = openCheckpoint(note, [readFileSync(`${db}.vkey`, "utf8").trim()]);
  assert.ok(cp.ok);
  const leaves = readFileSync(join(out, "tile/0/000.p/20"));
  assert.equal(leaves.length, 20 * 32);
  const entries = decodeEntryBundle(new Uint8Array(readFileSync(join(out, "tile/entries/000.p/20"))));
  assert.equal(entries.length, 20);
  entries.forEach((e, i) => assert.deepEqual(new Uint8Array(leaves.subarray(i * 32, i * 32 + 32)), leafHash(e)));
  assert.equal(JSON.parse(new TextDecoder().decode(entries[4])).n, 4);
  const read = readerFromTiles(() => new Uint8Array(leaves));
  assert.deepEqual(rootFromReader(20, read), cp.checkpoint.root);
  const zipped = await run("tiles", "--out", "tiles-gz", "--gzip");
  assert.equal(zipped.code, 0, zipped.err);
  assert.deepEqual(gunzipSync(readFileSync(join(dir, "tiles-gz/tile/entries/000.p/20"))), readFileSync(join(out, "tile/entries/000.p/20")), "--gzip writes entry bundles to serve with Content-Encoding: gzip");
  assert.deepEqual(readFileSync(join(dir, "tiles-gz/tile/0/000.p/20")), leaves, "hash tiles stay as they are");
});

test("erase with no subject is a usage error", async () => {
  const r = await run("erase", "--db", db);
  assert.equal(r.code, 2);
  assert.match(r.err, /option '--subject' is required/);
});

test("as a real process: verify exits 0 on a good log and 2 on a missing one, without a stack", () => {
  const mainTs = resolve(import.meta.dirname, "../../cli/main.ts");
  const ok = spawnSync(process.execPath, ["--disable-warning=ExperimentalWarning", mainTs, "audit", "verify", "--db", db], { encoding: "utf8", cwd: dir });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^ok: 20 entries/);
  const missing = spawnSync(process.execPath, ["--disable-warning=ExperimentalWarning", mainTs, "audit", "verify"], { encoding: "utf8", cwd: join(dir, "tiles") });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /no audit log at '.*palisade-audit\.db'/, "the default --db is palisade-audit.db in the working folder");
  assert.doesNotMatch(missing.stderr, /\n\s+at /);
});
