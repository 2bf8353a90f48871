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
  /**
   * Set when `json` is already the document's RFC 8785 text as canonicalJson wrote it (which
   * also checked it is plain JSON): the store digests it as it is, without parsing it again.
   */
  readonly canonical?: boolean;
}

/**
 * The entry bytes. Throws AuditError "audit/invalid-record" when the document is not plain JSON
 * text (or holds a lone surrogate), "audit/entry-too-large" over the entry limit.
 */
export function encodeDocumentEntry(e: DocumentEntry): Uint8Array {
  const doc = canonicalDocument(e);
  const digest = `"sha256:${hash("sha256", doc, "hex")}"`;
  const inline = doc.length <= e.maxInline;
  return withinLimit(inline, () => entryBytes(clearText(e, doc, inline, digest)), () => entryBytes(clearText(e, doc, false, digest)));
}

/**
 * `encode()`, or, when the entry would be over the limit with the document inline, `byDigest()`:
 * an entry holds at most 64 KiB, and a document that takes it past that (many multi-byte
 * characters under `maxInline`, which counts characters; the third more that sealing adds) is
 * recorded by its digest, as one over `maxInline` is, rather than the decision not at all.
 */
function withinLimit(inline: boolean, encode: () => Uint8Array, byDigest: () => Uint8Array): Uint8Array {
  try {
    return encode();
  } catch (err) {
    if (!inline || !(err instanceof AuditError) || err.code !== "audit/entry-too-large") throw err;
    return byDigest();
  }
}

function canonicalDocument(e: DocumentEntry): string {
  if (e.canonical === true) return e.json;
  let value: unknown;
  try {
    value = JSON.parse(e.json);
  } catch {
    throw new AuditError("audit/invalid-record", `the ${e.name} is not JSON text`);
  }
  return canonicalJson(value, e.name);
}

/** The entry's UTF-8 bytes, written one byte into a buffer whose first byte is the leaf hash's 0x00 prefix (leafHash then hashes them without a copy). */
function entryBytes(text: string): Uint8Array {
  const length = Buffer.byteLength(text, "utf8");
  if (length > MAX_ENTRY_SIZE) {
    throw new AuditError("audit/entry-too-large", `audit entry is ${length} bytes, over the ${MAX_ENTRY_SIZE}-byte limit`, "log digests of large payloads rather than the payloads");
  }
  const buf = Buffer.allocUnsafe(1 + length);
  buf[0] = 0x00;
  buf.write(text, 1, length, "utf8");
  return buf.subarray(1);
}

// Sealing a document where it is encoded. A record's personal fields are, for the policies a log
// is normally given (DEFAULT_ERASURE: principal, input, input_original), top-level members, and
// head and tail are canonical text: their members are found by a scan of those few hundred
// characters, the document is a member of its own, and the envelope is assembled from the
// members' texts without parsing anything back into objects. A policy naming nested paths takes
// the general route: the entry's text is parsed and sealed as a record would be.

/** A personal (or subject) member found in head or tail: where its value lies. */
interface Found {
  readonly key: string;
  /** 0: in head, 1: in tail. */
  readonly part: 0 | 1;
  readonly start: number;
  readonly end: number;
}

function notCanonical(): AuditError {
  return new AuditError("audit/invalid-record", "an entry's text is not canonical JSON");
}

/** The index just past the JSON string starting at `at`. */
function stringEnd(text: string, at: number): number {
  for (let j = at + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 92) j++;
    else if (c === 34) return j + 1;
  }
  throw notCanonical();
}

/**
 * Scans the top-level members of `text` from `from` to `to` (canonical `"k":v` pairs separated by
 * commas) and collects those named in `wanted` (as [name, its JSON string text] pairs: a member
 * is matched on its key's text where it lies, so that no key is copied out but the ones kept);
 * returns the first member's key when `first`, else undefined.
 */
function scanMembers(text: string, from: number, to: number, part: 0 | 1, wanted: readonly (readonly [string, string])[], out: Found[], first: boolean): string | undefined {
  let firstKey: string | undefined;
  let i = from;
  while (i < to) {
    if (text.charCodeAt(i) !== 34) throw notCanonical();
    const keyEnd = stringEnd(text, i);
    if (first && firstKey === undefined) {
      const raw = text.slice(i, keyEnd);
      firstKey = raw.includes("\\") ? (JSON.parse(raw) as string) : raw.slice(1, -1);
    }
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
    for (const [key, quoted] of wanted) {
      if (keyEnd - i === quoted.length && text.startsWith(quoted, i)) {
        out.push({ key, part, start, end: j });
        break;
      }
    }
    i = j + 1;
  }
  return firstKey;
}

/** What sealing needs of a policy, worked out once per policy object. */
interface SealPlan {
  /** Whether every path is a top-level member, so that members can be sealed as text. */
  readonly topLevel: boolean;
  /** The personal fields and the subject field, each with its key as canonical JSON text. */
  readonly quoted: readonly (readonly [string, string])[];
}

const plans = new WeakMap<ErasurePolicy, SealPlan>();

function planOf(policy: ErasurePolicy): SealPlan {
  let plan = plans.get(policy);
  if (plan === undefined) {
    const topLevel = !policy.subjectField.includes(".") && policy.personalFields.every((f) => !f.includes("."));
    plan = { topLevel, quoted: [...new Set([policy.subjectField, ...policy.personalFields])].map((k) => [k, JSON.stringify(k)] as const) };
    plans.set(policy, plan);
  }
  return plan;
}

/** A document made ready to seal: its canonical parts (or its record, for a nested policy) and its subject. */
export interface SealableDocument {
  readonly e: DocumentEntry;
  /** The canonical document, and whether the entry holds it inline. */
  readonly doc: string;
  readonly inline: boolean;
  /** The `<name>_digest` member's value text. */
  readonly digest: string;
  /** The personal and subject members of head and tail. */
  readonly found: readonly Found[];
  /** The record, when the policy takes the general route. */
  readonly record: Record<string, unknown> | undefined;
  /** The data subject (ANONYMOUS_SUBJECT when the policy seals records without one), or null. */
  readonly subject: string | null;
}

function clearText(e: DocumentEntry, doc: string, inline: boolean, digest: string): string {
  const member = inline ? `${JSON.stringify(e.name)}:${doc},` : "";
  return `${e.head}${e.head === "{" ? "" : ","}${member}${JSON.stringify(`${e.name}_digest`)}:${digest}${e.tail}`;
}

/**
 * Canonicalises a document and finds its data subject under `policy` (as subjectOf does for a
 * record), the first half of sealing it; sealDocument, given the subject's key, finishes.
 * Throws as encodeDocumentEntry does.
 */
export function prepareSealing(e: DocumentEntry, policy: ErasurePolicy): SealableDocument {
  const doc = canonicalDocument(e);
  const inline = doc.length <= e.maxInline;
  const digest = `"sha256:${hash("sha256", doc, "hex")}"`;
  const plan = planOf(policy);
  const found: Found[] = [];
  const first = scanMembers(e.head, 1, e.head.length, 0, plan.quoted, found, true);
  scanMembers(e.tail, 1, e.tail.length - 1, 1, plan.quoted, found, false);
  let record: Record<string, unknown> | undefined;
  let subject: string | null;
  // The envelope goes first: the text route needs every member to sort after it.
  if (plan.topLevel && (first ?? e.name) > SEALED_FIELD && e.name > SEALED_FIELD) {
    const s = found.find((f) => f.key === policy.subjectField);
    let value: unknown;
    if (s !== undefined) value = JSON.parse((s.part === 0 ? e.head : e.tail).slice(s.start, s.end));
    else if (policy.subjectField === e.name && inline) value = JSON.parse(doc);
    else if (policy.subjectField === `${e.name}_digest`) value = JSON.parse(digest);
    subject = subjectOf({ s: value }, SUBJECT_AT_S);
  } else {
    record = JSON.parse(clearText(e, doc, inline, digest)) as Record<string, unknown>;
    subject = subjectOf(record, policy);
  }
  if (subject === null && policy.anonymous === "seal") subject = ANONYMOUS_SUBJECT;
  return { e, doc, inline, digest, found, record, subject };
}

const SUBJECT_AT_S: ErasurePolicy = { subjectField: "s", personalFields: [] };
const SEALED_TEXT = JSON.stringify(SEALED_MARKER);
const ERASED_TEXT = JSON.stringify(ERASED_MARKER);

/** `text` with the given ranges (sorted, disjoint) replaced by `by`. */
function replaced(text: string, ranges: readonly { start: number; end: number }[], by: string): string {
  if (ranges.length === 0) return text;
  let out = "";
  let at = 0;
  for (const r of ranges) {
    out += text.slice(at, r.start) + by;
    at = r.end;
  }
  return out + text.slice(at);
}

/**
 * The entry bytes of a prepared document sealed under `key` (null: no subject, so personal
 * members are written as ERASED_MARKER): the same envelope `seal` makes of the record, personal
 * members replaced by SEALED_MARKER and their values sealed in `$sealed`.
 */
export function sealDocument(d: SealableDocument, policy: ErasurePolicy, key: KeyMaterial | null): Uint8Array {
  return withinLimit(d.inline, () => sealAs(d, policy, key), () => sealAs(byDigest(d), policy, key));
}

/** `d` with its document left out (its digest stays). */
function byDigest(d: SealableDocument): SealableDocument {
  return { ...d, inline: false, record: d.record === undefined ? undefined : (JSON.parse(clearText(d.e, d.doc, false, d.digest)) as Record<string, unknown>) };
}

function sealAs(d: SealableDocument, policy: ErasurePolicy, key: KeyMaterial | null): Uint8Array {
  if (d.record !== undefined) return entryBytes(canonicalJson(seal(d.record, policy, key), "record"));
  const { e } = d;
  const digestKey = `${e.name}_digest`;
  // Policy order, as seal() lists them; with a key, a member already reading SEALED_MARKER stays as it is.
  const fields: string[] = [];
  const values: string[] = [];
  let present = 0;
  let inHead = false;
  let inTail = false;
  for (const f of policy.personalFields) {
    let v: string | undefined;
    let part = -1;
    if (f === e.name) v = d.inline ? d.doc : undefined;
    else if (f === digestKey) v = d.digest;
    else
      for (const m of d.found)
        if (m.key === f) {
          v = (m.part === 0 ? e.head : e.tail).slice(m.start, m.end);
          part = m.part;
          break;
        }
    if (v === undefined) continue;
    present++;
    if (key !== null && v === SEALED_TEXT) continue;
    fields.push(f);
    values.push(v);
    if (part === 0) inHead = true;
    else if (part === 1) inTail = true;
  }
  if (present === 0) return entryBytes(clearText(e, d.doc, d.inline, d.digest));
  const by = key === null ? ERASED_TEXT : SEALED_TEXT;
  const head = inHead ? replaced(e.head, d.found.filter((f) => f.part === 0 && fields.includes(f.key)), by) : e.head;
  const tail = inTail ? replaced(e.tail, d.found.filter((f) => f.part === 1 && fields.includes(f.key)), by) : e.tail;
  const member = d.inline ? `${JSON.stringify(e.name)}:${fields.includes(e.name) ? by : d.doc},` : "";
  // The clear part after its opening brace: what clearText writes, personal members replaced.
  const rest = `${head.slice(1)}${head === "{" ? "" : ","}${member}${JSON.stringify(digestKey)}:${fields.includes(digestKey) ? by : d.digest}${tail}`;
  if (key === null) return entryBytes(`{${rest}`);
  const f = fieldsText(fields);
  let plain = "{";
  for (let i = 0; i < f.order.length; i++) plain += `${f.keys[i]}${values[f.order[i]]}`;
  plain += "}";
  const s = sealText(plain, fields, key);
  return entryBytes(`{"$sealed":{"alg":"A256GCM","ct":"${s.ct}","fields":${f.json},"iv":"${s.iv}","kid":${JSON.stringify(s.kid)},"v":1},${rest}`);
}

/** The sealed paths' canonical JSON, their code-unit order and each one's `"path":` text (with its comma) in that order. */
interface FieldsText {
  readonly json: string;
  readonly order: readonly number[];
  readonly keys: readonly string[];
}

// By the paths joined with NUL: a log seals entry after entry with the same one or two lists.
const fieldTexts = new Map<string, FieldsText>();

function fieldsText(fields: readonly string[]): FieldsText {
  const k = fields.join("\u0000");
  let t = fieldTexts.get(k);
  if (t === undefined) {
    const order = fields.map((_, i) => i).sort((a, b) => (fields[a] < fields[b] ? -1 : fields[a] > fields[b] ? 1 : 0));
    t = { json: canonicalJson(fields, "record"), order, keys: order.map((i, n) => `${n === 0 ? "" : ","}${JSON.stringify(fields[i])}:`) };
    if (fieldTexts.size >= 1_000) fieldTexts.clear();
    fieldTexts.set(k, t);
  }
  return t;
}
