// Evidence collection on hand-written records: which controls a decision feeds, when an alert
// is open or handled, when a pack test run is an exception, and which records are ignored.
import { test } from "node:test";
import assert from "node:assert/strict";
import { findCatalogue } from "../catalogue.ts";
import type { Catalogue } from "../catalogue.ts";
import { EvidenceCollector, hasEvidence } from "../collect.ts";
import { driftAlertRecord, driftHandlingRecord, packTestRunRecord, readLoggedRecord } from "../evidence.ts";
import { coverage } from "../coverage.ts";
import { controlToken, nameUuid } from "../oscal.ts";

const soc2 = findCatalogue("soc2") as Catalogue;
const period = { from: new Date("2026-11-01T00:00:00Z"), to: new Date("2026-11-02T00:00:00Z") };
const P = `sha256:${"a".repeat(64)}`;
const decision = (time: string, decision: string, reasons: unknown[], extra: Record<string, unknown> = {}) => ({
  time,
  agent: "a1",
  env: "production",
  principal: { id: "u1", sealed: "x" },
  session: null,
  phase: "tool_call",
  tool: { name: "deploy" },
  decision,
  reasons,
  policy_digest: P,
  input_digest: P,
  ...extra,
});
const ctx = (time: string) => ({ time, agent: "ops", env: "production" });
const alert = { key: "k1", monitor: "m", metric: "deny_rate", test: "chi2", value: 0.001, threshold: 0.01, baseline: "b", message: "drifted" };

test("a decision feeds the controls its rule cites, by record or by catalogue", () => {
  const c = new EvidenceCollector(soc2, period);
  c.add(0, decision("2026-11-01T01:00:00Z", "deny", [{ rule: "palisade.soc2.unapproved_model", effect: "deny", controls: ["soc2:CC6.8"] }]));
  // No controls on the record: the catalogue's rule list still maps it.
  c.add(1, decision("2026-11-01T02:00:00Z", "require_approval", [{ rule: "palisade.soc2.access_grant_approval", effect: "require_approval" }], { approval: { approved: true, by: "alice" } }));
  c.add(2, decision("2026-11-01T03:00:00Z", "require_approval", [{ rule: "palisade.soc2.access_grant_approval", effect: "require_approval" }]));
  c.add(3, decision("2026-11-03T03:00:00Z", "deny", [{ rule: "palisade.soc2.unapproved_model", effect: "deny" }]));
  c.add(4, { not: "a record" });
  c.add(5, "garbage");
  const e = c.result();
  assert.equal(e.entries_read, 6);
  assert.equal(e.decisions.total, 3);
  assert.equal(e.controls["CC6.8"].denials, 1);
  assert.equal(e.controls["CC6.8"].exceptions[0].kind, "denial");
  assert.deepEqual(e.controls["CC6.2"].approvals, { approved: 1, refused: 0, pending: 1 });
  assert.equal(e.controls["CC6.2"].approved[0].approval?.by, "alice");
  assert.equal(e.controls["CC6.2"].approved[0].principal, "u1");
  assert.equal(e.controls["CC6.1"].decisions.total, 0);
  assert.equal(e.policy_versions.length, 1);
  assert.equal(e.policy_versions[0].first_entry, 0);
  assert.equal(e.timeline.buckets.reduce((n, b) => n + b.allow + b.deny + b.require_approval, 0), 3);
});

test("a drift alert is an exception until it is handled, even after the period", () => {
  const open = new EvidenceCollector(soc2, period);
  open.add(0, driftAlertRecord(alert, ctx("2026-11-01T05:00:00Z")));
  const o = open.result();
  assert.equal(o.drift_alerts[0].handled, null);
  assert.equal(o.controls["CC7.3"].exceptions[0].kind, "drift-alert-open");
  assert.ok(hasEvidence(soc2.controls.find((x) => x.id === "CC7.3")!, o.controls["CC7.3"], o));
  assert.equal(o.controls["CC6.1"].exceptions_total, 0, "CC6.1 is not fed by drift alerts");

  const handled = new EvidenceCollector(soc2, period);
  handled.add(0, driftAlertRecord(alert, ctx("2026-11-01T05:00:00Z")));
  handled.add(1, driftHandlingRecord({ key: "k1", by: "dave", action: "resolved" }, ctx("2026-11-02T09:00:00Z")));
  const h = handled.result();
  assert.equal(h.drift_alerts[0].handled?.by, "dave");
  assert.equal(h.controls["CC7.3"].exceptions_total, 0);
});

test("a failed run of the framework's own pack is an exception, another pack's is not", () => {
  const run = (pack: string, failed: number) => packTestRunRecord({ pack, policy_digest: P, passed: 3, failed, failures: failed ? ["t1"] : [] }, ctx("2026-11-01T06:00:00Z"));
  const c = new EvidenceCollector(soc2, period);
  c.add(0, run("stdlib-policies/soc2", 1));
  c.add(1, run("stdlib-policies/hipaa", 2));
  c.add(2, run("/abs/path/stdlib-policies/soc2/", 0));
  const e = c.result();
  assert.equal(e.test_runs.length, 3);
  const cc81 = e.controls["CC8.1"];
  assert.equal(cc81.exceptions.filter((x) => x.kind === "test-failure").length, 1);
});

test("malformed evidence records read as other and count for nothing", () => {
  assert.equal(readLoggedRecord({ time: "2026-11-01T00:00:00Z", event: "promotion", promotion: { to: 3 } }).kind, "other");
  assert.equal(readLoggedRecord({ time: "2026-11-01T00:00:00Z", event: "something_new" }).kind, "other");
  const c = new EvidenceCollector(soc2, period);
  c.add(0, { time: "2026-11-01T00:00:00Z", event: "promotion", promotion: { to: 3 } });
  const e = c.result();
  assert.equal(e.promotions.length, 0);
  assert.equal(e.entries_in_period, 1);
});

test("coverage maps rules by control prefix; facts-only controls are not gaps", () => {
  const cov = coverage(soc2, [
    { id: "acme.x", controls: ["soc2:CC6.1", "hipaa:164.312(b)"] },
    { id: "acme.y", controls: ["gdpr:Art.17"] },
  ]);
  assert.equal(cov.rules, 1);
  assert.deepEqual(cov.controls.find((c) => c.id === "CC6.1")?.rules, ["acme.x"]);
  assert.equal(cov.controls.find((c) => c.id === "CC7.3")?.by, "facts");
  assert.equal(cov.uncovered.length, soc2.controls.length - 2);
});

test("OSCAL tokens and UUIDs are well formed and stable", () => {
  assert.equal(controlToken("hipaa", "164.312(e)(1)"), "hipaa-164.312_e_1");
  assert.equal(controlToken("gdpr", "Art.5(1)(b)"), "gdpr-Art.5_1_b");
  assert.match(nameUuid("x"), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(nameUuid("x"), nameUuid("x"));
  assert.notEqual(nameUuid("x"), nameUuid("y"));
});
