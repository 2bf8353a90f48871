// A parsed regex as a program for the Pike VM of linear-regex.ts: character, split, jump,
// assertion and match instructions, with counted repetitions unrolled. JavaScript's empty
// check (an iteration of a quantifier that matched the empty string fails, once the
// quantifier's minimum is met) is kept by ENTER/EXIT around each checked iteration: the VM
// kills a thread that reaches EXIT without having read a character since the matching ENTER.
import type { Assertion, CharSet, Node } from "../../../language/check/regex-parse.ts";

export const CHAR = 0;
export const SPLIT = 1;
export const JMP = 2;
export const ASSERT = 3;
export const ENTER = 4;
export const EXIT = 5;
export const MATCH = 6;

/** Assertion codes; a lookahead `k` is LOOK + 2k (positive) or LOOK + 2k + 1 (negative). */
export const BOL = 0;
export const EOL = 1;
export const WORD = 2;
export const NONWORD = 3;
export const LOOK = 4;

const ASSERTION_CODE: Record<Assertion, number> = { bol: BOL, eol: EOL, word: WORD, nonword: NONWORD };

/** Programs larger than this are refused: unrolled counted repetitions multiply. */
export const MAX_PROGRAM = 50_000;

export class ProgramTooLarge extends Error {}

/**
 * Instructions in parallel arrays. CHAR: `a` is the set's index, next is pc+1. SPLIT: `a`
 * first, then `b`. JMP: to `a`. ASSERT: code `a`, next pc+1. ENTER/EXIT: depth `a` of the
 * checked iteration (how many checked iterations enclose it), next pc+1.
 */
export interface Program {
  readonly op: Int32Array;
  readonly a: Int32Array;
  readonly b: Int32Array;
  readonly sets: readonly CharSet[];
  /** One more than the deepest ENTER depth (0 when there is none). */
  readonly depths: number;
}

/** Whether `node` can match the empty string (assertions count as empty). */
export function nullable(node: Node): boolean {
  switch (node.k) {
    case "empty":
    case "assert":
    case "look":
      return true;
    case "char":
      return false;
    case "seq":
      return node.items.every(nullable);
    case "alt":
      return node.alts.some(nullable);
    case "repeat":
      return node.min === 0 || nullable(node.body);
  }
}

/** Compiles `node` into a program that ends in MATCH. */
export function compileProgram(node: Node): Program {
  const op: number[] = [];
  const a: number[] = [];
  const b: number[] = [];
  const sets: CharSet[] = [];
  const setIndex = new Map<CharSet, number>();
  let depths = 0;

  const emit = (o: number, x = 0, y = 0): number => {
    if (op.length >= MAX_PROGRAM) throw new ProgramTooLarge();
    op.push(o);
    a.push(x);
    b.push(y);
    return op.length - 1;
  };

  // One iteration of a repetition's body, checked for emptiness when it can be empty.
  const iteration = (body: Node, checked: boolean, depth: number): void => {
    if (!checked) {
      gen(body, depth);
      return;
    }
    depths = Math.max(depths, depth + 1);
    emit(ENTER, depth);
    gen(body, depth + 1);
    emit(EXIT, depth);
  };

  function gen(n: Node, depth: number): void {
    switch (n.k) {
      case "empty":
        return;
      case "char": {
        let k = setIndex.get(n.set);
        if (k === undefined) {
          k = sets.length;
          sets.push(n.set);
          setIndex.set(n.set, k);
        }
        emit(CHAR, k);
        return;
      }
      case "assert":
        emit(ASSERT, ASSERTION_CODE[n.what]);
        return;
      case "look":
        emit(ASSERT, LOOK + 2 * n.index + (n.negate ? 1 : 0));
        return;
      case "seq":
        for (const item of n.items) gen(item, depth);
        return;
      case "alt": {
        const jumps: number[] = [];
        for (let k = 0; k < n.alts.length; k++) {
          if (k < n.alts.length - 1) {
            const split = emit(SPLIT);
            a[split] = split + 1;
            gen(n.alts[k], depth);
            jumps.push(emit(JMP));
            b[split] = op.length;
          } else gen(n.alts[k], depth);
        }
        for (const j of jumps) a[j] = op.length;
        return;
      }
      case "repeat": {
        const { body, min, max, greedy } = n;
        if (max === 0) return;
        for (let k = 0; k < min; k++) gen(body, depth);
        const checked = nullable(body);
        if (max === Infinity) {
          const split = emit(SPLIT);
          iteration(body, checked, depth);
          emit(JMP, split);
          const out = op.length;
          a[split] = greedy ? split + 1 : out;
          b[split] = greedy ? out : split + 1;
          return;
        }
        // (r(r(r)?)?)?: skipping one optional iteration skips the rest.
        const splits: number[] = [];
        for (let k = min; k < max; k++) {
          splits.push(emit(SPLIT));
          iteration(body, checked, depth);
        }
        const out = op.length;
        for (const s of splits) {
          a[s] = greedy ? s + 1 : out;
          b[s] = greedy ? out : s + 1;
        }
        return;
      }
    }
  }

  gen(node, 0);
  emit(MATCH);
  return { op: Int32Array.from(op), a: Int32Array.from(a), b: Int32Array.from(b), sets, depths };
}

/**
 * An upper bound on the characters one match attempt examines from its start (lookahead
 * bodies included), or Infinity when a quantifier is unbounded.
 */
export function maxExtent(node: Node): number {
  switch (node.k) {
    case "empty":
    case "assert":
      return 0;
    case "char":
      return 1;
    case "look":
      return maxExtent(node.body);
    case "seq":
      return node.items.reduce((s, n) => s + maxExtent(n), 0);
    case "alt":
      return Math.max(...node.alts.map(maxExtent));
    case "repeat": {
      const e = maxExtent(node.body);
      return e === 0 ? 0 : node.max * e;
    }
  }
}

const PATH_CAP = 1e9;

/**
 * An upper bound on the ways a backtracking engine can walk `node` from one start: the
 * leaves of its search tree (sequences multiply, alternatives and iteration counts add, a
 * lookahead adds the walks of its body). Capped at 1e9.
 */
export function pathCount(node: Node): number {
  const cap = (x: number): number => Math.min(PATH_CAP, x);
  switch (node.k) {
    case "empty":
    case "assert":
    case "char":
      return 1;
    case "look":
      return cap(1 + pathCount(node.body));
    case "seq":
      return node.items.reduce((p, n) => cap(p * pathCount(n)), 1);
    case "alt":
      return node.alts.reduce((s, n) => cap(s + pathCount(n)), 0);
    case "repeat": {
      if (node.max === Infinity) return PATH_CAP;
      const body = pathCount(node.body);
      let total = 0;
      let power = 1;
      for (let k = 0; k <= node.max && total < PATH_CAP; k++) {
        if (k >= node.min) total = cap(total + power);
        power = cap(power * body);
      }
      return total;
    }
  }
}
