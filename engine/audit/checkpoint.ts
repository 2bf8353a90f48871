// C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): the note body a log signs to commit to a size
// and root. The parser is strict so that one checkpoint has exactly one spelling.
import { AuditError } from "./errors.ts";
import { fromBase64, HASH_SIZE, toBase64 } from "./hash.ts";
import { signNote, verifyNote } from "./note.ts";
import type { NoteError, NoteSignature, SignerKey, VerifierKey } from "./note.ts";

/** A log checkpoint: who the log is, how many entries it holds, and the root over them. */
export interface Checkpoint {
  /** The log's origin line, conventionally its key name (e.g. "example.com/log"). */
  readonly origin: string;
  /** Number of entries. */
  readonly size: number;
  /** RFC 9162 root of the first `size` entries (32 bytes). */
  readonly root: Uint8Array;
  /** Optional extension lines after the root, in order, without their newlines. */
  readonly extensions?: readonly string[];
}

/** Outcome of openCheckpoint: the verified checkpoint with its signatures, or why it was refused. */
export type CheckpointVerification =
  | { readonly ok: true; readonly checkpoint: Checkpoint; readonly text: string; readonly signatures: NoteSignature[] }
  | { readonly ok: false; readonly error: NoteError | AuditError };

const CONTROL = /[\u0000-\u001f]/;

function invalid(why: string): AuditError {
  return new AuditError("audit/invalid-checkpoint", `malformed checkpoint: ${why}`, "a checkpoint is origin, decimal size and base64 root on three lines, each ending with a newline");
}

/** The checkpoint body: origin, decimal size, base64 root, extension lines, each ending in "\n". */
export function formatCheckpoint(cp: Checkpoint): string {
  if (typeof cp.origin !== "string" || cp.origin === "" || CONTROL.test(cp.origin)) throw invalid("origin must be a non-empty line");
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) throw invalid("size must be a non-negative integer");
  if (!(cp.root instanceof Uint8Array) || cp.root.length !== HASH_SIZE) throw invalid("root must be 32 bytes");
  const ext = cp.extensions ?? [];
  for (const e of ext) if (typeof e !== "string" || e === "" || CONTROL.test(e)) throw invalid("extension lines must be non-empty single lines");
  return [cp.origin, String(cp.size), toBase64(cp.root), ...ext].map((l) => `${l}\n`).join("");
}

/**
 * Parses a checkpoint body (the text of a verified note). Strict: every line ends in "\n", the
 * origin is non-empty, the size is decimal without leading zeros and at most 2^53-1, the root is
 * canonical base64 of 32 bytes, extension lines are non-empty. Throws AuditError
 * "audit/invalid-checkpoint".
 */
export function parseCheckpoint(text: string): Checkpoint {
  if (typeof text !== "string" || !text.endsWith("\n")) throw invalid("text must end with a newline");
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3) throw invalid("expected origin, size and root lines");
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (origin === "" || CONTROL.test(origin)) throw invalid("origin must be a non-empty line");
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) throw invalid(`size ${JSON.stringify(sizeText)} is not a decimal number without leading zeros`);
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw invalid(`size ${sizeText} is too large`);
  let root: Uint8Array;
  try {
    root = fromBase64(rootText);
  } catch {
    throw invalid("root is not canonical base64");
  }
  if (root.length !== HASH_SIZE) throw invalid(`root is ${root.length} bytes, not ${HASH_SIZE}`);
  for (const e of extensions) if (e === "" || CONTROL.test(e)) throw invalid("extension lines must be non-empty");
  return extensions.length > 0 ? { origin, size, root, extensions } : { origin, size, root };
}

/** Formats and signs a checkpoint as a C2SP signed note (the log's key first, by convention). */
export function signCheckpoint(cp: Checkpoint, signers: SignerKey | readonly SignerKey[]): string {
  return signNote(formatCheckpoint(cp), signers);
}

/**
 * Verifies a signed checkpoint note against `verifierKeys` (verifyNote's rules) and parses its
 * body. With `origin`, also insists the checkpoint names that origin. Never throws.
 */
export function openCheckpoint(note: string | Uint8Array, verifierKeys: readonly (VerifierKey | string)[], origin?: string): CheckpointVerification {
  const r = verifyNote(note, verifierKeys);
  if (!r.ok) return r;
  try {
    const checkpoint = parseCheckpoint(r.text);
    if (origin !== undefined && checkpoint.origin !== origin) {
      return { ok: false, error: new AuditError("audit/invalid-checkpoint", `checkpoint origin ${JSON.stringify(checkpoint.origin)} is not ${JSON.stringify(origin)}`) };
    }
    return { ok: true, checkpoint, text: r.text, signatures: r.signatures };
  } catch (e) {
    return { ok: false, error: e instanceof AuditError ? e : invalid("unreadable") };
  }
}
