// Audit entries: one decision record as RFC 8785 canonical JSON, so the bytes a leaf commits to
// are a function of the record alone and anyone can re-derive them in any language.
import { AuditError } from "./errors.ts";
import { canonicalJson } from "./canonical-json.ts";
import { sha256, toHex } from "./hash.ts";
import { MAX_ENTRY_SIZE } from "./tiles.ts";

/** A JSON value (what an entry may hold). */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue | undefined };

/** The phase a decision was taken in (LANGUAGE.md). */
export type AuditPhase = "input" | "model_call" | "tool_call" | "tool_result" | "output";

/** The decision recorded (LANGUAGE.md). */
export type AuditDecision = "allow" | "deny" | "require_approval";

/** One rule's part in the decision, as the engine reports it. */
export type AuditReason = {
  /** `package.rule`. */
  readonly rule: string;
  /** The rule's effect (deny, require_approval, allow, warn, redact, set). */
  readonly effect: string;
  /** The rule's message, when it has one. */
  readonly message?: string;
  /** The rule's severity, when it has one. */
  readonly severity?: string;
  /** Compliance controls the rule maps to. */
  readonly controls?: readonly string[];
};

/** An agent or principal recorded as an object: `id` plus any JSON fields. */
export type AuditParty = { readonly id: string; readonly [key: string]: JsonValue | undefined };

/** A tool recorded as an object: `name` plus any JSON fields (e.g. `args`). */
export type AuditTool = { readonly name: string; readonly [key: string]: JsonValue | undefined };

/**
 * One decision as the log records it. The named fields are required; anything else the
 * application adds is kept beside them (JSON values only), e.g. personal fields the erasure layer
 * has replaced by ciphertext envelopes.
 */
export type AuditRecord = {
  /** ISO-8601 instant of the decision, e.g. "2026-11-25T10:00:00.000Z". */
  readonly time: string;
  /** The agent: its id, or the input's agent object (`id`, `name`, `version`). */
  readonly agent: string | AuditParty;
  /** The environment, e.g. "production". */
  readonly env: string;
  /** The principal: its id, or an object with `id` (and fields erasure may seal), or null. */
  readonly principal: string | AuditParty | null;
  /** The session's id, or null when there is none. */
  readonly session: string | null;
  /** The phase decided. */
  readonly phase: AuditPhase;
  /** The tool for tool phases — its name, or an object with `name` (e.g. and `args`) — else null. */
  readonly tool: string | AuditTool | null;
  /** The outcome. */
  readonly decision: AuditDecision;
  /** The rules that decided or shaped the outcome, in rule order. */
  readonly reasons: readonly AuditReason[];
  /** `sha256:<hex>` of the policy set that decided. */
  readonly policy_digest: string;
  /** `sha256:<hex>` of the canonical input that was decided on. */
  readonly input_digest: string;
  /** Application fields. */
  readonly [extra: string]: JsonValue | undefined;
};

const PHASES: ReadonlySet<string> = new Set(["input", "model_call", "tool_call", "tool_result", "output"]);
const DECISIONS: ReadonlySet<string> = new Set(["allow", "deny", "require_approval"]);
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function bad(message: string, hint?: string): AuditError {
  return new AuditError("audit/invalid-record", message, hint);
}

function checkRecord(record: AuditRecord): void {
  if (record === null || typeof record !== "object" || Array.isArray(record)) throw bad("an audit record must be an object");
  const str = (k: string, nullable: boolean): void => {
    const v = record[k];
    if (!(typeof v === "string" || (nullable && v === null))) throw bad(`field "${k}" must be a string${nullable ? " or null" : ""}`);
  };
  // A string, or (when `key` is given) an object whose `key` is a string.
  const idOrObject = (k: string, key: string, nullable: boolean): void => {
    const v = record[k];
    if (typeof v === "string" || (nullable && v === null)) return;
    if (v !== null && typeof v === "object" && !Array.isArray(v) && typeof (v as Record<string, unknown>)[key] === "string") return;
    throw bad(`field "${k}" must be a string or an object with a string "${key}"${nullable ? ", or null" : ""}`);
  };
  str("time", false);
  if (!INSTANT.test(record.time)) throw bad(`field "time" is ${JSON.stringify(record.time)}, not an ISO-8601 instant`, "use new Date().toISOString()");
  idOrObject("agent", "id", false);
  str("env", false);
  idOrObject("principal", "id", true);
  str("session", true);
  idOrObject("tool", "name", true);
  if (!PHASES.has(record.phase)) throw bad(`field "phase" is ${JSON.stringify(record.phase)}, not one of ${[...PHASES].join(", ")}`);
  if (!DECISIONS.has(record.decision)) throw bad(`field "decision" is ${JSON.stringify(record.decision)}, not one of ${[...DECISIONS].join(", ")}`);
  if (!Array.isArray(record.reasons)) throw bad(`field "reasons" must be an array`);
  record.reasons.forEach((r, i) => {
    if (r === null || typeof r !== "object" || typeof r.rule !== "string" || typeof r.effect !== "string") throw bad(`reasons[${i}] must be an object with string "rule" and "effect"`);
  });
  for (const k of ["policy_digest", "input_digest"]) {
    const v = record[k];
    if (typeof v !== "string" || !DIGEST.test(v)) throw bad(`field "${k}" must read sha256:<64 lowercase hex digits>`, "compute it with digest()");
  }
}

const utf8 = new TextEncoder();

/**
 * The entry bytes of a record: its RFC 8785 canonical JSON in UTF-8. Throws AuditError
 * "audit/invalid-record" when a required field is missing or mistyped or a value is not plain
 * JSON, and "audit/entry-too-large" beyond 65535 bytes (the tlog-tiles entry limit).
 */
export function encodeEntry(record: AuditRecord): Uint8Array {
  checkRecord(record);
  // Buffer.from allocates small strings from Node's shared pool, far cheaper than TextEncoder's
  // ArrayBuffer per call; the bytes are returned as a plain Uint8Array view.
  const buf = Buffer.from(canonicalJson(record, "record"), "utf8");
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  if (bytes.length > MAX_ENTRY_SIZE) {
    throw new AuditError("audit/entry-too-large", `audit entry is ${bytes.length} bytes, over the ${MAX_ENTRY_SIZE}-byte limit`, "log digests of large payloads rather than the payloads");
  }
  return bytes;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The record held by entry bytes. Throws AuditError "audit/invalid-record" unless the bytes are
 * UTF-8 JSON of a valid record in canonical form, so a re-serialised entry is caught as altered.
 */
export function decodeEntry(bytes: Uint8Array): AuditRecord {
  let record: AuditRecord;
  try {
    record = JSON.parse(strictUtf8.decode(bytes)) as AuditRecord;
  } catch {
    throw bad("audit entry is not UTF-8 JSON");
  }
  checkRecord(record);
  if (canonicalJson(record, "record") !== strictUtf8.decode(bytes)) throw bad("audit entry is not in canonical (RFC 8785) form");
  return record;
}

/** `sha256:<hex>` of bytes as given, or of any other value's canonical JSON. Throws AuditError on non-JSON values. */
export function digest(value: JsonValue | Uint8Array): string {
  if (value instanceof Uint8Array) return `sha256:${toHex(sha256(value))}`;
  return `sha256:${toHex(sha256(utf8.encode(canonicalJson(value))))}`;
}
