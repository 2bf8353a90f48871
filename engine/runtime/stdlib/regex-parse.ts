// The regex parser of the linear matcher: JavaScript syntax (Annex B without `u`) to a tree
// whose character sets are final (escapes resolved, classes negated, closed under case
// folding when `i` is set) and whose zero-width assertions are kept, unlike the checker's
// parser (language/check/regex-syntax.ts), which only serves the safety analysis. It runs on
// patterns `new RegExp` has accepted and the screen has passed (no backreferences, no
// lookbehind), so it reports only what it does not implement.
import { complement, union, type CharSet } from "../../../language/check/regex-syntax.ts";
import { caseClose } from "./regex-case.ts";

export type Assertion = "bol" | "eol" | "word" | "nonword";

/** A parsed regex. Lookaheads are numbered in the order they close, inner before outer. */
export type Node =
  | { readonly k: "empty" }
  | { readonly k: "char"; readonly set: CharSet }
  | { readonly k: "assert"; readonly what: Assertion }
  | { readonly k: "look"; readonly index: number; readonly negate: boolean; readonly body: Node }
  | { readonly k: "seq"; readonly items: readonly Node[] }
  | { readonly k: "alt"; readonly alts: readonly Node[] }
  | { readonly k: "repeat"; readonly body: Node; readonly min: number; readonly max: number; readonly greedy: boolean };

export interface Flags {
  readonly ignoreCase: boolean;
  readonly multiline: boolean;
  readonly dotAll: boolean;
  readonly unicode: boolean;
}

export interface ParsedPattern {
  readonly root: Node;
  /** The bodies of the lookaheads, by index. */
  readonly lookaheads: readonly Node[];
  readonly flags: Flags;
  /** The characters `\w` and `\b` count as word characters under these flags. */
  readonly word: CharSet;
}

/** A construct the matcher does not implement. */
export class UnsupportedRegex extends Error {}

export function readFlags(flags: string): Flags {
  return { ignoreCase: flags.includes("i"), multiline: flags.includes("m"), dotAll: flags.includes("s"), unicode: flags.includes("u") };
}

const MAX_CP = 0x10ffff;
const single = (cp: number): CharSet => [[cp, cp]];
const DIGIT: CharSet = [[0x30, 0x39]];
const BASIC_WORD: CharSet = [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]];
// With `u` and `i`, the characters whose simple case folding is a word character count as word characters.
const UNICODE_IC_WORD: CharSet = union(BASIC_WORD, single(0x17f), single(0x212a));
const SPACE: CharSet = union([[9, 13]], single(32), single(0xa0), single(0x1680), [[0x2000, 0x200a]], [[0x2028, 0x2029]], single(0x202f), single(0x205f), single(0x3000), single(0xfeff));
export const LINE_TERMINATORS: CharSet = [[10, 10], [13, 13], [0x2028, 0x2029]];
const ALL: CharSet = [[0, MAX_CP]];

// Unicode property sets (`\p{...}` under `u`), read from the engine once per property: runs
// found by `\p{..}+` over a string of every code point.
const propertyCache = new Map<string, CharSet>();
let everyCodePoint: string | undefined;

// The string holds every code point but the surrogates (two of those side by side would pair).
function offsetToCodePoint(offset: number): number {
  if (offset < 0xd800) return offset;
  if (offset < 0xf800) return offset + 0x800;
  return 0x10000 + (offset - 0xf800) / 2;
}

function propertySet(body: string): CharSet {
  let set = propertyCache.get(body);
  if (set === undefined) {
    if (everyCodePoint === undefined) {
      const parts: string[] = [];
      for (let cp = 0; cp <= MAX_CP; cp += 0x800) {
        if (cp >= 0xd800 && cp <= 0xdfff) continue;
        const chunk: number[] = [];
        for (let c = cp; c < cp + 0x800; c++) chunk.push(c);
        parts.push(String.fromCodePoint(...chunk));
      }
      everyCodePoint = parts.join("");
    }
    const runs: [number, number][] = [];
    const re = new RegExp(`\\p{${body}}+`, "gu");
    for (let m = re.exec(everyCodePoint); m !== null; m = re.exec(everyCodePoint)) {
      runs.push([offsetToCodePoint(m.index), offsetToCodePoint(m.index + m[0].length) - 1]);
    }
    // A run may straddle the missing surrogates; they get the property of a lone one.
    const surrogates: CharSet = [[0xd800, 0xdfff]];
    const withoutSurrogates = complement(union(complement(runs), surrogates));
    set = new RegExp(`^\\p{${body}}$`, "u").test("\ud800") ? union(withoutSurrogates, surrogates) : withoutSurrogates;
    propertyCache.set(body, set);
  }
  return set;
}

/** Parses `pattern` under `flags`; `new RegExp(pattern, flags)` must have accepted it. */
export function parsePattern(pattern: string, flagText: string): ParsedPattern {
  const flags = readFlags(flagText);
  const { unicode, ignoreCase, dotAll } = flags;
  const word = unicode && ignoreCase ? UNICODE_IC_WORD : BASIC_WORD;
  const hasNamedGroups = /\(\?<[^=!]/.test(pattern);
  const lookaheads: Node[] = [];
  let i = 0;

  const peek = (o = 0): string => pattern[i + o] ?? "";
  const fold = (set: CharSet): CharSet => (ignoreCase ? caseClose(set, unicode) : set);

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

  /** The escape after a backslash: a set, or an assertion for `\b`/`\B` outside a class. */
  function escape(inClass: boolean): CharSet | Assertion {
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
        if (inClass) return single(0x42);
        return "nonword";
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
      case "0": {
        if (unicode || !/[0-7]/.test(peek())) return single(0);
        // A legacy octal escape (Annex B): up to three digits in all, at most 0o377.
        let v = 0;
        let digits = 1;
        while (digits < 3 && /[0-7]/.test(peek()) && v * 8 + Number(peek()) <= 0o377) {
          v = v * 8 + Number(peek());
          i++;
          digits++;
        }
        return single(v);
      }
      case "x": {
        const v = readHex(2);
        return single(v ?? 0x78);
      }
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
          const set = propertySet(pattern.slice(i + 1, close));
          i = close + 1;
          return ch === "p" ? set : complement(set);
        }
        break;
      case "k":
        if (!inClass && (unicode || hasNamedGroups)) throw new UnsupportedRegex("backreference");
        break;
      default:
        if (/[1-9]/.test(ch)) throw new UnsupportedRegex("backreference");
    }
    i--;
    return single(readCodePoint());
  }

  function classAtom(): CharSet {
    if (peek() === "\\") {
      i++;
      const e = escape(true);
      if (typeof e === "string") throw new UnsupportedRegex(`\\${e} in a class`);
      return e;
    }
    return single(readCodePoint());
  }

  function charClass(): Node {
    i++; // [
    let negate = false;
    if (peek() === "^") {
      negate = true;
      i++;
    }
    const parts: CharSet[] = [];
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
    return { k: "char", set: negate ? complement(set) : set };
  }

  function atom(): Node {
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
        return { k: "char", set: dotAll ? ALL : complement(LINE_TERMINATORS) };
      case "[":
        return charClass();
      case "\\": {
        i++;
        const e = escape(false);
        return typeof e === "string" ? { k: "assert", what: e } : { k: "char", set: fold(e) };
      }
      case "(": {
        i++;
        let look: boolean | undefined; // true: positive lookahead, false: negative
        if (peek() === "?") {
          if (pattern.startsWith("?=", i) || pattern.startsWith("?!", i)) {
            look = pattern[i + 1] === "=";
            i += 2;
          } else if (pattern.startsWith("?:", i)) {
            i += 2;
          } else if (pattern.startsWith("?<", i) && pattern[i + 2] !== "=" && pattern[i + 2] !== "!") {
            i = pattern.indexOf(">", i) + 1;
          } else {
            throw new UnsupportedRegex(`group (${pattern.slice(i, i + 3)}`);
          }
        }
        const body = alternation();
        i++; // )
        if (look === undefined) return body;
        lookaheads.push(body);
        return { k: "look", index: lookaheads.length - 1, negate: !look, body };
      }
      default:
        return { k: "char", set: fold(single(readCodePoint())) };
    }
  }

  function quantifier(): { min: number; max: number } | null {
    const ch = peek();
    if (ch === "*") return (i++, { min: 0, max: Infinity });
    if (ch === "+") return (i++, { min: 1, max: Infinity });
    if (ch === "?") return (i++, { min: 0, max: 1 });
    if (ch === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i, i + 40));
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
      let node = atom();
      const q = quantifier();
      if (q !== null) {
        let greedy = true;
        if (peek() === "?") {
          greedy = false;
          i++;
        }
        node = { k: "repeat", body: node, min: q.min, max: q.max, greedy };
      }
      items.push(node);
    }
    if (items.length === 0) return { k: "empty" };
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
  if (i < pattern.length) throw new UnsupportedRegex(`unexpected ${JSON.stringify(peek())}`);
  return { root, lookaheads, flags, word };
}
