// The done-when test: a seeded run of a sample agent yields reports for the five main
// frameworks in all three formats through the real command; the OSCAL validates against NIST's
// schema; each report verifies against the log; the evidence is what the run recorded.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { AuditLog } from "../../audit/index.ts";
import { extractReport } from "../container.ts";
import { toHtml } from "../html.ts";
import { toOscal } from "../oscal.ts";
import type { Report } from "../report.ts";
import { verifyReport } from "../verify.ts";
import { MAIN_FRAMEWORKS, seedLog } from "./seed.ts";
import type { SeededLog } from "./seed.ts";
import { oscalValidator, palisade } from "./support.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[45][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

let seed: SeededLog;
const validator = oscalValidator();
before(async () => {
  seed = await seedLog();
});
after(() => rmSync(seed.dir, { recursive: true, force: true }));

async function build(framework: string, format: string): Promise<string> {
  const out = join(seed.dir, `${framework}.${format}`);
  const r = await palisade(["report", "--framework", framework, "--from", seed.from, "--to", seed.to, "--format", format, "--db", seed.db, "--out", out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /wrote .* cited entries/);
  return readFileSync(out, "utf8");
}

/** Every value under `key` anywhere in `v`. */
function valuesOf(v: unknown, key: string, out: unknown[] = []): unknown[] {
  if (Array.isArray(v)) for (const x of v) valuesOf(x, key, out);
  else if (v !== null && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      if (k === key) out.push(x);
      valuesOf(x, key, out);
    }
  }
  return out;
}

describe("a seeded sample agent", () => {
  test("recorded a few hundred decisions under two policy versions", () => {
    assert.ok(seed.decisions >= 300, `only ${seed.decisions} decisions`);
    assert.notEqual(seed.policyDigests[0], seed.policyDigests[1]);
  });

  for (const framework of MAIN_FRAMEWORKS) {
    test(`${framework}: JSON, HTML and OSCAL reports, each verifying against the log`, async () => {
      const json = JSON.parse(await build(framework, "json")) as Report;
      assert.equal(json.format, "palisade.compliance-report/2");
      assert.ok(json.controls.length > 0);
      const statuses = new Set(["satisfied", "in-force", "exceptions", "not-covered", "no-evidence"]);
      for (const c of json.controls) assert.ok(statuses.has(c.status), `${c.id}: ${c.status}`);
      assert.equal(json.summary.satisfied + json.summary["in-force"] + json.summary.exceptions + json.summary["not-covered"] + json.summary["no-evidence"], json.controls.length);
      assert.equal(json.summary["not-covered"], 0, "the framework's own pack covers every control");
      assert.equal(json.evidence.decisions.total, seed.decisions);
      // The sample agent's denials and refused approvals are its controls working; it changed
      // policies through a build and a promotion, and its one drift alert was acknowledged.
      assert.equal(json.summary.exceptions, 0, JSON.stringify(json.controls.filter((c) => c.status === "exceptions").map((c) => [c.id, json.evidence.controls[c.id].exceptions.map((e) => e.kind)])));
      assert.ok(json.summary.satisfied > 0);
      assert.ok(json.scope.out_of_scope.length > 0, "no framework is covered whole");
      assert.deepEqual(new Set(json.evidence.policy_versions.map((v) => v.policy_digest)), new Set(seed.policyDigests));
      const promotions = json.evidence.changes.filter((c) => c.action === "promotion");
      assert.equal(promotions.length, 1);
      assert.deepEqual(promotions[0].approvers, [{ id: "carol@acme.example", role: "change_manager" }]);
      assert.equal(json.evidence.drift_alerts[0].handled?.by, "dave@acme.example");
      assert.ok(json.log && json.log.size > seed.decisions);
      assert.ok(json.entries.length > 0);

      // The HTML and OSCAL renderings of the same report (the command writes them the same way; see cli.test.ts).
      const html = toHtml(json);
      assert.match(html, /^<!doctype html>/);
      assert.match(html, /<svg [^>]*role="img"/);
      assert.match(html, /@media print/);
      const summaryText = (html.match(/<h2>Summary<\/h2>[^]*?<h2>/)?.[0] ?? "").replace(/<[^>]+>/g, "");
      for (const c of json.controls) assert.ok(summaryText.includes(c.label.replace(/&/g, "&amp;")), `${c.label} is in the HTML summary`);
      // Self-contained: nothing is loaded from elsewhere.
      assert.doesNotMatch(html, /<link\b|<img\b|\bsrc=|@import|url\(/i);
      assert.match(html, /Changes to the policies in force/);

      const oscal = JSON.parse(JSON.stringify(toOscal(json))) as unknown;
      const v = validator;
      assert.ok(v.validate(oscal), v.errors());
      for (const u of valuesOf(oscal, "uuid")) assert.match(String(u), UUID);
      for (const k of ["last-modified", "start", "end", "collected"]) for (const t of valuesOf(oscal, k)) assert.ok(DATE_TIME.test(String(t)) && !Number.isNaN(Date.parse(String(t))), `${k}: ${String(t)}`);
      const findings = valuesOf(oscal, "findings")[0] as unknown[];
      assert.equal(findings.length, json.controls.length);

      const r = await palisade(["report", "verify", join(seed.dir, `${framework}.json`), "--db", seed.db]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^ok: [^]*the evidence recomputed from them matches the report/);
      const log = await AuditLog.open(seed.db);
      try {
        for (const text of [html, JSON.stringify(oscal)]) {
          const checked = await verifyReport(extractReport(text), { log, verifierKeys: [seed.verifierKey], file: text });
          assert.deepEqual(checked.problems, []);
          assert.equal(checked.checked.entries, json.entries.length);
        }
      } finally {
        await log.close();
      }
    });
  }

  test("approvals name who approved, and refusals are the hold working", async () => {
    const json = JSON.parse(await build("soc2", "json")) as Report;
    const samples = Object.values(json.evidence.controls).flatMap((f) => f.samples);
    const approved = samples.filter((s) => s.kind === "approved");
    assert.ok(approved.length > 0);
    for (const a of approved) assert.equal(a.decision.approval?.by, "alice@acme.example");
    assert.ok(samples.some((s) => s.kind === "refused"));
    assert.ok(Object.values(json.evidence.controls).every((f) => f.exceptions.length === 0));
  });

  test("SOX change management (COSO Principle 11) cites the recorded pack test run and the promotion", async () => {
    const json = JSON.parse(await build("sox", "json")) as Report;
    assert.equal(json.evidence.test_runs.length, 1);
    assert.equal(json.evidence.test_runs[0].failed, 0);
    assert.ok(json.evidence.test_runs[0].passed > 0);
    const p11 = json.evidence.controls.P11;
    assert.deepEqual(p11.operating.changes, { granted: 2, refused: 0, rollbacks: 0 });
    assert.deepEqual(p11.operating.test_runs, { passed: 1, failed: 0 });
    assert.equal(json.controls.find((c) => c.id === "P11")?.status, "satisfied");
  });

  test("the OSCAL validator rejects a document missing what the schema requires", async () => {
    const oscal = JSON.parse(JSON.stringify(toOscal(JSON.parse(await build("gdpr", "json")) as Report))) as { "assessment-results": { results: { findings: Record<string, unknown>[] }[] } };
    delete oscal["assessment-results"].results[0].findings[0].target;
    assert.equal(validator.validate(oscal), false);
  });

  test("a period before the run has no evidence", async () => {
    const r = await palisade(["report", "--framework", "hipaa", "--from", "2026-10-01", "--to", "2026-10-02", "--format", "json", "--db", seed.db]);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout) as Report;
    for (const c of json.controls) assert.equal(c.status, "no-evidence", c.id);
    assert.equal(json.entries.length, 0);
  });
});
