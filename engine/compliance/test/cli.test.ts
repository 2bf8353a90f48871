// `palisade report` at the command line: an empty log still yields a report (every control "no
// evidence yet"), coverage lists the gaps, bad arguments exit 2 with a clear message, every
// subcommand has --help, and the installed command runs as a child process.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLog, generateKey } from "../../audit/index.ts";
import { REPO_ROOT } from "../catalogue.ts";
import type { Report } from "../report.ts";
import { palisade } from "./support.ts";

let dir: string;
let emptyDb: string;
let bareDb: string;
let vkey: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "palisade-report-cli-"));
  // An empty log with its key (a size-0 checkpoint is signed), and one with neither key nor checkpoint.
  emptyDb = join(dir, "empty.db");
  const key = generateKey("report.test/audit");
  writeFileSync(`${emptyDb}.key`, `${key.signerKey}\n`, { mode: 0o600 });
  vkey = key.verifierKey;
  await (await AuditLog.open(emptyDb)).close();
  bareDb = join(dir, "bare.db");
  await (await AuditLog.open(bareDb)).close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe("palisade report", () => {
  for (const db of ["empty", "bare"]) {
    test(`an empty log (${db === "empty" ? "with a signing key" : "without key or checkpoint"}) yields a report with every control "no evidence"`, async () => {
      const file = db === "empty" ? emptyDb : bareDb;
      const r = await palisade(["report", "--framework", "gdpr", "--format", "json", "--db", file]);
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as Report;
      assert.ok(report.controls.length > 0);
      for (const c of report.controls) assert.equal(c.status, "no-evidence", c.id);
      assert.equal(report.summary["no-evidence"], report.controls.length);
      assert.equal(report.log === null, db === "bare");
      if (report.log) assert.equal(report.log.size, 0);
      const html = await palisade(["report", "--framework", "gdpr", "--db", file]);
      assert.equal(html.code, 0, html.stderr);
      assert.match(html.stdout, /no evidence/);
      const out = join(dir, `${db}.html`);
      writeFileSync(out, html.stdout);
      const v = await palisade(["report", "verify", out, "--db", file, "--vkey", vkey]);
      assert.equal(v.code, 0, v.stderr);
    });
  }

  test("every framework name and alias is accepted, the OSCAL format too", async () => {
    for (const f of ["eu-ai-act", "nist-ai-rmf", "iso-42001", "pci", "soc-2"]) {
      const r = await palisade(["report", "--framework", f, "--format", "oscal", "--db", emptyDb]);
      assert.equal(r.code, 0, `${f}: ${r.stderr}`);
      assert.ok("assessment-results" in (JSON.parse(r.stdout) as object));
    }
  });

  test("bad arguments exit 2 with a clear message", async () => {
    const cases: [string[], RegExp][] = [
      [["report", "--db", emptyDb], /option '--framework' is required/],
      [["report", "--framework", "fedramp", "--db", emptyDb], /unknown framework 'fedramp': expected one of soc2\|hipaa/],
      [["report", "--framework", "soc2", "--format", "pdf", "--db", emptyDb], /'--format' must be html, json, oscal or oscal-plan, got 'pdf'/],
      [["report", "--framework", "soc2", "--from", "last tuesday", "--db", emptyDb], /'--from' must be an ISO-8601 date/],
      [["report", "--framework", "soc2", "--from", "2026-11-05", "--to", "2026-11-01", "--db", emptyDb], /the period is empty/],
      [["report", "--framework", "soc2", "--bogus"], /unknown option '--bogus'/],
      [["report", "--framework", "soc2", "--db", join(dir, "missing.db")], /error: /],
      [["report", "--framework", "soc2", "--policies", join(dir, "nowhere"), "--db", emptyDb], /cannot read/],
      [["report", "verify"], /the report FILE to verify is required/],
      [["report", "verify", join(dir, "nope.json")], /cannot read '.*nope.json'/],
      [["report", "coverage"], /option '--framework' is required/],
    ];
    for (const [argv, message] of cases) {
      const r = await palisade(argv);
      assert.equal(r.code, 2, `${argv.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message, argv.join(" "));
      assert.equal(r.stdout, "");
    }
    const notReport = join(dir, "not-a-report.json");
    writeFileSync(notReport, "{ nope");
    const r = await palisade(["report", "verify", notReport, "--vkey", vkey]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is not JSON/);
  });

  test("--help on each subcommand", async () => {
    for (const [argv, usage] of [
      [["report", "--help"], /usage: palisade report \[verify FILE \| coverage\]/],
      [["report", "verify", "--help"], /usage: palisade report verify FILE/],
      [["report", "coverage", "-h"], /usage: palisade report coverage --framework NAME/],
    ] as const) {
      const r = await palisade(argv);
      assert.equal(r.code, 0);
      assert.match(r.stdout, usage);
    }
    const list = await palisade(["--help"]);
    assert.match(list.stdout, /report +compliance reports/);
  });

  test("coverage states the scope and lists the controls no loaded rule maps to", async () => {
    const own = await palisade(["report", "coverage", "--framework", "soc2"]);
    assert.equal(own.code, 0, own.stderr);
    assert.match(own.stdout, /of the 11 catalogued controls, 11 are covered by .*; none is left uncovered/);
    assert.match(own.stdout, /covered by operational facts only \(1\):\n {2}CC7\.3/);
    const other = await palisade(["report", "coverage", "--framework", "soc2", "--policies", "stdlib-policies/hipaa", "--json"]);
    assert.equal(other.code, 0, other.stderr);
    const cov = JSON.parse(other.stdout) as { uncovered: { id: string }[]; rules: number };
    assert.equal(cov.rules, 0);
    assert.equal(cov.uncovered.length, 10);
    assert.ok(!cov.uncovered.some((c) => c.id === "CC7.3"));
    const text = await palisade(["report", "coverage", "--framework", "soc2", "--policies", "stdlib-policies/hipaa"]);
    assert.match(text.stdout, /catalogued but not covered by any loaded rule \(10\):\n {2}CC6\.1/);
  });

  test("--run-tests includes the pack's test results", async () => {
    const r = await palisade(["report", "--framework", "iso-42001", "--format", "json", "--run-tests", "--db", emptyDb]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(report.test_runs_at_report.length, 1);
    assert.equal(report.test_runs_at_report[0].failed, 0);
    assert.ok(report.test_runs_at_report[0].passed > 0);
  });

  test("runs as a child process", () => {
    const out = join(dir, "child.json");
    const r = spawnSync(process.execPath, ["--disable-warning=ExperimentalWarning", join(REPO_ROOT, "engine", "cli", "main.ts"), "report", "--framework", "hipaa", "--format", "json", "--db", emptyDb, "--out", out], { cwd: dir, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /wrote .*child\.json \(hipaa: 13 controls/);
    const v = spawnSync(process.execPath, ["--disable-warning=ExperimentalWarning", join(REPO_ROOT, "engine", "cli", "main.ts"), "report", "verify", out, "--db", emptyDb], { cwd: dir, encoding: "utf8" });
    assert.equal(v.status, 0, v.stderr);
    const bad = spawnSync(process.execPath, ["--disable-warning=ExperimentalWarning", join(REPO_ROOT, "engine", "cli", "main.ts"), "report", "--framework", "nope"], { cwd: dir, encoding: "utf8" });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /palisade report: unknown framework 'nope'/);
  });
});
