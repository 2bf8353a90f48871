// Full verification of a stored log, trusting nothing the store says: every leaf hash is
// recomputed from the entry bytes, the tree is rebuilt from those leaves, and every stored node
// and every stored signed checkpoint is compared with the rebuilt tree.
//
// Naming the first bad index: a change shows up at the leaf (when the stored leaf hash no longer
// matches the data) and again in every node and checkpoint above it. Only root causes count: a
// failing node or checkpoint is a consequence when a failure already lies inside its range. A
// root cause is exact for leaves and missing entries; for a node it is the first leaf of the
// smallest subtree that disagrees (e.g. a row swapped together with its leaf hash shows as
// "entries 4..5"), since no stored hash below it can tell the two leaves apart.
import { bytesEqual, leafHash, toHex } from "./hash.ts";
import { CompactRange } from "./merkle.ts";
import type { AuditStore, StoredCheckpoint } from "./store.ts";

/** What kind of damage a problem is. */
export type ProblemKind = "leaf" | "missing" | "node" | "extra" | "checkpoint";

/** One thing verification found wrong; entries from..to-1 are where the damage lies. */
export interface VerifyProblem {
  readonly kind: ProblemKind;
  /** First entry index the problem may concern. */
  readonly index: number;
  /** One past the last entry index the problem may concern. */
  readonly to: number;
  /** Lowercase, one line. */
  readonly message: string;
  /** False when an earlier problem in its range explains it. */
  readonly rootCause: boolean;
}

/** The outcome of verifying a stored log. */
export interface VerifyReport {
  readonly ok: boolean;
  /** Entries in the store (one past the highest index). */
  readonly size: number;
  /** Root recomputed from the entries. */
  readonly root: Uint8Array;
  /** First index whose entry, or the tree over it, fails; null when ok. */
  readonly firstBadIndex: number | null;
  /** The first problems found, root causes first (at most `maxProblems`). */
  readonly problems: readonly VerifyProblem[];
  /** How many problems were found in all. */
  readonly problemCount: number;
  readonly checked: { readonly entries: number; readonly nodes: number; readonly checkpoints: number };
}

/** The checked contents of a signed checkpoint, or why it fails. */
export type CheckpointCheck = { readonly ok: true; readonly size: number; readonly root: Uint8Array } | { readonly ok: false; readonly reason: string };

/** Options for verifyStore. */
export interface VerifyStoreOptions {
  /** Verifies a stored checkpoint's signature and parses it. */
  readonly checkCheckpoint: (note: string) => CheckpointCheck;
  /** Entries read per store round trip. */
  readonly chunk?: number;
  /** Problems kept in the report. */
  readonly maxProblems?: number;
}

function popcount(n: number): number {
  let c = 0;
  for (let x = n; x > 0; x = Math.floor(x / 2)) c += x % 2;
  return c;
}

// A stand-in leaf for a missing entry, so the rebuilt tree keeps its shape; it never matches.
const MISSING: Uint8Array = new Uint8Array(32);

/** Verifies everything in `store`; never throws for damage (only for I/O failures). */
export async function verifyStore(store: AuditStore, options: VerifyStoreOptions): Promise<VerifyReport> {
  const chunk = options.chunk ?? 16384;
  const maxProblems = options.maxProblems ?? 100;
  const size = await store.size();
  const checkpoints = await store.checkpoints();
  const found: { kind: ProblemKind; index: number; to: number; message: string }[] = [];
  let problemCount = 0;
  let nodesChecked = 0;
  const report = (kind: ProblemKind, index: number, to: number, message: string) => {
    problemCount++;
    // Past this many the log is plainly wrecked; the count goes on, the details stop.
    if (found.length < 100_000) found.push({ kind, index, to, message });
  };

  // Checkpoints are checked when the rebuilt tree reaches their size; signatures up front.
  const pending: { cp: StoredCheckpoint; size: number; root: Uint8Array }[] = [];
  let lastGood = 0;
  for (const cp of checkpoints) {
    const c = options.checkCheckpoint(cp.note);
    if (!c.ok) {
      report("checkpoint", 0, Math.max(cp.size, 1), `checkpoint of size ${cp.size}: ${c.reason}`);
      continue;
    }
    if (c.size !== cp.size || !bytesEqual(c.root, cp.root)) {
      report("checkpoint", 0, Math.max(cp.size, 1), `checkpoint of size ${cp.size}: the stored size or root differs from the signed note`);
      continue;
    }
    pending.push({ cp, size: c.size, root: c.root });
  }
  pending.sort((a, b) => a.size - b.size);
  let next = 0;
  const range = new CompactRange();
  const checkHeads = () => {
    while (next < pending.length && pending[next].size === range.size) {
      const p = pending[next++];
      if (bytesEqual(range.root(), p.root)) lastGood = Math.max(lastGood, p.size);
      else report("checkpoint", lastGood, p.size, `signed checkpoint of size ${p.size} does not match the entries (root ${toHex(p.root).slice(0, 16)}…)`);
    }
  };
  checkHeads();

  for (let from = 0; from < size; from += chunk) {
    const to = Math.min(size, from + chunk);
    const rows = await store.entries(from, to);
    const made: { level: number; index: number; hash: Uint8Array }[] = [];
    const sink = (level: number, index: number, hash: Uint8Array) => {
      if (level > 0) made.push({ level, index, hash });
    };
    let r = 0;
    for (let i = from; i < to; i++) {
      const row = r < rows.length && rows[r].index === i ? rows[r++] : undefined;
      let h = MISSING;
      if (!row) report("missing", i, i + 1, `entry ${i} is missing`);
      else {
        h = leafHash(row.data);
        if (!bytesEqual(h, row.leafHash)) report("leaf", i, i + 1, `entry ${i}'s data does not match its stored leaf hash`);
      }
      range.append(h, sink);
      checkHeads();
    }
    // One range read per level rather than one lookup per node: the chunk's nodes are contiguous per level.
    const spans = new Map<number, { lo: number; hi: number }>();
    for (const n of made) {
      const sp = spans.get(n.level);
      if (!sp) spans.set(n.level, { lo: n.index, hi: n.index + 1 });
      else sp.hi = n.index + 1;
    }
    const stored = new Map<number, Map<number, Uint8Array>>();
    for (const [level, { lo, hi }] of spans) stored.set(level, await store.levelHashes(level, lo, hi));
    for (const n of made) {
      nodesChecked++;
      const width = 2 ** n.level;
      const a = n.index * width;
      const s = stored.get(n.level)?.get(n.index);
      if (!s) report("node", a, a + width, `stored node ${n.level}/${n.index} (entries ${a}..${a + width - 1}) is missing`);
      else if (!bytesEqual(s, n.hash)) report("node", a, a + width, `entries ${a}..${a + width - 1} do not match stored node ${n.level}/${n.index}`);
    }
  }

  for (; next < pending.length; next++) {
    report("checkpoint", size, pending[next].size, `signed checkpoint of size ${pending[next].size} covers entries ${size}..${pending[next].size - 1}, which are missing`);
  }
  const expectedNodes = size - popcount(size);
  const storedNodes = await store.nodeCount();
  if (storedNodes > expectedNodes) report("extra", size, size + 1, `${storedNodes - expectedNodes} stored node(s) lie beyond the last entry (entries removed from the end?)`);

  // A problem is a consequence when a narrower one starts inside its range: by index, then
  // narrowest first, the first candidate inside the range is found in a step or two.
  const width = (p: { index: number; to: number }) => p.to - p.index;
  const sorted = [...found].sort((x, y) => x.index - y.index || width(x) - width(y));
  const problems: VerifyProblem[] = [];
  let firstBad: number | null = null;
  for (const p of sorted) {
    let rootCause = true;
    if (p.kind !== "leaf" && p.kind !== "missing") {
      let lo = 0;
      let hi = sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sorted[mid].index < p.index) lo = mid + 1;
        else hi = mid;
      }
      for (let j = lo; j < sorted.length && sorted[j].index < p.to; j++) {
        if (sorted[j] !== p && width(sorted[j]) < width(p)) {
          rootCause = false;
          break;
        }
      }
    }
    if (rootCause && (firstBad === null || p.index < firstBad)) firstBad = p.index;
    problems.push({ ...p, rootCause });
  }
  const ordered = problems.sort((x, y) => Number(y.rootCause) - Number(x.rootCause) || x.index - y.index);
  return {
    ok: problemCount === 0,
    size,
    root: range.root(),
    firstBadIndex: firstBad,
    problems: ordered.slice(0, maxProblems),
    problemCount,
    checked: { entries: size, nodes: nodesChecked, checkpoints: checkpoints.length },
  };
}
