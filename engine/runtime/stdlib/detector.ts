// The shape every detector shares, and the two ways detectors are built.
//
// Linear time is the contract (issue 4, "Bad input"): a detector runs on agent output and tool
// results an attacker may shape. Each scanner is either hand-written or a regex whose
// quantifiers are bounded or range over a class that cannot overlap with what follows them,
// and whose unbounded runs start with a negative lookbehind of their own class, so that a
// failed attempt is not retried from every position inside the same run. Validation
// (checksums, prefixes, lengths) runs only on candidates and costs at most their length.

import { ALL, parsePattern, type CharSet } from "../../../language/check/regex-parse.ts";
import { digitLookalikes, fold, foldDigits, LOOKALIKE_REACH, needsFold, type Folded } from "./fold.ts";
import { maxExtent } from "./regex-program.ts";

/** A match as a half-open range `[start, end)` of UTF-16 code units in the scanned text. */
export type Match = readonly [start: number, end: number];

/** A named scanner for one kind of sensitive data, usable in `matches`, `contains` and `redact`. */
export interface Detector {
  /** The dotted name policies use: `pii.email`, `secret.jwt`. */
  readonly name: string;
  /** One sentence for the reference. */
  readonly doc: string;
  /**
   * The most folded UTF-16 code units a match spans with the context it is recognised by (the
   * words that introduce it, look-arounds): a stream holds back this much (spec/streams.md).
   * Infinity when the format has no bound.
   */
  readonly span: number;
  /**
   * For a format with no bound (span Infinity): where a token that more text could still extend
   * starts. A stream holds back only from there instead of to its end.
   */
  readonly open?: OpenAt;
  /** Every match, in order, non-overlapping, each within `[0, text.length]`. */
  find(text: string): Match[];
  /** True when `find` would return at least one match; stops at the first, allocates nothing more. */
  test(text: string): boolean;
}

/**
 * A scan over `text`: pushes each match to `out` in order, or, when `out` is null, returns
 * true at the first match without recording it. Returns whether anything matched.
 */
export type Scan = (text: string, out: Match[] | null) => boolean;

/** Builds a detector from a scan function. */
export function detector(name: string, doc: string, scan: Scan, span: number, digits = false): Detector {
  // The folded views a text is scanned in besides its own: the fold when it has a non-ASCII
  // character, and for a detector of digit runs the fold that reads `O`/`l` in a digit run as
  // digits when one may hold them (fold.ts).
  const views = (text: string): Folded[] => {
    const plain = needsFold(text) ? fold(text) : undefined;
    const out = plain === undefined ? [] : [plain];
    if (digits && digitLookalikes(plain?.text ?? text)) out.push(foldDigits(text));
    return out;
  };
  return {
    name,
    doc,
    // (A digit that makes letters a digit run may sit up to LOOKALIKE_REACH units away, each folding to at most 2.)
    span: digits ? span + 2 * LOOKALIKE_REACH : span,
    find(text) {
      const found: Match[] = [];
      scan(text, found);
      if (!digits && !needsFold(text)) return found;
      // Text with a non-ASCII character is scanned twice: as written (a non-ASCII letter is a
      // boundary there) and folded (disguised characters seen through, fold.ts); a redaction
      // takes the union of both.
      let more = false;
      for (const f of views(text)) {
        const folded: Match[] = [];
        if (!scan(f.text, folded)) continue;
        more = true;
        for (const [s, e] of folded) found.push([f.start[s]!, f.end[e - 1]!]);
      }
      return more ? union(found) : found;
    },
    test: (text) => scan(text, null) || ((digits || needsFold(text)) && views(text).some((f) => scan(f.text, null))),
  };
}

// Sorts matches and joins those that overlap, so that the list stays ordered and non-overlapping.
function union(ms: Match[]): Match[] {
  ms.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const out: Match[] = [];
  for (const m of ms) {
    const last = out[out.length - 1];
    if (last !== undefined && m[0] < last[1]) {
      if (m[1] > last[1]) out[out.length - 1] = [last[0], m[1]];
    } else out.push(m);
  }
  return out;
}

// Lookbehinds only rule a start out (they read what precedes a match, never make one): the
// extent is read from what follows them.
const LEADING_LOOKBEHINDS = /^(?:\(\?<[!=](?:[^()\\]|\\.|\([^()]*\))*\))+/;
const EXTENT_OPTIONS = { caseClose: (set: CharSet) => set, property: () => ALL };

/**
 * The most code units one match of `re` examines from its start, lookaheads included (its
 * leading lookbehinds aside); Infinity when a quantifier is unbounded or the pattern holds what
 * the extent cannot be read from (a backreference).
 */
export function regexExtent(re: RegExp): number {
  const parsed = parsePattern(re.source.replace(LEADING_LOOKBEHINDS, ""), re.flags.replace("g", ""), EXTENT_OPTIONS);
  return parsed.unsupported.length > 0 ? Infinity : maxExtent(parsed.root);
}

const registered: RegExp[] = [];

/** Every regex a scan was built from by `regexScan`: the tests hold each to the shape the file comment gives. */
export function scannerRegexes(): readonly RegExp[] {
  return registered;
}

/** Where a validator may narrow a regex candidate to the part that is the match. */
export interface Span {
  start: number;
  end: number;
}

/**
 * A scan from a global regex and a validator that accepts or rejects each candidate (and may
 * narrow it through `span`). After a rejection the regex resumes one position after the
 * candidate's start, so that a valid match overlapping a rejected candidate is still found;
 * the regex design keeps that linear (see the file comment).
 */
export function regexScan(re: RegExp, validate: (text: string, m: RegExpExecArray, span: Span) => boolean): Scan {
  if (!re.global) throw new Error(`scanner regex ${re} must be global`);
  registered.push(re);
  const span: Span = { start: 0, end: 0 };
  return (text, out) => {
    let any = false;
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      span.start = m.index;
      span.end = m.index + m[0].length;
      if (!validate(text, m, span)) {
        re.lastIndex = m.index + 1;
        continue;
      }
      any = true;
      if (out === null) break;
      out.push([span.start, span.end]);
      re.lastIndex = span.end > m.index ? span.end : m.index + 1;
    }
    // The regex is shared by every call: leave it ready for the next one even after a break.
    re.lastIndex = 0;
    return any;
  };
}

/** Merges the matches of several scans into one ordered, non-overlapping list (earliest start wins, then longest). */
export function mergeScans(...scans: Scan[]): Scan {
  return (text, out) => {
    if (out === null) {
      for (const s of scans) if (s(text, null)) return true;
      return false;
    }
    const all: Match[] = [];
    for (const s of scans) s(text, all);
    if (all.length === 0) return false;
    all.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    let lastEnd = -1;
    for (const m of all) {
      if (m[0] < lastEnd) continue;
      out.push(m);
      lastEnd = m[1];
    }
    return true;
  };
}

/**
 * For a format with no upper bound: where, at or after `from`, a token starts that more text
 * could still extend (spec/streams.md), or -1 when none. A stream holds back from there.
 */
export type OpenAt = (text: string, from: number) => number;

/**
 * An `OpenAt` for tokens that begin with one of `prefixes` and run on through the characters of
 * `alphabet`: a token is open while every character after its prefix is in the alphabet, and so
 * is a prefix the text ends inside (its next delta may complete it). Whether a token the prefix
 * starts is valid is left to the detector: holding a look-alike a little longer is safe.
 */
export function prefixOpen(prefixes: readonly string[], alphabet: (c: number) => boolean): OpenAt {
  return (text, from) => {
    const n = text.length;
    let run = n;
    while (run > from && alphabet(text.charCodeAt(run - 1))) run--;
    let best = -1;
    for (const p of prefixes) {
      // A token open at the end has its prefix end inside the trailing run, or the text ends inside its prefix.
      for (let i = Math.max(from, run - p.length); i < n && (best < 0 || i < best); i++) {
        if (text.startsWith(p, i) || (i + p.length > n && p.startsWith(text.slice(i)))) {
          best = i;
          break;
        }
      }
    }
    // From the start of the run the prefix sits in: a token glued to the word before it is no
    // token (the detectors' lookbehinds), and deciding the word apart from it would find one.
    return best < 0 ? -1 : Math.min(best, run);
  };
}
