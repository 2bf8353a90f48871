// The embedded store: one SQLite file through Node's built-in node:sqlite.
//
// Durability: WAL journal with synchronous=FULL. In WAL mode NORMAL already survives a killed
// process, but an OS crash or power loss could drop the last commits, and an append's promise
// means "durable"; FULL syncs the WAL on every commit, and group commit (one transaction per
// batch in log.ts) spreads that one sync over the whole batch.
//
// Erasure: secure_delete zeroes the bytes a destroyed key occupied (and freed pages), the WAL is
// folded into the file and truncated after an erase so no old page holding the key stays in
// either, and the files are then searched for the key bytes: an erasure is reported done only
// when they are gone.
import { closeSync, existsSync, openSync, readSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { immediateTransaction } from "../storage/sqlite.ts";
import type { StatementSync } from "node:sqlite";
import type { CompactRange, NodeId } from "./merkle.ts";
import { StoreError, appendNodes, edgeIds, edgeRange, leafHashesOf, nodeKey } from "./store.ts";
import type { AppendResult, AuditStore, EraseOutcome, NewEntry, StoredCheckpoint, StoredEntry, SubjectKey } from "./store.ts";
/** Meta row set while an erasure has not yet removed every copy of a key from the files. */
const PURGE_PENDING = "erasure_pending";
/** How long a write waits for another connection's lock. */
const BUSY_TIMEOUT_MS = 10_000;
/** How long an erasure waits for readers to let the WAL be folded in and emptied. */
const ERASE_WAIT_MS = 2_000;

/** Whether `file` contains any of `needles` (read in chunks that overlap by a needle's length). */
function fileHolds(file: string, needles: readonly Uint8Array[]): boolean {
  if (!existsSync(file)) return false;
  const longest = Math.max(...needles.map((n) => n.length));
  const fd = openSync(file, "r");
  try {
    const buf = Buffer.alloc(1 << 20);
    let carry = 0;
    for (let pos = 0; ; ) {
      const n = readSync(fd, buf, carry, buf.length - carry, pos);
      if (n === 0) return false;
      const view = buf.subarray(0, carry + n);
      if (needles.some((x) => view.indexOf(x) >= 0)) return true;
      pos += n;
      carry = Math.min(longest - 1, view.length);
      view.copy(buf, 0, view.length - carry);
    }
  } finally {
    closeSync(fd);
  }
}

// How many entries each data subject has, and where its first and last are: what an erasure
// reports. It replaced an index on entries.subject, which grew by a row per entry: every commit
// then dirtied about one index page per subject in its batch, and under a steady load that was
// about half of the store's CPU per entry (16 KiB pages written to the WAL for a few bytes
// each). This table holds a row per subject, so a batch's subjects share a few pages.
const SUBJECT_ENTRIES = `
CREATE TABLE IF NOT EXISTS subject_entries (
  subject TEXT PRIMARY KEY,
  entries INTEGER NOT NULL,
  first_idx INTEGER NOT NULL,
  last_idx INTEGER NOT NULL
) WITHOUT ROWID;`;

/** Builds subject_entries from the entries of a log written before it existed, and drops the index it replaces. */
function migrateSubjects(db: DatabaseSync): void {
  db.exec(SUBJECT_ENTRIES);
  db.exec("INSERT INTO subject_entries (subject, entries, first_idx, last_idx) SELECT subject, count(*), min(idx), max(idx) FROM entries WHERE subject IS NOT NULL GROUP BY subject");
  db.exec("DROP INDEX IF EXISTS entries_subject");
}

/** Each subject of a batch whose first entry is at `first`: how many entries it has there, its first and last index. */
function subjectRuns(entries: readonly { readonly subject: string | null }[], first: number): Map<string, { entries: number; first: number; last: number }> {
  const out = new Map<string, { entries: number; first: number; last: number }>();
  for (let i = 0; i < entries.length; i++) {
    const s = entries[i].subject;
    if (s === null) continue;
    const r = out.get(s);
    if (r === undefined) out.set(s, { entries: 1, first: first + i, last: first + i });
    else {
      r.entries++;
      r.last = first + i;
    }
  }
  return out;
}

const SUBJECT_UPSERT = " ON CONFLICT (subject) DO UPDATE SET entries = entries + excluded.entries, last_idx = excluded.last_idx";

// One row per completed perfect subtree of height >= 1 (leaf hashes live on the entries), keyed
// by the last leaf it covers, then its level. A commit's new nodes all cover leaves of that
// commit, so they land as one run at the end of the B-tree: keyed by (level, idx), each level's
// new rows went to that level's own page, and a commit of 50 entries wrote ~16 pages of nodes
// (each a full 16 KiB page image into the WAL) where this writes one or two. The key is one
// integer, last * 64 + level (a level is below 64), as the table's rowid: a rowid B-tree takes
// rows in ascending order by appending, where a composite key cost a search and a record
// comparison per row (a commit's node rows cost ~3.3 us an entry keyed (last, level) and
// about nothing as rowids at 50 entries a commit; ~2.2 and ~0.7 us at 200).
const NODES = `
CREATE TABLE IF NOT EXISTS nodes (
  id INTEGER PRIMARY KEY,
  hash BLOB NOT NULL
);`;

/** The last leaf that node `index` of `level` covers. */
function lastLeaf(level: number, index: number): number {
  return (index + 1) * 2 ** level - 1;
}

/** Above this last leaf, last * 64 + level is past 2^53 and is bound as a bigint to stay exact. */
const EXACT_LAST = 2 ** 47;

/** The rowid of node `index` of `level` in NODES. */
function nodeRow(level: number, index: number): number | bigint {
  const last = lastLeaf(level, index);
  return last < EXACT_LAST ? last * 64 + level : BigInt(last) * 64n + BigInt(level);
}

/**
 * Moves a log written with nodes keyed by (level, idx) onto NODES, in the caller's transaction.
 * The rows are read back in the new key's order so the new table is built by appends.
 */
function migrateNodes(db: DatabaseSync): void {
  db.exec("ALTER TABLE nodes RENAME TO nodes_by_level");
  db.exec(NODES);
  db.exec("INSERT INTO nodes (id, hash) SELECT ((idx + 1) * (1 << level) - 1) * 64 + level, hash FROM nodes_by_level ORDER BY 1");
  db.exec("DROP TABLE nodes_by_level");
}

/**
 * Widest subtree whose level levelHashes reads in one range: a range over n nodes of width w
 * steps over about n * w rows of all levels, where one lookup a node costs a few row reads.
 */
const SCAN_WIDTH = 16;

/** Page size of a new log's file. */
const PAGE_SIZE = 16384;
/** Rows per multi-row INSERT, largest first (SQLite allows 32,766 parameters per statement). */
const ROW_COUNTS = [200, 40, 8, 1] as const;


const SCHEMA = `
CREATE TABLE IF NOT EXISTS entries (
  idx INTEGER PRIMARY KEY,
  data BLOB NOT NULL,
  leaf_hash BLOB NOT NULL,
  subject TEXT,
  time INTEGER NOT NULL
);
${NODES}
CREATE TABLE IF NOT EXISTS checkpoints (
  id INTEGER PRIMARY KEY,
  size INTEGER NOT NULL,
  root BLOB NOT NULL,
  note TEXT NOT NULL,
  time INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS subject_keys (
  key_id TEXT PRIMARY KEY,
  subject TEXT NOT NULL,
  key BLOB,
  created_at INTEGER NOT NULL,
  erased_at INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS subject_keys_live ON subject_keys (subject) WHERE erased_at IS NULL;
CREATE TABLE IF NOT EXISTS meta (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
${SUBJECT_ENTRIES}
`;

/**
 * Opens the log's tables inside one write transaction (so that two processes opening an older
 * file do not both migrate it): creates them when `create`, and moves a log written before the
 * subject_entries table existed, or with nodes keyed by (level, idx), onto today's tables.
 */
function openSchema(db: DatabaseSync, path: string, create: boolean): void {
  const tables = () => new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Row[]).map((r) => String(r.name)));
  immediateTransaction(db, () => {
    const have = tables();
    if (have.has("entries") && !have.has("subject_entries")) migrateSubjects(db);
    if (have.has("nodes") && (db.prepare("SELECT name FROM pragma_table_info('nodes')").all() as Row[]).some((r) => r.name === "level")) migrateNodes(db);
    if (create) db.exec(SCHEMA);
    const now = tables();
    if (!["entries", "nodes", "checkpoints", "subject_keys", "meta", "subject_entries"].every((t) => now.has(t))) throw new StoreError("audit/store-unreadable", `'${path}' is not a palisade audit log`, "pass --db with the log's SQLite file or a postgres:// URL");
  });
}

type Row = Record<string, unknown>;

function bytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  throw new StoreError("audit/store-corrupt", "a stored hash or entry is not a byte string", "run 'palisade audit verify' to find the damage");
}

function toCheckpoint(r: Row): StoredCheckpoint {
  return { size: Number(r.size), root: bytes(r.root), note: String(r.note), time: Number(r.time) };
}

function toKey(r: Row): SubjectKey {
  return {
    keyId: String(r.key_id),
    subject: String(r.subject),
    key: r.key === null ? null : bytes(r.key),
    createdAt: Number(r.created_at),
    erasedAt: r.erased_at === null ? null : Number(r.erased_at),
  };
}

/** The SQLite audit store (the embedded default). */
export class SqliteStore implements AuditStore {
  readonly location: string;
  /** Appends are applied in call order (one writer). */
  readonly ordered = true;
  readonly #db: DatabaseSync;
  readonly #q: Record<string, StatementSync>;
  #closed = false;

  private constructor(location: string, db: DatabaseSync) {
    this.location = location;
    this.#db = db;
    const p = (sql: string) => db.prepare(sql);
    this.#q = {
      size: p("SELECT max(idx) AS m FROM entries"),
      leaf: p("SELECT leaf_hash FROM entries WHERE idx = ?"),
      node: p("SELECT hash FROM nodes WHERE id = ?"),
      insEntry: p("INSERT INTO entries (idx, data, leaf_hash, subject, time) VALUES (?, ?, ?, ?, ?)"),
      entries: p("SELECT idx, data, leaf_hash, subject, time FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx"),
      leaves: p("SELECT idx, leaf_hash FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx"),
      levelNodes: p("SELECT id >> 6 AS last, hash FROM nodes WHERE id >= ? AND id <= ? AND (id & 63) = ? ORDER BY id"),
      nodeCount: p("SELECT count(*) AS n FROM nodes"),
      insCheckpoint: p("INSERT INTO checkpoints (size, root, note, time) VALUES (?, ?, ?, ?)"),
      checkpoints: p("SELECT size, root, note, time FROM checkpoints ORDER BY size, time, id"),
      lastCheckpoint: p("SELECT size, root, note, time FROM checkpoints ORDER BY size DESC, time DESC, id DESC LIMIT 1"),
      getMeta: p("SELECT value FROM meta WHERE name = ?"),
      initMeta: p("INSERT OR IGNORE INTO meta (name, value) VALUES (?, ?)"),
      liveKey: p("SELECT key_id, subject, key, created_at, erased_at FROM subject_keys WHERE subject = ? AND erased_at IS NULL"),
      insKey: p("INSERT INTO subject_keys (key_id, subject, key, created_at) VALUES (?, ?, ?, ?)"),
      keyById: p("SELECT key_id, subject, key, created_at, erased_at FROM subject_keys WHERE key_id = ?"),
      erase: p("UPDATE subject_keys SET key = NULL, erased_at = ? WHERE subject = ? AND erased_at IS NULL"),
      liveKeys: p("SELECT key FROM subject_keys WHERE subject = ? AND key IS NOT NULL"),
      setMeta: p("INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value"),
      deleteMeta: p("DELETE FROM meta WHERE name = ?"),
      subjectCount: p("SELECT coalesce(sum(entries), 0) AS n FROM subject_entries WHERE subject = ?"),
    };
    // Rows as arrays on the bulk reads: verification reads every row, and objects cost there.
    for (const q of [this.#q.entries, this.#q.leaves, this.#q.levelNodes]) q.setReturnArrays(true);
  }

  /**
   * Opens (and by default creates) the log in the SQLite file at `path` (":memory:" for a
   * private in-memory log). With `create: false` a missing file is a StoreError, not a new log.
   */
  static open(path: string, options: { create?: boolean } = {}): SqliteStore {
    const create = options.create ?? true;
    if (!create && path !== ":memory:" && !existsSync(path)) {
      throw new StoreError("audit/store-missing", `no audit log at '${path}'`, "pass --db with the log's SQLite file or a postgres:// URL");
    }
    let db: DatabaseSync | undefined;
    try {
      // A log holds what agents did for whom: a new file is readable by its owner only (SQLite
      // gives its -wal and -shm files the same mode).
      if (create && path !== ":memory:" && !existsSync(path)) closeSync(openSync(path, "wx", 0o600));
      db = new DatabaseSync(path);
      db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
      // Larger pages for a new log: every commit rewrites each page it touches into the WAL, one
      // write per page, and entries are about a kilobyte. Under load 16 KiB pages cut the store
      // thread's CPU per entry by about a fifth against 4 KiB (bench: serve). Only a new file
      // takes it; an existing log keeps its page size.
      if (create) db.exec(`PRAGMA page_size = ${PAGE_SIZE}`);
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = FULL");
      db.exec("PRAGMA secure_delete = ON");
      openSchema(db, path, create);
      return new SqliteStore(path, db);
    } catch (err) {
      db?.close();
      if (err instanceof StoreError) throw err;
      throw new StoreError("audit/store-unreadable", `cannot open '${path}' as a SQLite audit log: ${err instanceof Error ? err.message.toLowerCase() : String(err)}`);
    }
  }

  #open(): DatabaseSync {
    if (this.#closed) throw new StoreError("audit/store-closed", "the audit store is closed");
    return this.#db;
  }

  #tx<T>(body: () => T): T {
    // The size read inside the body must not go stale before the append writes.
    return immediateTransaction(this.#open(), body);
  }

  readonly #multi = new Map<string, StatementSync>();

  /**
   * Inserts `args` (rows of `width` values, flattened) into `table`, in statements of a few fixed
   * row counts (ROW_COUNTS, largest first): preparing a statement of 250 parameters costs more
   * than a small batch's inserts, so a batch of any size reuses the same few prepared ones.
   */
  #insertRows(table: string, width: number, args: readonly (number | bigint | Uint8Array | string | null)[], onConflict = ""): void {
    const rows = args.length / width;
    let r = 0;
    for (const n of ROW_COUNTS) {
      for (; rows - r >= n; r += n) {
        const key = `${table}/${n}`;
        let st = this.#multi.get(key);
        if (st === undefined) {
          const row = `(${new Array(width).fill("?").join(", ")})`;
          st = this.#open().prepare(`INSERT INTO ${table} VALUES ${new Array(n).fill(row).join(", ")}${onConflict}`);
          this.#multi.set(key, st);
        }
        st.run(...args.slice(r * width, (r + n) * width));
      }
    }
  }

  #size(): number {
    const r = this.#q.size.get() as Row;
    return r.m === null ? 0 : Number(r.m) + 1;
  }

  /**
   * The tree as this connection's last append left it. The next append resumes from it instead of
   * reading the right edge back (a lookup per set bit of the size, most of the fixed cost of a
   * small commit) when the log still has that size, that is when no other writer appended since.
   * Taken out while an append runs, so a failed one leaves none behind.
   */
  #range: CompactRange | undefined;

  async append(entries: readonly NewEntry[]): Promise<AppendResult> {
    const kept = this.#range;
    this.#range = undefined;
    const { result, range } = this.#tx(() => {
      const first = this.#size();
      const range = kept?.size === first ? kept : edgeRange(first, this.#nodes(edgeIds(first)));
      const leaves = leafHashesOf(entries);
      const nodes = appendNodes(range, leaves);
      // Many rows per statement: each run() crosses from JS into SQLite, and at a row or two per
      // entry that crossing, not the insert, is what a one-row statement spends its time on.
      const entryArgs: (number | Uint8Array | string | null)[] = [];
      let i = first;
      entries.forEach((e, k) => entryArgs.push(i++, e.data, leaves[k], e.subject, e.time));
      this.#insertRows("entries (idx, data, leaf_hash, subject, time)", 5, entryArgs);
      const nodeArgs: (number | bigint | Uint8Array)[] = [];
      for (const n of nodes) nodeArgs.push(nodeRow(n.level, n.index), n.hash);
      this.#insertRows("nodes (id, hash)", 2, nodeArgs);
      const subjectArgs: (number | string)[] = [];
      for (const [subject, r] of subjectRuns(entries, first)) subjectArgs.push(subject, r.entries, r.first, r.last);
      this.#insertRows("subject_entries (subject, entries, first_idx, last_idx)", 4, subjectArgs, SUBJECT_UPSERT);
      return { result: { first, size: i }, range };
    });
    this.#range = range;
    return result;
  }

  async size(): Promise<number> {
    this.#open();
    return this.#size();
  }

  async entries(from: number, to: number): Promise<StoredEntry[]> {
    this.#open();
    const rows = this.#q.entries.all(from, to) as unknown as [number, unknown, unknown, string | null, number][];
    return rows.map(([index, data, leaf, subject, time]) => ({ index, data: bytes(data), leafHash: bytes(leaf), subject, time }));
  }

  #nodes(ids: readonly NodeId[]): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    for (const { level, index } of ids) {
      const r = (level === 0 ? this.#q.leaf.get(index) : this.#q.node.get(nodeRow(level, index))) as Row | undefined;
      if (r) out.set(nodeKey(level, index), bytes(level === 0 ? r.leaf_hash : r.hash));
    }
    return out;
  }

  async nodes(ids: readonly NodeId[]): Promise<Map<string, Uint8Array>> {
    this.#open();
    return this.#nodes(ids);
  }

  async levelHashes(level: number, from: number, to: number): Promise<Map<number, Uint8Array>> {
    this.#open();
    const out = new Map<number, Uint8Array>();
    if (level === 0) {
      for (const [i, h] of this.#q.leaves.all(from, to) as unknown as [number, unknown][]) out.set(i, bytes(h));
      return out;
    }
    if (to <= from) return out;
    const width = 2 ** level;
    if (width > SCAN_WIDTH) {
      // Nodes of one level lie width apart among every level's rows: looked up one by one, up
      // to the last the log's entries complete (a range past them, from a damaged checkpoint's
      // size, would otherwise be a loop over nothing).
      const end = Math.min(to, Math.floor(this.#size() / width));
      for (let i = from; i < end; i++) {
        const r = this.#q.node.get(nodeRow(level, i)) as Row | undefined;
        if (r) out.set(i, bytes(r.hash));
      }
      return out;
    }
    // Low levels: one range read over the leaves they cover, the other levels' rows skipped in SQLite.
    for (const [last, h] of this.#q.levelNodes.all(nodeRow(level, from), nodeRow(level, to - 1), level) as unknown as [number, unknown][]) out.set((last + 1) / width - 1, bytes(h));
    return out;
  }

  async nodeCount(): Promise<number> {
    this.#open();
    return Number((this.#q.nodeCount.get() as Row).n);
  }

  async addCheckpoint(c: StoredCheckpoint): Promise<void> {
    this.#open();
    this.#q.insCheckpoint.run(c.size, c.root, c.note, c.time);
  }

  async checkpoints(): Promise<StoredCheckpoint[]> {
    this.#open();
    return (this.#q.checkpoints.all() as Row[]).map(toCheckpoint);
  }

  async lastCheckpoint(): Promise<StoredCheckpoint | undefined> {
    this.#open();
    const r = this.#q.lastCheckpoint.get() as Row | undefined;
    return r ? toCheckpoint(r) : undefined;
  }

  async getMeta(name: string): Promise<string | undefined> {
    this.#open();
    const r = this.#q.getMeta.get(name) as Row | undefined;
    return r ? String(r.value) : undefined;
  }

  async initMeta(name: string, value: string): Promise<string> {
    this.#open();
    this.#q.initMeta.run(name, value);
    return String((this.#q.getMeta.get(name) as Row).value);
  }

  async setMeta(name: string, value: string): Promise<void> {
    this.#open();
    this.#q.setMeta.run(name, value);
  }

  async subjectKeys(subjects: readonly string[], newKey: () => { keyId: string; key: Uint8Array }): Promise<Map<string, SubjectKey>> {
    // Subjects that have a live key (nearly always all of them) are read without taking the
    // write lock: a write transaction per batch sealed cost two lock round trips for nothing.
    this.#open();
    const unique = [...new Set(subjects)];
    const found = new Map<string, SubjectKey>();
    for (const subject of unique) {
      const r = this.#q.liveKey.get(subject) as Row | undefined;
      if (!r) break;
      found.set(subject, toKey(r));
    }
    if (found.size === unique.length) return found;
    return this.#tx(() => {
      const out = new Map<string, SubjectKey>();
      for (const subject of new Set(subjects)) {
        let r = this.#q.liveKey.get(subject) as Row | undefined;
        if (!r) {
          const k = newKey();
          this.#q.insKey.run(k.keyId, subject, k.key, Date.now());
          r = this.#q.liveKey.get(subject) as Row;
        }
        out.set(subject, toKey(r));
      }
      return out;
    });
  }

  async keysById(keyIds: readonly string[]): Promise<Map<string, SubjectKey>> {
    this.#open();
    const out = new Map<string, SubjectKey>();
    for (const id of new Set(keyIds)) {
      const r = this.#q.keyById.get(id) as Row | undefined;
      if (r) out.set(id, toKey(r));
    }
    return out;
  }

  async eraseSubject(subject: string, time: number, waitMs = ERASE_WAIT_MS): Promise<EraseOutcome> {
    const db = this.#open();
    const { destroyed, secrets } = this.#tx(() => {
      const secrets = (this.#q.liveKeys.all(subject) as Row[]).map((r) => bytes(r.key));
      const destroyed = Number(this.#q.erase.run(time, subject).changes);
      // Remembered until the bytes are known to be gone, so a later call finishes the job.
      if (destroyed > 0) this.#q.setMeta.run(PURGE_PENDING, "1");
      return { destroyed, secrets };
    });
    if (destroyed === 0 && this.#q.getMeta.get(PURGE_PENDING) === undefined) return { destroyed, remains: [] };
    // secure_delete zeroed the key where the row lived, but only in the new page image, which
    // sits in the WAL; the database file keeps the old page until a checkpoint copies the new one
    // over it, and a reader's open snapshot stops that copy. TRUNCATE folds everything in and
    // empties the WAL, waiting up to waitMs for readers to finish.
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(waitMs))}`);
    let busy: boolean;
    try {
      const r = db.prepare("PRAGMA wal_checkpoint(TRUNCATE)").get() as Row | undefined;
      busy = r === undefined || Number(r.busy) !== 0;
    } finally {
      db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
    const remains: string[] = [];
    if (busy) remains.push(`another connection to '${this.location}' holds a read transaction, so the database file and its WAL keep the old page until it ends`);
    for (const file of this.location === ":memory:" ? [] : [this.location, `${this.location}-wal`]) {
      if (secrets.length > 0 && fileHolds(file, secrets)) remains.push(`'${file}' still holds the key bytes`);
    }
    if (remains.length === 0) {
      this.#q.deleteMeta.run(PURGE_PENDING);
      // That delete went to the WAL: fold it in too, so no page image of the meta table lingers (it holds no key).
      db.prepare("PRAGMA wal_checkpoint(PASSIVE)").get();
    }
    return { destroyed, remains };
  }

  async subjectEntryCount(subject: string): Promise<number> {
    this.#open();
    return Number((this.#q.subjectCount.get(subject) as Row).n);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}
