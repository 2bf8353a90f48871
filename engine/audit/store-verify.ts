// Full verification of a stored log, trusting nothing the store says: every leaf hash is
// recomputed from the entry bytes, the tree is rebuilt from those leaves, and every stored node,
// every stored signed checkpoint and every checkpoint the verifier holds is compared with the
// rebuilt tree.
//
// Naming the first bad index: a change shows up at the leaf (when the stored leaf hash no longer
// matches the data) and again in every node and checkpoint above it. Only root causes count: a
// failing node or checkpoint is a consequence when a failure already lies inside its range. A
// root cause is exact for leaves and missing entries; for a node it is the first leaf of the
// smallest subtree that disagrees (e.g. a row swapped together with its leaf hash shows as
// "entries 4..5"), since no stored hash below it can tell the two leaves apart. When only a
// signed root disagrees (entries, leaves and nodes rewritten together), the signed roots alone
// bound it to the entries between the last checkpoint that matches and the first that does not
// (reported as that range, `firstBadTo`); the signer's leaf memory (`signerLeaves`, kept outside
// the database) names the exact entry, once it is shown to reproduce a signed root (so it need
// not be trusted), and a copy of the tree's hashes published earlier (`reference`, e.g. the
// tiles a mirror keeps) narrows it too.
// Problems with a checkpoint itself (a bad or untrusted signature) name the checkpoint and no
// index: the entries may be fine.
import { bytesEqual, leafHash, toHex } from "./hash.ts";
import { CompactRange } from "./merkle.ts";
import type { AuditStore } from "./store.ts";

/** What kind of damage a problem is. */
export type ProblemKind = "leaf" | "missing" | "node" | "extra" | "checkpoint" | "signature" | "rollback" | "fork" | "unsigned" | "witness";

/** One thing verification found wrong; entries index..to-1 are where the damage lies (null: no entry in particular). */
export interface VerifyProblem {
  readonly kind: ProblemKind;
  /** First entry index the problem may concern, or null for a problem with a checkpoint or the trust in it. */
  readonly index: number | null;
  /** One past the last entry index the problem may concern, or null with `index`. */
  readonly to: number | null;
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
  /** First index whose entry, or the tree over it, fails; null when no entry is implicated. */
  readonly firstBadIndex: number | null;
  /**
   * One past the last entry the first damage may lie in: firstBadIndex + 1 when it is exact, more
   * when only a signed root shows it (the damage is somewhere in firstBadIndex..firstBadTo-1).
   */
  readonly firstBadTo: number | null;
  /** The first problems found, root causes first (at most `maxProblems`). */
  readonly problems: readonly VerifyProblem[];
  /** How many problems were found in all. */
  readonly problemCount: number;
  readonly checked: { readonly entries: number; readonly nodes: number; readonly checkpoints: number; readonly held: number };
  /** The largest stored checkpoint that a trusted key signed and the entries match, or null. */
  readonly latestTrusted: { readonly size: number; readonly origin: string; readonly note: string } | null;
}

/** The checked contents of a signed checkpoint, or why it fails. */
export type CheckpointCheck = { readonly ok: true; readonly size: number; readonly root: Uint8Array; readonly origin?: string } | { readonly ok: false; readonly reason: string };

/** A checkpoint the verifier already holds (its signature checked by the caller). */
export interface HeldCheckpoint {
  /** How to name it in a report, e.g. its file name. */
  readonly label: string;
  readonly size: number;
  readonly root: Uint8Array;
}

/** Options for verifyStore. */
export interface VerifyStoreOptions {
  /** Verifies a stored checkpoint's signature and parses it; undefined leaves it unchecked. */
  readonly checkCheckpoint: (note: string) => CheckpointCheck | undefined;
  /** Checkpoints the verifier holds: each must be within the log and have the log's root at its size. */
  readonly held?: readonly HeldCheckpoint[];
  /** Leaf hashes published earlier (e.g. a mirror's tiles), to pin down damage only a signed root shows. */
  readonly referenceLeaf?: (index: number) => Uint8Array | undefined;
  /**
   * The leaf hashes the signer kept outside the store, 32 bytes each in entry order (`label`
   * names the file). Used only below the largest signed size whose root they reproduce: there
   * they are what was signed, so an entry whose leaf differs is the damage.
   */
  readonly signerLeaves?: { readonly label: string; readonly hashes: Uint8Array };
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
  const found: { kind: ProblemKind; index: number | null; to: number | null; message: string }[] = [];
  let problemCount = 0;
  let nodesChecked = 0;
  const report = (kind: ProblemKind, index: number | null, to: number | null, message: string) => {
    problemCount++;
    // Past this many the log is plainly wrecked; the count goes on, the details stop.
    if (found.length < 100_000) found.push({ kind, index, to, message });
  };

  // Signed heads are checked when the rebuilt tree reaches their size; signatures up front.
  interface Head {
    readonly size: number;
    readonly root: Uint8Array;
    readonly name: string;
    readonly stored?: { readonly origin: string; readonly note: string };
    readonly held: boolean;
  }
  const heads: Head[] = [];
  checkpoints.forEach((cp, i) => {
    const name = `stored checkpoint #${i + 1} (size ${cp.size})`;
    const c = options.checkCheckpoint(cp.note);
    if (c === undefined) return;
    if (!c.ok) return report("signature", null, null, `${name}: ${c.reason}`);
    if (c.size !== cp.size || !bytesEqual(c.root, cp.root)) return report("signature", null, null, `${name}: the stored size or root differs from the signed note`);
    heads.push({ size: c.size, root: c.root, name: `signed checkpoint of size ${c.size}`, stored: { origin: c.origin ?? "", note: cp.note }, held: false });
  });
  for (const h of options.held ?? []) {
    if (h.size > size) report("rollback", size, h.size, `checkpoint ${h.label} (size ${h.size}) is beyond the log's ${size} entries: the log was rolled back or truncated`);
    else heads.push({ size: h.size, root: h.root, name: `checkpoint ${h.label} (size ${h.size})`, held: true });
  }
  heads.sort((a, b) => a.size - b.size);
  // The signer's leaves count up to the largest signed size whose root they give.
  const kept = options.signerLeaves;
  let signedUpTo = 0;
  if (kept !== undefined) {
    const n = Math.floor(kept.hashes.length / 32);
    const r = new CompactRange();
    for (const h of heads) {
      if (h.size > n) break;
      while (r.size < h.size) r.append(kept.hashes.subarray(r.size * 32, r.size * 32 + 32));
      if (bytesEqual(r.root(), h.root)) signedUpTo = h.size;
    }
  }
  let next = 0;
  let lastGood = 0;
  let latestTrusted: VerifyReport["latestTrusted"] = null;
  const range = new CompactRange();
  const checkHeads = () => {
    while (next < heads.length && heads[next].size === range.size) {
      const h = heads[next++];
      if (bytesEqual(range.root(), h.root)) {
        lastGood = Math.max(lastGood, h.size);
        if (h.stored) latestTrusted = { size: h.size, origin: h.stored.origin, note: h.stored.note };
      } else if (h.held) report("fork", lastGood, h.size, `the log's first ${h.size} entries do not have the root of ${h.name}: the log was rewritten or forked`);
      else report("checkpoint", lastGood, h.size, `${h.name} does not match the entries (root ${toHex(h.root).slice(0, 16)}…)`);
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
        else if (i < signedUpTo && !bytesEqual(kept!.hashes.subarray(i * 32, i * 32 + 32), h)) {
          report("leaf", i, i + 1, `entry ${i} is not what was signed: its leaf differs from the one in ${kept!.label}, which gives the signed root of size ${signedUpTo}`);
        } else {
          const published = options.referenceLeaf?.(i);
          if (published !== undefined && !bytesEqual(published, h)) report("leaf", i, i + 1, `entry ${i} differs from the published tree`);
        }
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

  for (; next < heads.length; next++) {
    const h = heads[next];
    report("checkpoint", size, h.size, `${h.name} covers entries ${size}..${h.size - 1}, which are missing`);
  }
  const expectedNodes = size - popcount(size);
  const storedNodes = await store.nodeCount();
  if (storedNodes > expectedNodes) report("extra", size, size + 1, `${storedNodes - expectedNodes} stored node(s) lie beyond the last entry (entries removed from the end?)`);

  // A problem is a consequence when a narrower one starts inside its range: by index, then
  // narrowest first, the first candidate inside the range is found in a step or two.
  const width = (p: { index: number | null; to: number | null }) => (p.to ?? 0) - (p.index ?? 0);
  const located = found.filter((p) => p.index !== null).sort((x, y) => (x.index as number) - (y.index as number) || width(x) - width(y));
  const problems: VerifyProblem[] = found.filter((p) => p.index === null).map((p) => ({ ...p, rootCause: true }));
  let firstBad: number | null = null;
  let firstBadTo: number | null = null;
  for (const p of located) {
    const index = p.index as number;
    const to = p.to as number;
    let rootCause = true;
    if (p.kind !== "leaf" && p.kind !== "missing" && p.kind !== "rollback") {
      let lo = 0;
      let hi = located.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((located[mid].index as number) < index) lo = mid + 1;
        else hi = mid;
      }
      for (let j = lo; j < located.length && (located[j].index as number) < to; j++) {
        if (located[j] !== p && width(located[j]) < width(p)) {
          rootCause = false;
          break;
        }
      }
    }
    if (rootCause && (firstBad === null || index < firstBad)) {
      firstBad = index;
      // Where entries are missing, the first missing one is exact; only a root is a range.
      firstBadTo = p.kind === "leaf" || p.kind === "missing" || p.kind === "rollback" || p.kind === "extra" ? index + 1 : to;
    }
    problems.push({ ...p, rootCause });
  }
  const ordered = problems.sort((x, y) => Number(y.rootCause) - Number(x.rootCause) || (x.index ?? -1) - (y.index ?? -1));
  return {
    ok: problemCount === 0,
    size,
    root: range.root(),
    firstBadIndex: firstBad,
    firstBadTo,
    problems: ordered.slice(0, maxProblems),
    problemCount,
    checked: { entries: size, nodes: nodesChecked, checkpoints: checkpoints.length, held: options.held?.length ?? 0 },
    latestTrusted,
  };
}
