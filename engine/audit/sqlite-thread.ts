// The SQLite store on its own thread. node:sqlite is synchronous, so in-process every commit
// (inserts plus the fsync that makes a batch durable) would stall the event loop the decisions
// run on. Here a worker thread owns the database and the caller only pays for copying a batch
// across: the decision path keeps running while a batch is written and synced.
//
// This one module is both sides: imported, it exports ThreadedSqliteStore; started as a worker
// (with workerData.palisadeSqlite), it serves one SqliteStore over the message port.
//
// A batch of appends crosses as one transferred buffer (times, lengths, leaf hashes, bytes), not
// as an array of objects: structured-cloning two small typed arrays per entry cost the event loop
// more than the decision the entry records.
import { isMainThread, parentPort, receiveMessageOnPort, Worker, workerData } from "node:worker_threads";
import type { MessagePort } from "node:worker_threads";
import { encodeDocumentEntry, prepareSealing, sealDocument } from "./document-entry.ts";
import type { DocumentEntry, SealableDocument } from "./document-entry.ts";
import { newSubjectKey, parseErasurePolicy, pseudonymOf } from "./erasure.ts";
import { AuditError } from "./errors.ts";
import type { AuditErrorCode } from "./errors.ts";
import type { NodeId } from "./merkle.ts";
import { META } from "./identity.ts";
import { SqliteStore } from "./sqlite-store.ts";
import { StoreError } from "./store.ts";
import type { AppendResult, AuditStore, DocumentAppendResult, DocumentSealing, EraseOutcome, NewDocumentEntry, NewEntry, StoreErrorCode, SettingsToRecord, StoredCheckpoint, StoredEntry, SubjectKey } from "./store.ts";

interface Request {
  readonly id: number;
  readonly method: string;
  readonly args: unknown[];
}

interface WireError {
  readonly name: string;
  readonly code?: string;
  readonly message: string;
  readonly hint?: string;
}

/**
 * A batch of NewEntry packed into one buffer: f64 times, u32 lengths, then the bytes. Leaf hashes
 * are computed on the store's thread (the worker), off the caller's.
 */
interface PackedEntries {
  readonly packed: ArrayBuffer;
  readonly count: number;
  /** Each entry's subject; absent when none has one. */
  readonly subjects?: (string | null)[];
}

function pack(entries: readonly NewEntry[]): PackedEntries {
  const n = entries.length;
  let bytes = 0;
  let subjects = false;
  for (const e of entries) {
    bytes += e.data.length;
    if (e.subject !== null) subjects = true;
  }
  const packed = new ArrayBuffer(n * (8 + 4) + bytes);
  const times = new Float64Array(packed, 0, n);
  const lengths = new Uint32Array(packed, 8 * n, n);
  const out = new Uint8Array(packed);
  let at = n * (8 + 4);
  for (let i = 0; i < n; i++) {
    const e = entries[i];
    times[i] = e.time;
    lengths[i] = e.data.length;
    out.set(e.data, at);
    at += e.data.length;
  }
  return subjects ? { packed, count: n, subjects: entries.map((e) => e.subject) } : { packed, count: n };
}

function unpack(p: PackedEntries): NewEntry[] {
  const n = p.count;
  const times = new Float64Array(p.packed, 0, n);
  const lengths = new Uint32Array(p.packed, 8 * n, n);
  const all = new Uint8Array(p.packed);
  const entries: NewEntry[] = new Array<NewEntry>(n);
  let at = n * (8 + 4);
  for (let i = 0; i < n; i++) {
    const data = all.subarray(at, at + lengths[i]);
    at += lengths[i];
    entries[i] = { data, subject: p.subjects?.[i] ?? null, time: times[i] };
  }
  return entries;
}

/**
 * A batch of documents as a few strings: each entry's head, name, json, tail and maxInline (with
 * a "c" before it when the json is canonical already) joined
 * by NUL, which none of them can hold (JSON text escapes it; a stray one changes the count of
 * parts, and the batch is refused), and the times beside them. A string crosses the thread
 * boundary in one copy, where five strings per entry would be cloned piece by piece; each stays
 * under CHUNK characters so that neither thread allocates it outside V8's young generation.
 */
interface PackedDocuments {
  readonly texts: string[];
  readonly times: Float64Array;
}

const NUL = "\u0000";
// Append requests committed in one transaction at most (each a batch of up to the log's maxBatch).
const MAX_GROUP = 16;
const CHUNK = 64 * 1024;

function packDocuments(entries: readonly NewDocumentEntry[]): PackedDocuments {
  const texts: string[] = [];
  const times = new Float64Array(entries.length);
  let parts: string[] = [];
  let size = 0;
  for (let i = 0; i < entries.length; i++) {
    const { doc } = entries[i];
    const length = doc.head.length + doc.json.length + doc.tail.length;
    if (parts.length > 0 && size + length > CHUNK) {
      texts.push(parts.join(NUL));
      parts = [];
      size = 0;
    }
    parts.push(doc.head, doc.name, doc.json, doc.tail, doc.canonical === true ? `c${doc.maxInline}` : String(doc.maxInline));
    size += length;
    times[i] = entries[i].time;
  }
  if (parts.length > 0) texts.push(parts.join(NUL));
  return { texts, times };
}

// Pseudonyms this thread has computed, by salt and subject (one HMAC per subject, not per entry).
const pseudonyms = new Map<string, string>();
const PSEUDONYM_CACHE = 100_000;

function pseudonym(salt: string | undefined, subject: string): string {
  const k = `${salt ?? ""}\u0000${subject}`;
  let p = pseudonyms.get(k);
  if (p === undefined) {
    if (pseudonyms.size >= PSEUDONYM_CACHE) pseudonyms.clear();
    p = pseudonymOf(salt, subject);
    pseudonyms.set(k, p);
  }
  return p;
}

/** What one appendDocuments request encoded to: its entries, and the documents refused, by place in the request. */
interface Encoded {
  readonly entries: NewEntry[];
  readonly refused: { at: number; error: WireError }[];
}

/** Number of documents in a packed text (five parts each); NaN when a part holds a stray NUL. */
function documentsIn(text: string): number {
  let parts = 1;
  for (let i = text.indexOf(NUL); i >= 0; i = text.indexOf(NUL, i + 1)) parts++;
  return parts % 5 === 0 ? parts / 5 : Number.NaN;
}

/**
 * Encodes the documents here, on the store's thread, sealing them when the log does (with the
 * subjects' live keys read from this store just before, so a subject erased earlier in request
 * order gets a fresh key), and appends the ones that encoded. A request is checked whole first
 * (a stray NUL refuses all of it), then encoded one packed text (CHUNK) at a time: what a
 * document needs while it is sealed dies young, where encoding a whole request of thousands in
 * two passes kept all of it alive through several collections of the young generation.
 */
async function encodeDocuments(store: SqliteStore, p: PackedDocuments, sealing: DocumentSealing | undefined): Promise<Encoded> {
  let count = 0;
  for (const text of p.texts) count += documentsIn(text);
  if (count !== p.times.length) throw new AuditError("audit/invalid-record", "an entry's text holds a NUL character, which canonical JSON escapes");
  const entries: NewEntry[] = [];
  const refused: { at: number; error: WireError }[] = [];
  let at = 0;
  for (const text of p.texts) {
    const parts = text.split(NUL);
    const docs: DocumentEntry[] = [];
    for (let j = 0; j < parts.length; j += 5) {
      // The limit, prefixed with "c" when the document is canonical text already.
      const limit = parts[j + 4];
      const canonical = limit.startsWith("c");
      docs.push({ head: parts[j], name: parts[j + 1], json: parts[j + 2], tail: parts[j + 3], maxInline: Number(canonical ? limit.slice(1) : limit), canonical });
    }
    if (sealing === undefined) {
      for (const doc of docs) {
        try {
          entries.push({ data: encodeDocumentEntry(doc), subject: null, time: p.times[at] });
        } catch (err) {
          refused.push({ at, error: toWire(err) });
        }
        at++;
      }
      continue;
    }
    const prepared: ({ d: SealableDocument; subject: string | null } | undefined)[] = [];
    const subjects = new Set<string>();
    for (let i = 0; i < docs.length; i++) {
      try {
        const d = prepareSealing(docs[i], sealing.policy);
        const subject = d.subject === null ? null : pseudonym(sealing.salt, d.subject);
        if (subject !== null) subjects.add(subject);
        prepared.push({ d, subject });
      } catch (err) {
        prepared.push(undefined);
        refused.push({ at: at + i, error: toWire(err) });
      }
    }
    const keys = subjects.size > 0 ? await store.subjectKeys([...subjects], newSubjectKey) : new Map<string, SubjectKey>();
    for (const x of prepared) {
      if (x !== undefined) {
        try {
          const k = x.subject === null ? undefined : keys.get(x.subject);
          entries.push({ data: sealDocument(x.d, sealing.policy, k?.key ? { keyId: k.keyId, key: k.key } : null), subject: x.subject, time: p.times[at] });
        } catch (err) {
          refused.push({ at, error: toWire(err) });
        }
      }
      at++;
    }
  }
  // Refusals from both passes over each text, in batch order.
  refused.sort((a, b) => a.at - b.at);
  return { entries, refused };
}

type DocumentsReply = { first: number; size: number; refused: { at: number; error: WireError }[]; settled?: string[] };

// What a log's documents are sealed under, by the salt its first documents carried: a new log
// sends its settings with them (SettingsToRecord) and keeps sending what it guessed until the
// reply comes back, while another process may have recorded other settings first. An Error when
// recording them failed: documents sealed with that salt are refused until they are recorded.
const inForce = new Map<string, DocumentSealing | null | Error>();

/** Records a new log's settings (initMeta each) and what its documents are sealed under from now on; returns the values in force. */
async function recordSettings(store: SqliteStore, sealing: DocumentSealing | undefined, settle: SettingsToRecord): Promise<string[]> {
  try {
    const values: string[] = [];
    for (const [name, value] of settle.pending) values.push(await store.initMeta(name, value));
    if (sealing !== undefined) {
      let { policy, salt } = sealing;
      let seals = true;
      settle.pending.forEach(([name], i) => {
        if (name === META.salt) salt = values[i];
        else if (name === META.erasure && !settle.configured) {
          seals = values[i] !== "none";
          if (seals) policy = parseErasurePolicy(values[i]);
        }
      });
      if (sealing.salt !== undefined) inForce.set(sealing.salt, seals ? { policy, salt } : null);
    }
    return values;
  } catch (err) {
    if (sealing?.salt !== undefined) inForce.set(sealing.salt, err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
}

function sealingInForce(sealing: DocumentSealing | undefined): DocumentSealing | undefined {
  const s = sealing?.salt === undefined ? undefined : inForce.get(sealing.salt);
  if (s === undefined) return sealing;
  if (s instanceof Error) throw s;
  return s ?? undefined;
}

/**
 * Appends the documents of `first` and of every appendDocuments request already waiting behind
 * it (up to MAX_GROUP) in one transaction (group commit on this thread: the requests that queued
 * up while the last commit synced share the next sync), in request order; each request's reply
 * says where its entries went. Each request is encoded (and its subjects' keys read) before the
 * append, as it would be alone, and a request refused whole (its text broken) fails alone. A
 * request is taken off the port only once the one before it is encoded, so that one request's
 * texts at a time are alive on this thread's heap, not the whole group's (each collection of the
 * young generation copied them all). The first waiting request of another kind, or the one past
 * MAX_GROUP, is returned as `after`, to be served next.
 */
async function appendDocumentGroup(store: SqliteStore, port: MessagePort, first: Request): Promise<{ replies: Reply[]; after: Request | undefined }> {
  // Only the ids are kept: a request's texts are garbage once it is encoded.
  const ids: number[] = [];
  const encoded: (Encoded | WireError)[] = [];
  const settled: (string[] | undefined)[] = [];
  let after: Request | undefined;
  for (let r = first; ; ) {
    ids.push(r.id);
    try {
      let sealing = r.args[1] as DocumentSealing | undefined;
      const settle = r.args[2] as SettingsToRecord | undefined;
      if (settle !== undefined) settled[encoded.length] = await recordSettings(store, sealing, settle);
      sealing = sealingInForce(sealing);
      encoded.push(await encodeDocuments(store, r.args[0] as PackedDocuments, sealing));
    } catch (err) {
      encoded.push(toWire(err));
    }
    const m = receiveMessageOnPort(port);
    if (m === undefined) break;
    const next = m.message as Request;
    if (next.method !== "appendDocuments" || ids.length >= MAX_GROUP) {
      after = next;
      break;
    }
    r = next;
  }
  try {
    const all: NewEntry[] = [];
    for (const e of encoded) if ("entries" in e) for (const x of e.entries) all.push(x);
    let at = all.length > 0 ? (await store.append(all)).first : await store.size();
    const replies = encoded.map((e, i): Reply => {
      if (!("entries" in e)) return { id: ids[i], ok: false, error: e };
      const settledHere = settled[i];
      const value: DocumentsReply = { first: at, size: at + e.entries.length, refused: e.refused, ...(settledHere !== undefined ? { settled: settledHere } : {}) };
      at += e.entries.length;
      return { id: ids[i], ok: true, value };
    });
    return { replies, after };
  } catch (err) {
    return { replies: ids.map((id) => ({ id, ok: false, error: toWire(err) })), after };
  }
}

type Reply = { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly error: WireError };

function toWire(err: unknown): WireError {
  if (err instanceof StoreError || err instanceof AuditError) return { name: err.name, code: err.code, message: err.message, hint: err.hint };
  // SQLite's own code (ERR_SQLITE_ERROR, a file's EIO...) crosses too: callers tell a store that
  // failed from a bug by it (the service answers 503 rather than 500).
  const code = (err as { code?: unknown } | null)?.code;
  return { name: "Error", message: err instanceof Error ? err.message : String(err), ...(typeof code === "string" ? { code } : {}) };
}

function fromWire(e: WireError): Error {
  if (e.name === "StoreError") return new StoreError(e.code as StoreErrorCode, e.message, e.hint);
  if (e.name === "AuditError") return new AuditError(e.code as AuditErrorCode, e.message, e.hint);
  return e.code === undefined ? new Error(e.message) : Object.assign(new Error(e.message), { code: e.code });
}

/** The worker side: one store, requests served strictly in arrival order. */
function serve(port: MessagePort, path: string, create: boolean): void {
  let store: SqliteStore;
  try {
    store = SqliteStore.open(path, { create });
  } catch (err) {
    port.postMessage({ id: 0, ok: false, error: toWire(err) } satisfies Reply);
    return;
  }
  port.postMessage({ id: 0, ok: true, value: null } satisfies Reply);
  const handle = async (req: Request): Promise<void> => {
    if (req.method === "appendDocuments") {
      const { replies, after } = await appendDocumentGroup(store, port, req);
      // One message for the group: each message wakes the caller's thread, which costs both
      // threads more than copying the replies does.
      port.postMessage(replies.length === 1 ? replies[0] : replies);
      if (after !== undefined) await handle(after);
      return;
    }
    try {
      let value: unknown;
      if (req.method === "subjectKeys") {
        // Functions cannot cross threads: the caller sends one fresh key per subject up front.
        const [subjects, fresh] = req.args as [string[], { keyId: string; key: Uint8Array }[]];
        let next = 0;
        value = await store.subjectKeys(subjects, () => fresh[next++]);
      } else if (req.method === "threadCpuUsage") {
        value = process.threadCpuUsage();
      } else if (req.method === "appendPacked") {
        value = await store.append(unpack(req.args[0] as PackedEntries));
      } else {
        const fn = (store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[req.method];
        value = await fn.apply(store, req.args);
      }
      port.postMessage({ id: req.id, ok: true, value } satisfies Reply);
      if (req.method === "close") port.close();
    } catch (err) {
      port.postMessage({ id: req.id, ok: false, error: toWire(err) } satisfies Reply);
    }
  };
  port.on("message", (req: Request) => void handle(req));
}

if (!isMainThread && parentPort && (workerData as { palisadeSqlite?: unknown } | null)?.palisadeSqlite) {
  const { path, create } = (workerData as { palisadeSqlite: { path: string; create: boolean } }).palisadeSqlite;
  serve(parentPort, path, create);
}

/** The SQLite audit store served by a worker thread (what openStore returns for a file path). */
export class ThreadedSqliteStore implements AuditStore {
  readonly location: string;
  /** Appends are applied in call order (one writer). */
  readonly ordered = true;
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #next = 1;
  #closed = false;
  #closing = false;
  #dead: Error | undefined;

  private constructor(location: string, worker: Worker) {
    this.location = location;
    this.#worker = worker;
    const settle = (r: Reply): void => {
      const p = this.#pending.get(r.id);
      if (!p) return;
      this.#pending.delete(r.id);
      // An idle worker must not keep the process alive; only outstanding requests do.
      if (this.#pending.size === 0) worker.unref();
      if (r.ok) p.resolve(r.value);
      else p.reject(fromWire(r.error));
    };
    // A group commit's replies come as one array.
    worker.on("message", (r: Reply | Reply[]) => (Array.isArray(r) ? r.forEach(settle) : settle(r)));
    const die = (err: Error) => {
      this.#dead = new StoreError("audit/store-unreadable", `the audit store thread stopped: ${err.message.toLowerCase()}`);
      for (const p of this.#pending.values()) p.reject(this.#dead);
      this.#pending.clear();
    };
    worker.on("error", die);
    worker.on("exit", (code) => {
      if (!this.#closed && !this.#closing) die(new Error(`exit code ${code}`));
    });
  }

  /** Starts the worker and opens the SQLite file there; same options and errors as SqliteStore.open. */
  static async open(path: string, options: { create?: boolean } = {}): Promise<ThreadedSqliteStore> {
    // node:sqlite is flagged experimental in Node 22: its warning from the worker would only
    // teach users to ignore stderr.
    const workerData = { palisadeSqlite: { path, create: options.create ?? true } };
    let worker: Worker;
    try {
      worker = new Worker(new URL(import.meta.url), { execArgv: [...process.execArgv, "--disable-warning=ExperimentalWarning"], workerData });
    } catch (err) {
      // A worker given its flags refuses V8's and the process's own (`node --max-old-space-size`,
      // `--stack-size`), which are common in production; inherited, they are fine. The warning
      // may then show once.
      if ((err as { code?: unknown }).code !== "ERR_WORKER_INVALID_EXEC_ARGV") throw err;
      worker = new Worker(new URL(import.meta.url), { workerData });
    }
    const store = new ThreadedSqliteStore(path, worker);
    try {
      await store.#call(0, "open", []);
      return store;
    } catch (err) {
      store.#closed = true;
      await worker.terminate();
      throw err;
    }
  }

  #call(id: number, method: string, args: unknown[], transfer?: ArrayBuffer[]): Promise<unknown> {
    if (this.#dead) return Promise.reject(this.#dead);
    if (this.#closed && method !== "open") return Promise.reject(new StoreError("audit/store-closed", "the audit store is closed"));
    this.#worker.ref();
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (method !== "open") this.#worker.postMessage({ id, method, args } satisfies Request, transfer);
    });
  }

  #send<T>(method: string, ...args: unknown[]): Promise<T> {
    return this.#call(this.#next++, method, args) as Promise<T>;
  }

  append(entries: readonly NewEntry[]): Promise<AppendResult> {
    // Hashes a caller computed are not sent: the worker computes each from the bytes it stores.
    const p = pack(entries);
    return this.#call(this.#next++, "appendPacked", [p], [p.packed]) as Promise<AppendResult>;
  }
  async appendDocuments(entries: readonly NewDocumentEntry[], sealing?: DocumentSealing, settle?: SettingsToRecord): Promise<DocumentAppendResult> {
    const p = packDocuments(entries);
    const args = settle === undefined ? [p, sealing] : [p, sealing, settle];
    const r = (await this.#call(this.#next++, "appendDocuments", args, [p.times.buffer as ArrayBuffer])) as DocumentsReply;
    return { first: r.first, size: r.size, refused: r.refused.map((x) => ({ at: x.at, error: fromWire(x.error) })), ...(r.settled !== undefined ? { settled: r.settled } : {}) };
  }
  size(): Promise<number> {
    return this.#send("size");
  }
  /** CPU time the store's own thread has used so far (for benchmarks and metrics). */
  threadCpuUsage(): Promise<NodeJS.CpuUsage> {
    return this.#send("threadCpuUsage");
  }
  entries(from: number, to: number): Promise<StoredEntry[]> {
    return this.#send("entries", from, to);
  }
  nodes(ids: readonly NodeId[]): Promise<Map<string, Uint8Array>> {
    return this.#send("nodes", ids);
  }
  levelHashes(level: number, from: number, to: number): Promise<Map<number, Uint8Array>> {
    return this.#send("levelHashes", level, from, to);
  }
  nodeCount(): Promise<number> {
    return this.#send("nodeCount");
  }
  addCheckpoint(checkpoint: StoredCheckpoint): Promise<void> {
    return this.#send("addCheckpoint", checkpoint);
  }
  checkpoints(): Promise<StoredCheckpoint[]> {
    return this.#send("checkpoints");
  }
  lastCheckpoint(): Promise<StoredCheckpoint | undefined> {
    return this.#send("lastCheckpoint");
  }
  getMeta(name: string): Promise<string | undefined> {
    return this.#send("getMeta", name);
  }
  initMeta(name: string, value: string): Promise<string> {
    return this.#send("initMeta", name, value);
  }
  setMeta(name: string, value: string): Promise<void> {
    return this.#send("setMeta", name, value);
  }
  subjectKeys(subjects: readonly string[], newKey: () => { keyId: string; key: Uint8Array }): Promise<Map<string, SubjectKey>> {
    const unique = [...new Set(subjects)];
    return this.#send("subjectKeys", unique, unique.map(() => newKey()));
  }
  keysById(keyIds: readonly string[]): Promise<Map<string, SubjectKey>> {
    return this.#send("keysById", keyIds);
  }
  eraseSubject(subject: string, time: number): Promise<EraseOutcome> {
    return this.#send("eraseSubject", subject, time);
  }
  subjectEntryCount(subject: string): Promise<number> {
    return this.#send("subjectEntryCount", subject);
  }

  async close(): Promise<void> {
    if (this.#closed || this.#closing) return;
    this.#closing = true;
    try {
      await this.#send("close");
    } finally {
      this.#closed = true;
      await this.#worker.terminate();
    }
  }
}
