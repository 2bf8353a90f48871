// Interoperability with a real C2SP tlog-witness: litewitness, built from its public Go module
// and run on loopback (witness-support.ts), cosigns the log's checkpoints through our client;
// `audit verify --witness --quorum` counts the cosignatures; and a rollback the log itself can
// no longer see (its signer's memory gone) is refused by the witness, so it goes uncosigned.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { fileSignerMemory, loadOrCreateSigningKey } from "../key-files.ts";
import { AuditLog } from "../log.ts";
import { generateKey, parseSignerKey, verifyNote } from "../note.ts";
import { audit, copyLog, freshDir, grow } from "./attacks-support.ts";
import { decisionRecord } from "./records.ts";
import type { LogDir } from "./attacks-support.ts";
import { startWitness } from "./witness-support.ts";
import type { RunningWitness } from "./witness-support.ts";

const ORIGIN = "palisade.test/witnessed";
let d: LogDir;
let signingKey: string;
let witness: RunningWitness;
let before50: LogDir;

before(async () => {
  d = freshDir();
  signingKey = loadOrCreateSigningKey(d.files, ORIGIN).signerKey;
  witness = await startWitness("witness.test/w1", ORIGIN, parseSignerKey(signingKey).vkey);
});
after(async () => witness?.stop());

const open = (dir: LogDir, memory = true) => AuditLog.open(dir.db, { signingKey, ...(memory ? { signerMemory: fileSignerMemory(dir.files.checkpoint) } : {}), witnesses: [{ url: witness.url, vkey: witness.vkey }] });

test("litewitness cosigns every checkpoint, also for a new process that does not know the size it holds", async () => {
  let log = await open(d);
  const first = await grow(log, 0, 50);
  assert.deepEqual(first.witnesses?.map((w) => [w.name, w.ok, w.error]), [["witness.test/w1", true, undefined]], witness.log());
  const v = verifyNote(first.note, [witness.vkey]);
  assert.ok(v.ok, "the cosignature verifies with the witness's own key");
  assert.equal(typeof v.signatures[0].timestamp, "number");
  await log.close();
  before50 = copyLog(d, ["checkpoint"]);

  log = await open(d);
  const second = await grow(log, 50, 120);
  assert.equal(second.witnesses?.[0].ok, true, JSON.stringify(second.witnesses));
  await log.close();
  // A fresh process starts from size 0, is told 120 by the witness (409), and proves from there.
  log = await open(d);
  const third = await grow(log, 120, 130);
  assert.equal(third.witnesses?.[0].ok, true, JSON.stringify(third.witnesses));
  await log.close();

  const counted = await audit(d, "verify", "--witness", witness.vkey, "--quorum", "1");
  assert.equal(counted.code, 0, counted.out);
  const stranger = generateKey("witness.test/w2");
  const short = await audit(d, "verify", "--witness", witness.vkey, "--witness", stranger.verifierKey, "--quorum", "2");
  assert.equal(short.code, 1);
  assert.match(short.out, /the latest checkpoint \(size 130\) has 1 of the 2 witness cosignatures required/);

  const wlog = await open(d);
  await wlog.append(decisionRecord(130));
  await wlog.close();
  const cli = await audit(d, "checkpoint", "--witness", `${witness.vkey}@${witness.url}`);
  assert.equal(cli.code, 0, cli.err);
  assert.match(cli.err, /witness witness\.test\/w1 cosigned/);
  assert.match(cli.out, /^palisade\.test\/witnessed\n131\n/);
});

test("a rollback the log cannot see any more is refused by the witness: the checkpoint goes uncosigned and verify --quorum fails", async () => {
  // The database restored to size 50 and the signer's memory lost: locally nothing remembers 131.
  for (const [to, why] of [
    [80, /the witness has cosigned 131 entries of this log, more than the 80 signed now/],
    [140, /the witness refused the consistency proof from size 131: the log does not extend the checkpoint it cosigned/],
  ] as const) {
    const c = copyLog(before50, ["checkpoint"]);
    const log = await open(c, false);
    const cp = await grow(log, 50, to, "forked");
    await log.close();
    assert.equal(cp.witnesses?.[0].ok, false);
    assert.equal(cp.witnesses?.[0].conflict, true, JSON.stringify(cp.witnesses));
    assert.match(cp.witnesses?.[0].error ?? "", why);
    assert.ok(!verifyNote(cp.note, [witness.vkey]).ok, "no cosignature on the fork");
    const r = await audit(c, "verify", "--witness", witness.vkey);
    assert.equal(r.code, 1);
    assert.match(r.out, new RegExp(`the latest checkpoint \\(size ${to}\\) has 0 of the 1 witness cosignatures required`));
  }
});
