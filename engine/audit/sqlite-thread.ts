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
import { newSubjectKey, pseudonymOf } from "./erasure.ts";
import { AuditError } from "./errors.ts";
import type { AuditErrorCode } from "./errors.ts";
import type { NodeId } from "./merkle.ts";
import { SqliteStore } from "./sqlite-store.ts";
import { StoreError } from "./store.ts";
import type { AppendResult, AuditStore, DocumentAppendResult, DocumentSealing, EraseOutcome, NewDocumentEntry, NewEntry, StoreErrorCode, StoredCheckpoint, StoredEntry, SubjectKey } from "./store.ts";

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

/**
 * Encodes the documents here, on the store's thread, sealing them when the log does (with the
 * subjects' live keys read from this store just before the append, so a subject erased earlier
 * in request order gets a fresh key), and appends the ones that encoded.
 */
/** What one appendDocuments request encoded to: its entries, and the documents refused, by place in the request. */
interface Encoded {
  readonly entries: NewEntry[];
  readonly refused: { at: number; error: WireError }[];
}

async function encodeDocuments(store: SqliteStore, p: PackedDocuments, sealing: DocumentSealing | undefined): Promise<Encoded> {
  const docs: { at: number; doc: DocumentEntry }[] = [];
  const refused: { at: number; error: WireError }[] = [];
  let at = 0;
  for (const text of p.texts) {
    const parts = text.split(NUL);
    if (parts.length % 5 !== 0) throw new AuditError("audit/invalid-record", "an entry's text holds a NUL character, which canonical JSON escapes");
    for (let j = 0; j < parts.length; j += 5, at++) {
      // The limit, prefixed with "c" when the document is canonical text already.
      const limit = parts[j + 4];
      const canonical = limit.startsWith("c");
      docs.push({ at, doc: { head: parts[j], name: parts[j + 1], json: parts[j + 2], tail: parts[j + 3], maxInline: Number(canonical ? limit.slice(1) : limit), canonical } });
    }
  }
  if (at !== p.times.length) throw new AuditError("audit/invalid-record", "an entry's text holds a NUL character, which canonical JSON escapes");
  const entries: NewEntry[] = [];
  if (sealing === undefined) {
    for (const { at, doc } of docs) {
      try {
        entries.push({ data: encodeDocumentEntry(doc), subject: null, time: p.times[at] });
      } catch (err) {
        refused.push({ at, error: toWire(err) });
      }
    }
  } else {
    const prepared: { at: number; d: SealableDocument; subject: string | null }[] = [];
    for (const { at, doc } of docs) {
      try {
        const d = prepareSealing(doc, sealing.policy);
        prepared.push({ at, d, subject: d.subject === null ? null : pseudonym(sealing.salt, d.subject) });
      } catch (err) {
        refused.push({ at, error: toWire(err) });
      }
    }
    const subjects = [...new Set(prepared.map((x) => x.subject).filter((s): s is string => s !== null))];
    const keys = subjects.length > 0 ? await store.subjectKeys(subjects, newSubjectKey) : new Map<string, SubjectKey>();
    for (const { at, d, subject } of prepared) {
      try {
        const k = subject === null ? undefined : keys.get(subject);
        entries.push({ data: sealDocument(d, sealing.policy, k?.key ? { keyId: k.keyId, key: k.key } : null), subject, time: p.times[at] });
      } catch (err) {
        refused.push({ at, error: toWire(err) });
      }
    }
    // Refusals from both passes, in batch order.
    refused.sort((a, b) => a.at - b.at);
  }
  return { entries, refused };
}

type DocumentsReply = { first: number; size: number; refused: { at: number; error: WireError }[] };

/**
 * Appends the documents of several requests in one transaction (group commit on this thread:
 * the requests that queued up while the last commit synced share the next sync), in request
 * order; each request's reply says where its entries went. Each request is encoded (and its
 * subjects' keys read) before the append, as it would be alone, and a request refused whole
 * (its text broken) fails alone.
 */
async function appendDocumentGroups(store: SqliteStore, requests: readonly Request[]): Promise<Reply[]> {
  const encoded: (Encoded | WireError)[] = [];
  for (const r of requests) {
    try {
      encoded.push(await encodeDocuments(store, r.args[0] as PackedDocuments, r.args[1] as DocumentSealing | undefined));
    } catch (err) {
      encoded.push(toWire(err));
    }
  }
  const all: NewEntry[] = [];
  for (const e of encoded) if ("entries" in e) for (const x of e.entries) all.push(x);
  let first = all.length > 0 ? (await store.append(all)).first : await store.size();
  return encoded.map((e, i) => {
    if (!("entries" in e)) return { id: requests[i].id, ok: false, error: e };
    const value: DocumentsReply = { first, size: first + e.entries.length, refused: e.refused };
    first += e.entries.length;
    return { id: requests[i].id, ok: true, value };
  });
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
      // Every append already waiting behind this one joins its transaction; the first request
      // of another kind ends the group and is served right after it, so order is kept.
      const group = [req];
      let after: Request | undefined;
      for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
        const next = m.message as Request;
        if (next.method !== "appendDocuments" || group.length >= MAX_GROUP) {
          after = next;
          break;
        }
        group.push(next);
      }
      try {
        for (const reply of await appendDocumentGroups(store, group)) port.postMessage(reply);
      } catch (err) {
        for (const r of group) port.postMessage({ id: r.id, ok: false, error: toWire(err) } satisfies Reply);
      }
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
    worker.on("message", (r: Reply) => {
      const p = this.#pending.get(r.id);
      if (!p) return;
      this.#pending.delete(r.id);
      // An idle worker must not keep the process alive; only outstanding requests do.
      if (this.#pending.size === 0) worker.unref();
      if (r.ok) p.resolve(r.value);
      else p.reject(fromWire(r.error));
    });
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
  async appendDocuments(entries: readonly NewDocumentEntry[], sealing?: DocumentSealing): Promise<DocumentAppendResult> {
    const p = packDocuments(entries);
    const r = (await this.#call(this.#next++, "appendDocuments", [p, sealing], [p.times.buffer as ArrayBuffer])) as { first: number; size: number; refused: { at: number; error: WireError }[] };
    return { first: r.first, size: r.size, refused: r.refused.map((x) => ({ at: x.at, error: fromWire(x.error) })) };
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
