// The report as an OSCAL 1.1.3 assessment-results document: one result for the period, one
// finding per control (target: the control as an objective), one observation per control
// summarising what the log recorded, the cited entries named in relevant-evidence, and the full
// Palisade report in back-matter so that `palisade report verify` can re-check an OSCAL file too.
import { createHash } from "node:crypto";
import type { ControlFacts, ExceptionCitation } from "./collect.ts";
import type { ControlReport, Report } from "./report.ts";

/** The OSCAL version the document is written against (the schema in ../shared/schemas/oscal). */
export const OSCAL_VERSION = "1.1.3";

/** The namespace of Palisade's own OSCAL properties. */
export const PALISADE_NS = "https://palisade.dev/ns/oscal";

/** The back-matter resource title that holds the embedded report. */
export const EMBEDDED_REPORT_TITLE = "Palisade compliance report (JSON)";

/** A version 5-shaped UUID derived from `name`, so the same report always gets the same ids. */
export function nameUuid(name: string): string {
  const h = createHash("sha256").update(name).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** An OSCAL token (NCName) for a control: `<framework>-<id>` with brackets folded to `_`. */
export function controlToken(framework: string, id: string): string {
  return `${framework}-${id}`.replace(/\)/g, "").replace(/[^A-Za-z0-9._-]/g, "_");
}

// Denials and refused approvals are the control acting; failed tests and open drift alerts are not.
const isDeficiency = (e: ExceptionCitation) => e.kind === "test-failure" || e.kind === "drift-alert-open";

function findingState(c: ControlReport, f: ControlFacts): { state: "satisfied" | "not-satisfied"; reason: string } {
  if (c.status === "satisfied") return { state: "satisfied", reason: "pass" };
  if (c.status === "exceptions" && !f.exceptions.some(isDeficiency) && f.exceptions_total === f.exceptions.length) return { state: "satisfied", reason: "pass" };
  return { state: "not-satisfied", reason: c.status === "exceptions" ? "fail" : "other" };
}

function entryOf(e: ExceptionCitation): number {
  return e.kind === "test-failure" ? e.test_run.entry : e.kind === "drift-alert-open" ? e.alert.entry : e.decision.entry;
}

function describe(c: ControlReport, f: ControlFacts): string {
  const d = f.decisions;
  const parts = [
    `${d.total} decision(s) by mapped rules (${d.allow} allowed, ${d.deny} denied, ${d.require_approval} sent for approval)`,
    `${f.approvals.approved} approved, ${f.approvals.refused} refused, ${f.approvals.pending} with no recorded outcome`,
    `${f.warnings} warning(s), ${f.redactions} redaction(s)`,
    `${f.exceptions_total} exception(s)`,
  ];
  const how = c.covered_by === "rules" ? `Rules: ${c.rules.join(", ")}.` : c.covered_by === "facts" ? "Fed by operational facts only." : "No loaded rule maps to this control.";
  return `Status: ${c.status}. ${parts.join("; ")}. ${how}`;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** The OSCAL assessment-results document of a report. */
export function toOscal(report: Report): { "assessment-results": Record<string, Json> } {
  const seed = `${report.framework.id}|${report.period.from}|${report.period.to}|${report.generated}|${report.log?.root ?? ""}`;
  const uuid = (what: string) => nameUuid(`${seed}|${what}`);
  const planUuid = uuid("plan");
  const embeddedUuid = uuid("embedded");
  const observations: Json[] = [];
  const findings: Json[] = [];
  for (const c of report.controls) {
    const f = report.evidence.controls[c.id];
    const token = controlToken(report.framework.id, c.id);
    const obsUuid = uuid(`observation|${c.id}`);
    const cited = [...new Set([...f.exceptions.map(entryOf), ...f.approved.map((a) => a.entry)])].sort((a, b) => a - b);
    const evidence: Json[] = [
      {
        href: `#${embeddedUuid}`,
        description: `The embedded Palisade report: evidence for ${c.id} under evidence.controls, each cited audit entry with its inclusion proof in the signed checkpoint.`,
      },
      ...cited.map(
        (i): Json => ({
          href: `#${embeddedUuid}`,
          description: `Audit log entry ${i}, with its inclusion proof in the embedded checkpoint.`,
          props: [{ name: "audit-entry", ns: PALISADE_NS, value: String(i) }],
        }),
      ),
    ];
    observations.push({
      uuid: obsUuid,
      title: `${c.id}: evidence from the audit log`,
      description: describe(c, f),
      props: [
        { name: "control", ns: PALISADE_NS, value: `${report.framework.id}:${c.id}` },
        { name: "status", ns: PALISADE_NS, value: c.status },
      ],
      methods: ["EXAMINE", "TEST"],
      types: ["control-objective"],
      "relevant-evidence": evidence,
      collected: report.generated,
    });
    const s = findingState(c, f);
    findings.push({
      uuid: uuid(`finding|${c.id}`),
      title: `${c.id} ${c.title}`,
      description: `${c.evidence_required} Palisade status: ${c.status}.`,
      props: [{ name: "status", ns: PALISADE_NS, value: c.status }],
      target: {
        type: "objective-id",
        "target-id": token,
        title: c.title,
        status: { state: s.state, reason: s.reason },
      },
      "related-observations": [{ "observation-uuid": obsUuid }],
    });
  }
  const summary = report.summary;
  const embedded = Buffer.from(JSON.stringify(report), "utf8").toString("base64");
  return {
    "assessment-results": {
      uuid: uuid("document"),
      metadata: {
        title: `${report.framework.name}: Palisade compliance report, ${report.period.from} to ${report.period.to}`,
        "last-modified": report.generated,
        version: report.log ? `tree size ${report.log.size}, root ${report.log.root}` : "empty audit log",
        "oscal-version": OSCAL_VERSION,
        props: [
          { name: "framework", ns: PALISADE_NS, value: report.framework.id },
          { name: "framework-version", ns: PALISADE_NS, value: report.framework.version },
        ],
      },
      "import-ap": { href: `#${planUuid}`, remarks: "Continuous assessment: the plan is Palisade's controls catalogue applied to the audit log." },
      results: [
        {
          uuid: uuid("result"),
          title: `${report.framework.name} over ${report.period.from} to ${report.period.to}`,
          description: `${summary.controls} controls: ${summary.satisfied} satisfied, ${summary.exceptions} with exceptions, ${summary["not-covered"]} not covered, ${summary["no-evidence"]} with no evidence yet. ${report.evidence.decisions.total} decisions in the period.`,
          start: report.period.from,
          end: report.period.to,
          "reviewed-controls": {
            "control-selections": [{ "include-controls": report.controls.map((c): Json => ({ "control-id": controlToken(report.framework.id, c.id) })) }],
          },
          observations,
          findings,
        },
      ],
      "back-matter": {
        resources: [
          {
            uuid: planUuid,
            title: "Assessment plan: Palisade controls catalogue",
            description: `Controls of ${report.framework.name} (${report.framework.version}) as catalogued in spec/controls, each with the evidence that satisfies it and the facts that feed it.`,
          },
          {
            uuid: embeddedUuid,
            title: EMBEDDED_REPORT_TITLE,
            description: "The report this document renders, with the signed audit checkpoint and an inclusion proof for every cited entry; check it with 'palisade report verify'.",
            base64: { filename: "palisade-report.json", "media-type": "application/json", value: embedded },
          },
        ],
      },
    },
  };
}
