// Approvals that prove who approved: an approver signs the exact change they approve — which
// bundle, from where, into which environment, replacing what, when — as a C2SP signed note with
// their own Ed25519 key, listed in the config with their roles. A name without a valid signature
// counts for nothing; so does a signature over another change, an old one, or one used before.
//
// The note text (`palisade.approval/1`), one field per line in this order, optional ones omitted:
//
//   palisade.approval/1
//   approver alice
//   action promote                     (or rollback)
//   from staging                       (promote only)
//   to production
//   bundle sha256:<the bundle to install, or to return to>
//   replacing sha256:<the bundle serving in `to` now>   (or "none")
//   change 7                           (the change to `to`'s state this would be: its seq + 1, so
//                                       an approval fits one state transition and no other)
//   skip staging,qa                    (a promotion past these environments, approved as such)
//   waive-replay <reason>              (the approver also waives the replay gate when the target
//                                       has no traffic to replay)
//   time 2026-12-07T10:00:00.000Z
import { createHash } from "node:crypto";
import { parseNote, signNote, verifyNote } from "../audit/index.ts";
import type { SignerKey } from "../audit/index.ts";
import type { ApprovalConfig, Approver, EnvironmentsConfig } from "./config.ts";
import { EnvironmentError } from "./errors.ts";
import type { ApprovalEvidence } from "./records.ts";

/** The first line of an approval's text. */
export const APPROVAL_FORMAT = "palisade.approval/1";

/** How far ahead of this machine's clock an approval's time may be (clocks differ a little). */
const CLOCK_SKEW_MS = 5 * 60_000;

/** The change an approval is for. */
export interface ApprovalRequest {
  readonly action: "promote" | "rollback";
  /** The source environment of a promotion; null for a rollback. */
  readonly from: string | null;
  /** The environment whose serving bundle changes. */
  readonly to: string;
  /** The bundle to install (promotion) or return to (rollback). */
  readonly bundle: string;
  /** The bundle serving in `to` now, or null when none. */
  readonly replacing: string | null;
  /** The number `to`'s state will have after this change (its sequence number now, plus one). */
  readonly change: number;
  /** Environments a promotion skips (empty for the next one in order). */
  readonly skip: readonly string[];
}

/** An approval's fields, as signed. */
export interface ApprovalText extends ApprovalRequest {
  readonly approver: string;
  /** ISO-8601 instant it was signed. */
  readonly time: string;
  /** Why the approver waives the replay gate, or null. */
  readonly waiveReplay: string | null;
}

/** The note text of an approval. */
export function approvalText(a: ApprovalText): string {
  const lines = [APPROVAL_FORMAT, `approver ${a.approver}`, `action ${a.action}`];
  if (a.from !== null) lines.push(`from ${a.from}`);
  lines.push(`to ${a.to}`, `bundle ${a.bundle}`, `replacing ${a.replacing ?? "none"}`, `change ${a.change}`);
  if (a.skip.length > 0) lines.push(`skip ${a.skip.join(",")}`);
  if (a.waiveReplay !== null) lines.push(`waive-replay ${a.waiveReplay}`);
  lines.push(`time ${a.time}`);
  return `${lines.join("\n")}\n`;
}

/** Parses an approval's text; undefined when it is not one (any deviation from approvalText's output). */
export function parseApprovalText(text: string): ApprovalText | undefined {
  const lines = text.split("\n");
  if (lines.pop() !== "" || lines.shift() !== APPROVAL_FORMAT) return undefined;
  const take = (key: string, optional = false): string | null | undefined => {
    const line = lines[0];
    if (line?.startsWith(`${key} `)) {
      lines.shift();
      return line.slice(key.length + 1);
    }
    return optional ? null : undefined;
  };
  const approver = take("approver");
  const action = take("action");
  if (approver === undefined || approver === null || (action !== "promote" && action !== "rollback")) return undefined;
  const from = action === "promote" ? take("from") : null;
  const to = take("to");
  const bundle = take("bundle");
  const replacing = take("replacing");
  const change = take("change");
  const skip = take("skip", true);
  const waiveReplay = take("waive-replay", true);
  const time = take("time");
  if (from === undefined || to == null || bundle == null || replacing == null || change == null || !/^[1-9][0-9]{0,14}$/.test(change) || time == null || skip === undefined || waiveReplay === undefined || lines.length > 0) return undefined;
  const skipped = skip === null ? [] : skip.split(",");
  // An empty name would give a second text for the same change ("skip " joins like no skip at all).
  if (skipped.includes("")) return undefined;
  const a: ApprovalText = { approver, action, from, to, bundle, replacing: replacing === "none" ? null : replacing, change: Number(change), skip: skipped, waiveReplay, time };
  // Canonical form only: one text per approval, so its id (the text's digest) is one per approval.
  return approvalText(a) === text && !Number.isNaN(Date.parse(time)) ? a : undefined;
}

/** Signs an approval of `request` as `approver` with their key. Throws EnvironmentError "approval/unreadable" on an unusable reason text. */
export function signApproval(request: ApprovalRequest, approver: string, key: SignerKey, options: { readonly waiveReplay?: string; readonly now?: Date } = {}): string {
  const reason = options.waiveReplay?.trim();
  if (reason !== undefined && (reason === "" || reason.length > 200 || /[\u0000-\u001f\u007f]/.test(reason))) throw new EnvironmentError("approval/unreadable", "a replay waiver needs a reason of one line, at most 200 characters");
  const text = approvalText({ ...request, approver, time: (options.now ?? new Date()).toISOString(), waiveReplay: reason ?? null });
  return signNote(text, key);
}

/** `sha256:<hex>` of an approval note's text: its identity, whoever else signs it. */
export function approvalId(note: string): string {
  let text: string;
  try {
    text = parseNote(note).text;
  } catch {
    text = note;
  }
  return `sha256:${createHash("sha256").update(text, "utf8").digest("hex")}`;
}

/** The rule an approval set is judged by. */
export interface ApprovalRule {
  /** Roles that qualify; null: any configured approver. */
  readonly roles: readonly string[] | null;
  readonly twoPerson: boolean;
  readonly maxAgeMs: number;
}

/** The rule for a promotion into an environment with `approval`; null: no approval needed. */
export function promotionRule(approval: ApprovalConfig | null): ApprovalRule | null {
  return approval === null ? null : { roles: approval.roles, twoPerson: approval.twoPerson, maxAgeMs: approval.maxAgeMs };
}

/** A rollback needs one signed approval by someone who may approve promotions into the environment (any approver when nobody is named). */
export function rollbackRule(approval: ApprovalConfig | null): ApprovalRule {
  return { roles: approval?.roles ?? null, twoPerson: false, maxAgeMs: approval?.maxAgeMs ?? 86_400_000 };
}

/** What a set of presented approvals amounts to. */
export interface ApprovalCheck {
  /** Every note presented, counted or not, with why. */
  readonly evidence: readonly ApprovalEvidence[];
  /** The approvers whose approvals counted, in the order given. */
  readonly counted: readonly Approver[];
  /** Whether the counted approvals satisfy the rule (always true when no rule applies). */
  readonly satisfied: boolean;
  /** One line for the approval gate. */
  readonly detail: string;
  /** A replay waiver carried by enough counted approvals to satisfy the rule, or null. */
  readonly waiver: { readonly reason: string; readonly approvers: readonly string[] } | null;
}

function describeRequest(r: ApprovalRequest): string {
  return r.action === "promote" ? `promoting ${r.bundle} from '${r.from}' to '${r.to}' (replacing ${r.replacing ?? "nothing"}, change ${r.change})${r.skip.length > 0 ? ` past ${r.skip.join(", ")}` : ""}` : `rolling '${r.to}' back from ${r.replacing ?? "nothing"} to ${r.bundle} (change ${r.change})`;
}

function sameRequest(a: ApprovalText, r: ApprovalRequest): boolean {
  return a.action === r.action && a.from === r.from && a.to === r.to && a.bundle === r.bundle && a.replacing === r.replacing && a.change === r.change && a.skip.join(",") === r.skip.join(",");
}

/**
 * Judges signed approval notes against the change they must approve. `used` maps the ids of
 * approvals that already made a change to the audit entry that records it.
 */
export function checkApprovals(notes: readonly string[], config: EnvironmentsConfig, request: ApprovalRequest, rule: ApprovalRule | null, used: ReadonlyMap<string, number>, now: Date): ApprovalCheck {
  const evidence: ApprovalEvidence[] = [];
  const counted: Approver[] = [];
  const waivers: Array<{ approver: string; reason: string }> = [];
  for (const note of notes) {
    const digest = approvalId(note);
    const reject = (approver: Approver | null, why: string) => evidence.push({ approver: approver?.name ?? null, roles: approver?.roles ?? [], role: null, counted: false, rejected: why, digest, note });
    let text: string;
    try {
      text = parseNote(note).text;
    } catch {
      reject(null, "not a signed note");
      continue;
    }
    const a = parseApprovalText(text);
    if (a === undefined) {
      reject(null, `not a ${APPROVAL_FORMAT} approval`);
      continue;
    }
    const approver = config.approvers.get(a.approver);
    if (approver === undefined) {
      reject(null, `'${a.approver}' is not a configured approver`);
      continue;
    }
    const opened = verifyNote(note, [approver.key]);
    if (!opened.ok) {
      reject(null, `not signed by ${a.approver}'s key: ${opened.error.message}`);
      continue;
    }
    if (!sameRequest(a, request)) {
      reject(approver, `approves ${describeRequest(a)}, not ${describeRequest(request)}`);
      continue;
    }
    const t = Date.parse(a.time);
    const maxAge = rule?.maxAgeMs ?? 86_400_000;
    if (t > now.getTime() + CLOCK_SKEW_MS) {
      reject(approver, `signed at ${a.time}, in the future`);
      continue;
    }
    if (now.getTime() - t > maxAge) {
      reject(approver, `signed at ${a.time}, longer ago than the ${Math.round(maxAge / 3_600_000)} h an approval lasts`);
      continue;
    }
    const usedAt = used.get(digest);
    if (usedAt !== undefined) {
      reject(approver, `already used for the change recorded at audit entry ${usedAt}`);
      continue;
    }
    if (counted.some((c) => c.name === approver.name)) {
      reject(approver, `a second approval by ${approver.name}: each person counts once`);
      continue;
    }
    if (rule?.roles != null && !approver.roles.some((r) => rule.roles?.includes(r))) {
      reject(approver, `${approver.name} holds none of the roles ${rule.roles.map((r) => `'${r}'`).join(", ")}`);
      continue;
    }
    counted.push(approver);
    if (a.waiveReplay !== null) waivers.push({ approver: approver.name, reason: a.waiveReplay });
    evidence.push({ approver: approver.name, roles: approver.roles, role: rule?.roles?.find((r) => approver.roles.includes(r)) ?? null, counted: true, rejected: null, digest, note });
  }
  const needed = rule === null ? 0 : rule.twoPerson ? 2 : 1;
  const satisfied = counted.length >= needed;
  const roles = rule?.roles != null ? ` with role ${rule.roles.map((r) => `'${r}'`).join(" or ")}` : "";
  const refused = evidence.filter((e) => !e.counted).map((e) => `${e.approver ?? "?"}: ${e.rejected}`);
  const tail = refused.length > 0 ? `; not counted: ${refused.join("; ")}` : "";
  const names = counted.map((c) => c.name).join(" and ");
  const detail = rule === null
    ? `no approval required${counted.length > 0 ? `; signed by ${names}` : ""}${tail}`
    : satisfied
      ? `approved by ${names} (signed${roles}${rule.twoPerson ? ", two-person rule" : ""})${tail}`
      : `needs ${needed === 2 ? "two distinct approvers" : "an approver"}${roles}, each signing this change; signed and qualifying: ${names === "" ? "none" : names}${tail}`;
  // A waiver stands only when those who signed it would satisfy the rule on their own.
  const waiverNeeded = Math.max(needed, 1);
  const waiver = waivers.length >= waiverNeeded ? { reason: [...new Set(waivers.map((w) => w.reason))].join(" / "), approvers: waivers.map((w) => w.approver) } : null;
  return { evidence, counted, satisfied, detail, waiver };
}
