// The report as OSCAL 1.1.3: an assessment-results document (one result for the period, one
// observation and one finding per control, the finding's state following the control's status
// as spec/compliance-evidence.md fixes it), and the assessment plan it imports (`import-ap`): the
// controls reviewed, the objectives of frameworks with no published OSCAL catalog, and what is in
// and out of scope. The full Palisade report rides in the results' back-matter so that
// `palisade report verify` can re-check an OSCAL file too.
import { createHash } from "node:crypto";
import type { ControlFacts } from "./collect.ts";
import { exceptionEntries } from "./report.ts";
import type { ControlReport, ControlStatus, Report } from "./report.ts";
import { EXCEPTION_TEXT, activityPhrase, count, num, operatingPhrases } from "./words.ts";

/** The OSCAL version the documents are written against (the schema in ../shared/schemas/oscal). */
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

/** The file name an assessment plan is written to beside `resultsFile` (`soc2.oscal.json` → `soc2.oscal.plan.json`). */
export function planFileFor(resultsFile: string): string {
  return resultsFile.endsWith(".json") ? `${resultsFile.slice(0, -5)}.plan.json` : `${resultsFile}.plan.json`;
}

/** The objective a finding targets: the published catalog's `<control>_obj`, or the plan's own. */
const objectiveOf = (c: ControlReport) => `${c.oscal_control}_obj`;

/** Finding states per status (spec/compliance-evidence.md, "OSCAL"). */
const FINDING: Readonly<Record<ControlStatus, { state: "satisfied" | "not-satisfied"; reason: "pass" | "fail" | "other" }>> = {
  satisfied: { state: "satisfied", reason: "pass" },
  "in-force": { state: "satisfied", reason: "other" },
  exceptions: { state: "not-satisfied", reason: "fail" },
  "no-evidence": { state: "not-satisfied", reason: "other" },
  "not-covered": { state: "not-satisfied", reason: "other" },
};

function statusRemarks(c: ControlReport, f: ControlFacts): string {
  switch (c.status) {
    case "satisfied":
      return `The control operated and met no exception: ${operatingPhrases(f).join("; ")}.`;
    case "in-force":
      return `In force over the period, ${activityPhrase(f)}: no action called for it, and nothing went through that should not have.`;
    case "exceptions":
      return `${count(f.exceptions.length, "exception")}: ${[...new Set(f.exceptions.map((e) => EXCEPTION_TEXT[e.kind]))].join("; ")}.`;
    case "no-evidence":
      return "The audit log holds nothing this control is fed by in the period: this is neither a pass nor a failure.";
    case "not-covered":
      return "No loaded rule maps to this control and no operational fact feeds it.";
  }
}

function describe(c: ControlReport, f: ControlFacts): string {
  const did = operatingPhrases(f);
  const parts = [
    `Status: ${c.status}.`,
    f.activity.evaluated > 0 || f.activity.triggered > 0 ? `Rules ${activityPhrase(f)}.` : "",
    did.length > 0 ? `What it did: ${did.join("; ")}.` : "It recorded no action in the period.",
    `${count(f.exceptions.length, "exception")}.`,
    c.covered_by === "rules" ? `Rules: ${c.rules.join(", ")}.` : c.covered_by === "facts" ? "Fed by operational facts only." : "No loaded rule maps to this control.",
  ];
  return parts.filter((p) => p !== "").join(" ");
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const seedOf = (report: Report) => `${report.framework.id}|${report.period.from}|${report.period.to}|${report.generated}|${report.log?.root ?? ""}`;

/** The controls the plan reviews, as OSCAL include-controls (each once). */
function includeControls(report: Report): Json[] {
  return [...new Set(report.controls.map((c) => c.oscal_control))].map((id): Json => ({ "control-id": id }));
}

/** Objectives for frameworks with no published OSCAL catalog: each control, with the evidence it is judged on. */
function localObjectives(report: Report): Json[] | null {
  if (report.framework.oscal_catalog !== null) return null;
  return report.controls.map(
    (c): Json => ({
      "control-id": c.oscal_control,
      description: `${report.framework.name}: ${c.label} ${c.title}`,
      props: [{ name: "framework-control", ns: PALISADE_NS, value: c.label }],
      parts: [{ id: objectiveOf(c), name: "assessment-objective", prose: c.evidence_required }],
    }),
  );
}

function scopeProse(report: Report): { inclusions: string; exclusions: string } {
  const s = report.scope;
  const addressed = s.addressed.map((u) => `${u.label ?? u.id}${u.in_part ? ` (in part: ${u.controls.join(", ")})` : ""}`);
  const out = s.out_of_scope.map((u) => `${u.label ?? u.id} ${u.title}`);
  const total = s.addressed.length + s.out_of_scope.length;
  return {
    inclusions: `This assessment addresses ${num(s.addressed.length)} of the ${num(total)} ${s.units_name} of ${report.framework.name} (${s.basis}): ${addressed.join("; ")}.`,
    exclusions: out.length === 0 ? "Nothing is out of scope." : `Out of scope (${num(out.length)}): ${out.join("; ")}.`,
  };
}

/** The OSCAL assessment plan a report's results import. */
export function toAssessmentPlan(report: Report): { "assessment-plan": Record<string, Json> } {
  const seed = `${report.framework.id}|${report.framework.version}|${report.period.from}|${report.period.to}|${report.policies.digest ?? ""}`;
  const uuid = (what: string) => nameUuid(`plan|${seed}|${what}`);
  const scope = scopeProse(report);
  const objectives = localObjectives(report);
  const resources: Json[] = [];
  if (report.framework.oscal_catalog !== null && report.framework.oscal_catalog_href !== null) {
    resources.push({ uuid: uuid("catalog"), title: `${report.framework.oscal_catalog} (OSCAL catalog)`, rlinks: [{ href: report.framework.oscal_catalog_href, "media-type": "application/json" }] });
  }
  resources.push({ uuid: uuid("framework"), title: `${report.framework.name} (${report.framework.version})`, rlinks: [{ href: report.framework.source }] });
  return {
    "assessment-plan": {
      uuid: uuid("document"),
      metadata: {
        title: `${report.framework.name}: Palisade continuous assessment plan, ${report.period.from} to ${report.period.to}`,
        "last-modified": report.generated,
        version: `${report.framework.version}; policies ${report.policies.digest ?? "none"}`,
        "oscal-version": OSCAL_VERSION,
        props: [{ name: "framework", ns: PALISADE_NS, value: report.framework.id }],
      },
      "import-ssp": { href: "system-security-plan.json", remarks: "The system security plan of the system the agents run in. Palisade does not write it; replace this reference with the system's own." },
      ...(objectives ? { "local-definitions": { "objectives-and-methods": objectives } } : {}),
      "terms-and-conditions": {
        parts: [
          { name: "assessment-inclusions", title: "In scope", prose: scope.inclusions },
          { name: "assessment-exclusions", title: "Out of scope", prose: scope.exclusions },
          {
            name: "methodology",
            title: "Method",
            prose: "Each control is judged from the tamper-evident audit log over the period, as spec/compliance-evidence.md fixes: operating evidence is what the control did (denied, held for approval, replaced, flagged, alerted, gated a change, recorded); an exception is something that went through and should not have. Every cited entry carries an inclusion proof in a signed checkpoint.",
          },
        ],
      },
      "reviewed-controls": {
        description: report.framework.oscal_catalog !== null ? `Controls of ${report.framework.oscal_catalog} each ${report.framework.name} requirement is assessed against.` : `Controls of ${report.framework.name}, defined as local objectives of this plan (no OSCAL catalog of the framework is published).`,
        "control-selections": [{ "include-controls": includeControls(report) }],
      },
      "back-matter": { resources },
    },
  };
}

/** The OSCAL assessment-results document of a report; `planHref` names the plan written beside it. */
export function toOscal(report: Report, options: { readonly planHref?: string } = {}): { "assessment-results": Record<string, Json> } {
  const uuid = (what: string) => nameUuid(`${seedOf(report)}|${what}`);
  const embeddedUuid = uuid("embedded");
  const observations: Json[] = [];
  const findings: Json[] = [];
  for (const c of report.controls) {
    const f = report.evidence.controls[c.id];
    const obsUuid = uuid(`observation|${c.id}`);
    const cited = [...new Set([...f.exceptions.flatMap(exceptionEntries), ...f.samples.map((s) => s.decision.entry)])].sort((a, b) => a - b);
    const evidence: Json[] = [
      {
        href: `#${embeddedUuid}`,
        description: `The embedded Palisade report: evidence for ${c.label} under evidence.controls, each cited audit entry with its inclusion proof in the signed checkpoint.`,
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
      title: `${c.label}: evidence from the audit log`,
      description: describe(c, f),
      props: [
        { name: "framework-control", ns: PALISADE_NS, value: c.label },
        { name: "status", ns: PALISADE_NS, value: c.status },
      ],
      methods: ["EXAMINE", "TEST"],
      types: ["control-objective"],
      "relevant-evidence": evidence,
      collected: report.generated,
    });
    const s = FINDING[c.status];
    findings.push({
      uuid: uuid(`finding|${c.id}`),
      title: `${c.label} ${c.title}`,
      description: `${c.evidence_required} Palisade status: ${c.status}.`,
      props: [
        { name: "framework-control", ns: PALISADE_NS, value: c.label },
        { name: "status", ns: PALISADE_NS, value: c.status },
      ],
      target: {
        type: "objective-id",
        "target-id": objectiveOf(c),
        title: `${c.label} ${c.title}`,
        status: { state: s.state, reason: s.reason, remarks: statusRemarks(c, f) },
      },
      "related-observations": [{ "observation-uuid": obsUuid }],
    });
  }
  const summary = report.summary;
  const scope = scopeProse(report);
  const objectives = localObjectives(report);
  const embedded = Buffer.from(JSON.stringify(report), "utf8").toString("base64");
  return {
    "assessment-results": {
      uuid: uuid("document"),
      metadata: {
        title: `${report.framework.name}: Palisade assessment results, ${report.period.from} to ${report.period.to}`,
        "last-modified": report.generated,
        version: report.log ? `tree size ${report.log.size}, root ${report.log.root}` : "empty audit log",
        "oscal-version": OSCAL_VERSION,
        props: [
          { name: "framework", ns: PALISADE_NS, value: report.framework.id },
          { name: "framework-version", ns: PALISADE_NS, value: report.framework.version },
        ],
      },
      "import-ap": { href: options.planHref ?? "assessment-plan.json", remarks: "The assessment plan 'palisade report --format oscal --out FILE' writes beside FILE (FILE.plan.json); 'palisade report --format oscal-plan' prints it." },
      ...(objectives ? { "local-definitions": { "objectives-and-methods": objectives } } : {}),
      results: [
        {
          uuid: uuid("result"),
          title: `${report.framework.name} over ${report.period.from} to ${report.period.to}`,
          description: `${num(summary.controls)} controls: ${num(summary.satisfied)} operating, ${num(summary["in-force"])} in force and not triggered, ${num(summary.exceptions)} with exceptions, ${num(summary["no-evidence"])} with no evidence, ${num(summary["not-covered"])} not covered. ${count(report.evidence.decisions.total, "decision")} in the period.`,
          start: report.period.from,
          end: report.period.to,
          "reviewed-controls": {
            "control-selections": [{ "include-controls": includeControls(report) }],
          },
          observations,
          findings,
          remarks: `${scope.inclusions} ${scope.exclusions}`,
        },
      ],
      "back-matter": {
        resources: [
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
