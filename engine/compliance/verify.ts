// Re-checking a report: the embedded checkpoint's signature, every cited entry's inclusion proof
// in that checkpoint's tree, every claim about an entry against the entry itself, and the
// summary against the controls. With the log at hand, also that the log has that checkpoint's
// tree and that the evidence recomputed from it is the evidence in the report.
import { AuditLog, fromHex, leafHash, openCheckpoint, parseVerifierKey, toHex, verifyInclusion } from "../audit/index.ts";
import { findCatalogue } from "./catalogue.ts";
import { citeRecord, hasEvidence } from "./collect.ts";
import type { CollectedEvidence } from "./collect.ts";
import { collectFromStore } from "./build.ts";
import { readLoggedRecord } from "./evidence.ts";
import { REPORT_FORMAT } from "./report.ts";
import type { ControlStatus, Report } from "./report.ts";

/** What verification found. */
export interface ReportVerification {
  readonly ok: boolean;
  /** One line per problem, naming what is wrong; empty when ok. */
  readonly problems: readonly string[];
  readonly checked: {
    readonly entries: number;
    readonly claims: number;
    /** Whether the report was compared with the log itself. */
    readonly againstLog: boolean;
  };
}

/** What to check a report against besides its own contents. */
export interface VerifyReportOptions {
  /** The log the report claims to come from: its key, tree and evidence are compared. */
  readonly log?: AuditLog;
  /** Verifier keys the checkpoint must have been signed by (e.g. from `--vkey`). */
  readonly verifierKeys?: readonly string[];
}

/** JSON with object keys sorted, so that equal values compare equal as text. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

/** Every claim the evidence makes about a single entry, with where it sits in the report. */
function claims(e: CollectedEvidence): { where: string; entry: number; claim: unknown }[] {
  const out: { where: string; entry: number; claim: unknown }[] = [];
  e.promotions.forEach((p, i) => out.push({ where: `evidence.promotions[${i}]`, entry: p.entry, claim: p }));
  e.test_runs.forEach((t, i) => out.push({ where: `evidence.test_runs[${i}]`, entry: t.entry, claim: t }));
  e.drift_alerts.forEach((a, i) => {
    const { handled, ...alert } = a;
    out.push({ where: `evidence.drift_alerts[${i}]`, entry: a.entry, claim: alert });
    if (handled) out.push({ where: `evidence.drift_alerts[${i}].handled`, entry: handled.entry, claim: handled });
  });
  for (const [id, f] of Object.entries(e.controls)) {
    f.approved.forEach((d, i) => out.push({ where: `control ${id} approvals[${i}]`, entry: d.entry, claim: d }));
    f.exceptions.forEach((x, i) => {
      const where = `control ${id} exceptions[${i}]`;
      if (x.kind === "test-failure") out.push({ where, entry: x.test_run.entry, claim: x.test_run });
      else if (x.kind === "drift-alert-open") {
        const { handled: _h, ...alert } = x.alert;
        out.push({ where, entry: x.alert.entry, claim: alert });
      } else out.push({ where, entry: x.decision.entry, claim: x.decision });
    });
  }
  return out;
}

function isReport(v: unknown): v is Report {
  if (typeof v !== "object" || v === null) return false;
  const r = v as Record<string, unknown>;
  return r.format === REPORT_FORMAT && Array.isArray(r.controls) && Array.isArray(r.entries) && typeof r.evidence === "object" && r.evidence !== null && typeof r.summary === "object";
}

/** Checks a report; never throws on a malformed or doctored report, it reports the problem instead. */
export async function verifyReport(value: unknown, options: VerifyReportOptions = {}): Promise<ReportVerification> {
  const problems: string[] = [];
  let claimCount = 0;
  const done = (entries: number) => ({ ok: problems.length === 0, problems, checked: { entries, claims: claimCount, againstLog: options.log !== undefined } });
  if (!isReport(value)) {
    problems.push(`not a Palisade compliance report (format ${REPORT_FORMAT})`);
    return done(0);
  }
  const report = value;
  try {
    const byIndex = new Map<number, string>();
    const anchor = report.log;
    let root: Uint8Array | undefined;
    if (anchor === null) {
      if (report.entries.length > 0) problems.push("the report cites entries but embeds no checkpoint");
    } else {
      let keyOk = true;
      try {
        parseVerifierKey(anchor.verifier_key);
      } catch {
        keyOk = false;
        problems.push(`the embedded verifier key ${JSON.stringify(anchor.verifier_key)} is not a valid verifier key`);
      }
      const trusted = [...(options.verifierKeys ?? [])];
      if (options.log) {
        const stored = await options.log.store.getMeta("vkey");
        if (stored === undefined) problems.push("the log records no verifier key to compare the report's with");
        else trusted.push(stored);
      }
      if (trusted.length > 0 && !trusted.includes(anchor.verifier_key)) problems.push(`the embedded verifier key ${anchor.verifier_key} is not the log's (${trusted.join(", ")})`);
      if (keyOk) {
        const opened = openCheckpoint(anchor.checkpoint, [anchor.verifier_key]);
        if (!opened.ok) problems.push(`the checkpoint signature does not verify with the embedded key: ${opened.error.message}`);
        else {
          const cp = opened.checkpoint;
          if (cp.size !== anchor.size) problems.push(`the checkpoint signs tree size ${cp.size}, the report states ${anchor.size}`);
          if (toHex(cp.root) !== anchor.root) problems.push(`the checkpoint signs root ${toHex(cp.root)}, the report states ${anchor.root}`);
          if (cp.origin !== anchor.origin) problems.push(`the checkpoint names origin ${JSON.stringify(cp.origin)}, the report states ${JSON.stringify(anchor.origin)}`);
          root = cp.root;
        }
      }
      const utf8 = new TextEncoder();
      for (const e of report.entries) {
        if (byIndex.has(e.index)) problems.push(`entry ${e.index} is cited twice`);
        byIndex.set(e.index, e.entry);
        const leaf = leafHash(utf8.encode(e.entry));
        if (toHex(leaf) !== e.leaf_hash) {
          problems.push(`entry ${e.index}: its text does not hash to the stated leaf hash (the entry was altered)`);
          continue;
        }
        let proof: Uint8Array[];
        try {
          proof = e.proof.map((h) => fromHex(h));
        } catch {
          problems.push(`entry ${e.index}: the inclusion proof is not hex`);
          continue;
        }
        if (root && !verifyInclusion(leaf, e.index, anchor.size, proof, root)) problems.push(`entry ${e.index}: the inclusion proof does not lead to the checkpoint's root`);
      }
      if (options.log) {
        const log = options.log;
        const size = await log.size();
        if (size < anchor.size) problems.push(`the log holds ${size} entries, fewer than the checkpoint's ${anchor.size}`);
        else {
          const logRoot = toHex(await log.root(anchor.size));
          if (logRoot !== anchor.root) problems.push(`the log's root at size ${anchor.size} is ${logRoot}, not the report's ${anchor.root}`);
          for (const [index, text] of byIndex) {
            if (index >= anchor.size) continue;
            const [stored] = await log.store.entries(index, index + 1);
            if (!stored || new TextDecoder().decode(stored.data) !== text) problems.push(`entry ${index} differs from the log's entry ${index}`);
          }
        }
      }
    }

    // Each claim about an entry must be what the cited entry says.
    for (const c of claims(report.evidence)) {
      claimCount++;
      const text = byIndex.get(c.entry);
      if (text === undefined) {
        problems.push(`${c.where} cites entry ${c.entry}, which the report does not include`);
        continue;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        problems.push(`entry ${c.entry} is not JSON`);
        continue;
      }
      const expected = typeof parsed === "object" && parsed !== null ? citeRecord(c.entry, readLoggedRecord(parsed as Record<string, unknown>)) : null;
      if (stableJson(expected) !== stableJson(c.claim)) problems.push(`${c.where} does not match entry ${c.entry}`);
    }
    for (const v of report.evidence.policy_versions) {
      claimCount++;
      const text = byIndex.get(v.first_entry);
      const parsed = text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown>);
      if (!parsed || parsed.policy_digest !== v.policy_digest) problems.push(`policy version ${v.policy_digest} cites entry ${v.first_entry}, which does not show it deciding`);
    }

    // The summary must follow from the controls, and each status from its evidence.
    const catalogue = findCatalogue(report.framework.id);
    if (!catalogue) problems.push(`unknown framework ${JSON.stringify(report.framework.id)}`);
    const counts: Record<ControlStatus, number> = { satisfied: 0, exceptions: 0, "not-covered": 0, "no-evidence": 0 };
    for (const c of report.controls) {
      counts[c.status]++;
      const control = catalogue?.controls.find((k) => k.id === c.id);
      const facts = report.evidence.controls[c.id];
      if (!control || !facts) {
        problems.push(`control ${c.id} is not in the ${report.framework.id} catalogue or has no evidence section`);
        continue;
      }
      const want: ControlStatus = c.covered_by === "none" ? "not-covered" : !hasEvidence(control, facts, report.evidence) ? "no-evidence" : facts.exceptions_total > 0 ? "exceptions" : "satisfied";
      if (want !== c.status) problems.push(`control ${c.id} is reported ${c.status}, but its evidence makes it ${want}`);
    }
    for (const k of Object.keys(counts) as ControlStatus[]) if (report.summary[k] !== counts[k]) problems.push(`the summary counts ${report.summary[k]} ${k} controls, the controls list ${counts[k]}`);

    if (options.log && catalogue && anchor !== null && (await options.log.size()) >= anchor.size) {
      const period = { from: new Date(report.period.from), to: new Date(report.period.to) };
      const again = await collectFromStore(options.log.store, catalogue, period, anchor.size);
      if (stableJson(again) !== stableJson(report.evidence)) {
        const keys = (Object.keys(again) as (keyof CollectedEvidence)[]).filter((k) => stableJson(again[k]) !== stableJson(report.evidence[k]));
        problems.push(`the evidence recomputed from the log differs from the report's (in ${keys.join(", ") || "its layout"})`);
      }
    }
  } catch (err) {
    problems.push(`the report is malformed: ${err instanceof Error ? err.message : String(err)}`);
  }
  return done(report.entries.length);
}
