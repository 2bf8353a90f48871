// The linear matcher's reading of a pattern: the language's regex parser
// (language/check/regex-parse.ts) with JavaScript's exact case folding and Unicode property
// sets, refusing what the matcher does not implement. It runs on patterns `new RegExp` has
// accepted and the screen has passed (no backreferences, no lookbehind).
import { complement, parsePattern as parseSyntax, union, type CharSet, type ParsedPattern } from "../../../language/check/regex-parse.ts";
import { caseClose } from "./regex-case.ts";

/** A construct the matcher does not implement. */
export class UnsupportedRegex extends Error {}

const MAX_CP = 0x10ffff;

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

const MATCHER_OPTIONS = {
  caseClose,
  property: (name: string, negated: boolean): CharSet => (negated ? complement(propertySet(name)) : propertySet(name)),
};

/** Parses `pattern` under `flags`; `new RegExp(pattern, flags)` must have accepted it. */
export function parsePattern(pattern: string, flags: string): ParsedPattern {
  const parsed = parseSyntax(pattern, flags, MATCHER_OPTIONS);
  const first = parsed.unsupported[0];
  if (first !== undefined) {
    const what = first.what === "unexpected" ? `unexpected ${JSON.stringify(pattern[first.start])}` : first.what;
    throw new UnsupportedRegex(what);
  }
  return parsed;
}
