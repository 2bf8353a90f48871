// Evidence collection on hand-written records: which controls a decision feeds and how (operating
// evidence or exception), activity, alerts and their handling, pack test runs, which records are
// ignored, scope and OSCAL ids from the catalogue.
import { test } from "node:test";
import assert from "node:assert/strict";
import { findCatalogue, oscalControlId, scopeOf } from "../catalogue.ts";
import type { Catalogue } from "../catalogue.ts";
import { EvidenceCollector } from "../collect.ts";
import type { CollectOptions } from "../collect.ts";
import { driftAlertRecord, driftHandlingRecord, packTestRunRecord, readLoggedRecord } from "../evidence.ts";
import { coverage } from "../coverage.ts";
import { controlStatus } from "../report.ts";
import { nameUuid } from "../oscal.ts";

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
const collector = (o: Partial<CollectOptions> = {}) => new EvidenceCollector({ catalogue: soc2, period, anchored: 1_000, ...o });

test("a decision feeds the controls its rule cites, by record or by catalogue, as operating evidence", () => {
  const c = collector();
  c.add(0, decision("2026-11-01T01:00:00Z", "deny", [{ rule: "palisade.soc2.unapproved_model", effect: "deny", controls: ["soc2:CC6.8"] }]));
  // No controls on the record: the catalogue's rule list still maps it.
  c.add(1, decision("2026-11-01T02:00:00Z", "require_approval", [{ rule: "palisade.soc2.access_grant_approval", effect: "require_approval" }], { approval: { approved: true, by: "alice" } }));
  c.add(2, decision("2026-11-01T03:00:00Z", "require_approval", [{ rule: "palisade.soc2.access_grant_approval", effect: "require_approval" }]));
  c.add(3, decision("2026-11-01T03:30:00Z", "require_approval", [{ rule: "palisade.soc2.access_grant_approval", effect: "require_approval" }], { approval: { approved: false, cause: "approval_timeout" } }));
  c.add(4, decision("2026-11-03T03:00:00Z", "deny", [{ rule: "palisade.soc2.unapproved_model", effect: "deny" }]));
  c.add(5, { not: "a record" });
  c.add(6, "garbage");
  const e = c.result();
  assert.equal(e.entries_read, 7);
  assert.equal(e.decisions.total, 4);
  assert.equal(e.controls["CC6.8"].operating.denials, 1);
  assert.deepEqual(e.controls["CC6.8"].exceptions, [], "a denial is the control working");
  assert.equal(e.controls["CC6.8"].samples[0].kind, "denial");
  assert.deepEqual(e.controls["CC6.2"].operating.holds, { approved: 1, refused: 1, pending: 1 });
  const approved = e.controls["CC6.2"].samples.find((s) => s.kind === "approved");
  assert.equal(approved?.decision.approval?.by, "alice");
  assert.equal(approved?.decision.principal, "u1");
  assert.equal(e.controls["CC6.1"].decisions.total, 0);
  assert.equal(e.policy_versions.length, 1);
  assert.equal(e.policy_versions[0].first_entry, 0);
  assert.equal(e.timeline.buckets.reduce((n, b) => n + b.allow + b.deny + b.require_approval, 0), 4);
  assert.equal(controlStatus("rules", e.controls["CC6.8"]), "satisfied");
  assert.equal(controlStatus("rules", e.controls["CC6.1"]), "no-evidence");
  assert.equal(controlStatus("none", e.controls["CC6.8"]), "not-covered");
});

test("the service's approval outcome entries answer the holds they name: who answered, and no second decision", () => {
  const hold = [{ rule: "palisade.soc2.access_grant_approval", effect: "require_approval" }];
  const held = (i: number, principal: string) => decision(`2026-11-01T0${i}:00:00Z`, "require_approval", hold, { decision_id: `d-${i}`, principal });
  const answer = (i: number, status: string, by: string, time = `2026-11-01T0${i}:30:00Z`) => decision(time, "require_approval", hold, { principal: by, approval: { id: `a-${i}`, decision_id: `d-${i}`, status, outcome: status === "approved" ? "allow" : "deny" } });
  const c = collector();
  c.add(0, held(1, "u1"));
  c.add(1, answer(1, "approved", "alice"));
  c.add(2, held(2, "u2"));
  c.add(3, answer(2, "rejected", "alice"));
  c.add(4, held(3, "u3"));
  c.add(5, answer(3, "approved", "u3"));
  c.add(6, held(4, "u4"));
  c.add(7, held(5, "u5"));
  c.add(8, answer(5, "approved", "bob", "2026-11-05T00:00:00Z"));
  const e = c.result();
  assert.equal(e.decisions.total, 5, "an answer is not a decision");
  assert.deepEqual(e.controls["CC6.2"].operating.holds, { approved: 2, refused: 1, pending: 1 });
  assert.deepEqual(
    e.controls["CC6.2"].exceptions.map((x) => x.kind),
    ["self-approved"],
  );
  assert.equal(e.controls["CC6.2"].samples.find((x) => x.kind === "approved")?.decision.approval?.by, "alice");
});

test("change records as the environments write them: counted approvals name the approvers, refusals are the gates working", () => {
  const change = (time: string, event: Record<string, unknown>, decision = "allow") => ({ time, agent: "palisade", env: event.to, principal: null, session: null, phase: "promotion", tool: null, decision, reasons: [], policy_digest: P, input_digest: P, event: { bundle_digest: P, version: null, gates: [], who: [], signers: [], ...event } });
  const approval = (approver: string | null, counted: boolean, role: string | null) => ({ approver, roles: role ? [role] : [], role, counted, rejected: counted ? null : "not a release manager", digest: P, note: "..." });
  const c = collector({ pipeline: ["development", "staging", "production"] });
  c.add(0, change("2026-11-01T01:00:00Z", { type: "palisade.build/1", outcome: "built", from: null, to: "development" }));
  c.add(1, change("2026-11-01T02:00:00Z", { type: "palisade.promotion/1", outcome: "promoted", from: "development", to: "staging" }));
  c.add(2, change("2026-11-01T03:00:00Z", { type: "palisade.promotion/1", outcome: "promoted", from: "staging", to: "production", who: ["mallory"], approvals: [approval("mallory", false, null)], gates: [{ gate: "approval", passed: true, detail: "" }] }));
  c.add(3, change("2026-11-01T04:00:00Z", { type: "palisade.promotion/1", outcome: "promoted", from: "staging", to: "production", who: ["alice"], approvals: [approval("alice", true, "release-manager"), approval("eve", false, null)], gates: [{ gate: "approval", passed: true, detail: "" }] }));
  c.add(4, change("2026-11-01T05:00:00Z", { type: "palisade.promotion/1", outcome: "blocked", from: "staging", to: "production", refusal: { code: "order/backwards", message: "no" }, bundle_digest: null }, "deny"));
  c.add(5, change("2026-11-01T06:00:00Z", { type: "palisade.promotion/1", outcome: "unchanged", from: "staging", to: "production" }, "deny"));
  c.add(6, { time: "2026-11-01T07:00:00Z", agent: "palisade", env: "production", principal: null, session: null, phase: "bundle_refused", tool: null, decision: "deny", reasons: [], policy_digest: P, input_digest: P, refusal: { type: "palisade.bundle-refusal/1", node: "n1", code: "env/not-promoted", message: "no", bundle_digest: P, state_digest: null, serving: null } });
  const e = c.result();
  assert.deepEqual(
    e.changes.map((x) => [x.action, x.outcome, x.approvers.map((a) => a.id)]),
    [
      ["build", "granted", []],
      ["promotion", "granted", []],
      ["promotion", "granted", []],
      ["promotion", "granted", ["alice"]],
      ["promotion", "refused", []],
      ["load", "refused", []],
    ],
  );
  assert.deepEqual(e.changes[3].approvers, [{ id: "alice", role: "release-manager" }]);
  const cc81 = e.controls["CC8.1"];
  assert.deepEqual(cc81.operating.changes, { granted: 3, refused: 2, rollbacks: 0 }, "staging takes no approval gate; the build enters the pipeline");
  assert.deepEqual(
    cc81.exceptions.map((x) => (x.kind === "unapproved-change" ? [x.kind, x.change.entry] : [x.kind])),
    [["unapproved-change", 2]],
    "an approval that did not count approves nothing",
  );
});

test("an allow reason, or a deny reason on an allowed decision, is not the control acting", () => {
  const c = collector();
  c.add(0, decision("2026-11-01T01:00:00Z", "allow", [{ rule: "palisade.soc2.unapproved_model", effect: "allow", controls: ["soc2:CC6.8"] }]));
  const e = c.result();
  assert.equal(e.controls["CC6.8"].operating.denials, 0);
  assert.equal(e.controls["CC6.8"].activity.triggered, 0);
});

test("activity: a given rule is evaluated on decisions of its phases and tools, under versions it is known in force in", () => {
  const rules = [
    { id: "palisade.soc2.unapproved_model", controls: ["soc2:CC6.8"], phases: ["model_call"], tools: null },
    { id: "palisade.soc2.access_grant_approval", controls: ["soc2:CC6.2"], phases: ["tool_call"], tools: ["grant_access"] },
  ];
  const Q = `sha256:${"b".repeat(64)}`;
  const R = `sha256:${"c".repeat(64)}`;
  const c = collector({ rules, policyDigest: P });
  c.add(0, decision("2026-11-01T01:00:00Z", "allow", [], { phase: "model_call", tool: null }));
  c.add(1, decision("2026-11-01T01:01:00Z", "allow", [], { tool: { name: "grant_access" } }));
  c.add(2, decision("2026-11-01T01:02:00Z", "allow", [], { tool: { name: "search" } }));
  // Version Q: its decisions name a rule of the package, so the package's rules were in force.
  c.add(3, decision("2026-11-01T01:03:00Z", "deny", [{ rule: "palisade.soc2.prompt_injection", effect: "deny" }], { phase: "model_call", tool: null, policy_digest: Q }));
  // Version R: nothing shows which rules it held; its decisions are not counted as evaluations.
  c.add(4, decision("2026-11-01T01:04:00Z", "allow", [], { phase: "model_call", tool: null, policy_digest: R }));
  const e = c.result();
  assert.deepEqual(e.controls["CC6.8"].activity, { evaluated: 2, triggered: 0 });
  assert.deepEqual(e.controls["CC6.2"].activity, { evaluated: 1, triggered: 0 });
  assert.deepEqual(
    e.policy_versions.map((v) => v.rules_in_force),
    ["given", "inferred", "unknown"],
  );
  assert.equal(controlStatus("rules", e.controls["CC6.8"]), "in-force");
});

test("a drift alert is an exception until it is acknowledged, even after the period", () => {
  const open = collector();
  open.add(0, driftAlertRecord(alert, ctx("2026-11-01T05:00:00Z")));
  const o = open.result();
  assert.equal(o.drift_alerts[0].handled, null);
  assert.equal(o.controls["CC7.3"].exceptions[0].kind, "unacknowledged-alert");
  assert.equal(o.controls["CC7.3"].operating.alerts.fired, 1);
  assert.equal(o.controls["CC6.1"].exceptions.length, 0, "CC6.1 is not fed by drift alerts");

  const handled = collector();
  handled.add(0, driftAlertRecord(alert, ctx("2026-11-01T05:00:00Z")));
  handled.add(1, driftHandlingRecord({ key: "k1", by: "dave", action: "acknowledged" }, ctx("2026-11-02T09:00:00Z")));
  const h = handled.result();
  assert.equal(h.drift_alerts[0].handled?.by, "dave");
  assert.equal(h.controls["CC7.3"].exceptions.length, 0);
  assert.equal(controlStatus("facts", h.controls["CC7.3"]), "satisfied");
});

test("a failed run of the framework's own pack is an exception, another pack's is not", () => {
  const run = (pack: string, failed: number) => packTestRunRecord({ pack, policy_digest: P, passed: 3, failed, failures: failed ? ["t1"] : [] }, ctx("2026-11-01T06:00:00Z"));
  const c = collector();
  c.add(0, run("stdlib-policies/soc2", 1));
  c.add(1, run("stdlib-policies/hipaa", 2));
  c.add(2, run("/abs/path/stdlib-policies/soc2/", 0));
  const e = c.result();
  assert.equal(e.test_runs.length, 3);
  const cc81 = e.controls["CC8.1"];
  assert.equal(cc81.exceptions.filter((x) => x.kind === "test-failure").length, 1);
  assert.deepEqual(cc81.operating.test_runs, { passed: 1, failed: 1 });
});

test("entries past the checkpoint and unreadable anchored entries are log exceptions of record-keeping controls", () => {
  const hipaa = findCatalogue("hipaa") as Catalogue;
  const c = new EvidenceCollector({ catalogue: hipaa, period, anchored: 2 });
  c.add(0, decision("2026-11-01T01:00:00Z", "allow", []));
  c.add(1, undefined);
  c.add(2, decision("2026-11-01T02:00:00Z", "allow", []));
  c.add(3, decision("2026-11-01T03:00:00Z", "allow", []));
  const e = c.result();
  assert.equal(e.decisions.total, 1, "only anchored entries are evidence");
  assert.deepEqual(
    e.controls["164.312(b)"].exceptions.map((x) => [x.kind, "entries" in x ? x.entries : x.kind === "unreadable-entry" ? x.entry : null]),
    [
      ["unreadable-entry", 1],
      ["unanchored-entries", 2],
    ],
  );
  assert.equal(e.controls["164.312(a)(1)"].exceptions.length, 0, "access control is not fed by the log itself");
});

test("malformed evidence records read as other and count for nothing; other parts' records are not decisions", () => {
  assert.equal(readLoggedRecord({ time: "2026-11-01T00:00:00Z", event: "promotion", promotion: { to: 3 } }).kind, "other");
  assert.equal(readLoggedRecord({ time: "2026-11-01T00:00:00Z", event: "something_new" }).kind, "other");
  assert.equal(readLoggedRecord({ time: "2026-11-01T00:00:00Z", phase: "promotion", decision: "allow", reasons: [] }).kind, "other");
  const c = collector();
  c.add(0, { time: "2026-11-01T00:00:00Z", event: "promotion", promotion: { to: 3 } });
  const e = c.result();
  assert.equal(e.changes.length, 0);
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

test("scope: units holding catalogued controls are addressed (in part where the unit is larger), the rest out of scope", () => {
  const hipaa = scopeOf(findCatalogue("hipaa") as Catalogue);
  const access = hipaa.addressed.find((u) => u.id === "164.312(a)(1)");
  assert.deepEqual(access?.controls, ["164.312(a)(1)", "164.312(a)(2)(i)"]);
  assert.equal(access?.in_part, true);
  assert.equal(hipaa.addressed.find((u) => u.id === "164.312(b)")?.in_part, false);
  assert.ok(hipaa.out_of_scope.some((u) => u.id === "164.310(a)(1)"));
  for (const name of ["soc2", "hipaa", "gdpr", "pci-dss", "sox", "eu-ai-act", "nist-ai-rmf", "iso-42001"]) {
    const cat = findCatalogue(name) as Catalogue;
    const s = scopeOf(cat);
    assert.equal(s.addressed.reduce((n, u) => n + u.controls.length, 0), cat.controls.length, `${name}: every control sits in a unit`);
    assert.equal(s.addressed.length + s.out_of_scope.length, cat.scope.units.length);
  }
});

test("OSCAL ids: published SP 800-53 controls for HIPAA, the framework's own ids as tokens elsewhere; UUIDs stable", () => {
  const id = (fw: string, control: string) => {
    const cat = findCatalogue(fw) as Catalogue;
    return oscalControlId(cat, cat.controls.find((c) => c.id === control)!);
  };
  assert.equal(id("hipaa", "164.312(a)(1)"), "ac-3");
  assert.equal(id("hipaa", "164.502(b)"), "si-12.1");
  assert.equal(id("soc2", "CC6.1"), "cc6.1");
  assert.equal(id("gdpr", "Art.5(1)(b)"), "art.5_1_b");
  assert.equal(id("pci-dss", "3.4.1"), "req-3.4.1");
  assert.equal(id("nist-ai-rmf", "GOVERN-6.1"), "govern-6.1");
  assert.match(nameUuid("x"), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(nameUuid("x"), nameUuid("x"));
  assert.notEqual(nameUuid("x"), nameUuid("y"));
});
