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
// (`<db>.key`, mode 0600) or at `--key`. The store keeps only the verifier key and the origin.
import { encodeDocumentEntry } from "./document-entry.ts";
import type { DocumentEntry } from "./document-entry.ts";
import { encodeEntry } from "./entry.ts";
import type { AuditRecord } from "./entry.ts";
import { AuditError } from "./errors.ts";
import { newSubjectKey, seal, sealedPart, subjectOf, unseal } from "./erasure.ts";
import type { ErasurePolicy, OpenStatus } from "./erasure.ts";
import { leafHash } from "./hash.ts";
import { openCheckpoint, parseCheckpoint, signCheckpoint } from "./checkpoint.ts";
import { consistencyProofNodes, hashPlan, inclusionProofNodes, planNodeIds, rootFromReader, rootNodes } from "./merkle.ts";
import type { NodeId, NodeReader } from "./merkle.ts";
import { parseSignerKey } from "./note.ts";
import type { SignerKey } from "./note.ts";
import { StoreError, nodeKey, openStore } from "./store.ts";
import type { AuditStore, NewDocumentEntry, NewEntry } from "./store.ts";
import { verifyStore } from "./store-verify.ts";
import { TILE_HEIGHT, TILE_WIDTH, buildTiles } from "./tiles.ts";
import type { TileFile } from "./tiles.ts";
import type { CheckpointCheck, VerifyReport } from "./store-verify.ts";

/** How an AuditLog behaves. */
export interface AuditLogOptions {
  /** Personal fields to seal under per-subject keys; none when absent. */
  readonly erasure?: ErasurePolicy;
  /** Ed25519 signer key (`PRIVATE+KEY+<name>+<id>+<key>`) for checkpoints. */
  readonly signingKey?: string;
  /** Verifier keys (`<name>+<id>+<key>`) trusted for stored checkpoints; default: the signing key's, else the one the store recorded. */
  readonly verifierKeys?: readonly string[];
  /**
   * Most entries per transaction (default 2,000). Larger batches amortise the commit further, but
   * with SQLite a batch is written on the event loop, so this also bounds that pause (a few ms).
   */
  readonly maxBatch?: number;
  /** Milliseconds since the epoch; for tests. */
  readonly now?: () => number;
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
  /** The C2SP signed note. */
  readonly note: string;
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
}

// Records encoded between two turns of the event loop (a few ms of work).
const YIELD_EVERY = 256;

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

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A tamper-evident audit log over an AuditStore. */
export class AuditLog {
  /** The store the log writes to. */
  readonly store: AuditStore;
  readonly #options: AuditLogOptions;
  readonly #signer: SignerKey | undefined;
  readonly #now: () => number;
  readonly #maxBatch: number;
  #queue: Pending[] = [];
  #draining: Promise<void> | null = null;
  #closed = false;

  private constructor(store: AuditStore, options: AuditLogOptions, signer: SignerKey | undefined) {
    this.store = store;
    this.#options = options;
    this.#signer = signer;
    this.#now = options.now ?? Date.now;
    this.#maxBatch = options.maxBatch ?? 2_000;
  }

  /** Opens a log on a store, or on a location (SQLite path or postgres:// URL) it opens and then owns. */
  static async open(store: AuditStore | string, options: AuditLogOptions = {}): Promise<AuditLog> {
    let signer: SignerKey | undefined;
    if (options.signingKey !== undefined) {
      try {
        signer = parseSignerKey(options.signingKey.trim());
      } catch (err) {
        throw new StoreError("audit/bad-key", `the checkpoint signing key is not a valid signer key: ${err instanceof Error ? err.message : String(err)}`, "pass a key in the PRIVATE+KEY+<name>+<id>+<key> format");
      }
    }
    const s = typeof store === "string" ? await openStore(store) : store;
    return new AuditLog(s, options, signer);
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
      this.#draining ??= this.#drain();
    });
  }

  /** The erasure policy personal fields are sealed under, or undefined (read by the guard to know what it may record). */
  get erasure(): ErasurePolicy | undefined {
    return this.#options.erasure;
  }

  /** Whether records are sealed (an erasure policy is configured); appendDocument is refused then. */
  get seals(): boolean {
    return this.#options.erasure !== undefined;
  }

  /**
   * Like append, for a caller that holds the record as canonical text around one JSON document
   * (see DocumentEntry) and vouches for that text. The document is canonicalised, digested and
   * the entry hashed where the store runs: on the SQLite store's own thread, else here. Refused
   * when the log seals fields (sealing needs the record). Same durability: the promise resolves
   * once the entry is committed, and rejects if the document cannot be encoded.
   */
  appendDocument(doc: DocumentEntry): Promise<number> {
    if (this.#closed) return Promise.reject(new StoreError("audit/store-closed", "the audit log is closed"));
    if (this.#options.erasure !== undefined) return Promise.reject(new AuditError("audit/invalid-record", "this log seals personal fields, so it must be given the record: use append()"));
    return new Promise<number>((resolve, reject) => {
      this.#queue.push({ record: undefined, doc, time: this.#now(), resolve, reject });
      this.#draining ??= this.#drain();
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

  async #drain(): Promise<void> {
    // Yield one turn so that every append of the current tick joins the first batch.
    await new Promise<void>((r) => setImmediate(r));
    let inflight: Promise<void> | undefined;
    for (;;) {
      // Appends resolved by the last commit may have queued more: look again after awaiting it,
      // and only give up the writer role (synchronously, below) once the queue is truly empty.
      if (this.#queue.length === 0) {
        if (!inflight) break;
        await inflight;
        inflight = undefined;
        continue;
      }
      const batch = this.#queue.splice(0, this.#maxBatch);
      let runs: Run[];
      try {
        runs = await this.#prepare(batch);
      } catch (err) {
        for (const p of batch) p.reject(err);
        continue;
      }
      for (const run of runs) {
        const commit = this.#commit(run);
        // A store that applies appends in call order lets the next batch be encoded while this one
        // commits; any other store (PostgreSQL: batches race for the lock) commits one at a time.
        if (this.store.ordered) {
          if (inflight) await inflight;
          inflight = commit;
        } else await commit;
      }
    }
    this.#draining = null;
  }

  /** Hands a run to the store and settles its appends. */
  #commit(run: Run): Promise<void> {
    const { ok } = run;
    if (run.docs !== undefined && this.store.appendDocuments !== undefined) {
      return this.store.appendDocuments(run.docs).then(
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
   * encoded are rejected alone. Documents stay unencoded when the store encodes them itself.
   */
  async #prepare(batch: Pending[]): Promise<Run[]> {
    const policy = this.#options.erasure;
    const subjects = batch.map((p) => (policy && p.record !== undefined && isRecord(p.record) ? subjectOf(p.record, policy) : null));
    const keys = policy ? await this.store.subjectKeys(subjects.filter((s): s is string => s !== null), newSubjectKey) : new Map();
    const storeEncodes = this.store.appendDocuments !== undefined;
    const runs: Run[] = [];
    let run: Run | undefined;
    for (let i = 0; i < batch.length; i++) {
      // Encoding is CPU work on the caller's thread: give decisions a turn every slice of records.
      if (i > 0 && i % YIELD_EVERY === 0) await new Promise<void>((r) => setImmediate(r));
      const p = batch[i];
      try {
        if (p.doc !== undefined && storeEncodes) {
          if (run?.docs === undefined) runs.push((run = { ok: [], docs: [] }));
          run.docs.push({ doc: p.doc, time: p.time });
          run.ok.push(p);
          continue;
        }
        let data: Uint8Array;
        let subject: string | null = null;
        if (p.doc !== undefined) data = encodeDocumentEntry(p.doc);
        else {
          if (p.record === undefined || !isRecord(p.record)) throw new AuditError("audit/invalid-record", "an audit record must be an object");
          subject = subjects[i];
          let envelope: AuditRecord = p.record;
          if (policy) {
            const k = subject === null ? undefined : keys.get(subject);
            envelope = seal(p.record, policy, k?.key ? { keyId: k.keyId, key: k.key } : null) as AuditRecord;
          }
          data = encodeEntry(envelope);
        }
        if (run?.entries === undefined) runs.push((run = { ok: [], entries: [] }));
        run.entries.push({ data, leafHash: leafHash(data), subject, time: p.time });
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

  /** The origin line of this log's checkpoints: recorded on first use, from the key name. */
  async origin(): Promise<string | undefined> {
    return (await this.store.getMeta("origin")) ?? this.#signer?.name;
  }

  /**
   * Commits everything queued, signs the tree head as a C2SP tlog-checkpoint with the log's key,
   * stores the checkpoint and returns it. StoreError "audit/no-signing-key" without a key.
   */
  async checkpoint(): Promise<SignedCheckpoint> {
    const signer = this.#signer;
    if (!signer) throw new StoreError("audit/no-signing-key", "the audit log has no checkpoint signing key", "pass --key with a PRIVATE+KEY+... file");
    await this.flush();
    const origin = await this.store.initMeta("origin", signer.name);
    await this.store.initMeta("vkey", signer.vkey);
    const size = await this.store.size();
    const root = await this.root(size);
    const note = signCheckpoint({ origin, size, root }, signer);
    await this.store.addCheckpoint({ size, root, note, time: this.#now() });
    return { origin, size, root, note };
  }

  /** The newest stored checkpoint, or undefined. */
  async latestCheckpoint(): Promise<SignedCheckpoint | undefined> {
    const all = await this.store.checkpoints();
    const last = all[all.length - 1];
    if (!last) return undefined;
    let origin = "";
    try {
      origin = parseCheckpoint(last.note.slice(0, last.note.indexOf("\n\n") + 1)).origin;
    } catch {
      // A damaged stored note still has its size and root columns; verify() reports the damage.
    }
    return { origin, size: last.size, root: last.root, note: last.note };
  }

  /** The verifier keys stored checkpoints are checked against. */
  async verifierKeys(): Promise<string[]> {
    if (this.#options.verifierKeys) return [...this.#options.verifierKeys];
    if (this.#signer) return [this.#signer.vkey];
    const stored = await this.store.getMeta("vkey");
    return stored ? [stored] : [];
  }

  /**
   * Recomputes every leaf from the entry bytes, rebuilds the tree, and checks every stored node
   * and signed checkpoint against it; names the first bad index. Commits queued records first.
   */
  async verify(): Promise<VerifyReport> {
    await this.flush();
    const vkeys = await this.verifierKeys();
    const origin = await this.store.getMeta("origin");
    const checkCheckpoint = (note: string): CheckpointCheck => {
      if (vkeys.length === 0) return { ok: false, reason: "no verifier key is known for the log's checkpoints" };
      const v = openCheckpoint(note, vkeys, origin);
      if (!v.ok) return { ok: false, reason: `it does not verify (${v.error.message})` };
      return { ok: true, size: v.checkpoint.size, root: v.checkpoint.root };
    };
    return verifyStore(this.store, { checkCheckpoint });
  }

  /**
   * The C2SP tlog-tiles files of the tree at the checkpoint's size: hash tiles, entry bundles and
   * the checkpoint itself. Reads what it needs from the store up front (about 32 bytes per entry
   * plus the entries), then yields the files.
   */
  async tiles(checkpoint: SignedCheckpoint): Promise<Iterable<TileFile>> {
    const size = checkpoint.size;
    const levels = new Map<number, Map<number, Uint8Array>>();
    for (let level = 0, span = 1; Math.floor(size / span) > 0; level++, span *= TILE_WIDTH) {
      levels.set(level * TILE_HEIGHT, await this.store.levelHashes(level * TILE_HEIGHT, 0, Math.floor(size / span)));
    }
    const data: Uint8Array[] = [];
    for (let from = 0; from < size; from += 16384) for (const e of await this.store.entries(from, Math.min(size, from + 16384))) data[e.index] = e.data;
    const read: NodeReader = (level, index) => {
      const h = levels.get(level)?.get(index);
      if (!h) throw new StoreError("audit/store-corrupt", `the stored tree lacks node ${level}/${index}`, "run 'palisade audit verify' to find the damage");
      return h;
    };
    const entry = (index: number): Uint8Array => {
      const d = data[index];
      if (!d) throw new StoreError("audit/store-corrupt", `entry ${index} is missing`, "run 'palisade audit verify' to find the damage");
      return d;
    };
    return buildTiles(size, read, entry, { checkpoint: checkpoint.note });
  }

  /**
   * GDPR Art. 17: destroys the subject's keys, so the personal fields of all its entries read as
   * ERASED_MARKER from now on. Leaves, nodes and checkpoints are untouched and still verify.
   */
  async erase(subject: string): Promise<EraseResult> {
    await this.flush();
    const keysDestroyed = await this.store.eraseSubject(subject, this.#now());
    return { subject, keysDestroyed, entries: await this.store.subjectEntryCount(subject) };
  }

  /** Commits what is queued, then closes the store. Appends after this reject. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
    await this.store.close();
  }
}
