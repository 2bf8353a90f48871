// Building a report: pick the signed checkpoint, read the log up to its size, collect evidence,
// judge each control, and attach an inclusion proof for every entry the report cites.
import { AuditLog, openCheckpoint, toHex } from "../audit/index.ts";
import type { AuditStore, SignedCheckpoint } from "../audit/index.ts";
import type { Catalogue } from "./catalogue.ts";
import { EvidenceCollector, hasEvidence } from "./collect.ts";
import type { CollectedEvidence } from "./collect.ts";
import { coverage } from "./coverage.ts";
import type { RuleMapping } from "./coverage.ts";
import { ComplianceError } from "./errors.ts";
import { REPORT_FORMAT, citedIndices } from "./report.ts";
import type { CitedEntry, ControlReport, ControlStatus, LogAnchor, Report, ReportTestRun } from "./report.ts";

/** What a report is built from. */
export interface BuildReportOptions {
  readonly log: AuditLog;
  readonly catalogue: Catalogue;
  /** The period, start inclusive, end exclusive. */
  readonly from: Date;
  readonly to: Date;
  /** The loaded rules, for coverage. */
  readonly rules: readonly RuleMapping[];
  /** Where the rules came from and their policy digest. */
  readonly policies: { readonly paths: readonly string[]; readonly digest: string | null };
  /** Pack test runs made now, to include beside the recorded ones. */
  readonly testRuns?: readonly ReportTestRun[];
  /**
   * Sign a fresh checkpoint (the log must hold a signing key); otherwise the newest stored one is
   * used, and entries after it are left out of the report.
   */
  readonly sign: boolean;
  /** The report's generation time (default: now). */
  readonly now?: Date;
}

const CHUNK = 4096;
const utf8 = new TextDecoder();

/** Collects a framework's evidence from the first `size` entries of a store. */
export async function collectFromStore(store: AuditStore, catalogue: Catalogue, period: { from: Date; to: Date }, size: number): Promise<CollectedEvidence> {
  const c = new EvidenceCollector(catalogue, period);
  for (let from = 0; from < size; from += CHUNK) {
    for (const e of await store.entries(from, Math.min(size, from + CHUNK))) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(utf8.decode(e.data));
      } catch {
        parsed = undefined;
      }
      c.add(e.index, parsed);
    }
  }
  return c.result();
}

async function anchor(log: AuditLog, sign: boolean): Promise<{ checkpoint: SignedCheckpoint; vkey: string } | null> {
  const checkpoint = sign ? await log.checkpoint() : await log.latestCheckpoint();
  if (!checkpoint) {
    if ((await log.size()) === 0) return null;
    throw new ComplianceError("report/no-checkpoint", "the audit log has no signed checkpoint to build the report against", "run 'palisade audit checkpoint' or pass --key with the log's signing key");
  }
  const vkey = await log.store.getMeta("vkey");
  if (vkey === undefined) throw new ComplianceError("report/no-checkpoint", "the audit log does not record its verifier key", "run 'palisade audit checkpoint' with the log's signing key once");
  const opened = openCheckpoint(checkpoint.note, [vkey]);
  if (!opened.ok) throw new ComplianceError("report/no-checkpoint", `the log's newest checkpoint does not verify with its own key (${opened.error.message})`, "run 'palisade audit verify' to find the damage");
  return { checkpoint, vkey };
}

function statusOf(covered: ControlReport["covered_by"], evidenced: boolean, exceptions: number): ControlStatus {
  if (covered === "none") return "not-covered";
  if (!evidenced) return "no-evidence";
  return exceptions > 0 ? "exceptions" : "satisfied";
}

/** Builds a report. Throws ComplianceError when the log has entries but no usable checkpoint. */
export async function buildReport(o: BuildReportOptions): Promise<Report> {
  await o.log.flush();
  const a = await anchor(o.log, o.sign);
  const size = a ? a.checkpoint.size : 0;
  const evidence = await collectFromStore(o.log.store, o.catalogue, { from: o.from, to: o.to }, size);
  const cov = coverage(o.catalogue, o.rules);
  const controls = o.catalogue.controls.map((c, i): ControlReport => {
    const facts = evidence.controls[c.id];
    const covered = cov.controls[i].by;
    return {
      id: c.id,
      title: c.title,
      family: c.family ?? null,
      evidence_required: c.evidence,
      facts: c.facts,
      status: statusOf(covered, hasEvidence(c, facts, evidence), facts.exceptions_total),
      covered_by: covered,
      rules: cov.controls[i].rules,
    };
  });
  const summary = { satisfied: 0, exceptions: 0, "not-covered": 0, "no-evidence": 0, controls: controls.length };
  for (const c of controls) summary[c.status]++;
  const entries: CitedEntry[] = [];
  if (a) {
    for (const index of citedIndices(evidence)) {
      const p = await o.log.inclusionProof(index, size);
      const [e] = await o.log.store.entries(index, index + 1);
      entries.push({ index, entry: utf8.decode(e.data), leaf_hash: toHex(p.leafHash), proof: p.proof.map(toHex) });
    }
  }
  const log: LogAnchor | null = a ? { origin: a.checkpoint.origin, verifier_key: a.vkey, checkpoint: a.checkpoint.note, size, root: toHex(a.checkpoint.root) } : null;
  const cat = o.catalogue;
  return {
    format: REPORT_FORMAT,
    generated: (o.now ?? new Date()).toISOString(),
    framework: { id: cat.framework, name: cat.name, version: cat.version, publisher: cat.publisher, source: cat.source, notes: cat.notes ?? null },
    period: evidence.period,
    policies: { paths: [...o.policies.paths], digest: o.policies.digest, rules: cov.rules },
    summary,
    controls,
    evidence,
    test_runs_at_report: [...(o.testRuns ?? [])],
    log,
    entries,
  };
}
