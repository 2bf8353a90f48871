// Reports from a log kept in PostgreSQL: the same evidence, proofs and verification as with
// SQLite, the signing key passed with --key (a URL has no file beside it), and a row edited in
// the database after the report was written is caught by `report verify --db`.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLog, generateKey } from "../../audit/index.ts";
import { freshDatabase, sql } from "../../audit/test/pg-support.ts";
import { driftAlertRecord } from "../evidence.ts";
import type { Report } from "../report.ts";
import { palisade } from "./support.ts";

let dir: string;
let url: string;
let keyFile: string;
const P = `sha256:${"b".repeat(64)}`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "palisade-report-pg-"));
  url = await freshDatabase("compliance_report");
  const key = generateKey("report.pg.test/audit");
  keyFile = join(dir, "audit.key");
  writeFileSync(keyFile, `${key.signerKey}\n`, { mode: 0o600 });
  writeFileSync(keyFile.replace(/\.key$/, ".vkey"), `${key.verifierKey}\n`);
  const log = await AuditLog.open(url, { signingKey: key.signerKey });
  const appends: Promise<number>[] = [];
  for (let i = 0; i < 40; i++) {
    const denied = i % 4 === 0;
    appends.push(
      log.append({
        time: new Date(Date.parse("2026-11-10T00:00:00Z") + i * 600_000).toISOString(),
        agent: "billing-agent",
        env: "production",
        principal: `u${i % 3}`,
        session: null,
        phase: "output",
        tool: null,
        decision: denied ? "deny" : "allow",
        reasons: denied ? [{ rule: "palisade.pci_dss.pan_in_output", effect: "deny", controls: ["pci-dss-4.0:3.4.1"] }] : [],
        policy_digest: P,
        input_digest: P,
      }),
    );
  }
  appends.push(log.append(driftAlertRecord({ key: "k", monitor: "m", metric: "deny_rate", test: "chi2", value: 0.001, threshold: 0.01, baseline: "b", message: "drifted" }, { time: "2026-11-10T03:00:00Z", agent: "ops", env: "production" })));
  await Promise.all(appends);
  await log.close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("a PostgreSQL log yields a verifiable report, and a row edited afterwards is caught", async () => {
  const out = join(dir, "pci.json");
  const r = await palisade(["report", "--framework", "pci-dss", "--from", "2026-11-10", "--to", "2026-11-11", "--format", "json", "--db", url, "--key", keyFile, "--out", out]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(readFileSync(out, "utf8")) as Report;
  assert.equal(report.evidence.decisions.total, 40);
  assert.equal(report.evidence.controls["3.4.1"].operating.denials, 10);
  assert.deepEqual(report.evidence.controls["3.4.1"].exceptions, [], "denials are the control working");
  assert.equal(report.log?.size, 41);
  const ok = await palisade(["report", "verify", out, "--db", url, "--vkey", keyFile.replace(/\.key$/, ".vkey")]);
  assert.equal(ok.code, 0, ok.stderr);

  const cited = report.entries.find((e) => e.entry.includes('"decision":"deny"'));
  assert.ok(cited);
  await sql(url, `UPDATE entries SET data = convert_to(replace(convert_from(data, 'UTF8'), '"decision":"deny"', '"decision":"allow"'), 'UTF8') WHERE idx = $1`, [cited.index]);
  const bad = await palisade(["report", "verify", out, "--db", url, "--vkey", keyFile.replace(/\.key$/, ".vkey")]);
  assert.equal(bad.code, 1, bad.stdout);
  assert.ok(bad.stderr.includes(`entry ${cited.index} differs from the log's entry ${cited.index}`), bad.stderr);
});
