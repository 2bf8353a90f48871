// An entry handed over as canonical text around one JSON document still to be canonicalised.
// A served decision's record is a dozen small fields and the decided input, and the input is
// nearly all of the encoding cost: RFC 8785 text (a sorting walk), its digest and then the leaf
// hash over the whole entry. Given this way, that work can run where the store does (the SQLite
// store's own thread) instead of on the thread that answers requests.
import { hash } from "node:crypto";
import { canonicalJson } from "./canonical-json.ts";
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
  let value: unknown;
  try {
    value = JSON.parse(e.json);
  } catch {
    throw new AuditError("audit/invalid-record", `the ${e.name} is not JSON text`);
  }
  const doc = canonicalJson(value, e.name);
  const key = JSON.stringify(e.name);
  const inline = doc.length <= e.maxInline ? `${key}:${doc},` : "";
  const text = `${e.head}${e.head === "{" ? "" : ","}${inline}${JSON.stringify(`${e.name}_digest`)}:"sha256:${hash("sha256", doc, "hex")}"${e.tail}`;
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length > MAX_ENTRY_SIZE) {
    throw new AuditError("audit/entry-too-large", `audit entry is ${bytes.length} bytes, over the ${MAX_ENTRY_SIZE}-byte limit`, "log digests of large payloads rather than the payloads");
  }
  return bytes;
}
