// An entry handed over as canonical text around one JSON document still to be canonicalised.
// A served decision's record is a dozen small fields and the decided input, and the input is
// nearly all of the encoding cost: RFC 8785 text (a sorting walk), its digest and then the leaf
// hash over the whole entry. Given this way, that work can run where the store does (the SQLite
// store's own thread) instead of on the thread that answers requests.
import { hash } from "node:crypto";
import { canonicalJson } from "./canonical-json.ts";
import { ANONYMOUS_SUBJECT, ERASED_MARKER, SEALED_FIELD, SEALED_MARKER, seal, sealText, subjectOf } from "./erasure.ts";
import type { ErasurePolicy, KeyMaterial } from "./erasure.ts";
import { AuditError } from "./errors.ts";
import { MAX_ENTRY_SIZE } from "./tiles.ts";

/**
 * An entry as `head`, then `"<name>":<document>` when the canonical document is at most
 * `maxInline` characters, then `"<name>_digest":"sha256:<hex of the canonical document>"`, then
 * `tail`. The caller vouches that this is canonical JSON of a valid record: `head` is "{" and the
 * fields sorting before `name` (canonical text, no trailing comma), `tail` the fields sorting
 * after `<name>_digest` (each with its leading comma) and the closing "}".
 */
export interface DocumentEntry {
  readonly head: string;
  readonly name: string;
  /** The document as JSON text, in any key order (JSON.stringify's output, say). */
  readonly json: string;
  readonly tail: string;
  readonly maxInline: number;
}

/**
 * The entry bytes. Throws AuditError "audit/invalid-record" when the document is not plain JSON
 * text (or holds a lone surrogate), "audit/entry-too-large" over the entry limit.
 */
export function encodeDocumentEntry(e: DocumentEntry): Uint8Array {
  const doc = canonicalDocument(e);
  const key = JSON.stringify(e.name);
  const inline = doc.length <= e.maxInline ? `${key}:${doc},` : "";
  return entryBytes(`${e.head}${e.head === "{" ? "" : ","}${inline}${JSON.stringify(`${e.name}_digest`)}:"sha256:${hash("sha256", doc, "hex")}"${e.tail}`);
}

function canonicalDocument(e: DocumentEntry): string {
  let value: unknown;
  try {
    value = JSON.parse(e.json);
  } catch {
    throw new AuditError("audit/invalid-record", `the ${e.name} is not JSON text`);
  }
  return canonicalJson(value, e.name);
}

function entryBytes(text: string): Uint8Array {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length > MAX_ENTRY_SIZE) {
    throw new AuditError("audit/entry-too-large", `audit entry is ${bytes.length} bytes, over the ${MAX_ENTRY_SIZE}-byte limit`, "log digests of large payloads rather than the payloads");
  }
  return bytes;
}

// Sealing a document where it is encoded. A record's personal fields are, for the policies a log
// is normally given (DEFAULT_ERASURE: principal, input, input_original), top-level members, and
// head and tail are canonical text: their members are found by a scan of those few hundred
// characters, the document is a member of its own, and the envelope is assembled from the
// members' texts without parsing anything back into objects. A policy naming nested paths takes
// the general route: the entry's text is parsed and sealed as a record would be.

/** A top-level member of an entry: its key, the key as JSON text, its value as canonical JSON text. */
interface Member {
  readonly key: string;
  readonly raw: string;
  readonly value: string;
}

/** The index just past the JSON string starting at `at`. */
function stringEnd(text: string, at: number): number {
  for (let j = at + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 92) j++;
    else if (c === 34) return j + 1;
  }
  throw new AuditError("audit/invalid-record", "an entry's text is not canonical JSON");
}

/** The members of `text` from `from` to `to`: canonical `"k":v` pairs separated by commas. */
function scanMembers(text: string, from: number, to: number, out: Member[]): void {
  let i = from;
  while (i < to) {
    if (text.charCodeAt(i) !== 34) throw new AuditError("audit/invalid-record", "an entry's text is not canonical JSON");
    const keyEnd = stringEnd(text, i);
    const raw = text.slice(i, keyEnd);
    const start = keyEnd + 1;
    let depth = 0;
    let j = start;
    for (; j < to; j++) {
      const c = text.charCodeAt(j);
      if (c === 34) j = stringEnd(text, j) - 1;
      else if (c === 123 || c === 91) depth++;
      else if (c === 125 || c === 93) depth--;
      else if (c === 44 && depth === 0) break;
    }
    out.push({ key: raw.includes("\\") ? (JSON.parse(raw) as string) : raw.slice(1, -1), raw, value: text.slice(start, j) });
    i = j + 1;
  }
}

/** The entry's members in order: head's, the document's (inline and digest), tail's. */
function documentMembers(e: DocumentEntry): Member[] {
  const doc = canonicalDocument(e);
  const members: Member[] = [];
  scanMembers(e.head, 1, e.head.length, members);
  if (doc.length <= e.maxInline) members.push({ key: e.name, raw: JSON.stringify(e.name), value: doc });
  const digestKey = `${e.name}_digest`;
  members.push({ key: digestKey, raw: JSON.stringify(digestKey), value: `"sha256:${hash("sha256", doc, "hex")}"` });
  scanMembers(e.tail, 1, e.tail.length - 1, members);
  return members;
}

function membersText(members: readonly Member[]): string {
  let out = "{";
  for (let i = 0; i < members.length; i++) out += `${i === 0 ? "" : ","}${members[i].raw}:${members[i].value}`;
  return `${out}}`;
}

/** Whether every path the policy names is a top-level member, so that members can be sealed as text. */
function topLevel(policy: ErasurePolicy): boolean {
  return !policy.subjectField.includes(".") && policy.personalFields.every((f) => !f.includes("."));
}

/** A document made ready to seal: its members (or its record, for a nested policy) and its subject. */
export interface SealableDocument {
  readonly members: readonly Member[];
  readonly record: Record<string, unknown> | undefined;
  /** The data subject (ANONYMOUS_SUBJECT when the policy seals records without one), or null. */
  readonly subject: string | null;
}

/**
 * Canonicalises a document and finds its data subject under `policy` (as subjectOf does for a
 * record), the first half of sealing it; sealDocument, given the subject's key, finishes.
 * Throws as encodeDocumentEntry does.
 */
export function prepareSealing(e: DocumentEntry, policy: ErasurePolicy): SealableDocument {
  const members = documentMembers(e);
  let record: Record<string, unknown> | undefined;
  let subject: string | null;
  if (topLevel(policy)) {
    const m = members.find((x) => x.key === policy.subjectField);
    subject = m === undefined ? null : subjectOf({ s: JSON.parse(m.value) as unknown }, { subjectField: "s", personalFields: [] });
  } else {
    record = JSON.parse(membersText(members)) as Record<string, unknown>;
    subject = subjectOf(record, policy);
  }
  if (subject === null && policy.anonymous === "seal") subject = ANONYMOUS_SUBJECT;
  return { members, record, subject };
}

const SEALED_TEXT = JSON.stringify(SEALED_MARKER);
const ERASED_TEXT = JSON.stringify(ERASED_MARKER);
const SEALED_RAW = JSON.stringify(SEALED_FIELD);

/**
 * The entry bytes of a prepared document sealed under `key` (null: no subject, so personal
 * members are written as ERASED_MARKER): the same envelope `seal` makes of the record, personal
 * members replaced by SEALED_MARKER and their values sealed in `$sealed`.
 */
export function sealDocument(d: SealableDocument, policy: ErasurePolicy, key: KeyMaterial | null): Uint8Array {
  if (d.record !== undefined) return entryBytes(canonicalJson(seal(d.record, policy, key), "record"));
  const byKey = new Map<string, number>();
  d.members.forEach((m, i) => byKey.set(m.key, i));
  const present = policy.personalFields.filter((f) => byKey.has(f));
  if (present.length === 0) return entryBytes(membersText(d.members));
  const members = d.members.slice();
  if (key === null) {
    for (const f of present) members[byKey.get(f)!] = { ...members[byKey.get(f)!], value: ERASED_TEXT };
    return entryBytes(membersText(members));
  }
  // Policy order, as seal() lists them; a member already reading SEALED_MARKER stays as it is.
  const fields = present.filter((f) => members[byKey.get(f)!].value !== SEALED_TEXT);
  let plain = "{";
  const sortedFields = [...fields].sort();
  for (let i = 0; i < sortedFields.length; i++) {
    const m = members[byKey.get(sortedFields[i])!];
    plain += `${i === 0 ? "" : ","}${m.raw}:${m.value}`;
  }
  plain += "}";
  for (const f of fields) members[byKey.get(f)!] = { ...members[byKey.get(f)!], value: SEALED_TEXT };
  const envelope = canonicalJson(sealText(plain, fields, key), "record");
  let at = 0;
  while (at < members.length && members[at].key < SEALED_FIELD) at++;
  members.splice(at, 0, { key: SEALED_FIELD, raw: SEALED_RAW, value: envelope });
  return entryBytes(membersText(members));
}
