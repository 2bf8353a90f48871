// The one interface every audit store implements (SQLite embedded, PostgreSQL shared), and the
// tree bookkeeping both share so that they sequence appends identically.
//
// What a store keeps: entries (index, the exact bytes the leaf commits to, the leaf hash, the
// erasure subject, the time), one row per completed perfect subtree of height >= 1 (leaf hashes
// live on the entries), signed checkpoints, per-subject erasure keys and a few named settings.
// Stores do I/O and nothing else: hashing rules come from the pure core.
import type { DocumentEntry } from "./document-entry.ts";
import type { ErasurePolicy } from "./erasure.ts";
import { leafHash } from "./hash.ts";
import { CompactRange, rootNodes } from "./merkle.ts";
import type { NodeId } from "./merkle.ts";

/** An entry ready to be stored: its bytes are final (canonical JSON, personal fields sealed). */
export interface NewEntry {
  /** The exact bytes the leaf hash commits to. */
  readonly data: Uint8Array;
  /** RFC 9162 leaf hash of `data`; absent, the store computes it (on its own thread, if it has one). */
  readonly leafHash?: Uint8Array;
  /** The data subject, for erasure requests; null when the log keeps none. */
  readonly subject: string | null;
  /** When the entry was queued, in milliseconds since the Unix epoch. */
  readonly time: number;
}

/** An entry the store encodes itself (encodeDocumentEntry), on its own thread. */
export interface NewDocumentEntry {
  readonly doc: DocumentEntry;
  /** When the entry was queued, in milliseconds since the Unix epoch. */
  readonly time: number;
}

/**
 * How a store seals the documents it encodes: the log's erasure policy and pseudonym salt. It
 * takes each subject's live key from its own subject_keys (making one for a new subject), in the
 * same order of requests as the log's other calls, so an erasure is never sealed past.
 */
export interface DocumentSealing {
  readonly policy: ErasurePolicy;
  readonly salt: string | undefined;
}

/**
 * A new log's settings (identity.ts LogSettings), recorded with its first documents rather than
 * by a round trip before them: the store records each (initMeta) before encoding, and seals
 * these documents, and every later one sealed with the same salt, under what is then in force.
 */
export interface SettingsToRecord {
  readonly pending: readonly (readonly [name: string, value: string])[];
  /** Whether the sealing policy is the caller's own, kept whatever another process recorded. */
  readonly configured: boolean;
}

/** Where a batch of documents landed, and which of them could not be encoded. */
export interface DocumentAppendResult extends AppendResult {
  /** Positions in the batch (ascending) whose entry was refused, with why; the others are consecutive from `first`. */
  readonly refused: readonly { readonly at: number; readonly error: Error }[];
  /** With `settle`: each setting's value in force, in its order. */
  readonly settled?: readonly string[];
}

/** An entry as read back from a store. */
export interface StoredEntry extends NewEntry {
  /** Position in the log, from 0. */
  readonly index: number;
  /** The stored leaf hash (which verification checks against `data`). */
  readonly leafHash: Uint8Array;
}

/** The leaf hashes of a batch: the ones given, the others computed. */
export function leafHashesOf(entries: readonly NewEntry[]): Uint8Array[] {
  return entries.map((e) => e.leafHash ?? leafHash(e.data));
}

/** A signed tree head kept by the store. */
export interface StoredCheckpoint {
  readonly size: number;
  readonly root: Uint8Array;
  /** The C2SP signed note, exactly as signed. */
  readonly note: string;
  /** When it was signed, in milliseconds since the Unix epoch. */
  readonly time: number;
}

/** One data subject's encryption key; `key` is null once erased. */
export interface SubjectKey {
  /** Random identifier named in sealed entries (never the subject itself). */
  readonly keyId: string;
  readonly subject: string;
  readonly key: Uint8Array | null;
  readonly createdAt: number;
  readonly erasedAt: number | null;
}

/** What a store's erasure did. */
export interface EraseOutcome {
  /** Keys destroyed by this call. */
  readonly destroyed: number;
  /** What still holds bytes of destroyed keys, one lowercase line each; empty when nothing does. */
  readonly remains: readonly string[];
}

/** Where a batch landed: the index of its first entry and the tree size after it. */
export interface AppendResult {
  readonly first: number;
  readonly size: number;
}

/**
 * Persistence for one audit log. Every method may be called concurrently with appends from other
 * processes; `append` is the only writer of entries and nodes and sequences itself.
 */
export interface AuditStore {
  /** What the store is (a file path or a URL without its password), for messages. */
  readonly location: string;
  /**
   * True when appends land in the order `append` was called even before earlier calls resolve
   * (one writer applying requests in turn); the log then encodes a batch while the previous one
   * commits. False when concurrent appends may be sequenced in any order.
   */
  readonly ordered: boolean;
  /**
   * Appends a batch in one transaction: reads the tree size and right edge under the store's
   * write lock, stores the entries and every perfect subtree they complete, and commits. When
   * the promise resolves the batch is durable; when it rejects none of it is visible.
   */
  append(entries: readonly NewEntry[]): Promise<AppendResult>;
  /**
   * Present on a store with a thread of its own (the SQLite store): encodes the entries there,
   * then appends those that encoded as `append` would, in one transaction. Applied in call order
   * with `append`. With `settle`, records a new log's settings first (see SettingsToRecord).
   */
  appendDocuments?(entries: readonly NewDocumentEntry[], sealing?: DocumentSealing, settle?: SettingsToRecord): Promise<DocumentAppendResult>;
  /** Number of entries (one past the highest index). */
  size(): Promise<number>;
  /** Entries with from <= index < to, in index order (gaps, if tampered with, simply absent). */
  entries(from: number, to: number): Promise<StoredEntry[]>;
  /** The stored hashes of these perfect subtrees (level 0 = leaf hashes), keyed by `nodeKey`. Missing ones are absent. */
  nodes(ids: readonly NodeId[]): Promise<Map<string, Uint8Array>>;
  /** Stored hashes at one tree level for indices from <= i < to, by index (level 0 = leaf hashes); missing ones are absent. */
  levelHashes(level: number, from: number, to: number): Promise<Map<number, Uint8Array>>;
  /** Number of stored interior nodes (level >= 1). */
  nodeCount(): Promise<number>;
  /** Keeps a signed checkpoint. */
  addCheckpoint(checkpoint: StoredCheckpoint): Promise<void>;
  /** Every stored checkpoint, by size then time. */
  checkpoints(): Promise<StoredCheckpoint[]>;
  /** The stored checkpoint of the largest size (the last stored among equals), or undefined. */
  lastCheckpoint(): Promise<StoredCheckpoint | undefined>;
  /** A named setting (origin, verifier key), or undefined. */
  getMeta(name: string): Promise<string | undefined>;
  /** Sets a named setting unless one is already set; returns the value in force. */
  initMeta(name: string, value: string): Promise<string>;
  /** Sets a named setting, replacing any value (key rotation). */
  setMeta(name: string, value: string): Promise<void>;
  /**
   * The live key of each subject, creating the missing ones with `newKey()`. One live key per
   * subject at a time, also across processes.
   */
  subjectKeys(subjects: readonly string[], newKey: () => { keyId: string; key: Uint8Array }): Promise<Map<string, SubjectKey>>;
  /** Keys by key id, erased ones included (with a null key). */
  keysById(keyIds: readonly string[]): Promise<Map<string, SubjectKey>>;
  /**
   * Destroys every live key of the subject, then makes the store drop every copy of the key
   * bytes it can reach (old page or row versions, write-ahead log), also for an erasure an
   * earlier call could not finish. Says what still holds key bytes, if anything.
   */
  eraseSubject(subject: string, time: number): Promise<EraseOutcome>;
  /** Number of entries recorded for a subject. */
  subjectEntryCount(subject: string): Promise<number>;
  /** Releases the connection or file handle. */
  close(): Promise<void>;
}

/** Stable codes for store and log errors a user can meet. */
export type StoreErrorCode =
  | "audit/store-missing"
  | "audit/store-unreadable"
  | "audit/store-unavailable"
  | "audit/store-corrupt"
  | "audit/store-closed"
  | "audit/no-signing-key"
  | "audit/bad-key"
  | "audit/key-mismatch"
  | "audit/signing-refused"
  | "audit/no-trusted-key"
  | "audit/witness"
  | "audit/bad-location";

/** A store or log failure a user can meet: stable code, lowercase message, optional hint. */
export class StoreError extends Error {
  /** Stable machine-readable code. */
  readonly code: StoreErrorCode;
  /** One-line advice, when there is any. */
  readonly hint: string | undefined;

  constructor(code: StoreErrorCode, message: string, hint?: string) {
    super(message);
    this.name = "StoreError";
    this.code = code;
    this.hint = hint;
  }
}

/** The key `AuditStore.nodes` uses for a node. */
export function nodeKey(level: number, index: number): string {
  return `${level}/${index}`;
}

/** The stored subtrees whose hashes, left to right, resume a CompactRange at `size`. */
export function edgeIds(size: number): NodeId[] {
  return rootNodes(size);
}

/** A node a batch adds. */
export interface NewNode {
  readonly level: number;
  readonly index: number;
  readonly hash: Uint8Array;
}

/**
 * The interior nodes a batch completes, given the tree's size and stored right edge (as read
 * by `edgeIds`) before it. Throws StoreError when the edge is incomplete: the store was damaged.
 */
export function planAppend(size: number, edge: ReadonlyMap<string, Uint8Array>, leafHashes: readonly Uint8Array[]): NewNode[] {
  return appendNodes(edgeRange(size, edge), leafHashes);
}

/** The tree of `size` leaves resumed from its stored right edge (as read by `edgeIds`); throws as planAppend does. */
export function edgeRange(size: number, edge: ReadonlyMap<string, Uint8Array>): CompactRange {
  const hashes: Uint8Array[] = [];
  for (const id of edgeIds(size)) {
    const h = edge.get(nodeKey(id.level, id.index));
    if (!h) {
      throw new StoreError("audit/store-corrupt", `the stored tree lacks node ${id.level}/${id.index} at size ${size}`, "run 'palisade audit verify' to find the damage");
    }
    hashes.push(h);
  }
  return new CompactRange(size, hashes);
}

/** Appends the leaves to `range` and returns the interior nodes they complete. */
export function appendNodes(range: CompactRange, leafHashes: readonly Uint8Array[]): NewNode[] {
  const nodes: NewNode[] = [];
  const sink = (level: number, index: number, hash: Uint8Array) => {
    if (level > 0) nodes.push({ level, index, hash });
  };
  for (const h of leafHashes) range.append(h, sink);
  return nodes;
}

/**
 * Opens the store at `location`: a `postgres://` (or `postgresql://`) URL, else a SQLite file
 * path, served by a worker thread so that commits never stall the caller's event loop. With
 * `create: false` a missing log is a StoreError "audit/store-missing" instead of a new log.
 */
export async function openStore(location: string, options: { create?: boolean } = {}): Promise<AuditStore> {
  if (/^postgres(ql)?:\/\//i.test(location)) {
    const { PostgresStore } = await import("./postgres-store.ts");
    return PostgresStore.open(location, options);
  }
  const { ThreadedSqliteStore } = await import("./sqlite-thread.ts");
  return ThreadedSqliteStore.open(location, options);
}
