// `palisade baseline` and `palisade drift` on a SQLite database holding simulated traffic:
// the report and its exit codes, --json, --help, and bad arguments (exit 2, a clear message).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { run, runProcess } from "../../cli/test/support.ts";
import { Monitor } from "../monitor.ts";
import type { DriftReport } from "../run.ts";
import { SqliteMonitorStore } from "../sqlite-store.ts";
import { simulate } from "./agent-sim.ts";

const HOUR = 3_600_000;
const START = Date.UTC(2026, 0, 5, 8);
const dir = mkdtempSync(join(tmpdir(), "palisade-drift-cli-"));
const db = join(dir, "palisade-audit.db");
after(() => rmSync(dir, { recursive: true, force: true }));

before(async () => {
  const m = new Monitor({ store: SqliteMonitorStore.open(db), seed: 3, flushIntervalMs: 0, retentionMs: 0, overflow: "backpressure" });
  for (const e of simulate({ seed: 9, start: START, events: 12_000, stepMs: 600, shiftAt: START + HOUR })) m.record(e);
  await m.close();
});

test("baseline create, list, and a drift report that names what moved (exit 1)", async () => {
  const c = await run(["baseline", "create", "normal", "--from", "2026-01-05T08:00Z", "--to", "2026-01-05T09:00Z"], dir);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout, /created baseline 'normal': 6,000 decisions/);
  const again = await run(["baseline", "create", "normal", "--from", "2026-01-05T08:00Z", "--to", "2026-01-05T09:00Z"], dir);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /a baseline named 'normal' already exists\n {2}help: choose another name or pass --replace/);
  const list = await run(["baseline", "list", "--db", db], "/");
  assert.equal(list.code, 0);
  assert.match(list.stdout, /^NAME +DECISIONS/);
  assert.match(list.stdout, /normal +6,000/);
  const d = await run(["drift", "--at", "2026-01-05T10:00Z", "--window", "1h"], dir);
  assert.equal(d.code, 1, d.stderr);
  assert.match(d.stdout, /^drift: baseline 'normal' \(6,000 decisions\) vs 2026-01-05 09:00Z → 2026-01-05 10:00Z \(6,000 decisions\)/);
  assert.match(d.stdout, /DRIFT tools +1h +chi2/);
  assert.match(d.stdout, /DRIFT eval:refusal +1h +chi2/);
  assert.match(d.stdout, /ok +latency +1h +ks/);
  assert.match(d.stdout, /DRIFT tools .*'refund' \d+\.\d% → 29\.\d%\n +refund +baseline █+/, "what moved most, first under a drifted metric");
  assert.match(d.stdout, /2 of \d+ metric windows drifted/);
});

test("drift --json is the report, for machines", async () => {
  await run(["baseline", "create", "json-base", "--from", "2026-01-05T08:00Z", "--to", "2026-01-05T09:00Z", "--replace"], dir);
  const d = await run(["drift", "--json", "--baseline", "json-base", "--at", "2026-01-05T09:00Z"], dir);
  assert.equal(d.code, 0, "the baseline's own hour does not drift");
  const report = JSON.parse(d.stdout) as DriftReport;
  assert.equal(report.baseline.name, "json-base");
  assert.equal(report.drifted, 0);
  const tools = report.results.find((r) => r.metric === "tools");
  assert.ok(tools && typeof tools.pValue === "number" && tools.verdict === "ok");
});

test("a config file picks the monitors", async () => {
  writeFileSync(join(dir, "m.json"), JSON.stringify({ monitors: [{ metric: "latency", test: "psi", window: "1h" }] }));
  const d = await run(["drift", "--config", "m.json", "--baseline", "normal", "--at", "2026-01-05T10:00Z", "--json"], dir);
  const report = JSON.parse(d.stdout) as DriftReport;
  assert.deepEqual(report.results.map((r) => [r.metric, r.test, r.verdict]), [["latency", "psi", "ok"]]);
  assert.equal(d.code, 0);
});

test("bad arguments and unusable input exit 2 with a clear message", async () => {
  const cases: [string[], RegExp][] = [
    [["drift", "--window", "soon"], /option '--window' must be a duration like 30m, 1h or 7d, got 'soon'/],
    [["drift", "--at", "yesterday"], /option '--at' must be an ISO-8601 instant/],
    [["drift", "--frobnicate"], /unknown option '--frobnicate'/],
    [["drift", "--baseline", "nope"], /no baseline named 'nope'\n {2}help: known baselines: /],
    [["drift", "--config", "missing.json"], /cannot read the monitor config/],
    [["baseline"], /a subcommand is required: create or list/],
    [["baseline", "make"], /unknown subcommand 'make'/],
    [["baseline", "create"], /a baseline NAME is required/],
    [["baseline", "create", "x"], /say what is normal/],
    [["baseline", "create", "x", "--from", "2026-01-05T09:00Z", "--to", "2026-01-05T08:00Z"], /'--from' must be before '--to'/],
    [["baseline", "create", "x", "--env", "staging"], /no recorded decisions match the baseline 'x'/],
    [["drift", "--db", join(dir, "absent.db")], /no database at/],
    [["drift", "ack"], /an alert ID or KEY is required/],
    [["drift", "ack", "x"], /say who acknowledges: --by NAME/],
    [["drift", "ack", "no-such-alert", "--by", "dana"], /no drift alert with the id or key 'no-such-alert'/],
    [["drift", "--by", "dana"], /option '--by' does not apply here/],
    [["drift", "alerts", "--alert"], /option '--alert' does not apply here/],
  ];
  for (const [argv, want] of cases) {
    const r = await run(argv, dir);
    assert.equal(r.code, 2, `${argv.join(" ")}: exit ${r.code}`);
    assert.match(r.stderr, want, argv.join(" "));
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, "no stack traces");
  }
});

test("--help on each command, and through the installed entry point", async () => {
  for (const argv of [["drift", "--help"], ["baseline", "--help"], ["baseline", "create", "--help"]]) {
    const r = await run(argv, dir);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^usage: palisade (drift|baseline)/);
  }
  const p = runProcess(["drift", "--at", "2026-01-05T10:00Z", "--baseline", "normal"], dir);
  assert.equal(p.code, 1, p.stderr);
  assert.match(p.stdout, /DRIFT tools/);
});

test("drift --alert posts each drifted metric once; a second run stays quiet (state in the database)", async () => {
  const { createServer } = await import("node:http");
  const bodies: { metric: string }[] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString("utf8")));
    req.on("end", () => {
      bodies.push(JSON.parse(text) as { metric: string });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as { port: number }).port;
  try {
    writeFileSync(join(dir, "alerting.json"), JSON.stringify({ baseline: "normal", defaults: { window: "1h" }, alerts: { webhook: `http://127.0.0.1:${port}/hook`, log: true } }));
    const first = await run(["drift", "--config", "alerting.json", "--alert", "--at", "2026-01-05T10:00Z"], dir);
    assert.equal(first.code, 1);
    assert.deepEqual(bodies.map((b) => b.metric).sort(), ["eval:refusal", "tools"]);
    assert.match(first.stderr, /palisade drift alert: tools drifted from baseline 'normal'/);
    const second = await run(["drift", "--config", "alerting.json", "--alert", "--at", "2026-01-05T10:05Z"], dir);
    assert.equal(second.code, 1, "still drifting");
    assert.equal(bodies.length, 2, "but no second alert");
  } finally {
    await new Promise<void>((ok) => server.close(() => ok()));
  }
  // The alerts are evidence: in the audit log of the same database, listed, and acknowledged by name.
  const listed = await run(["drift", "alerts", "--unacknowledged", "--json"], dir);
  assert.equal(listed.code, 0, listed.stderr);
  const open = JSON.parse(listed.stdout) as { alert: { id: string; key: string; metric: string } }[];
  assert.deepEqual(open.map((r) => r.alert.metric).sort(), ["eval:refusal", "tools"]);
  const tools = open.find((r) => r.alert.metric === "tools");
  assert.ok(tools);
  const ack = await run(["drift", "ack", tools.alert.key, "--by", "dana@clinic", "--note", "refund campaign"], dir);
  assert.equal(ack.code, 0, ack.stderr);
  assert.match(ack.stdout, new RegExp(`acknowledged ${tools.alert.id} \\(${tools.alert.key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\) as dana@clinic; recorded in the audit log`));
  const again = await run(["drift", "ack", tools.alert.id, "--by", "sam"], dir);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /was acknowledged by dana@clinic/);
  const text = await run(["drift", "alerts"], dir);
  assert.match(text.stdout, /acknowledged by dana@clinic/);
  assert.match(text.stdout, /UNACKNOWLEDGED/);
  const { AuditLog } = await import("../../audit/index.ts");
  const log = await AuditLog.open(db);
  try {
    const size = await log.store.size();
    const records: Record<string, unknown>[] = [];
    for (const e of await log.store.entries(0, size)) records.push(JSON.parse(new TextDecoder().decode(e.data)) as Record<string, unknown>);
    assert.deepEqual(records.map((r) => r.event), ["drift_alert", "drift_alert", "drift_alert_handled"]);
    assert.deepEqual((records[2] as { handling: unknown }).handling, { key: tools.alert.key, alert_id: tools.alert.id, by: "dana@clinic", action: "acknowledged", note: "refund campaign" });
  } finally {
    await log.close();
  }
});
