// The parser of JavaScript regex syntax (Annex B without `u`), shared by the checker's
// backtracking analysis (regex-syntax.ts projects its tree) and the engine's linear matcher.
// It runs only on patterns `new RegExp` has accepted, so it can be lenient. Character sets
// come out final: escapes resolved, classes negated, closed under case folding when `i` is
// set. How to fold and what `\p{..}` stands for are the caller's choice, since the matcher
// needs them exact and the analysis only needs a safe over-approximation.

/** A set of code points, as sorted, disjoint, non-adjacent inclusive ranges. */
export type CharSet = readonly (readonly [number, number])[];

const MAX_CP = 0x10ffff;

/** The union of sets. */
export function union(...sets: CharSet[]): CharSet {
  const all = sets.flat().map(([a, b]) => [a, b] as [number, number]).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const r of all) {
    const last = out[out.length - 1];
    if (last !== undefined && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

/** Every code point not in the set. */
export function complement(s: CharSet): CharSet {
  const out: [number, number][] = [];
  let next = 0;
  for (const [a, b] of s) {
    if (a > next) out.push([next, a - 1]);
    next = b + 1;
  }
  if (next <= MAX_CP) out.push([next, MAX_CP]);
  return out;
}

/** Whether two sets share a code point. */
export function intersects(a: CharSet, b: CharSet): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i][1] < b[j][0]) i++;
    else if (b[j][1] < a[i][0]) j++;
    else return true;
  }
  return false;
}

const single = (cp: number): CharSet => [[cp, cp]];
const DIGIT: CharSet = [[0x30, 0x39]];
const BASIC_WORD: CharSet = [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]];
// With `u` and `i`, the characters whose simple case folding is a word character count as word characters.
const UNICODE_IC_WORD: CharSet = union(BASIC_WORD, single(0x17f), single(0x212a));
const SPACE: CharSet = union([[9, 13]], single(32), single(0xa0), single(0x1680), [[0x2000, 0x200a]], [[0x2028, 0x2029]], single(0x202f), single(0x205f), single(0x3000), single(0xfeff));
export const LINE_TERMINATORS: CharSet = [[10, 10], [13, 13], [0x2028, 0x2029]];
export const ALL: CharSet = [[0, MAX_CP]];

export type Assertion = "bol" | "eol" | "word" | "nonword";

/**
 * A parsed regex; `start`/`end` are offsets into the pattern. Lookaheads are numbered in the
 * order they close, inner before outer. `empty` only stands in for a lookbehind (an empty
 * sequence is a `seq` of no items).
 */
export type Node =
  | { readonly k: "empty" }
  | { readonly k: "char"; readonly set: CharSet; readonly start: number; readonly end: number }
  | { readonly k: "assert"; readonly what: Assertion }
  | { readonly k: "look"; readonly index: number; readonly negate: boolean; readonly body: Node }
  | { readonly k: "seq"; readonly items: readonly Node[] }
  | { readonly k: "alt"; readonly alts: readonly Node[] }
  | { readonly k: "repeat"; readonly body: Node; readonly min: number; readonly max: number; readonly greedy: boolean; readonly start: number; readonly end: number };

export interface Flags {
  readonly ignoreCase: boolean;
  readonly multiline: boolean;
  readonly dotAll: boolean;
  readonly unicode: boolean;
}

export function readFlags(flags: string): Flags {
  return { ignoreCase: flags.includes("i"), multiline: flags.includes("m"), dotAll: flags.includes("s"), unicode: flags.includes("u") };
}

/**
 * A construct the tree does not express. It stands in the tree as the analysis treats it (a
 * backreference as any one character, a lookbehind as `empty`, a modifiers group as its
 * body), so a consumer that must honour it has to refuse the parse.
 */
export interface Unsupported {
  readonly what: "backreference" | "lookbehind" | "modifiers" | "unexpected";
  readonly start: number;
  readonly end: number;
}

export interface ParsedPattern {
  readonly root: Node;
  /** The bodies of the lookaheads, by index. */
  readonly lookaheads: readonly Node[];
  readonly flags: Flags;
  /** The characters `\w` and `\b` count as word characters under these flags. */
  readonly word: CharSet;
  /** In the order they occur in the pattern. */
  readonly unsupported: readonly Unsupported[];
}

export interface ParseOptions {
  /** `set` with every character added that matches one of its members under `i`. */
  readonly caseClose: (set: CharSet, unicode: boolean) => CharSet;
  /** The set `\p{name}` (`negated`: `\P{name}`) stands for under `u`. */
  readonly property: (name: string, negated: boolean) => CharSet;
}

/** Parses `pattern` under `flags`; `new RegExp(pattern, flags)` must have accepted it. */
export function parsePattern(pattern: string, flagText: string, options: ParseOptions): ParsedPattern {
  const flags = readFlags(flagText);
  const { unicode, ignoreCase, dotAll } = flags;
  const word = unicode && ignoreCase ? UNICODE_IC_WORD : BASIC_WORD;
  const hasNamedGroups = /\(\?<[^=!]/.test(pattern);
  const lookaheads: Node[] = [];
  const unsupported: Unsupported[] = [];
  let i = 0;

  const peek = (o = 0): string => pattern[i + o] ?? "";
  const fold = (set: CharSet): CharSet => (ignoreCase ? options.caseClose(set, unicode) : set);

  function readCodePoint(): number {
    const cp = unicode ? (pattern.codePointAt(i) ?? 0) : pattern.charCodeAt(i);
    i += cp > 0xffff ? 2 : 1;
    return cp;
  }

  function readHex(n: number): number | undefined {
    const h = pattern.slice(i, i + n);
    if (h.length === n && /^[0-9a-fA-F]+$/.test(h)) {
      i += n;
      return parseInt(h, 16);
    }
    return undefined;
  }

  // A legacy octal escape (Annex B) whose first digit is `first`: three digits in all at most, up to 0o377.
  function octal(first: number): number {
    let v = first;
    let digits = 1;
    while (digits < 3 && /[0-7]/.test(peek()) && v * 8 + Number(peek()) <= 0o377) {
      v = v * 8 + Number(peek());
      i++;
      digits++;
    }
    return v;
  }

  // `\uXXXX`, joined with a following `\uXXXX` trail surrogate under `u`.
  function unicodeEscape(): number {
    if (unicode && peek() === "{") {
      const close = pattern.indexOf("}", i);
      const v = parseInt(pattern.slice(i + 1, close), 16);
      i = close + 1;
      return v;
    }
    const v = readHex(4);
    if (v === undefined) return 0x75; // `\u` without digits is `u` (Annex B)
    if (unicode && v >= 0xd800 && v <= 0xdbff && pattern.startsWith("\\u", i)) {
      const save = i;
      i += 2;
      const lo = readHex(4);
      if (lo !== undefined && lo >= 0xdc00 && lo <= 0xdfff) return 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
      i = save;
    }
    return v;
  }

  /** The escape after the backslash at `escStart`: a set, or an assertion for `\b`/`\B` outside a class. */
  function escape(inClass: boolean, escStart: number): CharSet | Assertion {
    const ch = peek();
    i++;
    switch (ch) {
      case "d":
        return DIGIT;
      case "D":
        return complement(DIGIT);
      case "w":
        return word;
      case "W":
        return complement(word);
      case "s":
        return SPACE;
      case "S":
        return complement(SPACE);
      case "b":
        return inClass ? single(8) : "word";
      case "B":
        return inClass ? single(0x42) : "nonword";
      case "n":
        return single(10);
      case "r":
        return single(13);
      case "t":
        return single(9);
      case "f":
        return single(12);
      case "v":
        return single(11);
      case "0":
        return single(unicode ? 0 : octal(0));
      case "x":
        return single(readHex(2) ?? 0x78);
      case "u":
        return single(unicodeEscape());
      case "c": {
        const l = peek();
        if (/[A-Za-z]/.test(l) || (inClass && !unicode && /[0-9_]/.test(l))) {
          i++;
          return single(l.charCodeAt(0) % 32);
        }
        i--; // `\c` without a letter is a backslash, then `c` (Annex B)
        return single(0x5c);
      }
      case "p":
      case "P":
        if (unicode) {
          const close = pattern.indexOf("}", i);
          const set = options.property(pattern.slice(i + 1, close), ch === "P");
          i = close + 1;
          return set;
        }
        break;
      case "k":
        if (!inClass && (unicode || hasNamedGroups)) {
          i = pattern.indexOf(">", i) + 1;
          unsupported.push({ what: "backreference", start: escStart, end: i });
          return ALL;
        }
        break;
      default:
        if (/[1-9]/.test(ch)) {
          // In a class (only legal without `u`) a digit escape is octal, or the digit itself.
          if (inClass) return single(/[1-7]/.test(ch) ? octal(Number(ch)) : ch.charCodeAt(0));
          while (/[0-9]/.test(peek())) i++;
          unsupported.push({ what: "backreference", start: escStart, end: i });
          return ALL;
        }
    }
    i--;
    return single(readCodePoint());
  }

  function classAtom(): CharSet {
    if (peek() !== "\\") return single(readCodePoint());
    const start = i;
    i++;
    // Inside a class an escape is always a set.
    return escape(true, start) as CharSet;
  }

  function charClass(start: number): Node {
    i++; // [
    let negate = false;
    if (peek() === "^") {
      negate = true;
      i++;
    }
    const parts: CharSet[] = [];
    // In JavaScript `]` always closes a class (`[]` is empty, `[^]` is everything).
    while (i < pattern.length && peek() !== "]") {
      const lo = classAtom();
      if (peek() === "-" && i + 1 < pattern.length && pattern[i + 1] !== "]") {
        const save = i;
        i++;
        const hi = classAtom();
        if (lo.length === 1 && lo[0][0] === lo[0][1] && hi.length === 1 && hi[0][0] === hi[0][1]) {
          parts.push([[lo[0][0], hi[0][0]]]);
          continue;
        }
        // `[\w-x]` (Annex B): the dash and both sides are literal.
        i = save + 1;
        parts.push(lo, single(0x2d), hi);
        continue;
      }
      parts.push(lo);
    }
    i++; // ]
    const set = fold(union(...parts));
    return { k: "char", set: negate ? complement(set) : set, start, end: i };
  }

  function atom(): Node {
    const start = i;
    const ch = peek();
    switch (ch) {
      case "^":
        i++;
        return { k: "assert", what: "bol" };
      case "$":
        i++;
        return { k: "assert", what: "eol" };
      case ".":
        i++;
        return { k: "char", set: dotAll ? ALL : complement(LINE_TERMINATORS), start, end: i };
      case "[":
        return charClass(start);
      case "\\": {
        i++;
        const e = escape(false, start);
        return typeof e === "string" ? { k: "assert", what: e } : { k: "char", set: fold(e), start, end: i };
      }
      case "(": {
        i++;
        let look: "ahead" | "behind" | undefined;
        let negate = false;
        if (peek() === "?") {
          if (pattern.startsWith("?=", i) || pattern.startsWith("?!", i)) {
            look = "ahead";
            negate = pattern[i + 1] === "!";
            i += 2;
          } else if (pattern.startsWith("?<=", i) || pattern.startsWith("?<!", i)) {
            look = "behind";
            i += 3;
            unsupported.push({ what: "lookbehind", start, end: i });
          } else if (pattern.startsWith("?<", i)) {
            i = pattern.indexOf(">", i) + 1;
          } else if (pattern.startsWith("?:", i)) {
            i += 2;
          } else {
            // `(?i:` / `(?-i:`, once the engine accepts them
            i = pattern.indexOf(":", i) + 1;
            unsupported.push({ what: "modifiers", start, end: i });
          }
        }
        const body = alternation();
        i++; // )
        if (look === "behind") return { k: "empty" };
        if (look === undefined) return body;
        lookaheads.push(body);
        return { k: "look", index: lookaheads.length - 1, negate, body };
      }
      default:
        return { k: "char", set: fold(single(readCodePoint())), start, end: i };
    }
  }

  /** A quantifier at `i`, or null; Annex B reads a `{` that is not one as a literal. */
  function quantifier(): { min: number; max: number } | null {
    const ch = peek();
    if (ch === "*") return (i++, { min: 0, max: Infinity });
    if (ch === "+") return (i++, { min: 1, max: Infinity });
    if (ch === "?") return (i++, { min: 0, max: 1 });
    if (ch === "{") {
      const braces = /\{(\d+)(,(\d*))?\}/y;
      braces.lastIndex = i;
      const m = braces.exec(pattern);
      if (m === null) return null;
      i += m[0].length;
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
      return { min, max };
    }
    return null;
  }

  function sequence(): Node {
    const items: Node[] = [];
    while (i < pattern.length && peek() !== "|" && peek() !== ")") {
      const start = i;
      let node = atom();
      const q = quantifier();
      if (q !== null) {
        let greedy = true;
        if (peek() === "?") {
          greedy = false;
          i++;
        }
        node = { k: "repeat", body: node, min: q.min, max: q.max, greedy, start, end: i };
      }
      items.push(node);
    }
    return items.length === 1 ? items[0] : { k: "seq", items };
  }

  function alternation(): Node {
    const alts = [sequence()];
    while (peek() === "|") {
      i++;
      alts.push(sequence());
    }
    return alts.length === 1 ? alts[0] : { k: "alt", alts };
  }

  const root = alternation();
  if (i < pattern.length) unsupported.push({ what: "unexpected", start: i, end: i + 1 });
  return { root, lookaheads, flags, word, unsupported };
}
