// A regex matcher whose time is linear in its input: a Pike VM (Thompson's simulation with
// threads in priority order) over the program of regex-program.ts, giving the leftmost
// match a backtracking engine would give (JavaScript's semantics: leftmost start, then the
// first path in priority order), at most O(n·m) for a text of n characters and a program of
// m instructions.
//
// - Threads at one position are kept in priority order; a state reached a second time at the
//   same position is dropped, since its future is the same and its priority lower. A state is
//   an instruction plus, for JavaScript's empty check, the depth of the outermost checked
//   iteration begun at this position (iterations nest, so that depth says which ones are).
// - A lookahead is a predicate of the position: before a run, each lookahead's body is run
//   backwards over the whole text once (right to left, every state at once), recording where
//   it matches (as in "Linear Matching of JavaScript Regular Expressions", Barrière and
//   Pit-Claudel, PLDI 2024). Inner lookaheads are computed before the ones holding them.
// - `find` repeats the search from the end of each match. A search keeps running while a
//   thread of higher priority than the best match is alive, which can read far past that
//   match (`a.*b|a` on `aaaa...`); repeated, that is quadratic. So once the searches of one
//   `find` have stepped over more than twice the text, the whole pattern is run backwards
//   too, recording at each position which character instructions can still reach a match,
//   and threads that cannot are dropped: every live thread then ends in a match, a search
//   stops at the end of the match it returns, and the searches left read the text once. The
//   record takes (n+1)·⌈c/32⌉ words for c character instructions; past PRUNE_BUDGET it is
//   kept one block of positions at a time, recomputed from rows saved at the block edges.
import { LINE_TERMINATORS, type CharSet, type Flags, type ParsedPattern } from "../../../language/check/regex-parse.ts";
import type { Match } from "./detector.ts";
import { parsePattern } from "./regex-parse.ts";
import { ASSERT, BOL, CHAR, compileProgram, ENTER, EOL, EXIT, JMP, LOOK, MATCH, ProgramTooLarge, SPLIT, WORD, type Program } from "./regex-program.ts";

/** The most words the pruning record of one `find` may take at a time (32 MiB); beyond, it is kept in blocks. */
export let PRUNE_BUDGET = 1 << 23;

/** Sets PRUNE_BUDGET (for tests of the blocked record); returns the previous value. */
export function setPruneBudget(words: number): number {
  const old = PRUNE_BUDGET;
  PRUNE_BUDGET = words;
  return old;
}

function pack(row: Uint8Array): Uint32Array {
  const out = new Uint32Array((row.length + 31) >>> 5);
  for (let k = 0; k < row.length; k++) if (row[k] === 1) out[k >>> 5] |= 1 << (k & 31);
  return out;
}

function unpack(bits: Uint32Array | undefined, into: Uint8Array): void {
  for (let k = 0; k < into.length; k++) into[k] = bits !== undefined && (bits[k >>> 5] & (1 << (k & 31))) !== 0 ? 1 : 0;
}

/** The most (instruction, empty-check depth) states a program may have. */
const MAX_STATES = 1 << 22;

/** The most states a precomputed position-independent closure may visit. */
const FIXED_CLOSURE_LIMIT = 256;

/** A compiled linear-time regex. */
export interface LinearRegex {
  readonly source: string;
  readonly flags: string;
  /** Whether the regex matches somewhere in `text`, as `RegExp.prototype.test`. */
  test(text: string): boolean;
  /** Every non-empty match in order, as a global search skipping empty matches finds them. */
  find(text: string): Match[];
  /** VM steps taken so far by this regex (states visited, forwards and backwards): a deterministic measure of work. */
  steps: number;
}

// Membership tests for a program's sets: a table for code points below 256, binary search above.
class SetTable {
  readonly low: Uint8Array;
  readonly sets: readonly CharSet[];

  constructor(sets: readonly CharSet[]) {
    this.sets = sets;
    this.low = new Uint8Array(sets.length * 256);
    sets.forEach((set, k) => {
      for (const [a, b] of set) {
        if (a > 255) break;
        for (let c = a; c <= Math.min(b, 255); c++) this.low[k * 256 + c] = 1;
      }
    });
  }

  has(k: number, cp: number): boolean {
    if (cp < 256) return this.low[k * 256 + cp] === 1;
    const set = this.sets[k];
    let lo = 0;
    let hi = set.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (cp < set[mid][0]) hi = mid - 1;
      else if (cp > set[mid][1]) lo = mid + 1;
      else return true;
    }
    return false;
  }
}

function inSet(set: CharSet, cp: number): boolean {
  for (const [a, b] of set) if (cp >= a && cp <= b) return true;
  return false;
}

const isLineTerminator = (c: number): boolean => inSet(LINE_TERMINATORS, c);

/** A program with what running it needs. */
interface Compiled {
  readonly prog: Program;
  readonly table: SetTable;
  /** For each state, the states with an epsilon edge to it (for the backward runs). */
  readonly preds: readonly Int32Array[];
  /** The CHAR and MATCH states. */
  readonly leaves: Int32Array;
}

function prepare(prog: Program): Compiled {
  const m = prog.op.length;
  const predLists: number[][] = Array.from({ length: m }, () => []);
  const leaves: number[] = [];
  for (let pc = 0; pc < m; pc++) {
    switch (prog.op[pc]) {
      case SPLIT:
        predLists[prog.a[pc]].push(pc);
        predLists[prog.b[pc]].push(pc);
        break;
      case JMP:
        predLists[prog.a[pc]].push(pc);
        break;
      case ASSERT:
      case ENTER:
      case EXIT:
        predLists[pc + 1].push(pc);
        break;
      default:
        leaves.push(pc);
    }
  }
  return { prog, table: new SetTable(prog.sets), preds: predLists.map((l) => Int32Array.from(l)), leaves: Int32Array.from(leaves) };
}

// The code point at `i` and its width: units without `u`, pairs joined with it.
function widthAt(text: string, i: number, unicode: boolean): number {
  if (!unicode || i + 1 >= text.length) return 1;
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff) return 1;
  const d = text.charCodeAt(i + 1);
  return d >= 0xdc00 && d <= 0xdfff ? 2 : 1;
}

function codePointAt(text: string, i: number, w: number): number {
  const c = text.charCodeAt(i);
  return w === 1 ? c : 0x10000 + ((c - 0xd800) << 10) + (text.charCodeAt(i + 1) - 0xdc00);
}

/** Compiles `pattern` with `flags` (from `imsu`) for linear-time matching; `new RegExp(pattern, flags)` must accept it. */
export function compileLinearRegex(pattern: string, flags: string, parsed: ParsedPattern = parsePattern(pattern, flags)): LinearRegex {
  return new Matcher(pattern, flags, parsed.flags, parsed.word, compileProgram(parsed.root), parsed.lookaheads.map(compileProgram));
}

class Matcher implements LinearRegex {
  readonly source: string;
  readonly flags: string;
  steps = 0;
  private readonly main: Compiled;
  private readonly looks: readonly Compiled[];
  private readonly unicode: boolean;
  private readonly multiline: boolean;
  private readonly wordLow: Uint8Array;
  private readonly word: CharSet;
  /** NONE: no checked iteration begun at this position. */
  private readonly none: number;
  /** Only position 0 can start a match (a leading `^` without `m` on every path). */
  private readonly anchored: boolean;
  /** Units that can begin a match, when no match can be empty; null when any position may start one. */
  private readonly first: Uint8Array | null;
  // Scratch state of the forward run, sized to the program.
  private readonly leafMark: Int32Array;
  private readonly stateMark: Int32Array;
  private readonly stackPc: Int32Array;
  private readonly stackFresh: Int32Array;
  private stamp = 0;
  private matched = false;
  /** The match the last search found (not set by a search for `test`, which stops at any match). */
  private matchStart = -1;
  private matchEnd = -1;
  // The thread lists of the forward run: instructions and start positions, current and next.
  private readonly listA: Int32Array;
  private readonly listB: Int32Array;
  private readonly startsA: Int32Array;
  private readonly startsB: Int32Array;
  // Set for one run: the text, lookahead results, and the pruning record of `find`.
  private text = "";
  private lookResults: Uint8Array[] = [];
  private prune: Uint32Array | null = null;
  /** Positions per block of the pruning record, the first position of the block it holds, and the rows kept at block edges. */
  private pruneBlock = 0;
  private pruneBase = -1;
  private edges = new Map<number, Uint32Array>();
  private readonly pruneWords: number;
  private readonly leafIndex: Int32Array;
  /** The CHAR states, by their index in the pruning record. */
  private readonly chars: Int32Array;
  /** For the start and each state after a CHAR, its leaves in priority order when no assertion or empty check lies on the way; else null. */
  private readonly fixedClosures: (Int32Array | null)[];
  /** Positions the searches of one `find` have stepped over, in all. */
  private scanned = 0;

  constructor(source: string, flags: string, f: Flags, word: CharSet, main: Program, looks: Program[]) {
    this.source = source;
    this.flags = flags;
    this.unicode = f.unicode;
    this.multiline = f.multiline;
    this.word = word;
    this.wordLow = new Uint8Array(256);
    for (let c = 0; c < 256; c++) this.wordLow[c] = inSet(word, c) ? 1 : 0;
    this.main = prepare(main);
    this.looks = looks.map(prepare);
    const m = main.op.length;
    // Deeply nested quantifiers that can match empty multiply the states to track.
    if (m * (main.depths + 1) > MAX_STATES) throw new ProgramTooLarge();
    this.none = main.depths;
    this.leafMark = new Int32Array(m);
    this.stateMark = new Int32Array(m * (main.depths + 1));
    this.stackPc = new Int32Array(2 * m * (main.depths + 1) + 2);
    this.stackFresh = new Int32Array(this.stackPc.length);
    this.leafIndex = new Int32Array(m).fill(-1);
    this.listA = new Int32Array(m);
    this.listB = new Int32Array(m);
    this.startsA = new Int32Array(m);
    this.startsB = new Int32Array(m);
    const chars: number[] = [];
    for (let pc = 0; pc < m; pc++) {
      if (main.op[pc] === CHAR) {
        this.leafIndex[pc] = chars.length;
        chars.push(pc);
      }
    }
    this.chars = Int32Array.from(chars);
    this.pruneWords = (chars.length + 31) >>> 5;
    this.fixedClosures = Array.from({ length: m }, () => null);
    const seen = new Int32Array(m);
    for (let pc = 0; pc < m; pc++) if (pc === 0 || main.op[pc - 1] === CHAR) this.fixedClosures[pc] = this.fixedClosure(pc, seen);
    this.anchored = !f.multiline && this.startReaches((op, arg) => op === ASSERT && arg === BOL) === null;
    this.first = this.firstUnits();
  }

  // The leaves reachable from the start without passing a state `stop` accepts (assertions pass).
  private startReaches(stop: (op: number, arg: number) => boolean): number[] | null {
    const { op, a, b } = this.main.prog;
    const seen = new Uint8Array(op.length);
    const found: number[] = [];
    const stack = [0];
    while (stack.length > 0) {
      const pc = stack.pop() ?? 0;
      if (seen[pc] === 1 || stop(op[pc], a[pc])) continue;
      seen[pc] = 1;
      if (op[pc] === CHAR || op[pc] === MATCH) found.push(pc);
      else if (op[pc] === SPLIT) stack.push(a[pc], b[pc]);
      else if (op[pc] === JMP) stack.push(a[pc]);
      else stack.push(pc + 1);
    }
    return found.length === 0 ? null : found;
  }

  // The leaves reached from `pc0` in priority order, or null when the walk meets an ASSERT,
  // ENTER or EXIT, or visits more than FIXED_CLOSURE_LIMIT states (bounding the work per program).
  private fixedClosure(pc0: number, seen: Int32Array): Int32Array | null {
    const { op, a, b } = this.main.prog;
    const leaves: number[] = [];
    const stack = [pc0];
    let visited = 0;
    while (stack.length > 0) {
      const pc = stack.pop() ?? 0;
      if (seen[pc] === pc0 + 1) continue;
      seen[pc] = pc0 + 1;
      if (++visited > FIXED_CLOSURE_LIMIT) return null;
      const o = op[pc];
      if (o === CHAR || o === MATCH) leaves.push(pc);
      else if (o === SPLIT) stack.push(b[pc], a[pc]);
      else if (o === JMP) stack.push(a[pc]);
      else return null;
    }
    return Int32Array.from(leaves);
  }

  private firstUnits(): Uint8Array | null {
    const leaves = this.startReaches(() => false) ?? [];
    const { op, a, sets } = this.main.prog;
    if (leaves.some((pc) => op[pc] === MATCH)) return null;
    const map = new Uint8Array(0x10000);
    for (const pc of leaves) {
      for (const [lo, hi] of sets[a[pc]]) {
        if (lo > 0xffff) break;
        map.fill(1, lo, Math.min(hi, 0xffff) + 1);
      }
    }
    return map;
  }

  private isWordAt(i: number): boolean {
    if (i < 0 || i >= this.text.length) return false;
    const c = this.text.charCodeAt(i);
    return c < 256 ? this.wordLow[c] === 1 : inSet(this.word, c);
  }

  private assertion(code: number, i: number): boolean {
    const text = this.text;
    switch (code) {
      case BOL:
        return i === 0 || (this.multiline && isLineTerminator(text.charCodeAt(i - 1)));
      case EOL:
        return i === text.length || (this.multiline && isLineTerminator(text.charCodeAt(i)));
      case WORD:
        return this.isWordAt(i - 1) !== this.isWordAt(i);
      case WORD + 1:
        return this.isWordAt(i - 1) === this.isWordAt(i);
      default: {
        const k = code - LOOK;
        return (this.lookResults[k >> 1][i] === 1) !== ((k & 1) === 1);
      }
    }
  }

  /**
   * The backward run of a program over positions `from` down to `to`: at each position, which
   * states have a path to MATCH (the empty check is ignored: it never decides whether a match
   * exists, only which one is preferred). Calls `row` with each position's result, right to
   * left. Below the end of the text, `seed` gives the rows at from+1 and from+2.
   */
  private backward(c: Compiled, from: number, to: number, row: (i: number, reach: Uint8Array) => void, seed?: (i: number, into: Uint8Array) => void): void {
    const { prog, table, preds, leaves } = c;
    const { op, a } = prog;
    const m = op.length;
    const text = this.text;
    const n = text.length;
    const rows = [new Uint8Array(m), new Uint8Array(m), new Uint8Array(m)];
    if (seed !== undefined) {
      for (const i of [from + 1, from + 2]) if (i <= n) seed(i, rows[i % 3]);
    }
    const work = new Int32Array(m);
    let steps = 0;
    for (let i = from; i >= to; i--) {
      const cur = rows[i % 3];
      cur.fill(0);
      let top = 0;
      const w = i < n ? widthAt(text, i, this.unicode) : 0;
      const cp = i < n ? codePointAt(text, i, w) : -1;
      const next = rows[(i + w) % 3];
      for (let k = 0; k < leaves.length; k++) {
        const pc = leaves[k];
        steps++;
        if (op[pc] === MATCH || (cp >= 0 && next[pc + 1] === 1 && table.has(a[pc], cp))) {
          cur[pc] = 1;
          work[top++] = pc;
        }
      }
      while (top > 0) {
        const s = work[--top];
        const ps = preds[s];
        for (let k = 0; k < ps.length; k++) {
          const p = ps[k];
          steps++;
          if (cur[p] === 1 || (op[p] === ASSERT && !this.assertion(a[p], i))) continue;
          cur[p] = 1;
          work[top++] = p;
        }
      }
      row(i, cur);
    }
    this.steps += steps;
  }

  private begin(text: string): void {
    this.text = text;
    this.scanned = 0;
    const n = text.length;
    this.lookResults = [];
    for (const look of this.looks) {
      const result = new Uint8Array(n + 1);
      this.backward(look, n, 0, (i, reach) => {
        result[i] = reach[0];
      });
      this.lookResults.push(result);
    }
    this.prune = null;
  }

  /**
   * Records which CHAR states can still reach a match at each position. When the record for
   * the whole text is over PRUNE_BUDGET, it is kept for one block of positions at a time: one
   * backward run keeps every state's row at block edges, and a block is recomputed from the
   * edge after it when the forward run enters it (positions only grow within a `find`, so
   * each block is recomputed once).
   */
  private buildPrune(): void {
    const words = this.pruneWords;
    const n = this.text.length;
    if (words === 0) return;
    const block = (n + 1) * words <= PRUNE_BUDGET ? n + 1 : Math.max(64, Math.floor(PRUNE_BUDGET / 2 / words));
    this.pruneBlock = block;
    this.prune = new Uint32Array(block * words);
    this.pruneBase = -1;
    this.edges = new Map();
    if (block > n) {
      this.fillPrune(0, n);
      return;
    }
    const edges = this.edges;
    this.backward(this.main, n, 0, (i, reach) => {
      if (i % block <= 1 && i >= block) edges.set(i, pack(reach));
    });
  }

  // The record of the block starting at `base`, through `last`, from the rows at the edge after it.
  private fillPrune(base: number, last: number): void {
    const record = this.prune;
    if (record === null) return;
    const words = this.pruneWords;
    const chars = this.chars;
    record.fill(0);
    const edges = this.edges;
    this.backward(
      this.main,
      last,
      base,
      (i, reach) => {
        const at = (i - base) * words;
        for (let k = 0; k < chars.length; k++) {
          if (reach[chars[k]] === 1) record[at + (k >>> 5)] |= 1 << (k & 31);
        }
      },
      (i, into) => unpack(edges.get(i), into),
    );
    this.pruneBase = base;
  }

  // Makes the record cover position `i`.
  private ensurePrune(i: number): void {
    if (this.prune === null) return;
    const base = i - (i % this.pruneBlock);
    if (base !== this.pruneBase) this.fillPrune(base, Math.min(base + this.pruneBlock - 1, this.text.length));
  }

  private end(): void {
    this.text = "";
    this.lookResults = [];
    this.prune = null;
    this.edges = new Map();
  }

  private nextStamp(): number {
    if (this.stamp >= 0x3fffffff) {
      this.stamp = 0;
      this.leafMark.fill(0);
      this.stateMark.fill(0);
    }
    return ++this.stamp;
  }

  /**
   * Appends to the list `pcs`/`starts` (holding `count` threads) the leaves reached from `pc0`
   * at position `i`, in priority order, each with `start`. Returns the new count; sets
   * `matched` when a MATCH was added.
   */
  private closure(pcs: Int32Array, starts: Int32Array, count: number, pc0: number, i: number, start: number, stamp: number): number {
    const { op, a, b } = this.main.prog;
    const { leafMark, stateMark, stackPc, stackFresh, none, prune, pruneWords, leafIndex } = this;
    const width = none + 1;
    this.matched = false;
    const fixed = this.fixedClosures[pc0];
    if (fixed !== null) {
      // The same leaves at every position: no assertion or empty check on the way.
      for (let t = 0; t < fixed.length; t++) {
        const pc = fixed[t];
        if (leafMark[pc] === stamp) continue;
        leafMark[pc] = stamp;
        if (op[pc] === MATCH) this.matched = true;
        else if (prune !== null) {
          const k = leafIndex[pc];
          if ((prune[(i - this.pruneBase) * pruneWords + (k >>> 5)] & (1 << (k & 31))) === 0) continue;
        }
        pcs[count] = pc;
        starts[count++] = start;
      }
      this.steps += fixed.length;
      return count;
    }
    let top = 0;
    let steps = 0;
    stackPc[top] = pc0;
    stackFresh[top++] = none;
    while (top > 0) {
      const pc = stackPc[--top];
      const fresh = stackFresh[top];
      steps++;
      const o = op[pc];
      if (o === CHAR || o === MATCH) {
        if (leafMark[pc] === stamp) continue;
        leafMark[pc] = stamp;
        if (o === CHAR && prune !== null) {
          const k = leafIndex[pc];
          if ((prune[(i - this.pruneBase) * pruneWords + (k >>> 5)] & (1 << (k & 31))) === 0) continue;
        }
        if (o === MATCH) this.matched = true;
        pcs[count] = pc;
        starts[count++] = start;
        continue;
      }
      const key = pc * width + fresh;
      if (stateMark[key] === stamp) continue;
      stateMark[key] = stamp;
      switch (o) {
        case SPLIT:
          stackPc[top] = b[pc];
          stackFresh[top++] = fresh;
          stackPc[top] = a[pc];
          stackFresh[top++] = fresh;
          break;
        case JMP:
          stackPc[top] = a[pc];
          stackFresh[top++] = fresh;
          break;
        case ASSERT:
          if (this.assertion(a[pc], i)) {
            stackPc[top] = pc + 1;
            stackFresh[top++] = fresh;
          }
          break;
        case ENTER:
          stackPc[top] = pc + 1;
          stackFresh[top++] = Math.min(fresh, a[pc]);
          break;
        case EXIT:
          // An iteration that read nothing fails (the empty check).
          if (fresh <= a[pc]) break;
          stackPc[top] = pc + 1;
          stackFresh[top++] = none;
          break;
      }
    }
    this.steps += steps;
    return count;
  }

  /**
   * Whether a match starts at or after `from`; the leftmost, highest-priority one is left in
   * matchStart/matchEnd. With `any`, stops at the first match found at all (for `test`).
   */
  private search(from: number, any: boolean): boolean {
    const text = this.text;
    const n = text.length;
    const { op, a } = this.main.prog;
    const table = this.main.table;
    const low = table.low;
    const { fixedClosures, leafMark } = this;
    let curPcs = this.listA;
    let curStarts = this.startsA;
    let nxtPcs = this.listB;
    let nxtStarts = this.startsB;
    let count = 0;
    let bestStart = -1;
    let bestEnd = -1;
    let stamp = this.nextStamp();
    let i = from;
    const first = this.first;
    for (;;) {
      if (bestStart < 0 && (!this.anchored || i === 0)) {
        if (count === 0 && first !== null) {
          // Nothing is running and no match can be empty: skip to a unit that can begin one.
          while (i < n) {
            const c = text.charCodeAt(i);
            if (first[c] === 1 || (c >= 0xd800 && c <= 0xdfff)) break;
            i++;
          }
          if (i >= n) return false;
        }
        this.ensurePrune(i);
        count = this.closure(curPcs, curStarts, count, 0, i, i, stamp);
        if (this.matched && any) return true;
      }
      const w = i < n ? widthAt(text, i, this.unicode) : 0;
      if (count === 0) {
        if (bestStart >= 0 || this.anchored || i >= n) break;
        i += w;
        stamp = this.nextStamp();
        continue;
      }
      const cp = i < n ? codePointAt(text, i, w) : -1;
      const nextStamp = this.nextStamp();
      let nextCount = 0;
      this.ensurePrune(i + w);
      const prune = this.prune;
      let steps = count;
      for (let t = 0; t < count; t++) {
        const pc = curPcs[t];
        if (op[pc] === MATCH) {
          // Lower-priority threads cannot beat this match.
          bestStart = curStarts[t];
          bestEnd = i;
          break;
        }
        if (cp < 0 || (cp < 256 ? low[a[pc] * 256 + cp] === 0 : !table.has(a[pc], cp))) continue;
        const fixed = fixedClosures[pc + 1];
        if (fixed !== null && prune === null) {
          // The common case inlined: a closure without assertions, empty checks or pruning.
          const start = curStarts[t];
          for (let k = 0; k < fixed.length; k++) {
            const leaf = fixed[k];
            if (leafMark[leaf] === nextStamp) continue;
            leafMark[leaf] = nextStamp;
            if (op[leaf] === MATCH && any) return true;
            nxtPcs[nextCount] = leaf;
            nxtStarts[nextCount++] = start;
          }
          steps += fixed.length;
          continue;
        }
        nextCount = this.closure(nxtPcs, nxtStarts, nextCount, pc + 1, i + w, curStarts[t], nextStamp);
        if (this.matched && any) return true;
      }
      this.steps += steps;
      if (i >= n) break;
      i += w;
      this.scanned += w;
      const pcsTmp = curPcs;
      curPcs = nxtPcs;
      nxtPcs = pcsTmp;
      const startsTmp = curStarts;
      curStarts = nxtStarts;
      nxtStarts = startsTmp;
      count = nextCount;
      stamp = nextStamp;
    }
    this.matchStart = bestStart;
    this.matchEnd = bestEnd;
    return bestStart >= 0;
  }

  test(text: string): boolean {
    this.begin(text);
    try {
      return this.search(0, true);
    } finally {
      this.end();
    }
  }

  find(text: string): Match[] {
    this.begin(text);
    try {
      const found: Match[] = [];
      let pos = 0;
      let pruning = false;
      while (pos <= text.length) {
        // Searches that read past their match end cost more than one pass over the text: from
        // then on, drop the threads that cannot reach a match (see the file comment).
        if (!pruning && this.scanned > 2 * (text.length + 1)) {
          this.buildPrune();
          pruning = true;
        }
        if (!this.search(pos, false)) break;
        const start = this.matchStart;
        const end = this.matchEnd;
        if (end > start) {
          found.push([start, end]);
          pos = end;
        } else {
          // An empty match: step over one character (a code point under `u`), as a global search does.
          pos = end + widthAt(text, end, this.unicode);
        }
      }
      return found;
    } finally {
      this.end();
    }
  }
}
