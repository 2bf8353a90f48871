// The audit log's trust model in the service: the verifier keys are served from the file beside
// the log (never from the database); a signing the log refuses (a store rolled back, restored from
// a backup or forked) and a witness's conflict raise an alarm that /readyz, /v1/status, /metrics
// and the error log all show; origin and witnesses come from the configuration, checked.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { after, test } from "node:test";
import { AuditLog, fileSignerMemory, generateKey, loadOrCreateSigningKey, openCheckpoint, parseSignerKey, parseVerifierKey, writeVerifierKeys } from "../../audit/index.ts";
import { copyLog, freshDir, grow, openSigned, restoreDatabase } from "../../audit/test/attacks-support.ts";
import type { LogDir } from "../../audit/test/attacks-support.ts";
import { startWitness } from "../../audit/test/witness-support.ts";
import type { RunningWitness } from "../../audit/test/witness-support.ts";
import { ConfigError, parseServiceConfig } from "../config.ts";
import { startHarness, toolCall } from "./harness.ts";
import type { Harness } from "./harness.ts";

const ORIGIN = "palisade.test/attacks";
const open: Harness[] = [];
let witness: RunningWitness | undefined;
after(async () => {
  for (const h of open) await h.close().catch(() => {});
  await witness?.stop();
});

/** A service over the log in `d`, signing with its key file and remembering in its checkpoint file; errors collected. */
async function serve(d: LogDir, extra: { witnesses?: { url: string; vkey: string }[]; memory?: boolean } = {}): Promise<{ h: Harness; errors: string[] }> {
  const { signerKey } = loadOrCreateSigningKey(d.files, ORIGIN);
  const audit = await AuditLog.open(d.db, { signingKey: signerKey, ...(extra.memory === false ? {} : { signerMemory: fileSignerMemory(d.files.checkpoint) }), ...(extra.witnesses ? { witnesses: extra.witnesses } : {}) });
  const errors: string[] = [];
  const h = await startHarness({ audit, verifierKeyFile: d.files.vkey, onError: (e) => errors.push(e instanceof Error ? e.message : String(e)) });
  open.push(h);
  return { h, errors };
}

async function decide(h: Harness, n: number): Promise<void> {
  for (let i = 0; i < n; i++) assert.equal((await h.call("POST", "/v1/decide", "agent", toolCall("lookup", { i }))).status, 200);
}

/** What an operator sees of the alarm: readiness, status, metrics. */
async function alarmed(h: Harness): Promise<{ ready: number; readyCode: string | undefined; codes: string[]; metric: string | undefined }> {
  const ready = await h.call("GET", "/readyz", undefined);
  const status = await h.call("GET", "/v1/status", "agent");
  const metrics = await h.call("GET", "/metrics", "admin");
  return {
    ready: ready.status,
    readyCode: ready.body?.error?.code,
    codes: status.body.audit.alarms.map((a: { code: string }) => a.code),
    metric: /^palisade_audit_alarm (\d+)$/m.exec(metrics.body)?.[1],
  };
}

test("serves the log's verifier keys from the file beside it, public and documented, never from the database", async () => {
  const d = freshDir();
  const { h } = await serve(d);
  await decide(h, 3);
  await h.service.checkpoint();
  // A rotation leaves the retired key below the current one: both are served, in the file's order.
  const retired = generateKey("palisade.test/old").verifierKey;
  const own = h.service.context.audit.signerVerifierKey as string;
  writeVerifierKeys(d.files.vkey, [own, retired]);
  const res = await fetch(`${h.url}/v1/audit/vkey`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
  const keys = (await res.text()).trim().split("\n");
  assert.deepEqual(keys, [own, retired]);
  // The served keys are what a client verifies the public checkpoint with.
  const note = await (await fetch(`${h.url}/tlog/checkpoint`)).text();
  assert.ok(openCheckpoint(note, keys.map((k) => parseVerifierKey(k))).ok);
  // What the database claims does not matter: an attacker's key written there is not served.
  await h.service.context.audit.store.setMeta("vkey", generateKey("attacker.example/audit").verifierKey);
  assert.deepEqual((await (await fetch(`${h.url}/v1/audit/vkey`)).text()).trim().split("\n"), [own, retired]);
  const doc = (await h.call("GET", "/openapi.json", undefined)).body;
  assert.ok(doc.paths["/v1/audit/vkey"]?.get, "the route is in the API document");
  assert.deepEqual(doc.paths["/v1/audit/vkey"].get.security, [], "public: no key needed");

  // A damaged file is an error that says so, not a guess from elsewhere.
  writeFileSync(d.files.vkey, "not a key\n");
  const bad = await h.call("GET", "/v1/audit/vkey", undefined);
  assert.deepEqual([bad.status, bad.body.error.code], [503, "audit/unavailable"]);
  // Without a file, the signing key's public half.
  const plain = await startHarness();
  open.push(plain);
  const half = await fetch(`${plain.url}/v1/audit/vkey`);
  assert.equal((await half.text()).trim(), plain.service.context.audit.signerVerifierKey);
});

test("a store restored from a backup is refused for signing at once, and the node says so everywhere until restarted", async () => {
  const d = freshDir();
  let log = await openSigned(d, ORIGIN);
  await grow(log, 0, 10);
  await log.close();
  const backup = copyLog(d);
  log = await openSigned(d, ORIGIN);
  await grow(log, 10, 20);
  await log.close();
  restoreDatabase(backup, d);

  // No decision needed: the first signing attempt proves the tree against the signer's memory (20).
  const { h, errors } = await serve(d);
  assert.equal((await h.call("GET", "/readyz", undefined)).status, 200, "ready until the log is checked");
  await assert.rejects(h.service.checkpoint(), (err: Error & { code?: string }) => err.code === "audit/signing-refused");
  let seen = await alarmed(h);
  assert.deepEqual(seen, { ready: 503, readyCode: "audit/unavailable", codes: ["audit/signing-refused"], metric: "1" });
  assert.ok(errors.some((e) => /^AUDIT ALARM audit\/signing-refused: checkpoint signing refused: /.test(e)), errors.join("\n"));
  // Later decisions are recorded; every signing is refused again, counted, and the alarm holds.
  await decide(h, 15);
  await assert.rejects(h.service.checkpoint(), /signing|extend|rolled|smaller|differ/i);
  const metrics = (await h.call("GET", "/metrics", "admin")).body as string;
  assert.match(metrics, /^palisade_checkpoint_refused_total 2$/m);
  seen = await alarmed(h);
  assert.equal(seen.ready, 503);
  const status = await h.call("GET", "/v1/status", "agent");
  assert.equal(status.body.audit.alarms[0].count, 2);
  assert.match(status.body.audit.alarms[0].since, /^\d{4}-\d\d-\d\dT/);
  // A report signs the checkpoint it cites: refused, it is the log that is unavailable, not a bug (was 500).
  const report = await h.call("GET", "/v1/reports/soc2", "admin");
  assert.deepEqual([report.status, report.body.error?.code], [503, "audit/unavailable"]);
});

test("a sound log is ready, and its status has no alarm", async () => {
  const d = freshDir();
  const { h, errors } = await serve(d);
  await decide(h, 4);
  assert.equal(await h.service.checkpoint(), 4);
  assert.deepEqual(await alarmed(h), { ready: 200, readyCode: undefined, codes: [], metric: "0" });
  assert.deepEqual(errors, []);
});

test("a witness's conflict raises the alarm (a fork the log's own memory lost)", async () => {
  const d = freshDir();
  const signerKey = loadOrCreateSigningKey(d.files, ORIGIN).signerKey;
  witness = await startWitness("witness.test/service", ORIGIN, parseSignerKey(signerKey).vkey);
  const w = [{ url: witness.url, vkey: witness.vkey }];
  // The same key in a directory with no database and no signer's memory: the log as it was before anything was signed.
  const lost = copyLog(d, ["checkpoint"]);
  // The witness cosigns 12 entries of this origin.
  const first = await AuditLog.open(d.db, { signingKey: signerKey, signerMemory: fileSignerMemory(d.files.checkpoint), witnesses: w });
  const cp = await grow(first, 0, 12);
  await first.close();
  assert.equal(cp.witnesses?.[0].ok, true, witness.log());
  // The database and the signer's memory both go back to nothing; the node signs 5 other entries.
  const { h, errors } = await serve(lost, { witnesses: w, memory: false });
  await decide(h, 5);
  assert.equal(await h.service.checkpoint(), 5, "the log signs (it cannot see the fork) ...");
  const seen = await alarmed(h);
  assert.deepEqual(seen, { ready: 503, readyCode: "audit/unavailable", codes: ["audit/witness-conflict"], metric: "1" }, "... and the witness's answer raises the alarm");
  assert.ok(errors.some((e) => /^AUDIT ALARM audit\/witness-conflict: witness witness\.test\/service .* size 5/.test(e)), errors.join("\n"));
  assert.match((await h.call("GET", "/metrics", "admin")).body, /^palisade_witness_conflicts_total 1$/m);
});

test("the configuration's audit origin and witnesses are checked like the rest", () => {
  const keys = [{ id: "a", sha256: "0".repeat(64), agents: ["*"], environments: ["*"] }];
  const w = generateKey("witness.example/w1").verifierKey;
  const ok = parseServiceConfig(JSON.stringify({ keys, audit: { origin: "example.com/audit", witnesses: [{ url: "https://w1.example/", vkey: ` ${w} ` }] } }), "/srv");
  assert.deepEqual(ok.audit, { origin: "example.com/audit", witnesses: [{ url: "https://w1.example/", vkey: w }] });
  for (const [audit, why] of [
    [{ origin: "has space" }, /\/audit\/origin must name the log without spaces or '\+'/],
    [{ origin: "a+b" }, /\/audit\/origin/],
    [{ origin: "" }, /\/audit\/origin/],
    [{ witnesses: {} }, /\/audit\/witnesses must be a list/],
    [{ witnesses: [{ url: "ftp://w", vkey: w }] }, /\/audit\/witnesses\/0\/url must be the witness's http\(s\) submission prefix/],
    [{ witnesses: [{ url: "https://u:p@w.example", vkey: w }] }, /\/audit\/witnesses\/0\/url .*without credentials/],
    [{ witnesses: [{ url: "https://w.example", vkey: "nope" }] }, /\/audit\/witnesses\/0\/vkey is not a verifier key/],
    [{ witnesses: [{ url: "https://w.example" }] }, /\/audit\/witnesses\/0\/vkey must be the witness's verifier key/],
    [{ witnesses: [{ url: "https://w.example", vkey: w, name: "x" }] }, /\/audit\/witnesses\/0\/name is not a witness field/],
    [{ witnesses: [{ url: "https://a.example", vkey: w }, { url: "https://b.example", vkey: w }] }, /\/audit\/witnesses\/1\/vkey is listed twice/],
    [{ witness: [] }, /\/audit\/witness is not an audit setting/],
  ] as const) {
    assert.throws(() => parseServiceConfig(JSON.stringify({ keys, audit }), "/srv"), (err: Error) => err instanceof ConfigError && why.test(err.message), JSON.stringify(audit));
  }
});
