// The audit log as an application uses it: append records without waiting, and prove, check,
// sign and erase what was written.
//
// Group commit: append() only queues the record and returns a promise. One writer per log drains
// the queue a batch at a time (everything queued while the previous batch was committing), seals
// and encodes the batch, and hands it to the store, which writes it in one transaction together
// with the tree nodes it completes. Each promise resolves with its entry's index once that
// transaction has committed, i.e. once the entry is durable. The caller never waits on I/O; with
// SQLite (synchronous in-process) a batch's commit does run on the event loop between callbacks,
// once per batch rather than once per entry.
//
// Signing key: checkpoints are signed with an Ed25519 key in Go's `PRIVATE+KEY+...` format that
// the log is given (`signingKey`); it is never written to the store, since anyone able to edit the
// store could then re-sign a rewritten log. The CLI keeps it in a file beside the SQLite database
// (`<db>.key`, mode 0600) or at `--key` (see key-files.ts). The first key a log is opened with
// becomes its identity: the store records its verifier key and its name as the log's origin, and
// from then on a log opened with any other key is refused ("audit/key-mismatch") until the key is
// rotated (rotateKey).
//
// Signing only what extends what was signed: before signing, the log proves its current tree
// consistent with every signed head it can see (the latest stored checkpoint, the last one this
// process signed, and the signer's memory outside the database, `signerMemory`), and refuses
// with "audit/signing-refused" otherwise: a store rolled back or forked cannot be signed again.
//
// Trust: verify() checks signed checkpoints only against verifier keys it is given (or the
// signing key's own), never the key the store names; see trust.ts.
import { encodeDocumentEntry, prepareSealing, sealDocument } from "./document-entry.ts";
import type { DocumentEntry, SealableDocument } from "./document-entry.ts";
import { encodeEntry } from "./entry.ts";
import type { AuditRecord } from "./entry.ts";
import { AuditError } from "./errors.ts";
import { ANONYMOUS_SUBJECT, newSubjectKey, parseErasurePolicy, pseudonymOf, seal, sealedPart, subjectOf, unseal } from "./erasure.ts";
import type { ErasurePolicy, KeyMaterial, OpenStatus } from "./erasure.ts";
import { bytesEqual, emptyRoot } from "./hash.ts";
import { signCheckpoint } from "./checkpoint.ts";
import type { SignerMemory } from "./key-files.ts";
import { consistencyProofNodes, hashPlan, inclusionProofNodes, planNodeIds, rootFromReader, rootNodes } from "./merkle.ts";
import type { NodeId, NodeReader } from "./merkle.ts";
import { parseSignerKey, parseVerifierKey } from "./note.ts";
import type { SignerKey, VerifierKey } from "./note.ts";
import { claimIdentity, META, retiredKeys, settingsOf } from "./identity.ts";
import type { LogSettings } from "./identity.ts";
import { exportTiles, serveTile } from "./log-tiles.ts";
import { StoreError, nodeKey, openStore } from "./store.ts";
import type { AuditStore, NewDocumentEntry, NewEntry, StoredCheckpoint } from "./store.ts";
import { verifyStore } from "./store-verify.ts";
import type { CheckpointCheck, HeldCheckpoint, VerifyProblem, VerifyReport } from "./store-verify.ts";
import type { TileFile } from "./tiles.ts";
import { cosigners, openTrusted, parseTrustedKeys } from "./trust.ts";
import { Witnesses } from "./witness.ts";
import type { WitnessConfig, WitnessReport } from "./witness.ts";
import { verifyConsistency } from "./verify.ts";

/** How an AuditLog behaves. */
export interface AuditLogOptions {
  /**
   * Personal fields to seal under per-subject keys, or false to seal nothing. Default: the policy
   * the log was created with; a log created now seals DEFAULT_ERASURE (private by default).
   */
  readonly erasure?: ErasurePolicy | false;
  /** Ed25519 signer key (`PRIVATE+KEY+<name>+<id>+<key>`) for checkpoints; its name is the log's origin. */
  readonly signingKey?: string;
  /** The log's origin; must equal the signing key's name when both are given. */
  readonly origin?: string;
  /** Verifier keys (`<name>+<id>+<key>`) verify() trusts by default; default: the signing key's. Never the one the store names. */
  readonly verifierKeys?: readonly string[];
  /** Where the signer remembers its latest checkpoint outside the store (key-files.ts: fileSignerMemory). */
  readonly signerMemory?: SignerMemory;
  /** Witnesses asked to cosign every checkpoint (C2SP tlog-witness). */
  readonly witnesses?: readonly WitnessConfig[];
  /**
   * Most entries per transaction (default 2,000). Larger batches amortise the commit further, but
   * with SQLite a batch is written on the event loop, so this also bounds that pause (a few ms).
   */
  readonly maxBatch?: number;
  /**
   * With a store that encodes on its own thread (SQLite): when it falls behind (SHARE_AT batches
   * waiting on it), encode and seal every other batch on the caller's thread, so that both cores
   * work on the log. Off by default: the caller's event loop then takes that work (a few
   * ms per batch, in slices), which a service answering requests may not want.
   */
  readonly shareEncoding?: boolean;
  /** Milliseconds since the epoch; for tests. */
  readonly now?: () => number;
}

/** What verify() trusts and demands. */
export interface LogVerifyOptions {
  /** Verifier keys checkpoints must be signed with; default: the log's configured ones. */
  readonly verifierKeys?: readonly string[];
  /** Checkpoints the verifier already holds: the log must contain each (same root at its size). */
  readonly checkpoints?: readonly { readonly label: string; readonly note: string }[];
  /** Accept a log that no trusted checkpoint vouches for (entries and nodes are still checked). */
  readonly allowUnsigned?: boolean;
  /** Witness verifier keys whose cosignatures count. */
  readonly witnesses?: readonly string[];
  /** Cosignatures the latest checkpoint needs from `witnesses` (default: all of them when any are given). */
  readonly quorum?: number;
  /** Leaf hashes published earlier (e.g. a mirror's tiles), to name the exact entry only a signed root shows is damaged. */
  readonly referenceLeaf?: (index: number) => Uint8Array | undefined;
  /** The signer's leaf memory (`<base>.leaves`): used up to the largest signed size whose root it reproduces. */
  readonly signerLeaves?: { readonly label: string; readonly hashes: Uint8Array };
}

/** An inclusion proof with everything needed to check it. */
export interface InclusionProof {
  readonly index: number;
  readonly size: number;
  readonly leafHash: Uint8Array;
  readonly proof: Uint8Array[];
  readonly root: Uint8Array;
}

/** A consistency proof between two tree sizes with both roots. */
export interface ConsistencyProof {
  readonly from: number;
  readonly to: number;
  readonly proof: Uint8Array[];
  readonly fromRoot: Uint8Array;
  readonly toRoot: Uint8Array;
}

/** A signed tree head, as stored. */
export interface SignedCheckpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
  /** The C2SP signed note, with any witness cosignatures. */
  readonly note: string;
  /** What each configured witness answered, when this call signed it. */
  readonly witnesses?: readonly WitnessReport[];
}

/** One entry read back, personal fields opened where the key still exists. */
export interface LogEntry {
  readonly index: number;
  readonly time: number;
  /** The record; sealed fields read as ERASED_MARKER once erased. */
  readonly record: Record<string, unknown>;
  readonly status: OpenStatus;
  /** The stored bytes (what the leaf commits to). */
  readonly data: Uint8Array;
  readonly leafHash: Uint8Array;
}

/** What an erasure did. */
export interface EraseResult {
  readonly subject: string;
  /** Keys destroyed now (0 when the subject had none left). */
  readonly keysDestroyed: number;
  /** Entries recorded for the subject (their sealed fields now read as erased). */
  readonly entries: number;
  /** True only when no copy of a destroyed key is left where the store can see (file, WAL, old row versions). */
  readonly complete: boolean;
  /** What still holds key bytes when not complete, one line each. */
  readonly remains: readonly string[];
}

/** Who the log is: its origin and verifier key as recorded at creation (or the last rotation). */
export interface LogIdentity {
  readonly origin: string | undefined;
  readonly vkey: string | undefined;
  /** Verifier keys retired by rotations, oldest first, with the size each last signed. */
  readonly retired: readonly { readonly vkey: string; readonly size: number }[];
}

// Records encoded between two turns of the event loop (a few ms of work).
const YIELD_EVERY = 256;
// Batches an ordered store may hold at once: one committing, the next ones queued behind it
// (the SQLite store's thread commits the queued ones together, sqlite-thread.ts).
const PIPELINE_DEPTH = 8;
// Batches waiting on a store that encodes on its own thread from which, with shareEncoding, the
// next batch is encoded here instead: the store is the bottleneck, this thread has room.
const SHARE_AT = 2;
// How long subject keys are kept in memory between store reads, and how many at most.
const KEY_CACHE_MS = 30_000;
const KEY_CACHE_SIZE = 100_000;

interface Pending {
  /** The record to seal and encode, or undefined when `doc` is the entry. */
  readonly record: AuditRecord | undefined;
  readonly doc: DocumentEntry | undefined;
  readonly time: number;
  readonly resolve: (index: number) => void;
  readonly reject: (err: unknown) => void;
}

/** Consecutive appends of one kind, as one call to the store. */
type Run = { readonly ok: Pending[]; readonly entries: NewEntry[]; readonly docs?: undefined } | { readonly ok: Pending[]; readonly docs: NewDocumentEntry[]; readonly entries?: undefined };

/** A head the log has signed, and where it was found. */
interface SignedHead {
  readonly size: number;
  readonly root: Uint8Array;
  readonly source: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function refused(message: string): StoreError {
  return new StoreError("audit/signing-refused", message, "restore the store that holds the signed entries; 'palisade audit verify' shows where this one departs from them");
}

/** A tamper-evident audit log over an AuditStore. */
export class AuditLog {
  /** The store the log writes to. */
  readonly store: AuditStore;
  readonly #options: AuditLogOptions;
  #signer: SignerKey | undefined;
  #erasure: ErasurePolicy | null;
  #salt: string | undefined;
  /** Settings a new log records with its first entry; undefined once recorded. */
  #pending: LogSettings | undefined;
  /** Set while a new log's settings travel with its first documents (#commit). */
  #settling: Promise<void> | undefined;
  readonly #witnesses: Witnesses | undefined;
  readonly #now: () => number;
  readonly #maxBatch: number;
  #queue: Pending[] = [];
  #draining: Promise<void> | null = null;
  /** Wakes the writer before its turn of the event loop comes, once a whole batch is queued. */
  #wake: (() => void) | null = null;
  // Resolves the writer's wait for an append (#arrival), with false.
  #arrived: ((done: boolean) => void) | null = null;
  #closed = false;
  // Set by hurry(): the next batch goes to the store without waiting for the turn of the event loop.
  #hurry = false;
  /** The last head this process signed. */
  #lastSigned: SignedHead | undefined;
  /** Signing runs one at a time. */
  #signing: Promise<unknown> = Promise.resolve();
  /** Subject keys (by pseudonym) recently read or made, and since when the cache holds them. */
  readonly #keys = new Map<string, KeyMaterial>();
  #keysSince = 0;
  readonly #pseudonyms = new Map<string, string>();
  /** Keys by key id recently read for opening (null: erased), and since when. */
  readonly #openKeys = new Map<string, Uint8Array | null>();
  #openKeysSince = 0;

  private constructor(store: AuditStore, options: AuditLogOptions, signer: SignerKey | undefined, settings: LogSettings) {
    this.store = store;
    this.#options = options;
    this.#signer = signer;
    this.#erasure = settings.erasure;
    this.#salt = settings.salt;
    this.#pending = settings.pending.length > 0 ? settings : undefined;
    this.#witnesses = options.witnesses && options.witnesses.length > 0 ? new Witnesses(options.witnesses) : undefined;
    this.#now = options.now ?? Date.now;
    this.#maxBatch = options.maxBatch ?? 2_000;
  }

  /**
   * Opens a log on a store, or on a location (SQLite path or postgres:// URL) it opens and then
   * owns. A new log records its identity (the signing key's verifier key and name) and its
   * erasure policy. Throws StoreError "audit/key-mismatch" when the signing key is not the log's.
   */
  static async open(store: AuditStore | string, options: AuditLogOptions = {}): Promise<AuditLog> {
    let signer: SignerKey | undefined;
    if (options.signingKey !== undefined) {
      try {
        signer = parseSignerKey(options.signingKey.trim());
      } catch (err) {
        throw new StoreError("audit/bad-key", `the checkpoint signing key is not a valid signer key: ${err instanceof Error ? err.message : String(err)}`, "pass a key in the PRIVATE+KEY+<name>+<id>+<key> format");
      }
    }
    if (options.witnesses !== undefined) for (const w of options.witnesses) parseTrustedKeys([w.vkey], "witness key");
    const s = typeof store === "string" ? await openStore(store) : store;
    try {
      await claimIdentity(s, signer, options.origin);
      const settings = await settingsOf(s, options.erasure, (await s.size()) === 0);
      return new AuditLog(s, options, signer, settings);
    } catch (err) {
      if (typeof store === "string") await s.close();
      throw err;
    }
  }

  /**
   * Records a new log's settings (before its first entry or erasure), adopting what another
   * process may have recorded first: one salt per log, and its policy unless ours was configured.
   */
  async #settle(): Promise<void> {
    while (this.#settling !== undefined) await this.#settling;
    const pending = this.#pending;
    if (pending === undefined) return;
    const values: string[] = [];
    for (const [name, value] of pending.pending) values.push(await this.store.initMeta(name, value));
    this.#adopt(pending, values);
  }

  /** Takes on the settings in force (`values`, one per pending setting) once a new log's are recorded. */
  #adopt(pending: LogSettings, values: readonly string[]): void {
    pending.pending.forEach(([name], i) => {
      if (name === META.salt) this.#salt = values[i];
      else if (name === META.erasure && !pending.configured) this.#erasure = values[i] === "none" ? null : parseErasurePolicy(values[i]);
    });
    this.#pseudonyms.clear();
    this.#pending = undefined;
  }

  /**
   * The pseudonym `subject` is stored under in this log (keyed with its salt, the one in force:
   * a new log's is settled first); what copies beside the log name a subject by.
   */
  async pseudonym(subject: string): Promise<string> {
    await this.#settle();
    return this.#pseudonym(subject);
  }

  /** The pseudonym a subject is stored under: keyed with the log's salt, so the store holds no plain identifier. */
  #pseudonym(subject: string): string {
    if (this.#salt === undefined) return subject;
    let p = this.#pseudonyms.get(subject);
    if (p === undefined) {
      if (this.#pseudonyms.size >= KEY_CACHE_SIZE) this.#pseudonyms.clear();
      p = pseudonymOf(this.#salt, subject);
      this.#pseudonyms.set(subject, p);
    }
    return p;
  }

  /**
   * The live key of each subject (pseudonym): from this process's cache, the rest from the store
   * in one call. The cache is dropped every KEY_CACHE_MS, so a subject erased by another process
   * stops being sealed under its destroyed key within that time (records sealed meanwhile read
   * as erased: the erasure takes them too).
   */
  async #subjectKeys(subjects: readonly (string | null)[]): Promise<Map<string, KeyMaterial>> {
    const now = Date.now();
    if (now - this.#keysSince > KEY_CACHE_MS || this.#keys.size >= KEY_CACHE_SIZE) {
      this.#keys.clear();
      this.#keysSince = now;
    }
    const missing = [...new Set(subjects.filter((s): s is string => s !== null && !this.#keys.has(s)))];
    if (missing.length > 0) {
      for (const [subject, k] of await this.store.subjectKeys(missing, newSubjectKey)) if (k.key) this.#keys.set(subject, { keyId: k.keyId, key: k.key });
    }
    return this.#keys;
  }

  /**
   * The live key `subject`'s records are sealed under (made when missing), or null when the log
   * seals nothing. Stores kept beside the log (the service's sessions and approval requests) seal
   * their copies under it, so that one erasure of the subject takes those copies too.
   */
  async subjectKey(subject: string): Promise<KeyMaterial | null> {
    if (this.#erasure === null) return null;
    await this.#settle();
    const id = this.#pseudonym(subject);
    return (await this.#subjectKeys([id])).get(id) ?? null;
  }

  /** Subject keys by key id, to open copies sealed with subjectKey(): null for an erased (or unknown) key. Cached as subject keys are. */
  async keysById(keyIds: readonly string[]): Promise<ReadonlyMap<string, Uint8Array | null>> {
    const now = Date.now();
    if (now - this.#openKeysSince > KEY_CACHE_MS || this.#openKeys.size >= KEY_CACHE_SIZE) {
      this.#openKeys.clear();
      this.#openKeysSince = now;
    }
    const missing = [...new Set(keyIds.filter((k) => !this.#openKeys.has(k)))];
    if (missing.length > 0) {
      const found = await this.store.keysById(missing);
      for (const k of missing) this.#openKeys.set(k, found.get(k)?.key ?? null);
    }
    return this.#openKeys;
  }

  /**
   * Queues a record and returns at once; the promise resolves with the entry's index when it is
   * durable, and rejects if the record cannot be encoded or the store fails. The record must not
   * be mutated until the promise settles.
   */
  append(record: AuditRecord): Promise<number> {
    if (this.#closed) return Promise.reject(new StoreError("audit/store-closed", "the audit log is closed"));
    return new Promise<number>((resolve, reject) => {
      this.#queue.push({ record, doc: undefined, time: this.#now(), resolve, reject });
      this.#queued();
    });
  }

  /**
   * The erasure policy new records are sealed under (the library's default for a new log unless
   * configured otherwise), or undefined when nothing is sealed; read by the guard to know what it
   * may record.
   */
  get erasure(): ErasurePolicy | undefined {
    return this.#erasure ?? undefined;
  }

  /** Whether records are sealed (an erasure policy is configured). */
  get seals(): boolean {
    return this.#erasure !== null;
  }

  /**
   * Like append, for a caller that holds the record as canonical text around one JSON document
   * (see DocumentEntry) and vouches for that text. The document is canonicalised, digested and
   * the entry hashed where the store runs: on the SQLite store's own thread, else here; a log that
   * seals personal fields seals the document's there too, under the same policy and keys as
   * append() (document-entry.ts: sealDocument). Same durability: the promise resolves once the
   * entry is committed, and rejects if the document cannot be encoded.
   */
  appendDocument(doc: DocumentEntry): Promise<number> {
    if (this.#closed) return Promise.reject(new StoreError("audit/store-closed", "the audit log is closed"));
    return new Promise<number>((resolve, reject) => {
      this.#queue.push({ record: undefined, doc, time: this.#now(), resolve, reject });
      this.#queued();
    });
  }

  /** Entries queued and not yet committed. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Resolves once every record queued before the call has been committed (or has failed). */
  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  #queued(): void {
    this.#draining ??= this.#drain();
    if (this.#arrived !== null) {
      const arrived = this.#arrived;
      this.#arrived = null;
      arrived(false);
    }
    if (this.#wake !== null && this.#queue.length >= this.#maxBatch) {
      const wake = this.#wake;
      this.#wake = null;
      wake();
    }
  }

  /**
   * Resolves on the next turn of the event loop, so that every append of the current tick joins
   * the batch; or as soon as a whole batch is queued, so that a caller that never yields to the
   * event loop (calls that resolve as microtasks) still has its records written meanwhile.
   */
  async #turn(): Promise<void> {
    if (!this.#hurry)
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setImmediate(resolve);
      });
    this.#wake = null;
    this.#hurry = false;
  }

  /**
   * Hands what is queued to the store now rather than on the next turn of the event loop: for a
   * caller that gathered a batch itself and has more to do in this turn.
   */
  hurry(): void {
    this.#hurry = true;
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** Resolves with false at the next append. */
  #arrival(): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      this.#arrived = resolve;
    });
  }

  async #drain(): Promise<void> {
    await this.#turn();
    let waited = true;
    // Commits handed to an ordered store and not yet settled, oldest first.
    const inflight: Promise<void>[] = [];
    let sharedLast = false;
    for (;;) {
      // Appends resolved by the last commit may have queued more: look again after awaiting it,
      // and only give up the writer role (synchronously, below) once the queue is truly empty.
      if (this.#queue.length === 0) {
        const oldest = inflight[0];
        if (!oldest) break;
        // The oldest commit's end or new appends, whichever comes first: appends made while a
        // commit is with an ordered store go to it at once, so its thread takes them into the
        // next transaction as soon as that commit ends instead of idling until this side sends.
        // (Fewer than PIPELINE_DEPTH commits are in flight here: the loop below keeps them so.)
        if (await Promise.race([oldest.then(() => true), this.#arrival()])) inflight.shift();
        continue;
      }
      // Less than a batch: give the rest of this turn's appends a chance to join it.
      if (!waited && this.#queue.length < this.#maxBatch) await this.#turn();
      waited = false;
      const batch = this.#queue.splice(0, this.#maxBatch);
      // Every other batch at most, so that each thread takes about half of the encoding.
      const storeEncodes: boolean = this.store.appendDocuments !== undefined && !(this.#options.shareEncoding === true && inflight.length >= SHARE_AT && !sharedLast);
      sharedLast = !storeEncodes;
      let runs: Run[];
      try {
        runs = await this.#prepare(batch, storeEncodes);
      } catch (err) {
        for (const p of batch) p.reject(err);
        continue;
      }
      for (const run of runs) {
        const commit = this.#commit(run);
        // A store that applies appends in call order lets the next batches be encoded while
        // earlier ones commit (a few at most, which bounds the memory held); any other store
        // (PostgreSQL: batches race for the lock) commits one at a time.
        if (this.store.ordered) {
          inflight.push(commit);
          if (inflight.length >= PIPELINE_DEPTH) await inflight.shift();
        } else await commit;
      }
    }
    this.#draining = null;
  }

  /** Hands a run to the store and settles its appends. */
  #commit(run: Run): Promise<void> {
    const { ok } = run;
    if (run.docs !== undefined && this.store.appendDocuments !== undefined) {
      const sealing = this.#erasure === null ? undefined : { policy: this.#erasure, salt: this.#salt };
      // A new log's settings go with its first documents; until the reply, later documents are
      // sealed with the same guess, which the store replaces with what is in force.
      const settle = this.#settling === undefined ? this.#pending : undefined;
      const appended = this.store.appendDocuments(run.docs, sealing, settle);
      if (settle !== undefined) {
        const settling = appended.then(
          (r) => {
            if (r.settled !== undefined) this.#adopt(settle, r.settled);
          },
          () => undefined,
        );
        this.#settling = settling.finally(() => (this.#settling = undefined));
      }
      return appended.then(
        ({ first, refused }) => {
          let index = first;
          let next = 0;
          for (let i = 0; i < ok.length; i++) {
            if (next < refused.length && refused[next].at === i) ok[i].reject(refused[next++].error);
            else ok[i].resolve(index++);
          }
        },
        (err: unknown) => ok.forEach((p) => p.reject(err)),
      );
    }
    return this.store.append(run.entries ?? []).then(
      ({ first }) => ok.forEach((p, i) => p.resolve(first + i)),
      (err: unknown) => ok.forEach((p) => p.reject(err)),
    );
  }

  /**
   * Seals and encodes a batch into runs for the store, in queue order; records that cannot be
   * encoded are rejected alone. Documents stay unencoded when the store encodes them itself
   * (`storeEncodes`).
   */
  async #prepare(batch: Pending[], storeEncodes: boolean): Promise<Run[]> {
    // Documents the store encodes carry a new log's settings along (#commit): waiting here for
    // them to be recorded first would hold the store's thread idle for a round trip, for as long
    // as a caller that never yields to the event loop keeps appending.
    if (!storeEncodes || batch.some((p) => p.doc === undefined)) await this.#settle();
    const policy = this.#erasure;
    // The store only ever sees the subject's pseudonym.
    // Documents sealed here (a store without a thread of its own): canonicalised first, for their subject.
    const sealable: (SealableDocument | Error | undefined)[] = [];
    const subjects = batch.map((p, i) => {
      if (!policy) return null;
      let subject: string | null = null;
      if (p.doc !== undefined) {
        if (storeEncodes) return null;
        try {
          const d = prepareSealing(p.doc, policy);
          sealable[i] = d;
          subject = d.subject;
        } catch (err) {
          sealable[i] = err instanceof Error ? err : new Error(String(err));
          return null;
        }
      } else if (p.record !== undefined && isRecord(p.record)) subject = subjectOf(p.record, policy) ?? (policy.anonymous === "seal" ? ANONYMOUS_SUBJECT : null);
      return subject === null ? null : this.#pseudonym(subject);
    });
    const keys = policy ? await this.#subjectKeys(subjects) : new Map<string, KeyMaterial>();
    const runs: Run[] = [];
    let run: Run | undefined;
    let here = 0;
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i];
      try {
        if (p.doc !== undefined && storeEncodes) {
          if (run?.docs === undefined) runs.push((run = { ok: [], docs: [] }));
          run.docs.push({ doc: p.doc, time: p.time });
          run.ok.push(p);
          continue;
        }
        // Encoding is CPU work on the caller's thread: give decisions a turn every slice of records.
        if (++here % YIELD_EVERY === 0) await new Promise<void>((r) => setImmediate(r));
        let data: Uint8Array;
        let subject: string | null = null;
        if (p.doc !== undefined && policy) {
          const d = sealable[i];
          if (d instanceof Error || d === undefined) throw d ?? new AuditError("audit/invalid-record", "the document could not be prepared");
          subject = subjects[i];
          data = sealDocument(d, policy, (subject !== null && keys.get(subject)) || null);
        } else if (p.doc !== undefined) data = encodeDocumentEntry(p.doc);
        else {
          if (p.record === undefined || !isRecord(p.record)) throw new AuditError("audit/invalid-record", "an audit record must be an object");
          subject = subjects[i];
          let envelope: AuditRecord = p.record;
          if (policy) {
            envelope = seal(p.record, policy, (subject !== null && keys.get(subject)) || null) as AuditRecord;
          }
          data = encodeEntry(envelope);
        }
        if (run?.entries === undefined) runs.push((run = { ok: [], entries: [] }));
        // The store hashes the leaf: on its own thread when it has one.
        run.entries.push({ data, subject, time: p.time });
        run.ok.push(p);
      } catch (err) {
        p.reject(err);
      }
    }
    return runs;
  }

  async #reader(ids: readonly NodeId[]): Promise<NodeReader> {
    const got = await this.store.nodes(ids);
    return (level, index) => {
      const h = got.get(nodeKey(level, index));
      if (!h) throw new StoreError("audit/store-corrupt", `the stored tree lacks node ${level}/${index}`, "run 'palisade audit verify' to find the damage");
      return h;
    };
  }

  async #checkSize(size: number | undefined): Promise<number> {
    const current = await this.store.size();
    if (size === undefined) return current;
    if (!Number.isSafeInteger(size) || size < 0 || size > current) {
      throw new AuditError("audit/invalid-size", `tree size ${String(size)} is not within the log (${current} entries)`, `pass a size from 0 to ${current}`);
    }
    return size;
  }

  /** Number of committed entries. */
  async size(): Promise<number> {
    return this.store.size();
  }

  /** Root of the first `size` entries (default: all committed). */
  async root(size?: number): Promise<Uint8Array> {
    const n = await this.#checkSize(size);
    return rootFromReader(n, await this.#reader(rootNodes(n)));
  }

  /** Inclusion proof of entry `index` in the tree of the first `size` entries (default: all). */
  async inclusionProof(index: number, size?: number): Promise<InclusionProof> {
    const n = await this.#checkSize(size);
    const plan = inclusionProofNodes(index, n);
    const read = await this.#reader([...planNodeIds(plan), ...rootNodes(n), { level: 0, index }]);
    return { index, size: n, leafHash: read(0, index), proof: hashPlan(plan, read), root: rootFromReader(n, read) };
  }

  /** Consistency proof from the first `from` entries to the first `to` (default: all). */
  async consistencyProof(from: number, to?: number): Promise<ConsistencyProof> {
    const n = await this.#checkSize(to);
    const plan = consistencyProofNodes(from, n);
    const read = await this.#reader([...planNodeIds(plan), ...rootNodes(from), ...rootNodes(n)]);
    return { from, to: n, proof: hashPlan(plan, read), fromRoot: rootFromReader(from, read), toRoot: rootFromReader(n, read) };
  }

  /** Reads one entry, opening its sealed fields where the subject's key still exists. */
  async read(index: number): Promise<LogEntry> {
    const [e] = await this.store.entries(index, index + 1);
    if (!e) throw new AuditError("audit/index-out-of-range", `there is no entry ${index}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(e.data));
    } catch {
      parsed = undefined;
    }
    if (!isRecord(parsed)) return { index, time: e.time, record: {}, status: "damaged", data: e.data, leafHash: e.leafHash };
    const sealed = sealedPart(parsed);
    const keys = sealed ? await this.store.keysById([sealed.kid]) : new Map();
    const { record, status } = unseal(parsed as Record<string, unknown>, (kid) => keys.get(kid)?.key);
    return { index, time: e.time, record, status, data: e.data, leafHash: e.leafHash };
  }

  /** The origin line of this log's checkpoints (recorded when the log took its key). */
  async origin(): Promise<string | undefined> {
    return this.#signer?.name ?? (await this.store.getMeta(META.origin));
  }

  /**
   * The log's identity as its store records it. For display and for serving (`<db>.vkey`); a
   * verifier must not trust it, since whoever can write the store can write it.
   */
  async identity(): Promise<LogIdentity> {
    return { origin: await this.store.getMeta(META.origin), vkey: await this.store.getMeta(META.vkey), retired: await retiredKeys(this.store) };
  }

  /** The verifier key of the signing key the log was opened with, or undefined without one. */
  get signerVerifierKey(): string | undefined {
    return this.#signer?.vkey;
  }

  /**
   * Commits everything queued, proves the tree consistent with every signed head the log can
   * see, signs it as a C2SP tlog-checkpoint, asks the configured witnesses to cosign, remembers
   * and stores it, and returns it. When the latest stored checkpoint already covers the whole
   * tree it is returned as is. StoreError "audit/no-signing-key" without a key,
   * "audit/signing-refused" when the tree does not extend what was signed (rollback or fork).
   */
  async checkpoint(): Promise<SignedCheckpoint> {
    const signer = this.#signer;
    if (!signer) throw new StoreError("audit/no-signing-key", "the audit log has no checkpoint signing key", "pass --key with a PRIVATE+KEY+... file");
    await this.flush();
    const run = this.#signing.then(() => this.#sign(signer));
    this.#signing = run.catch(() => {});
    return run;
  }

  async #sign(signer: SignerKey): Promise<SignedCheckpoint> {
    const size = await this.store.size();
    const root = await this.root(size);
    const own = [parseVerifierKey(signer.vkey)];
    const heads = await this.#signedHeads(own);
    for (const h of heads) await this.#mustExtend(h, size, root);
    const origin = signer.name;
    const last = await this.store.lastCheckpoint();
    const lastTrusted = last && openTrusted(last.note, own);
    if (last && lastTrusted?.ok && last.size === size && bytesEqual(last.root, root)) return { origin, size, root, note: last.note };
    let note = signCheckpoint({ origin, size, root }, signer);
    // Remembered before it is published anywhere, so no later run can sign a contradiction of it;
    // the leaves first, so that a remembered checkpoint always has its leaves beside it.
    await this.#rememberLeaves(size);
    this.#options.signerMemory?.write(note);
    this.#lastSigned = { size, root, source: "the checkpoint this process signed last" };
    let witnesses: WitnessReport[] | undefined;
    if (this.#witnesses) {
      const cosigned = await this.#witnesses.cosign(note, size, (from) => this.consistencyProof(from, size).then((p) => p.proof));
      note = cosigned.note;
      witnesses = cosigned.reports;
    }
    await this.store.addCheckpoint({ size, root, note, time: this.#now() });
    return witnesses ? { origin, size, root, note, witnesses } : { origin, size, root, note };
  }

  /**
   * Keeps the leaf hashes of the entries about to be signed beside the signer's note: with them a
   * verifier names the exact entry a rewrite changed, where signed roots alone bound it to the
   * entries between two checkpoints. They are checked against the signed roots before use, so
   * they need not be trusted (spec/audit-trust.md, "First bad index").
   */
  async #rememberLeaves(size: number): Promise<void> {
    const memory = this.#options.signerMemory;
    if (memory?.leafCount === undefined || memory.writeLeaves === undefined) return;
    const have = memory.leafCount();
    for (let from = have; from < size; from += 16_384) {
      const to = Math.min(size, from + 16_384);
      const hashes = await this.store.levelHashes(0, from, to);
      const out = new Uint8Array((to - from) * 32);
      for (let i = from; i < to; i++) {
        const h = hashes.get(i);
        if (h === undefined) throw new StoreError("audit/store-corrupt", `the store lacks the leaf hash of entry ${i}`, "run 'palisade audit verify' to find the damage");
        out.set(h, (i - from) * 32);
      }
      memory.writeLeaves(from, out);
    }
  }

  /** Every head signed with one of `keys` that the log can see: in memory, in the signer's memory, the latest stored. */
  async #signedHeads(keys: readonly VerifierKey[]): Promise<SignedHead[]> {
    const heads: SignedHead[] = [];
    if (this.#lastSigned) heads.push(this.#lastSigned);
    const remembered = this.#options.signerMemory?.read();
    if (remembered !== undefined) {
      const t = openTrusted(remembered, keys);
      // A note by another key (the one before a rotation) says nothing about this key's chain.
      if (t.ok) heads.push({ size: t.checkpoint.size, root: t.checkpoint.root, source: "the signer's memory of its latest checkpoint" });
    }
    const last = await this.store.lastCheckpoint();
    if (last) {
      const t = openTrusted(last.note, keys);
      if (t.ok) heads.push({ size: t.checkpoint.size, root: t.checkpoint.root, source: "the log's latest stored checkpoint" });
    }
    return heads;
  }

  /** Throws "audit/signing-refused" unless the tree of `size` with `root` extends `head`. */
  async #mustExtend(head: SignedHead, size: number, root: Uint8Array): Promise<void> {
    if (head.size > size) {
      throw refused(`refusing to sign: the log holds ${size} entries, but ${head.source} is of size ${head.size}; the store was rolled back or truncated`);
    }
    let consistent: boolean;
    if (head.size === 0) consistent = bytesEqual(head.root, emptyRoot());
    else {
      const p = await this.consistencyProof(head.size, size);
      consistent = verifyConsistency(head.size, size, p.proof, head.root, root);
    }
    if (!consistent) {
      throw refused(`refusing to sign: the log's tree of ${size} entries does not extend ${head.source} (size ${head.size}); its first ${head.size} entries were changed (a fork or a rewrite)`);
    }
  }

  /**
   * Key rotation: signs a last checkpoint with the current key, then makes `newSigningKey` the
   * log's key and its name the log's new origin (it must differ), records the old verifier key
   * as retired, and signs the first checkpoint of the new origin. Old checkpoints keep verifying
   * with the old verifier key. Returns both checkpoints.
   */
  async rotateKey(newSigningKey: string): Promise<{ last: SignedCheckpoint; first: SignedCheckpoint }> {
    const old = this.#signer;
    if (!old) throw new StoreError("audit/no-signing-key", "rotating keys needs the current signing key", "pass --key with the log's current key file");
    let next: SignerKey;
    try {
      next = parseSignerKey(newSigningKey.trim());
    } catch (err) {
      throw new StoreError("audit/bad-key", `the new signing key is not a valid signer key: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (next.name === old.name) throw new StoreError("audit/bad-key", `the new key has the old origin '${old.name}'`, "a rotated log takes a new origin: name the new key differently");
    const last = await this.checkpoint();
    await this.#signing;
    const retired = await retiredKeys(this.store);
    await this.store.setMeta(META.retired, JSON.stringify([...retired, { vkey: old.vkey, size: last.size }]));
    await this.store.setMeta(META.vkey, next.vkey);
    await this.store.setMeta(META.origin, next.name);
    this.#signer = next;
    this.#lastSigned = undefined;
    const first = await this.checkpoint();
    return { last, first };
  }

  /** The newest stored checkpoint (largest size), or undefined. Stored is not trusted: check it with openTrusted. */
  async latestCheckpoint(): Promise<SignedCheckpoint | undefined> {
    const last = await this.store.lastCheckpoint();
    if (!last) return undefined;
    return { origin: originOf(last), size: last.size, root: last.root, note: last.note };
  }

  /** The verifier keys verify() trusts by default: the configured ones, else the signing key's. Never the store's. */
  async verifierKeys(): Promise<string[]> {
    if (this.#options.verifierKeys) return [...this.#options.verifierKeys];
    return this.#signer ? [this.#signer.vkey] : [];
  }

  /**
   * Recomputes every leaf from the entry bytes, rebuilds the tree, and checks every stored node,
   * every stored checkpoint (against trusted keys only) and every held checkpoint against it;
   * names the first bad index. Fails when no trusted checkpoint vouches for the log (unless
   * `allowUnsigned`) and when the latest lacks the witness quorum. Throws StoreError
   * "audit/no-trusted-key" when a held checkpoint is not signed by a trusted key.
   */
  async verify(options: LogVerifyOptions = {}): Promise<VerifyReport> {
    await this.flush();
    const keys = parseTrustedKeys(options.verifierKeys ?? (await this.verifierKeys()));
    const held: HeldCheckpoint[] = (options.checkpoints ?? []).map(({ label, note }) => {
      const t = openTrusted(note, keys);
      if (!t.ok) throw new StoreError("audit/no-trusted-key", `checkpoint ${label} cannot be trusted: ${t.reason}`, "pass --vkey with the verifier key of the log that signed it");
      return { label, size: t.checkpoint.size, root: t.checkpoint.root };
    });
    const checkCheckpoint = (note: string): CheckpointCheck | undefined => {
      if (keys.length === 0) return options.allowUnsigned ? undefined : { ok: false, reason: "no verifier key is trusted" };
      const t = openTrusted(note, keys);
      return t.ok ? { ok: true, size: t.checkpoint.size, root: t.checkpoint.root, origin: t.checkpoint.origin } : { ok: false, reason: t.reason };
    };
    const report = await verifyStore(this.store, { checkCheckpoint, held, ...(options.referenceLeaf ? { referenceLeaf: options.referenceLeaf } : {}), ...(options.signerLeaves ? { signerLeaves: options.signerLeaves } : {}) });
    const extra: VerifyProblem[] = [];
    if (report.latestTrusted === null && !options.allowUnsigned) {
      extra.push({ kind: "unsigned", index: null, to: null, rootCause: true, message: keys.length === 0 ? "no verifier key is trusted, so nothing vouches for the log" : "no checkpoint signed by a trusted key matches the log: nothing vouches for its entries" });
    }
    const witnessKeys = parseTrustedKeys(options.witnesses ?? [], "witness key");
    const quorum = options.quorum ?? witnessKeys.length;
    if (quorum > 0) {
      const latest = report.latestTrusted;
      const got = latest ? cosigners(latest.note, witnessKeys) : { names: [] };
      if ("error" in got) extra.push({ kind: "witness", index: null, to: null, rootCause: true, message: `the latest checkpoint (size ${latest?.size}) carries a bad witness cosignature: ${got.error}` });
      else if (got.names.length < quorum) {
        extra.push({ kind: "witness", index: null, to: null, rootCause: true, message: latest ? `the latest checkpoint (size ${latest.size}) has ${got.names.length} of the ${quorum} witness cosignatures required` : `no trusted checkpoint to carry the ${quorum} witness cosignatures required` });
      }
    }
    if (extra.length === 0) return report;
    return { ...report, ok: false, problemCount: report.problemCount + extra.length, problems: [...extra, ...report.problems] };
  }

  /**
   * The C2SP tlog-tiles files of the tree at the checkpoint's size, with the partial tiles of
   * every smaller stored checkpoint's size, then the checkpoint (log-tiles.ts: exportTiles).
   */
  async tiles(checkpoint: SignedCheckpoint, options: { entries?: boolean } = {}): Promise<Iterable<TileFile>> {
    return exportTiles(this.store, checkpoint, options);
  }

  /** One tile below the latest stored checkpoint, for serving, or undefined (log-tiles.ts: serveTile). */
  async tile(level: number | "entries", index: number, width: number): Promise<Uint8Array | undefined> {
    return serveTile(this.store, level, index, width);
  }
  /**
   * GDPR Art. 17: destroys the subject's keys, so the personal fields of all its entries read as
   * ERASED_MARKER from now on, and has the store drop every copy of them it can reach. Complete
   * only when no copy is left; otherwise `remains` says what holds one (run it again once that
   * is resolved). Leaves, nodes and checkpoints are untouched and still verify.
   */
  async erase(subject: string): Promise<EraseResult> {
    await this.flush();
    await this.#settle();
    const id = this.#pseudonym(subject);
    this.#keys.delete(id);
    this.#openKeys.clear();
    const outcome = await this.store.eraseSubject(id, this.#now());
    return { subject, keysDestroyed: outcome.destroyed, entries: await this.store.subjectEntryCount(id), complete: outcome.remains.length === 0, remains: outcome.remains };
  }

  /** Commits what is queued, then closes the store. Appends after this reject. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
    await this.#signing;
    await this.store.close();
  }
}

/** The origin line of a stored checkpoint's note ("" when damaged: verify reports that). */
function originOf(cp: StoredCheckpoint): string {
  const nl = cp.note.indexOf("\n");
  return nl > 0 ? cp.note.slice(0, nl) : "";
}
