// Building a report: pick the signed checkpoint, read the log up to its size, collect evidence,
// judge each control, and attach an inclusion proof for every entry the report cites.
import { AuditLog, CompactRange, bytesEqual, emptyRoot, leafHash, openCheckpoint, sealedPart, toHex, unseal } from "../audit/index.ts";
import type { AuditStore, SignedCheckpoint } from "../audit/index.ts";
import type { GivenRule } from "./activity.ts";
import { labelOf, oscalControlId, scopeOf } from "./catalogue.ts";
import type { Catalogue } from "./catalogue.ts";
import { EvidenceCollector } from "./collect.ts";
import type { CollectedEvidence } from "./collect.ts";
import { coverage } from "./coverage.ts";
import { ComplianceError } from "./errors.ts";
import { REPORT_FORMAT, STATUSES, citedIndices, controlStatus } from "./report.ts";
import type { CitedEntry, ControlReport, ControlStatus, LogAnchor, Report, ReportTestRun } from "./report.ts";

/** What a report is built from. */
export interface BuildReportOptions {
  readonly log: AuditLog;
  readonly catalogue: Catalogue;
  /** The period, start inclusive, end exclusive. */
  readonly from: Date;
  readonly to: Date;
  /** The loaded rules, for coverage and activity (with their phases and pinned tools). */
  readonly rules: readonly GivenRule[];
  /** Where the rules came from and their policy digest. */
  readonly policies: { readonly paths: readonly string[]; readonly digest: string | null };
  /** Pack test runs made now, to include beside the recorded ones. */
  readonly testRuns?: readonly ReportTestRun[];
  /**
   * Sign a fresh checkpoint (the log must hold a signing key); otherwise the newest stored one is
   * used, and entries after it are left out of the report.
   */
  readonly sign: boolean;
  /** The environments in pipeline order (palisade.environments.json), to judge skipped ones by. */
  readonly pipeline?: readonly string[] | null;
  /** The report's generation time (default: now). */
  readonly now?: Date;
}

const CHUNK = 4096;
const utf8 = new TextDecoder();

/** What evidence is collected from, besides the store. */
export interface CollectFromStoreOptions {
  readonly catalogue: Catalogue;
  readonly period: { readonly from: Date; readonly to: Date };
  /** The checkpoint's size and root: entries below it are evidence, and must hash to the root. */
  readonly size: number;
  readonly root: Uint8Array | null;
  /** Read entries up to here (past the checkpoint only to count the period's unanchored entries). */
  readonly readTo: number;
  readonly rules?: readonly GivenRule[];
  readonly policyDigest?: string | null;
  readonly pipeline?: readonly string[] | null;
}

/**
 * The sealed records among `parsed` that take part in an approval (held, or answering a hold),
 * opened with the subjects' keys the store holds: who asked and who approved are compared on
 * them. Only those are opened, so a report over a large log decrypts little.
 */
async function openForApprovals(store: AuditStore, parsed: readonly unknown[]): Promise<Map<number, Record<string, unknown>>> {
  const wanted: number[] = [];
  const kids = new Set<string>();
  for (const [i, p] of parsed.entries()) {
    if (typeof p !== "object" || p === null || Array.isArray(p)) continue;
    const r = p as Record<string, unknown>;
    const sealed = sealedPart(r);
    if (sealed === null || (r.decision !== "require_approval" && (r.approval === undefined || r.approval === null))) continue;
    wanted.push(i);
    kids.add(sealed.kid);
  }
  const out = new Map<number, Record<string, unknown>>();
  if (wanted.length === 0) return out;
  const keys = await store.keysById([...kids]);
  for (const i of wanted) out.set(i, unseal(parsed[i] as Record<string, unknown>, (kid) => keys.get(kid)?.key).record);
  return out;
}

/**
 * Collects a framework's evidence from a store: every entry below the checkpoint's size, whose
 * leaf hashes are recomputed from the bytes read and folded into the root the checkpoint must
 * sign, so the counts rest only on entries the checkpoint commits to.
 */
export async function collectFromStore(store: AuditStore, o: CollectFromStoreOptions): Promise<CollectedEvidence> {
  const c = new EvidenceCollector({ catalogue: o.catalogue, period: o.period, anchored: o.size, rules: o.rules, policyDigest: o.policyDigest, pipeline: o.pipeline });
  const tree = new CompactRange();
  let expected = 0;
  let gap = false;
  for (let from = 0; from < o.readTo; from += CHUNK) {
    const chunk = await store.entries(from, Math.min(o.readTo, from + CHUNK));
    const parsedChunk = chunk.map((e): unknown => {
      try {
        return JSON.parse(utf8.decode(e.data));
      } catch {
        return undefined;
      }
    });
    const opened = await openForApprovals(store, parsedChunk);
    for (const [i, e] of chunk.entries()) {
      if (e.index < expected) continue;
      if (e.index > expected && expected < o.size) {
        c.missing(expected, Math.min(e.index, o.size));
        gap = true;
      }
      expected = e.index + 1;
      if (e.index < o.size && !gap) tree.append(leafHash(e.data));
      c.add(e.index, parsedChunk[i], opened.get(i));
    }
  }
  if (expected < o.size) {
    c.missing(expected, o.size);
    gap = true;
  }
  if (o.root !== null && !gap) {
    const root = o.size === 0 ? emptyRoot() : tree.root();
    if (!bytesEqual(root, o.root)) c.rootVerified(false, `the first ${o.size} entries' bytes hash to root ${toHex(root)}, not the checkpoint's ${toHex(o.root)}: entries were altered after they were signed`);
  } else if (gap) c.rootVerified(false, "entries are missing, so the root cannot be recomputed");
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

/** Builds a report. Throws ComplianceError when the log has entries but no usable checkpoint. */
export async function buildReport(o: BuildReportOptions): Promise<Report> {
  await o.log.flush();
  const a = await anchor(o.log, o.sign);
  const size = a ? a.checkpoint.size : 0;
  const cov = coverage(o.catalogue, o.rules);
  const prefix = `${o.catalogue.framework}:`;
  const mapped = o.rules.filter((r) => r.controls.some((c) => c.startsWith(prefix)));
  const evidence = await collectFromStore(o.log.store, {
    catalogue: o.catalogue,
    period: { from: o.from, to: o.to },
    size,
    root: a ? a.checkpoint.root : null,
    readTo: Math.max(size, await o.log.size()),
    rules: mapped,
    policyDigest: o.policies.digest,
    pipeline: o.pipeline ?? null,
  });
  const controls = o.catalogue.controls.map((c, i): ControlReport => {
    const covered = cov.controls[i].by;
    return {
      id: c.id,
      label: labelOf(c),
      oscal_control: oscalControlId(o.catalogue, c),
      title: c.title,
      family: c.family ?? null,
      evidence_required: c.evidence,
      facts: c.facts,
      status: controlStatus(covered, evidence.controls[c.id]),
      covered_by: covered,
      rules: cov.controls[i].rules,
    };
  });
  const summary = { ...(Object.fromEntries(STATUSES.map((k) => [k, 0])) as Record<ControlStatus, number>), controls: controls.length };
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
    framework: { id: cat.framework, name: cat.name, version: cat.version, publisher: cat.publisher, source: cat.source, notes: cat.notes ?? null, oscal_catalog: cat.oscal.catalog, oscal_catalog_href: cat.oscal.href ?? null },
    period: evidence.period,
    scope: scopeOf(cat),
    pipeline: o.pipeline ?? null,
    policies: { paths: [...o.policies.paths], digest: o.policies.digest, rules: mapped },
    summary,
    controls,
    evidence,
    test_runs_at_report: [...(o.testRuns ?? [])],
    log,
    entries,
  };
}
