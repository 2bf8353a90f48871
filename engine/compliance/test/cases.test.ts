// The cases of issue 21, each as a compliance lead or an auditor met it: a report must say what a
// control did, not what a rule matched. Each log here is written record by record (or decided by
// the real packs), each report built through the command.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { digest, generateKey, parseSignerKey, signNote } from "../../audit/index.ts";
import type { AuditRecord, JsonValue } from "../../audit/index.ts";
import { loadPolicySet } from "../../runtime/index.ts";
import { driftAlertRecord as environmentAlert } from "../../environments/records.ts";
import { driftAlertRecord, driftHandlingRecord } from "../evidence.ts";
import { toHtml } from "../html.ts";
import { toOscal } from "../oscal.ts";
import type { Report } from "../report.ts";
import { changeEvent, decision, policy, reportOf, writeLog } from "./logs.ts";
import { packSources } from "./seed.ts";
import { assessmentPlanValidator, oscalValidator, palisade } from "./support.ts";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
async function log(records: readonly AuditRecord[]) {
  const l = await writeLog(records);
  dirs.push(l.dir);
  return l;
}
const at = (minute: number) => new Date(Date.parse("2026-11-10T08:00:00Z") + minute * 60_000).toISOString();
const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as JsonValue;
const validator = oscalValidator();
type OscalFinding = { target: { "target-id": string; status: { state: string; reason: string } }; props: { name: string; value: string }[] };
const findingsOf = (oscal: unknown) => (oscal as { "assessment-results": { results: { findings: OscalFinding[] }[] } })["assessment-results"].results[0].findings;
const findingFor = (oscal: unknown, label: string) => findingsOf(oscal).find((f) => f.props.some((p) => p.name === "framework-control" && p.value === label));

describe("1. phantom evidence: transforms count by what they replaced", () => {
  // The real packs decide answers with no secret, IBAN or passport number in them.
  const set = loadPolicySet([...packSources("soc2"), ...packSources("gdpr")]).policySet!;
  const answers = ["Your appointment is on Tuesday at 10:00.", "Take the tablets twice a day with food.", "Dr Ng will call you back this afternoon."];
  const decided = (i: number) => {
    const input = { agent: { id: "clinic-assistant" }, principal: { id: `patient-${i}`, roles: ["patient"] }, output: { text: answers[i % answers.length] } };
    const d = set.decide("output", input);
    return decision(at(i), { phase: "output", tool: null, decision: d.decision, reasons: plain(d.reasons), policy_digest: d.policy.digest });
  };
  // What engines before the count wrote for the same answers: every redact of every output rule, matched or not.
  const phantom = (i: number) =>
    decision(at(i), {
      phase: "output",
      tool: null,
      reasons: [
        ...Array.from({ length: 9 }, () => ({ rule: "palisade.soc2.secrets_in_output", effect: "redact", controls: ["soc2:CC6.1", "soc2:CC6.7"] })),
        ...Array.from({ length: 2 }, () => ({ rule: "palisade.gdpr.minimise_output", effect: "redact", controls: ["gdpr:Art.5(1)(c)", "gdpr:Art.25"] })),
      ],
      policy_digest: set.digest,
    });

  test("reasons listing every redact rule (as engines before the count wrote them) are no redaction", async () => {
    const l = await log(Array.from({ length: 60 }, (_, i) => phantom(i)));
    const soc2 = await reportOf(l.db, "soc2");
    const f = soc2.evidence.controls["CC6.1"];
    assert.deepEqual(f.operating.transforms, { decisions: 0, replacements: 0, unknown: 60 }, "uncounted transforms are reported as unknown, never as redactions");
    assert.notEqual(soc2.controls.find((c) => c.id === "CC6.1")?.status, "satisfied");
    const gdpr = await reportOf(l.db, "gdpr");
    for (const id of ["Art.25", "Art.5(1)(c)"]) {
      assert.equal(gdpr.evidence.controls[id].operating.transforms.decisions, 0, id);
      assert.notEqual(gdpr.controls.find((c) => c.id === id)?.status, "satisfied", id);
    }
  });

  test("the engine's decisions: nothing replaced is nothing claimed, and real replacements are summed", async () => {
    const records = Array.from({ length: 60 }, (_, i) => decided(i));
    // Two answers that did carry IBANs, decided by the same engine.
    for (const [i, text] of [
      [60, "Refund to DE89370400440532013000."],
      [61, "Accounts DE89370400440532013000 and GB29NWBK60161331926819."],
    ] as const) {
      const d = set.decide("output", { agent: { id: "clinic-assistant" }, principal: { id: "p", roles: ["patient"] }, output: { text } });
      records.push(decision(at(i), { phase: "output", tool: null, decision: d.decision, reasons: plain(d.reasons), policy_digest: d.policy.digest }));
    }
    const l = await log(records);
    const gdpr = await reportOf(l.db, "gdpr");
    assert.deepEqual(gdpr.evidence.controls["Art.25"].operating.transforms, { decisions: 2, replacements: 3, unknown: 0 });
    assert.equal(gdpr.controls.find((c) => c.id === "Art.25")?.status, "satisfied");
    // Given the policies that decided, the report knows the rules in force: CC6.1's ran on every answer.
    const soc2 = await reportOf(l.db, "soc2", ["--policies", "stdlib-policies/soc2", "--policies", "stdlib-policies/gdpr"]);
    assert.equal(soc2.evidence.policy_versions[0].rules_in_force, "given");
    assert.deepEqual(soc2.evidence.controls["CC6.1"].operating.transforms, { decisions: 0, replacements: 0, unknown: 0 });
    assert.equal(soc2.controls.find((c) => c.id === "CC6.1")?.status, "in-force", "evaluated on every answer, never had to act");
    assert.equal(soc2.evidence.controls["CC6.1"].activity.evaluated, 62);
  });
});

describe("2. working controls are not failures", () => {
  test("denials of non-clinical users are the access control operating: no exception, OSCAL satisfied/pass", async () => {
    const records = Array.from({ length: 264 }, (_, i) =>
      decision(at(i), { principal: `billing-${i % 7}`, decision: "deny", reasons: [{ rule: "palisade.hipaa.phi_access_by_role", effect: "deny", message: "not a clinical role", controls: ["hipaa:164.308(a)(4)", "hipaa:164.312(a)(1)"] }] }),
    );
    records.push(decision(at(300), { decision: "require_approval", reasons: [{ rule: "palisade.hipaa.phi_record_destruction", effect: "require_approval", controls: ["hipaa:164.312(c)(1)"] }], approval: { approved: false, cause: "approval_refused", by: "dr-ng" } }));
    const l = await log(records);
    const r = await reportOf(l.db, "hipaa");
    for (const id of ["164.308(a)(4)", "164.312(a)(1)"]) {
      const c = r.controls.find((x) => x.id === id)!;
      assert.equal(c.status, "satisfied", id);
      assert.equal(r.evidence.controls[id].exceptions.length, 0);
      assert.equal(r.evidence.controls[id].operating.denials, 264);
    }
    const oscal = toOscal(r);
    assert.ok(validator.validate(JSON.parse(JSON.stringify(oscal))), validator.errors());
    for (const f of findingsOf(oscal)) {
      const status = f.props.find((p) => p.name === "status")?.value;
      if (status === "satisfied") assert.deepEqual(f.target.status.state, "satisfied");
      assert.notEqual(f.target.status.reason, "fail", "no control failed");
    }
    assert.equal(findingFor(oscal, "§ 164.312(c)(1)")?.target.status.state, "satisfied", "a refused approval is the hold working");
  });

  test("on a sealed log (the default) who asked and who approved are still compared: a self-approval is no approval", async () => {
    const hold = { rule: "palisade.hipaa.phi_record_destruction", effect: "require_approval", controls: ["hipaa:164.312(c)(1)"] };
    const records = [
      decision(at(1), { decision: "require_approval", reasons: [hold], approval: { approved: true, by: "dr-ng" } }),
      decision(at(2), { decision: "require_approval", reasons: [hold], approval: { approved: true, by: "nurse-lee" } }),
      // The service's way: the hold, then an entry answering it whose principal is who answered.
      decision(at(3), { decision: "require_approval", reasons: [hold], decision_id: "d-1" }),
      decision(at(4), { decision: "require_approval", reasons: [], principal: "dr-ng", approval: { decision_id: "d-1", status: "approved" } }),
      decision(at(5), { decision: "require_approval", reasons: [hold], decision_id: "d-2" }),
      decision(at(6), { decision: "require_approval", reasons: [], principal: "nurse-lee", approval: { decision_id: "d-2", status: "approved" } }),
    ];
    const l = await writeLog(records, "audit.db", { sealed: true });
    dirs.push(l.dir);
    assert.ok(readFileSync(l.db).includes("[sealed]"), "the principals are sealed in the database");
    const r = await reportOf(l.db, "hipaa");
    const c = r.evidence.controls["164.312(c)(1)"];
    // Entry 0 (dr-ng approved their own) and the answer at entry 3 (dr-ng answered dr-ng's hold at entry 2).
    assert.deepEqual(c.exceptions.map((e) => [e.kind, "decision" in e ? e.decision.entry : null]), [["self-approved", 0], ["self-approved", 3]]);
    assert.equal(c.operating.holds.approved, 2);
    // The report cites the entries as they are: no principal is opened into it.
    assert.deepEqual([...new Set(c.exceptions.map((e) => ("decision" in e ? e.decision.principal : null)))], ["[sealed]"]);
  });

  test("what went through and should not have is an exception: shadow mode, on_error allow, self-approval, no approver named", async () => {
    const deny = { rule: "palisade.hipaa.phi_access_by_role", effect: "deny", controls: ["hipaa:164.312(a)(1)"] };
    const hold = { rule: "palisade.hipaa.phi_record_destruction", effect: "require_approval", controls: ["hipaa:164.312(c)(1)"] };
    const l = await log([
      decision(at(1), { decision: "allow", errors: [{ rule: "palisade.hipaa.phi_access_by_role", message: "type error" }] }),
      decision(at(2), { decision: "deny", reasons: [deny], mode: "shadow" }),
      decision(at(3), { decision: "deny", errors: [{ rule: "palisade.hipaa.phi_access_by_role", message: "type error" }] }),
      decision(at(4), { decision: "require_approval", reasons: [hold], approval: { approved: true, by: "dr-ng" } }),
      decision(at(5), { decision: "require_approval", reasons: [hold], approval: { approved: true } }),
      decision(at(6), { decision: "require_approval", reasons: [hold], approval: { approved: true, by: "nurse-lee" } }),
    ]);
    const r = await reportOf(l.db, "hipaa");
    assert.deepEqual(
      r.evidence.controls["164.312(a)(1)"].exceptions.map((e) => e.kind),
      ["fail-open", "not-enforced"],
    );
    assert.equal(r.evidence.controls["164.312(a)(1)"].operating.failed_closed, 1);
    assert.deepEqual(
      r.evidence.controls["164.312(c)(1)"].exceptions.map((e) => e.kind),
      ["self-approved", "approver-not-recorded"],
    );
    assert.equal(r.evidence.controls["164.312(c)(1)"].operating.holds.approved, 1);
    assert.equal(findingFor(toOscal(r), "§ 164.312(a)(1)")?.target.status.reason, "fail");
  });
});

describe("3. change management sees what serves without a promotion", () => {
  test("a bundle built straight into production, a promotion that skipped staging, a refused promotion", async () => {
    const v1 = policy(1);
    const v2 = policy(2);
    const v3 = policy(3);
    const records: AuditRecord[] = [
      changeEvent(at(0), v1, { type: "palisade.build/1", to: "development", pipeline_entry: true, outcome: "built" }),
      changeEvent(at(1), v1, { type: "palisade.promotion/1", outcome: "promoted", from: "development", to: "staging", who: ["ana"], gates: [{ gate: "tests", passed: true, detail: "ok" }] }),
      changeEvent(at(2), v1, { type: "palisade.promotion/1", outcome: "promoted", from: "development", to: "production", who: ["ana"], skipped: ["staging"], gates: [{ gate: "tests", passed: true, detail: "ok" }] }),
      changeEvent(at(3), v3, { type: "palisade.promotion/1", outcome: "blocked", from: "staging", to: "production", who: [], gates: [{ gate: "approval", passed: false, detail: "no change manager approved" }] }),
    ];
    for (let i = 0; i < 10; i++) records.push(decision(at(10 + i), { policy_digest: v1 }));
    // v2 was never promoted anywhere: it serves 40 decisions in production.
    for (let i = 0; i < 40; i++) records.push(decision(at(30 + i), { policy_digest: v2 }));
    const l = await log(records);
    const r = await reportOf(l.db, "soc2");
    const cc81 = r.controls.find((c) => c.id === "CC8.1")!;
    assert.equal(cc81.status, "exceptions");
    const ex = r.evidence.controls["CC8.1"].exceptions;
    const unpromoted = ex.filter((e) => e.kind === "unpromoted-policy");
    assert.deepEqual(
      unpromoted.map((e) => (e.kind === "unpromoted-policy" ? [e.env, e.policy_digest, e.decisions] : [])),
      [["production", v2, 40]],
    );
    assert.equal(ex.filter((e) => e.kind === "skipped-environment").length, 1);
    assert.equal(r.evidence.controls["CC8.1"].operating.changes.refused, 1, "the refused promotion is the gate working");
    assert.ok(r.evidence.changes.some((c) => c.outcome === "refused" && c.gates.some((g) => !g.passed)), "refused promotions are listed");
    // The matching controls of the other frameworks read the same records.
    for (const [fw, id] of [["sox", "P11"], ["pci-dss", "6.5.1"], ["iso-42001", "A.6.2.5"]] as const) {
      const other = await reportOf(l.db, fw);
      assert.equal(other.controls.find((c) => c.id === id)?.status, "exceptions", `${fw} ${id}`);
    }
  });

  test("with the environments config, a promotion around staging or a build straight into production is a skip though its record names none", async () => {
    const v1 = policy(1);
    const l = await log([
      changeEvent(at(0), v1, { type: "palisade.build/1", to: "development", outcome: "built" }),
      changeEvent(at(1), v1, { type: "palisade.promotion/1", outcome: "promoted", from: "development", to: "production", who: ["ana"], gates: [{ gate: "tests", passed: true, detail: "ok" }] }),
      changeEvent(at(2), policy(2), { type: "palisade.build/1", to: "production", outcome: "built" }),
    ]);
    writeFileSync(join(l.dir, "release.vkey"), `${generateKey("release").verifierKey}\n`);
    const env = (name: string) => ({ name, bundle: `bundles/${name}.json`, state: `state/${name}`, trustedKeys: ["release.vkey"] });
    writeFileSync(join(l.dir, "palisade.environments.json"), JSON.stringify({ environments: ["development", "staging", "production"].map(env) }));
    const config = ["--environments", join(l.dir, "palisade.environments.json")];
    const r = await reportOf(l.db, "soc2", config);
    assert.deepEqual(r.pipeline, ["development", "staging", "production"]);
    assert.deepEqual(
      r.evidence.controls["CC8.1"].exceptions.map((e) => (e.kind === "skipped-environment" ? [e.change.action, e.skipped] : [e.kind])),
      [
        ["promotion", ["staging"]],
        ["build", ["development", "staging"]],
      ],
    );
    assert.equal(r.evidence.controls["CC8.1"].operating.changes.granted, 1, "the build into development is where changes enter");
    const file = join(l.dir, "soc2.json");
    writeFileSync(file, JSON.stringify(r));
    const v = await palisade(["report", "verify", file, "--db", l.db]);
    assert.equal(v.code, 0, v.stderr);
  });

  test("a build straight into an environment that changes enter by promotion is a skip; one that is promoted into is not an exception", async () => {
    const v1 = policy(1);
    const l = await log([
      changeEvent(at(0), v1, { type: "palisade.promotion/1", outcome: "promoted", from: "staging", to: "production", who: ["ana"], gates: [] }),
      changeEvent(at(1), policy(9), { type: "palisade.build/1", to: "production", outcome: "built" }),
      decision(at(2), { policy_digest: v1 }),
    ]);
    const r = await reportOf(l.db, "soc2");
    assert.deepEqual(
      r.evidence.controls["CC8.1"].exceptions.map((e) => e.kind),
      ["skipped-environment"],
    );
  });
});

describe("4. scope", () => {
  test("a report names the criteria it addresses and lists the rest as out of scope; coverage says the same", async () => {
    const l = await log([decision(at(0))]);
    const r = await reportOf(l.db, "soc2");
    assert.equal(r.scope.addressed.length, 11);
    assert.equal(r.scope.out_of_scope.length, 50);
    assert.ok(r.scope.out_of_scope.some((u) => u.id === "CC1.1"));
    const html = toHtml(r);
    assert.match(html, /addresses 11 controls within 11 of the framework's 61 criteria/);
    assert.match(html, /Out of scope \(50\)/);
    const cov = await palisade(["report", "coverage", "--framework", "soc2"]);
    assert.equal(cov.code, 0, cov.stderr);
    assert.doesNotMatch(cov.stdout, /no control is left uncovered|11 of 11 controls covered/);
    assert.match(cov.stdout, /11 catalogued controls address 11 of the framework's 61 criteria/);
    assert.match(cov.stdout, /out of scope \(50\):\n {2}CC1\.1 /);
  });
});

describe("5. silence is not evidence, but activity is", () => {
  test("rules in force that never fired report how often they were evaluated", async () => {
    const set = loadPolicySet(packSources("gdpr")).policySet!;
    const records = Array.from({ length: 120 }, (_, i) => decision(at(i), { phase: i % 2 ? "output" : "tool_call", tool: i % 2 ? null : "search", policy_digest: set.digest }));
    const l = await log(records);
    const r = await reportOf(l.db, "gdpr");
    // Rules pinned to tools that never ran (erasure, exports) were evaluated on nothing: no evidence, said so.
    // Records of processing (Art. 30) are the log itself: the period's decisions, recorded and anchored, are its evidence.
    for (const c of r.controls) {
      const f = r.evidence.controls[c.id];
      assert.equal(c.status, c.facts.includes("audit-log") ? "satisfied" : f.activity.evaluated > 0 ? "in-force" : "no-evidence", c.id);
    }
    const art25 = r.evidence.controls["Art.25"];
    assert.equal(art25.activity.evaluated, 60, "Art. 25's redaction runs on every output");
    assert.equal(art25.activity.triggered, 0);
    assert.equal(r.evidence.policy_versions[0].rules_in_force, "given");
    assert.match(toHtml(r), /evaluated on 60 decisions, triggered on 0/);
    const f = findingFor(toOscal(r), "Art. 25");
    assert.deepEqual(f?.target.status, { ...f?.target.status, state: "satisfied", reason: "other" });
  });
});

describe("6. drift alerts reach CC7.3", () => {
  test("alerts in every shape written today are evidence; one no person acknowledged is an exception", async () => {
    const ctx = (m: number, principal: string | null = null) => ({ time: at(m), agent: "palisade-monitor", env: "production", principal });
    const alert = { key: "refusals", monitor: "refusals", metric: "deny_rate", test: "chi2", value: 0.001, threshold: 0.01, baseline: "nov", message: "deny rate doubled" };
    // The monitor's record (spec/drift.md): each firing has an id, the key is stable across firings.
    const monitorAlert = (m: number, id: string) =>
      ({
        ...driftAlertRecord(alert, ctx(m)),
        alert: { ...alert, key: "clinic:production/tools/tool_mix", id, monitor: "tools", metric: "tool_mix", window: { from: at(m - 60), to: at(m) }, statistic: 31.2, p: 0.0001, q: 0.0004, value: 0.0004, moved: [] },
      }) as unknown as AuditRecord;
    const handling = (m: number, h: Record<string, JsonValue>) => ({ ...driftHandlingRecord({ key: "clinic:production/tools/tool_mix", by: "x", action: "acknowledged" }, ctx(m)), handling: h }) as unknown as AuditRecord;
    const l = await log([
      driftAlertRecord(alert, ctx(1)),
      driftHandlingRecord({ key: "refusals", by: "dave", action: "acknowledged" }, ctx(2)),
      environmentAlert("production", { key: "tool-mix", status: "open", message: "tool mix shifted" }, policy(1), new Date(at(3))) as unknown as AuditRecord,
      environmentAlert("production", { key: "tool-mix", status: "resolved", message: "" }, policy(1), new Date(at(4))) as unknown as AuditRecord,
      environmentAlert("production", { key: "latency", status: "open", message: "latency up" }, policy(1), new Date(at(5))) as unknown as AuditRecord,
      environmentAlert("production", { key: "latency", status: "recovered" as "resolved", message: "" }, policy(1), new Date(at(6))) as unknown as AuditRecord,
      monitorAlert(10, "a-1"),
      handling(11, { key: "clinic:production/tools/tool_mix", alert_id: "a-1", by: "dave", action: "acknowledged", note: "new tool" }),
      monitorAlert(20, "a-2"),
      handling(21, { key: "clinic:production/tools/tool_mix", by: "palisade-monitor", action: "resolved" }),
    ]);
    const r = await reportOf(l.db, "soc2");
    const f = r.evidence.controls["CC7.3"];
    assert.deepEqual(f.operating.alerts, { fired: 5, handled: 3 });
    assert.deepEqual(
      f.exceptions.map((e) => (e.kind === "unacknowledged-alert" ? (e.alert.alert.id ?? e.alert.alert.key) : e.kind)),
      ["latency", "a-2"],
      "recovering on its own is not a person acknowledging; an environment's 'resolved' is a person's decision (spec/environments.md)",
    );
    const firing = r.evidence.drift_alerts.find((a) => a.alert.id === "a-1");
    assert.deepEqual([firing?.handled?.by, firing?.alert.q, firing?.alert.window?.to], ["dave", 0.0004, at(10)]);
    assert.equal(r.evidence.decisions.total, 0, "alert records are not decisions");
    assert.equal(r.controls.find((c) => c.id === "CC7.3")?.status, "exceptions");
  });
});

describe("7. verification trusts only given keys and checks every entry", () => {
  test("an uncited entry's principal altered in the database is caught by report verify --db", async () => {
    const records = Array.from({ length: 30 }, (_, i) => decision(at(i), { principal: `u${i}` }));
    const l = await log(records);
    const file = join(l.dir, "soc2.json");
    const built = await palisade(["report", "--framework", "soc2", "--from", "2026-11-01", "--to", "2026-12-01", "--format", "json", "--db", l.db, "--out", file]);
    assert.equal(built.code, 0, built.stderr);
    const report = JSON.parse(readFileSync(file, "utf8")) as Report;
    const uncited = 17;
    assert.ok(!report.entries.some((e) => e.index === uncited));
    const ok = await palisade(["report", "verify", file, "--db", l.db]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /all 30 entries below the checkpoint's size hash to its root/);
    const { DatabaseSync } = await import("node:sqlite");
    const sqlite = new DatabaseSync(l.db);
    const row = sqlite.prepare("SELECT data FROM entries WHERE idx = ?").get(uncited) as { data: Uint8Array };
    const edited = new TextDecoder().decode(row.data).replace('"principal":"u17"', '"principal":"u99"');
    sqlite.prepare("UPDATE entries SET data = ? WHERE idx = ?").run(new TextEncoder().encode(edited), uncited);
    sqlite.close();
    const bad = await palisade(["report", "verify", file, "--db", l.db]);
    assert.equal(bad.code, 1, bad.stdout);
    assert.match(bad.stderr, /do not hash to the checkpoint's root/);
  });

  test("a report re-signed with a self-made key of the same name does not verify: a trusted key is required", async () => {
    const l = await log([decision(at(0), { decision: "deny", reasons: [{ rule: "palisade.soc2.prompt_injection", effect: "deny", controls: ["soc2:CC6.6"] }] })]);
    const report = await reportOf(l.db, "soc2");
    const forged = JSON.parse(JSON.stringify(report)) as Report & { log: { checkpoint: string; verifier_key: string } };
    const note = forged.log.checkpoint;
    const mine = generateKey("clinic.example/audit");
    forged.log.checkpoint = signNote(note.slice(0, note.indexOf("\n\n") + 1), parseSignerKey(mine.signerKey));
    forged.log.verifier_key = mine.verifierKey;
    const file = join(l.dir, "forged.json");
    writeFileSync(file, JSON.stringify(forged));
    const alone = await palisade(["report", "verify", file]);
    assert.equal(alone.code, 2, "no trusted key: refused, never ok");
    assert.match(alone.stderr, /trusted verifier key is required/);
    for (const argv of [["--db", l.db], ["--vkey", l.verifierKey]]) {
      const r = await palisade(["report", "verify", file, ...argv]);
      assert.equal(r.code, 1, argv.join(" "));
      assert.match(r.stderr, /does not verify with the trusted key/);
    }
    const genuine = join(l.dir, "genuine.json");
    writeFileSync(genuine, JSON.stringify(report));
    const ok = await palisade(["report", "verify", genuine, "--vkey", l.verifierKey]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /signed by clinic\.example\/audit\+[0-9a-f]{8}\+\S+ \(trusted from --vkey\)/);
    assert.match(ok.stdout, /log: not compared/);
    // A key file beside the log names the trusted key; the database's own record of its key is never trusted.
    writeFileSync(`${l.db}.vkey`, `${mine.verifierKey}\n`);
    const viaFile = await palisade(["report", "verify", genuine, "--db", l.db]);
    assert.equal(viaFile.code, 1, "the .vkey file is what is trusted");
    assert.ok(existsSync(`${l.db}.key`));
  });
});

describe("8. labels and identifiers", () => {
  test("SOX is COSO 2013, AI RMF reads as NIST writes it, HIPAA findings name SP 800-53 controls, import-ap names a plan", async () => {
    const l = await log([decision(at(0), { decision: "deny", reasons: [{ rule: "palisade.hipaa.phi_access_by_role", effect: "deny", controls: ["hipaa:164.312(a)(1)"] }] })]);
    const sox = await reportOf(l.db, "sox");
    for (const c of sox.controls) {
      assert.doesNotMatch(c.id, /^ITGC|^404$/);
      assert.match(c.label, /^COSO Principle (1[0-7]|[1-9])$/);
    }
    assert.match(sox.framework.name, /COSO/);
    const rmf = await reportOf(l.db, "nist-ai-rmf");
    assert.ok(rmf.controls.some((c) => c.label === "GOVERN 6.1"));
    for (const c of rmf.controls) assert.match(c.label, /^(GOVERN|MAP|MEASURE|MANAGE) \d+\.\d+$/);
    const out = join(l.dir, "hipaa.oscal.json");
    const r = await palisade(["report", "--framework", "hipaa", "--from", "2026-11-01", "--to", "2026-12-01", "--format", "oscal", "--db", l.db, "--out", out]);
    assert.equal(r.code, 0, r.stderr);
    const oscal = JSON.parse(readFileSync(out, "utf8")) as { "assessment-results": { "import-ap": { href: string } } };
    assert.ok(validator.validate(oscal), validator.errors());
    const plan = join(l.dir, oscal["assessment-results"]["import-ap"].href);
    assert.equal(plan, join(l.dir, "hipaa.oscal.plan.json"));
    const ap = JSON.parse(readFileSync(plan, "utf8")) as { "assessment-plan": { "reviewed-controls": { "control-selections": { "include-controls": { "control-id": string }[] }[] } } };
    const planSchema = assessmentPlanValidator();
    assert.ok(planSchema.validate(ap), planSchema.errors());
    const planned = ap["assessment-plan"]["reviewed-controls"]["control-selections"][0]["include-controls"].map((c) => c["control-id"]);
    assert.ok(planned.includes("ac-3") && planned.includes("au-12"), planned.join(","));
    for (const f of findingsOf(oscal)) assert.match(f.target["target-id"], /^[a-z]{2}-\d+(\.\d+)?_obj$/, "an SP 800-53 Rev. 5 objective id");
    assert.equal(findingFor(oscal, "§ 164.312(a)(1)")?.target["target-id"], "ac-3_obj");
    // Frameworks with no published OSCAL catalog: their own ids, each finding's objective defined in the plan.
    for (const fw of ["soc2", "gdpr", "pci-dss", "sox", "eu-ai-act", "nist-ai-rmf", "iso-42001"]) {
      const own = await palisade(["report", "--framework", fw, "--from", "2026-11-01", "--to", "2026-12-01", "--format", "oscal-plan", "--db", l.db]);
      assert.equal(own.code, 0, own.stderr);
      const p = JSON.parse(own.stdout) as { "assessment-plan": { "local-definitions": { "objectives-and-methods": { parts: { id: string }[] }[] } } };
      assert.ok(planSchema.validate(p), `${fw}: ${planSchema.errors()}`);
      const objectives = new Set(p["assessment-plan"]["local-definitions"]["objectives-and-methods"].flatMap((o) => o.parts.map((x) => x.id)));
      const results = await reportOf(l.db, fw);
      const ar = toOscal(results);
      assert.ok(validator.validate(JSON.parse(JSON.stringify(ar))), `${fw}: ${validator.errors()}`);
      for (const f of findingsOf(ar)) assert.ok(objectives.has(f.target["target-id"]), `${fw}: ${f.target["target-id"]} is defined in the plan`);
    }
  });
});

describe("9. layout", () => {
  test("numbers carry thousands separators; every exception is in the JSON and the HTML, paged on screen, all printed", async () => {
    const records: AuditRecord[] = [];
    for (let i = 0; i < 1_230; i++) records.push(decision(at(i / 10), { decision: "deny", reasons: [{ rule: "palisade.hipaa.phi_access_by_role", effect: "deny", controls: ["hipaa:164.312(a)(1)"] }] }));
    for (let i = 0; i < 130; i++) records.push(decision(at(200 + i), { decision: "allow", errors: [{ rule: "palisade.hipaa.phi_access_by_role", message: "type error" }], input_digest: digest({ i }) }));
    const l = await log(records);
    const r = await reportOf(l.db, "hipaa");
    const ex = r.evidence.controls["164.312(a)(1)"].exceptions;
    assert.equal(ex.length, 130, "complete in JSON, not the first 25");
    const html = toHtml(r);
    assert.match(html, />1,230</);
    assert.doesNotMatch(html.replace(/<script[\s\S]*?<\/script>/g, "").replace(/#\d+/g, "").replace(/sha256:[0-9a-f]+|[0-9a-f]{64}|\d{4}-\d{2}-\d{2}/g, ""), />\d{4,}</);
    const rows = html.match(/<table class="paged">[\s\S]*?<\/table>/)?.[0].match(/<tr>/g)?.length ?? 0;
    assert.equal(rows, 131, "130 exception rows and the header");
    assert.match(html, /@media print\{[^]*tr\.page-hidden\{display:table-row!important\}/);
  });
});
