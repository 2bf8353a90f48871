// The checker's regex tree (regex-syntax.ts) is a projection of the shared parser's
// (regex-parse.ts). TEMPORARY: the oracle below is the checker's own parser as it was before
// the two parsers were joined, kept only to show the projection reproduces it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { parseRegex } from "../check/regex-syntax.ts";
import { REGEX_FLAGS } from "../check/regex-safety.ts";
import { parse } from "../parse.ts";

// ---- ORACLE (test only): language/check/regex-syntax.ts's parseRegex before the join ----
/** A set of code points, as sorted, disjoint, non-adjacent inclusive ranges. */
type CharSet = readonly (readonly [number, number])[];

const MAX_CP = 0x10ffff;

/** The union of sets. */
function union(...sets: CharSet[]): CharSet {
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
function complement(s: CharSet): CharSet {
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
function intersects(a: CharSet, b: CharSet): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i][1] < b[j][0]) i++;
    else if (b[j][1] < a[i][0]) j++;
    else return true;
  }
  return false;
}

/** The set with the other-case letters added (ASCII and Latin-1 letters: enough to judge overlap). */
function caseFold(s: CharSet): CharSet {
  const extra: [number, number][] = [];
  for (const [a, b] of s) {
    for (const [lo, hi, delta] of [[0x41, 0x5a, 32], [0x61, 0x7a, -32], [0xc0, 0xde, 32], [0xe0, 0xfe, -32]] as const) {
      const x = Math.max(a, lo);
      const y = Math.min(b, hi);
      if (x <= y) extra.push([x + delta, y + delta]);
    }
  }
  return union(s, extra);
}

const c = (ch: string): number => ch.codePointAt(0) ?? 0;
const DIGIT: CharSet = [[c("0"), c("9")]];
const WORD: CharSet = union([[c("0"), c("9")]], [[c("A"), c("Z")]], [[c("_"), c("_")]], [[c("a"), c("z")]]);
const SPACE: CharSet = union([[9, 13]], [[32, 32]], [[0xa0, 0xa0]], [[0x1680, 0x1680]], [[0x2000, 0x200a]], [[0x2028, 0x2029]], [[0x202f, 0x202f]], [[0x205f, 0x205f]], [[0x3000, 0x3000]], [[0xfeff, 0xfeff]]);
const LINE_TERMINATORS: CharSet = union([[10, 10]], [[13, 13]], [[0x2028, 0x2029]]);
const ALL: CharSet = [[0, MAX_CP]];

/** A node of a parsed regex; `start`/`end` are offsets into the pattern. */
type RegexNode =
  | { readonly k: "empty" }
  | { readonly k: "char"; readonly set: CharSet; readonly start: number; readonly end: number }
  | { readonly k: "seq"; readonly items: readonly RegexNode[] }
  | { readonly k: "alt"; readonly alts: readonly RegexNode[] }
  | { readonly k: "repeat"; readonly body: RegexNode; readonly min: number; readonly max: number; readonly start: number; readonly end: number };

/** A feature Palisade refuses, found while parsing. */
interface Unsupported {
  readonly what: "backreference" | "lookbehind";
  readonly start: number;
  readonly end: number;
}

/** The parse of a pattern: its tree and the unsupported features it uses. */
interface ParsedRegex {
  readonly node: RegexNode;
  readonly unsupported: readonly Unsupported[];
}

/**
 * Parses `pattern` (already accepted by `new RegExp(pattern, flags)`). Zero-width assertions
 * (`^ $ \b \B`, lookahead) become `empty`: they only remove paths, so the analysis stays on the
 * safe side by ignoring them.
 */
function oldParseRegex(pattern: string, flags: string): ParsedRegex {
  const unicode = flags.includes("u") || flags.includes("v");
  const ignoreCase = flags.includes("i");
  const dotAll = flags.includes("s");
  const unsupported: Unsupported[] = [];
  const hasNamedGroups = /\(\?<[A-Za-z_$]/.test(pattern);
  let i = 0;

  const peek = (o = 0): string => pattern[i + o] ?? "";
  const charNode = (set: CharSet, start: number): RegexNode => ({ k: "char", set: ignoreCase ? caseFold(set) : set, start, end: i });
  const single = (cp: number): CharSet => [[cp, cp]];

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

  /** An escape after the backslash; returns a set, or "boundary" for `\b`/`\B`. */
  function escape(inClass: boolean, escStart: number): CharSet | "boundary" {
    const ch = peek();
    i++;
    switch (ch) {
      case "d":
        return DIGIT;
      case "D":
        return complement(DIGIT);
      case "w":
        return WORD;
      case "W":
        return complement(WORD);
      case "s":
        return SPACE;
      case "S":
        return complement(SPACE);
      case "b":
        return inClass ? single(8) : "boundary";
      case "B":
        return "boundary";
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
        if (!/[0-9]/.test(peek())) return single(0);
        break;
      case "x": {
        const v = readHex(2);
        return v === undefined ? single(c("x")) : single(v);
      }
      case "u": {
        if (unicode && peek() === "{") {
          const close = pattern.indexOf("}", i);
          const v = parseInt(pattern.slice(i + 1, close), 16);
          i = close + 1;
          return single(v);
        }
        const v = readHex(4);
        return v === undefined ? single(c("u")) : single(v);
      }
      case "c": {
        const l = peek();
        if (/[A-Za-z]/.test(l)) {
          i++;
          return single(c(l) % 32);
        }
        i--; // `\c` without a letter is a literal backslash in Annex B
        return single(c("\\"));
      }
      case "p":
      case "P":
        if (unicode && peek() === "{") {
          i = pattern.indexOf("}", i) + 1;
          return ALL; // a Unicode property: assume it may overlap anything
        }
        break;
      case "k":
        if (!inClass && (unicode || hasNamedGroups) && peek() === "<") {
          i = pattern.indexOf(">", i) + 1;
          unsupported.push({ what: "backreference", start: escStart, end: i });
          return ALL;
        }
        break;
      default:
        if (!inClass && /[1-9]/.test(ch)) {
          while (/[0-9]/.test(peek())) i++;
          unsupported.push({ what: "backreference", start: escStart, end: i });
          return ALL;
        }
    }
    i--;
    return single(readCodePoint());
  }

  function charClass(start: number): RegexNode {
    i++; // [
    let negate = false;
    if (peek() === "^") {
      negate = true;
      i++;
    }
    const parts: CharSet[] = [];
    // In JavaScript `]` always closes a class (`[]` is empty, `[^]` is everything).
    while (i < pattern.length && peek() !== "]") {
      let lo: CharSet | "boundary";
      if (peek() === "\\") {
        const s = i;
        i++;
        lo = escape(true, s);
      } else lo = single(readCodePoint());
      if (lo === "boundary") continue;
      if (peek() === "-" && pattern[i + 1] !== "]" && i + 1 < pattern.length && lo.length === 1 && lo[0][0] === lo[0][1]) {
        const save = i;
        i++;
        let hi: CharSet | "boundary";
        if (peek() === "\\") {
          const s = i;
          i++;
          hi = escape(true, s);
        } else hi = single(readCodePoint());
        if (hi !== "boundary" && hi.length === 1 && hi[0][0] === hi[0][1] && hi[0][0] >= lo[0][0]) {
          parts.push([[lo[0][0], hi[0][0]]]);
          continue;
        }
        // Not a range (`[\w-x]` in Annex B): the dash and both sides are literal.
        i = save;
        parts.push(lo, single(c("-")));
        i++;
        continue;
      }
      parts.push(lo);
    }
    i++; // ]
    const set = union(...parts);
    const folded = ignoreCase ? caseFold(set) : set;
    return { k: "char", set: negate ? complement(folded) : folded, start, end: i };
  }

  function atom(): RegexNode | null {
    const start = i;
    const ch = peek();
    switch (ch) {
      case "^":
      case "$":
        i++;
        return { k: "empty" };
      case ".":
        i++;
        return charNode(dotAll ? ALL : complement(LINE_TERMINATORS), start);
      case "[":
        return charClass(start);
      case "\\": {
        i++;
        const e = escape(false, start);
        return e === "boundary" ? { k: "empty" } : charNode(e, start);
      }
      case "(": {
        i++;
        let zeroWidth = false;
        if (peek() === "?") {
          if (pattern.startsWith("?<=", i) || pattern.startsWith("?<!", i)) {
            unsupported.push({ what: "lookbehind", start, end: start + 4 });
            zeroWidth = true;
            i += 3;
          } else if (pattern.startsWith("?=", i) || pattern.startsWith("?!", i)) {
            zeroWidth = true;
            i += 2;
          } else if (pattern.startsWith("?<", i)) {
            i = pattern.indexOf(">", i) + 1;
          } else {
            // `(?:`, or a modifiers group `(?i:` / `(?-i:`
            i = pattern.indexOf(":", i) + 1;
          }
        }
        const body = alternation();
        i++; // )
        return zeroWidth ? { k: "empty" } : body;
      }
      default:
        return charNode(single(readCodePoint()), start);
    }
  }

  /** A quantifier at `i`, or null; Annex B reads a `{` that is not one as a literal. */
  function quantifier(): { min: number; max: number } | null {
    const ch = peek();
    if (ch === "*") return (i++, { min: 0, max: Infinity });
    if (ch === "+") return (i++, { min: 1, max: Infinity });
    if (ch === "?") return (i++, { min: 0, max: 1 });
    if (ch === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
      if (m === null) return null;
      i += m[0].length;
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
      return { min, max };
    }
    return null;
  }

  function sequence(): RegexNode {
    const items: RegexNode[] = [];
    while (i < pattern.length && peek() !== "|" && peek() !== ")") {
      const start = i;
      const a = atom();
      if (a === null) break;
      let node = a;
      for (let q = quantifier(); q !== null; q = quantifier()) {
        if (peek() === "?") i++; // lazy: explores the same paths in another order
        node = { k: "repeat", body: node, min: q.min, max: q.max, start, end: i };
      }
      items.push(node);
    }
    return items.length === 1 ? items[0] : { k: "seq", items };
  }

  function alternation(): RegexNode {
    const alts = [sequence()];
    while (peek() === "|") {
      i++;
      alts.push(sequence());
    }
    return alts.length === 1 ? alts[0] : { k: "alt", alts };
  }

  const node = alternation();
  return { node, unsupported };
}

// ---- end of oracle ----

const root = resolve(import.meta.dirname, "../..");

function accepted(pattern: string, flags: string): boolean {
  try {
    new RegExp(pattern, flags);
    return true;
  } catch {
    return false;
  }
}

// Constructs the old parser misread; the shared parser reads them as JavaScript does.
function oldMisreads(pattern: string, flags: string): boolean {
  const u = flags.includes("u");
  return (
    (!u && /\\0[0-9]/.test(pattern)) ||
    (u && flags.includes("i") && /\\[wW]/.test(pattern)) ||
    /\\[dwsDWS]--/.test(pattern) ||
    (u && /\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F]/.test(pattern)) ||
    /\[[^\]]*\\(B|c[0-9_]|[1-9])/.test(pattern)
  );
}

function agree(pattern: string, flags: string): void {
  assert.deepEqual(parseRegex(pattern, flags), oldParseRegex(pattern, flags), `/${pattern}/${flags}`);
}

const atom = fc.constantFrom(
  "a", "b", "A", "0", "-", ".", "^", "$", "\\d", "\\w", "\\s", "\\D", "\\W", "\\S", "\\b", "\\B", "\\n", "\\t", "\\x41", "\\u0062",
  "\\u{1F600}", "\\0", "\\cA", "\\c", "\\1", "\\k<n>", "\\p{L}", "\\P{Lu}", "\\.", "\\/", "\\-", "{", "}", "]", "\u00e9", "\u00c9", "\u017f", "\u{1F600}",
  "[a-f]", "[^a-f]", "[]", "[^]", "[\\d-]", "[-a]", "[\\w-z]", "[a-\\d]", "[\\b]", "[\\x41-\\x5a]", "[.^$]", "[\\]]", "[A-Z\\u00e0-\\u00ff]",
);
const quant = fc.constantFrom("", "", "", "*", "+", "?", "{2}", "{1,3}", "{2,}", "*?", "+?", "{0,1}?", "{,2}", "{x}");
const regexText: fc.Arbitrary<string> = fc.letrec<{ alt: string; seq: string; item: string }>((tie) => ({
  alt: fc.array(tie("seq"), { minLength: 1, maxLength: 3 }).map((s) => s.join("|")),
  seq: fc.array(tie("item"), { maxLength: 4 }).map((s) => s.join("")),
  item: fc.oneof(
    { weight: 4, arbitrary: fc.tuple(atom, quant).map(([a, q]) => a + q) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom("(", "(?:", "(?=", "(?!", "(?<=", "(?<!", "(?<n>"), tie("alt"), quant).map(([o, b, q]) => `${o}${b})${q}`) },
  ),
})).alt;
const flagText = fc.subarray([...REGEX_FLAGS]).map((f) => f.join(""));

test("property: the projection of the shared parse is the tree the old checker parser built", () => {
  fc.assert(
    fc.property(regexText, flagText, (pattern, flags) => {
      fc.pre(accepted(pattern, flags) && !oldMisreads(pattern, flags));
      ran++;
      agree(pattern, flags);
    }),
    { numRuns: 5000 },
  );
  console.log("ran", ran);
});
let ran = 0;

function policyTexts(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(".policy")) out.push(readFileSync(p, "utf8"));
      else if (name.endsWith(".json") && dir.includes("conformance")) {
        const visit = (v: unknown): void => {
          if (Array.isArray(v)) v.forEach(visit);
          else if (v !== null && typeof v === "object") {
            for (const [k, x] of Object.entries(v)) {
              if (k.endsWith(".policy") && Array.isArray(x) && x.every((l) => typeof l === "string")) out.push(x.join("\n"));
              else if (k.endsWith(".policy") && typeof x === "string") out.push(x);
              else visit(x);
            }
          }
        };
        visit(JSON.parse(readFileSync(p, "utf8")));
      }
    }
  };
  for (const d of ["spec/conformance", "examples", "stdlib-policies"]) walk(join(root, d));
  return out;
}

function regexesOf(node: unknown, out: [string, string][]): void {
  if (Array.isArray(node)) node.forEach((n) => regexesOf(n, out));
  else if (node !== null && typeof node === "object") {
    const n = node as { kind?: unknown; pattern?: unknown; flags?: unknown; op?: unknown; right?: { kind?: unknown; value?: unknown } };
    if (n.kind === "Regex" && typeof n.pattern === "string" && typeof n.flags === "string") out.push([n.pattern, n.flags]);
    if (n.kind === "Binary" && n.op === "matches" && n.right?.kind === "String" && typeof n.right.value === "string") out.push([n.right.value, ""]);
    for (const v of Object.values(node)) regexesOf(v, out);
  }
}

test("the projection agrees with the old parser on every regex of the conformance cases and the example policies", () => {
  const found: [string, string][] = [];
  for (const text of policyTexts()) regexesOf(parse(text, "x.policy"), found);
  let checked = 0;
  for (const [pattern, rawFlags] of found) {
    const flags = [...new Set(rawFlags)].filter((f) => REGEX_FLAGS.includes(f)).join("");
    if (!accepted(pattern, flags)) continue;
    if (oldMisreads(pattern, flags)) console.log("misread", pattern, flags);
    agree(pattern, flags);
    checked++;
  }
  console.log(`${checked} of ${found.length} regexes checked`);
  assert.ok(checked >= 30, `only ${checked} regexes found`);
});
