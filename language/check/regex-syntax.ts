// The regex as the catastrophic-backtracking analysis sees it: the shared parse
// (regex-parse.ts) with zero-width parts (`^ $ \b \B`, lookahead) as `empty`, since they only
// remove paths and ignoring them keeps the analysis on the safe side; case folding limited to
// ASCII and Latin-1 letters and `\p{..}` taken as any character, which is enough to judge
// overlap; and the features Palisade refuses (backreferences, lookbehind) listed with their
// offsets so the diagnostic can point at them.
import { ALL, parsePattern, union, type CharSet, type Node } from "./regex-parse.ts";

/** The set with the other-case letters added (ASCII and Latin-1 letters: enough to judge overlap). */
export function caseFold(s: CharSet): CharSet {
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

/** A node of a parsed regex; `start`/`end` are offsets into the pattern. */
export type RegexNode =
  | { readonly k: "empty" }
  | { readonly k: "char"; readonly set: CharSet; readonly start: number; readonly end: number }
  | { readonly k: "seq"; readonly items: readonly RegexNode[] }
  | { readonly k: "alt"; readonly alts: readonly RegexNode[] }
  | { readonly k: "repeat"; readonly body: RegexNode; readonly min: number; readonly max: number; readonly start: number; readonly end: number };

/** A feature Palisade refuses, found while parsing. */
export interface Unsupported {
  readonly what: "backreference" | "lookbehind";
  readonly start: number;
  readonly end: number;
}

/** The parse of a pattern: its tree and the unsupported features it uses. */
export interface ParsedRegex {
  readonly node: RegexNode;
  readonly unsupported: readonly Unsupported[];
}

const ANALYSIS = { caseClose: caseFold, property: (): CharSet => ALL };

function project(n: Node): RegexNode {
  switch (n.k) {
    case "empty":
    case "assert":
    case "look":
      return { k: "empty" };
    case "char":
      return { k: "char", set: n.set, start: n.start, end: n.end };
    case "seq":
      return { k: "seq", items: n.items.map(project) };
    case "alt":
      return { k: "alt", alts: n.alts.map(project) };
    case "repeat":
      // Laziness only changes the order the same paths are explored in.
      return { k: "repeat", body: project(n.body), min: n.min, max: n.max, start: n.start, end: n.end };
  }
}

/** Parses `pattern`, which `new RegExp(pattern, flags)` has already accepted. */
export function parseRegex(pattern: string, flags: string): ParsedRegex {
  const parsed = parsePattern(pattern, flags, ANALYSIS);
  const unsupported = parsed.unsupported.filter((u): u is Unsupported => u.what === "backreference" || u.what === "lookbehind");
  return { node: project(parsed.root), unsupported };
}
