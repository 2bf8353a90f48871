// Re-checking a report: the embedded checkpoint's signature under a key the caller trusts (never
// the key the report embeds alone), every cited entry's inclusion proof in that checkpoint, every
// claim about an entry against the entry itself, and each status against its evidence. With the
// log at hand, also that every entry below the checkpoint's size hashes into its root (so an
// entry no claim cites cannot be edited unseen) and that the evidence recomputed from the log is
// the evidence in the report.
import { AuditLog, fromHex, leafHash, openCheckpoint, parseVerifierKey, toHex, verifyInclusion } from "../audit/index.ts";
import type { GivenRule } from "./activity.ts";
import { findCatalogue, labelOf, oscalControlId, scopeOf } from "./catalogue.ts";
import { citeRecord } from "./collect.ts";
import { coverage } from "./coverage.ts";
import { toHtml } from "./html.ts";
import { toOscal } from "./oscal.ts";
import type { CollectedEvidence } from "./collect.ts";
import { collectFromStore } from "./build.ts";
import { readLoggedRecord } from "./evidence.ts";
import { REPORT_FORMAT, STATUSES, controlStatus } from "./report.ts";
import type { ControlStatus, Report } from "./report.ts";

/** What verification found. */
export interface ReportVerification {
  readonly ok: boolean;
  /** One line per problem, naming what is wrong; empty when ok. */
  readonly problems: readonly string[];
  /** What was checked, so that "ok" says how much it rests on. */
  readonly checked: {
    /** The trusted key the checkpoint's signature verified with; null when none did. */
    readonly key: string | null;
    /** Cited entries whose inclusion proofs were checked. */
    readonly entries: number;
    /** Claims compared with the entries they cite. */
    readonly claims: number;
    /** Controls whose status was recomputed from their evidence. */
    readonly statuses: number;
    /** Whether the report was compared with the log itself. */
    readonly againstLog: boolean;
    /** Entries of the log whose leaf hashes were recomputed into the checkpoint's root (0 without the log). */
    readonly logEntries: number;
    /** Whether the file's visible rendering (HTML page, OSCAL document) was compared with its embedded report. */
    readonly rendering: boolean;
    /** Whether the report's rules were compared with policies the caller gave. */
    readonly policies: boolean;
  };
}

/** What to check a report against besides its own contents. */
export interface VerifyReportOptions {
  /** The log the report claims to come from: its tree and evidence are compared. */
  readonly log?: AuditLog;
  /**
   * The verifier keys the caller trusts (`--vkey`, the log's key file). The checkpoint must be
   * signed by one of them; with none, the report does not verify, whatever key it embeds.
   */
  readonly verifierKeys?: readonly string[];
  /**
   * The text of the file the report came from. An HTML page or OSCAL document must be exactly the
   * rendering of the report it embeds, so what an auditor reads is what verified.
   */
  readonly file?: string;
  /** The policies the report claims to have been built with (`--policies`): their digest and rules. */
  readonly policies?: { readonly digest: string; readonly rules: readonly GivenRule[] };
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

type Claim = { where: string; entry: number; claim: unknown };

/** Every claim the evidence makes about a single entry, with where it sits in the report. */
function claims(e: CollectedEvidence): Claim[] {
  const out: Claim[] = [];
  e.changes.forEach((p, i) => out.push({ where: `evidence.changes[${i}]`, entry: p.entry, claim: p }));
  e.test_runs.forEach((t, i) => out.push({ where: `evidence.test_runs[${i}]`, entry: t.entry, claim: t }));
  e.drift_alerts.forEach((a, i) => {
    const { handled, ...alert } = a;
    out.push({ where: `evidence.drift_alerts[${i}]`, entry: a.entry, claim: alert });
    if (handled) out.push({ where: `evidence.drift_alerts[${i}].handled`, entry: handled.entry, claim: handled });
  });
  for (const [id, f] of Object.entries(e.controls)) {
    f.samples.forEach((s, i) => out.push({ where: `control ${id} samples[${i}]`, entry: s.decision.entry, claim: s.decision }));
    f.exceptions.forEach((x, i) => {
      const where = `control ${id} exceptions[${i}]`;
      switch (x.kind) {
        case "test-failure":
          out.push({ where, entry: x.test_run.entry, claim: x.test_run });
          return;
        case "unacknowledged-alert": {
          const { handled: _h, ...alert } = x.alert;
          out.push({ where, entry: x.alert.entry, claim: alert });
          return;
        }
        case "unapproved-change":
        case "gate-bypassed":
        case "skipped-environment":
          out.push({ where, entry: x.change.entry, claim: x.change });
          return;
        case "unpromoted-policy":
          out.push({ where, entry: x.first.entry, claim: x.first });
          return;
        case "unreadable-entry":
        case "unanchored-entries":
        case "log-gap":
        case "log-unverifiable":
          return;
        default:
          out.push({ where, entry: x.decision.entry, claim: x.decision });
      }
    });
  }
  return out;
}

function isReport(v: unknown): v is Report {
  if (typeof v !== "object" || v === null) return false;
  const r = v as Record<string, unknown>;
  return r.format === REPORT_FORMAT && Array.isArray(r.controls) && Array.isArray(r.entries) && typeof r.evidence === "object" && r.evidence !== null && typeof r.summary === "object";
}

function parsedEntry(text: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Checks a report; never throws on a malformed or doctored report, it reports the problem instead. */
export async function verifyReport(value: unknown, options: VerifyReportOptions = {}): Promise<ReportVerification> {
  const problems: string[] = [];
  let claimCount = 0;
  let statuses = 0;
  let key: string | null = null;
  let logEntries = 0;
  let rendering = false;
  const done = (entries: number): ReportVerification => ({
    ok: problems.length === 0,
    problems,
    checked: { key, entries, claims: claimCount, statuses, againstLog: options.log !== undefined, logEntries, rendering, policies: options.policies !== undefined },
  });
  if (!isReport(value)) {
    problems.push(`not a Palisade compliance report (format ${REPORT_FORMAT})`);
    return done(0);
  }
  const report = value;
  const trusted = [...(options.verifierKeys ?? [])];
  try {
    const byIndex = new Map<number, string>();
    const anchor = report.log;
    let root: Uint8Array | undefined;
    if (anchor === null) {
      if (report.entries.length > 0) problems.push("the report cites entries but embeds no checkpoint");
      if (report.evidence.decisions.total > 0 || report.evidence.entries_read > 0) problems.push("the report counts entries but embeds no checkpoint");
    } else {
      if (trusted.length === 0) problems.push("no trusted verifier key was given: pass --vkey with the log's verifier key, or --db with the log's key file beside it");
      const usable = trusted.filter((k) => {
        try {
          parseVerifierKey(k);
          return true;
        } catch {
          problems.push(`the trusted key ${JSON.stringify(k)} is not a valid verifier key`);
          return false;
        }
      });
      if (usable.length > 0) {
        // The embedded key is only a label: the signature must verify under a key the caller trusts.
        const opened = openCheckpoint(anchor.checkpoint, usable);
        if (!opened.ok) problems.push(`the checkpoint signature does not verify with the trusted key${usable.length > 1 ? "s" : ""} (${usable.join(", ")}): ${opened.error.message}`);
        else {
          const cp = opened.checkpoint;
          key = usable.find((k) => openCheckpoint(anchor.checkpoint, [k]).ok) ?? null;
          if (key !== null && key !== anchor.verifier_key) problems.push(`the report names verifier key ${anchor.verifier_key}, but its checkpoint is signed by the trusted key ${key}`);
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
    }

    // Each claim about an entry must be what the cited entry says.
    for (const c of claims(report.evidence)) {
      claimCount++;
      const text = byIndex.get(c.entry);
      if (text === undefined) {
        problems.push(`${c.where} cites entry ${c.entry}, which the report does not include`);
        continue;
      }
      const parsed = parsedEntry(text);
      const expected = parsed !== null ? citeRecord(c.entry, readLoggedRecord(parsed)) : null;
      if (stableJson(expected) !== stableJson(c.claim)) problems.push(`${c.where} does not match entry ${c.entry}`);
    }
    for (const [id, f] of Object.entries(report.evidence.controls)) {
      for (const x of f.exceptions) {
        if (x.kind !== "unreadable-entry") continue;
        claimCount++;
        const text = byIndex.get(x.entry);
        if (text === undefined) problems.push(`control ${id} cites unreadable entry ${x.entry}, which the report does not include`);
        else if (parsedEntry(text) !== null) problems.push(`control ${id} calls entry ${x.entry} unreadable, but it is a JSON record`);
      }
    }
    for (const v of report.evidence.policy_versions) {
      claimCount++;
      const text = byIndex.get(v.first_entry);
      const parsed = text === undefined ? null : parsedEntry(text);
      if (!parsed || parsed.policy_digest !== v.policy_digest) problems.push(`policy version ${v.policy_digest} cites entry ${v.first_entry}, which does not show it deciding`);
    }

    // Each status must follow from its evidence, and the summary from the statuses.
    const catalogue = findCatalogue(report.framework.id);
    if (!catalogue) problems.push(`unknown framework ${JSON.stringify(report.framework.id)}`);
    const counts = Object.fromEntries(STATUSES.map((k) => [k, 0])) as Record<ControlStatus, number>;
    for (const c of report.controls) {
      counts[c.status]++;
      const control = catalogue?.controls.find((k) => k.id === c.id);
      const facts = report.evidence.controls[c.id];
      if (!control || !facts) {
        problems.push(`control ${c.id} is not in the ${report.framework.id} catalogue or has no evidence section`);
        continue;
      }
      statuses++;
      const want = controlStatus(c.covered_by, facts);
      if (want !== c.status) problems.push(`control ${c.id} is reported ${c.status}, but its evidence makes it ${want}`);
    }
    for (const k of STATUSES) if (report.summary[k] !== counts[k]) problems.push(`the summary counts ${report.summary[k]} ${k} controls, the controls list ${counts[k]}`);
    if (catalogue) problems.push(...catalogueProblems(report, catalogue, options.policies));
    if (options.file !== undefined) rendering = renderingProblems(report, options.file, problems);

    if (options.log && anchor !== null) await againstLog(report, options.log, catalogue ? { catalogue, byIndex } : null, problems, (n) => (logEntries = n));
  } catch (err) {
    problems.push(`the report is malformed: ${err instanceof Error ? err.message : String(err)}`);
  }
  return done(report.entries.length);
}

/** The checks that need the log: its tree has the checkpoint's root, every entry hashes into it, the evidence recomputes. */
async function againstLog(
  report: Report,
  log: AuditLog,
  ctx: { catalogue: NonNullable<ReturnType<typeof findCatalogue>>; byIndex: ReadonlyMap<number, string> } | null,
  problems: string[],
  recomputed: (n: number) => void,
): Promise<void> {
  const anchor = report.log;
  if (anchor === null) return;
  const size = await log.size();
  const readTo = Math.max(anchor.size, report.evidence.log?.read_to ?? anchor.size);
  if (size < readTo) {
    problems.push(`the log holds ${size} entries, fewer than the ${readTo} the report was built from`);
    return;
  }
  for (const [index, text] of ctx?.byIndex ?? []) {
    if (index >= anchor.size) continue;
    const [stored] = await log.store.entries(index, index + 1);
    if (!stored || new TextDecoder().decode(stored.data) !== text) problems.push(`entry ${index} differs from the log's entry ${index}`);
  }
  if (!ctx) return;
  // Every entry below the checkpoint's size is read, its leaf hash recomputed from its bytes and
  // folded into the root: the counts rest on all of them, not only on the cited ones.
  const again = await collectFromStore(log.store, {
    catalogue: ctx.catalogue,
    period: { from: new Date(report.period.from), to: new Date(report.period.to) },
    size: anchor.size,
    root: fromHex(anchor.root),
    readTo,
    rules: report.policies.rules,
    policyDigest: report.policies.digest,
    pipeline: report.pipeline,
  });
  recomputed(anchor.size);
  if (!again.log.root_verified) {
    const detail = Object.values(again.controls)
      .flatMap((f) => f.exceptions)
      .find((e) => e.kind === "log-unverifiable" || e.kind === "log-gap");
    problems.push(`the log's first ${anchor.size} entries do not hash to the checkpoint's root: ${detail && "detail" in detail ? detail.detail : "an entry was altered or removed"}`);
  }
  if (stableJson(again) !== stableJson(report.evidence)) {
    const keys = (Object.keys(again) as (keyof CollectedEvidence)[]).filter((k) => stableJson(again[k]) !== stableJson(report.evidence[k]));
    problems.push(`the evidence recomputed from the log differs from the report's (in ${keys.join(", ") || "its layout"})`);
  }
}

/**
 * What the report says about its framework, controls, scope and coverage must be what the
 * catalogue and the report's rules give (a title, an evidence text or a scope edited to read
 * better is caught); with the caller's policies, the rules must be theirs.
 */
function catalogueProblems(report: Report, catalogue: NonNullable<ReturnType<typeof findCatalogue>>, policies: VerifyReportOptions["policies"]): string[] {
  const out: string[] = [];
  const f = report.framework;
  const want = { id: catalogue.framework, name: catalogue.name, version: catalogue.version, publisher: catalogue.publisher, source: catalogue.source, notes: catalogue.notes ?? null, oscal_catalog: catalogue.oscal.catalog, oscal_catalog_href: catalogue.oscal.href ?? null };
  if (stableJson(f) !== stableJson(want)) out.push(`the framework block differs from the ${catalogue.framework} catalogue of this Palisade`);
  if (stableJson(report.scope) !== stableJson(scopeOf(catalogue))) out.push(`the scope differs from the ${catalogue.framework} catalogue's (units addressed or out of scope were edited)`);
  const cov = coverage(catalogue, report.policies.rules);
  if (report.controls.length !== catalogue.controls.length) out.push(`the report lists ${report.controls.length} controls, the catalogue ${catalogue.controls.length}`);
  catalogue.controls.forEach((c, i) => {
    const r = report.controls[i];
    if (!r) return;
    const expected = { id: c.id, label: labelOf(c), oscal_control: oscalControlId(catalogue, c), title: c.title, family: c.family ?? null, evidence_required: c.evidence, facts: c.facts, covered_by: cov.controls[i].by, rules: cov.controls[i].rules };
    const got = { id: r.id, label: r.label, oscal_control: r.oscal_control, title: r.title, family: r.family, evidence_required: r.evidence_required, facts: r.facts, covered_by: r.covered_by, rules: r.rules };
    for (const k of Object.keys(expected) as (keyof typeof expected)[]) if (stableJson(expected[k]) !== stableJson(got[k])) out.push(`control ${c.id}: its ${k.replace("_", " ")} differs from the catalogue and the report's rules`);
  });
  if (policies) {
    if (report.policies.digest !== policies.digest) out.push(`the report was built with policies ${report.policies.digest ?? "none"}, not the given ${policies.digest}`);
    const prefix = `${catalogue.framework}:`;
    const mine = policies.rules.filter((r) => r.controls.some((c) => c.startsWith(prefix)));
    if (stableJson(mine) !== stableJson(report.policies.rules)) out.push("the report's rules are not the given policies' rules mapped to this framework");
  }
  return out;
}

/** Whether `file` is a rendering to compare (HTML or OSCAL), and if so, whether it is exactly the report's. */
function renderingProblems(report: Report, file: string, problems: string[]): boolean {
  const trimmed = file.trimStart();
  if (trimmed.startsWith("<")) {
    if (toHtml(report) !== file) problems.push("the HTML page is not the rendering of the report it embeds: its visible text was edited");
    return true;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(file);
  } catch {
    return false;
  }
  if (typeof doc !== "object" || doc === null || !("assessment-results" in doc)) return false;
  const ar = (doc as { "assessment-results": { "import-ap"?: { href?: unknown } } })["assessment-results"];
  const href = typeof ar["import-ap"]?.href === "string" ? ar["import-ap"].href : undefined;
  if (stableJson(doc) !== stableJson(toOscal(report, href === undefined ? {} : { planHref: href }))) problems.push("the OSCAL document is not the rendering of the report it embeds: its findings or observations were edited");
  return true;
}
