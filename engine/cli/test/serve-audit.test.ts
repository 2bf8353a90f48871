// `palisade serve --config` takes the audit log's origin and witnesses from its configuration:
// a new log's key is named with the origin and its verifier key file is what the service serves;
// a log whose key has another name, or a witness that is not one, stops the start.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { parseVerifierKey } from "../../audit/index.ts";
import { hashKey } from "../../service/keys.ts";
import { SHOP_POLICY, ServeExit, serve } from "./serve-support.ts";

const dir = mkdtempSync(join(tmpdir(), "palisade-serve-audit-"));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, "shop.policy"), SHOP_POLICY);
const KEY = "k-serve-audit-admin";
const keys = [{ id: "admin", sha256: hashKey(KEY), agents: ["*"], environments: ["*"], roles: ["admin"] }];

function config(name: string, audit: unknown): string {
  writeFileSync(join(dir, name), JSON.stringify({ keys, audit }));
  return name;
}

async function refused(file: string): Promise<ServeExit> {
  try {
    const s = await serve(["shop.policy", "--db", "audit.db", "--config", file], dir, KEY);
    await s.stop();
  } catch (err) {
    if (err instanceof ServeExit) return err;
    throw err;
  }
  assert.fail(`serve started with ${file}`);
}

it("names a new log after the configured origin and serves its verifier key file", async () => {
  const s = await serve(["shop.policy", "--db", "audit.db", "--config", config("origin.json", { origin: "clinic.example/audit" })], dir, KEY);
  try {
    const served = await (await fetch(`${s.url}/v1/audit/vkey`)).text();
    assert.equal(served, readFileSync(join(dir, "audit.db.vkey"), "utf8"));
    assert.equal(parseVerifierKey(served.trim()).name, "clinic.example/audit");
    assert.match(s.stdout(), /verifier key: \S+audit\.db\.vkey \(served at http:\/\/\S+\/v1\/audit\/vkey\)/);
    const status = await s.call("GET", "/v1/status");
    assert.deepEqual(status.body.audit, { alarms: [] });
  } finally {
    await s.stop();
  }
});

it("refuses to start when the log's key is named otherwise, or a witness is not one", async () => {
  const other = await refused(config("other.json", { origin: "other.example/audit" }));
  assert.equal(other.code, 2);
  assert.match(other.stderr, /the origin 'other\.example\/audit' is not the signing key's name 'clinic\.example\/audit'/);
  const witness = await refused(config("witness.json", { witnesses: [{ url: "https://w.example", vkey: "w.example+0000+AAAA" }] }));
  assert.equal(witness.code, 2);
  assert.match(witness.stderr, /--config witness\.json: \/audit\/witnesses\/0\/vkey is not a verifier key/);
});
