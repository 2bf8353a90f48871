// `like` globs: `*` matches any run of characters (empty included), `?` exactly one
// character (a code point: an emoji is one), `\*` `\?` `\\` are the literal characters; any
// other backslash is itself. Matching is case-sensitive.
//
// A glob is compiled once into tokens and matched with the classic two-pointer wildcard
// algorithm, which remembers only the last `*` and retries from there: O(n·m) in the worst
// case, never exponential, and no regex (a `.*` translation backtracks over every star).
// The commonest shapes (`abc`, `abc*`, `*abc`, `*abc*`) skip the loop entirely.

const STAR = -1;
const ANY = -2;

/** A compiled `like` pattern. */
export interface Glob {
  /** The pattern as written. */
  readonly pattern: string;
  /** Whether the whole of `text` matches the pattern. */
  test(text: string): boolean;
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

// The width in code units of the character at `i`: 2 for a surrogate pair, else 1.
function charWidth(s: string, i: number): number {
  if (!isHighSurrogate(s.charCodeAt(i))) return 1;
  const next = s.charCodeAt(i + 1);
  return next >= 0xdc00 && next <= 0xdfff ? 2 : 1;
}

/** Reads a pattern into tokens: char codes, STAR (runs of `*` collapsed) and ANY. */
function tokenize(pattern: string): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    if (c === 92 && i + 1 < pattern.length) {
      const next = pattern.charCodeAt(i + 1);
      if (next === 42 || next === 63 || next === 92) {
        out.push(next);
        i++;
        continue;
      }
    }
    if (c === 42) {
      if (out[out.length - 1] !== STAR) out.push(STAR);
    } else if (c === 63) {
      out.push(ANY);
    } else {
      out.push(c);
    }
  }
  return Int32Array.from(out);
}

function literal(tokens: Int32Array, from: number, to: number): string | null {
  let s = "";
  for (let i = from; i < to; i++) {
    if (tokens[i] < 0) return null;
    s += String.fromCharCode(tokens[i]);
  }
  return s;
}

/** The two-pointer matcher over tokens: on a mismatch, retry from one character after the last star's start. */
function wildcardMatch(tokens: Int32Array, s: string): boolean {
  const m = tokens.length;
  const n = s.length;
  let p = 0;
  let i = 0;
  let starP = -1;
  let starI = 0;
  while (i < n) {
    if (p < m) {
      const t = tokens[p];
      if (t === ANY) {
        p++;
        i += charWidth(s, i);
        continue;
      }
      if (t === STAR) {
        starP = p++;
        starI = i;
        continue;
      }
      if (t === s.charCodeAt(i)) {
        p++;
        i++;
        continue;
      }
    }
    if (starP < 0) return false;
    p = starP + 1;
    starI += charWidth(s, starI);
    i = starI;
  }
  while (p < m && tokens[p] === STAR) p++;
  return p === m;
}

/** Compiles a `like` pattern once; the result's `test` allocates nothing. */
export function compileGlob(pattern: string): Glob {
  const tokens = tokenize(pattern);
  const m = tokens.length;
  const stars = tokens.reduce((k, t) => k + (t === STAR ? 1 : 0), 0);
  const whole = literal(tokens, 0, m);
  if (whole !== null) return { pattern, test: (s) => s === whole };
  if (stars === 1 && tokens[m - 1] === STAR) {
    const prefix = literal(tokens, 0, m - 1);
    if (prefix !== null) return { pattern, test: (s) => s.startsWith(prefix) };
  }
  if (stars === 1 && tokens[0] === STAR) {
    const suffix = literal(tokens, 1, m);
    if (suffix !== null) return { pattern, test: (s) => s.endsWith(suffix) };
  }
  if (stars === 2 && tokens[0] === STAR && tokens[m - 1] === STAR) {
    const middle = literal(tokens, 1, m - 1);
    if (middle !== null) return { pattern, test: (s) => s.includes(middle) };
  }
  return { pattern, test: (s) => wildcardMatch(tokens, s) };
}

// Patterns that are not literals in the policy (`x like tool.args.pattern`) are compiled on
// first use and kept; the cache is bounded so that inputs cannot grow it without limit.
const CACHE_LIMIT = 256;
const cache = new Map<string, Glob>();

/** `text like pattern`, compiling (and caching) the pattern on first use. */
export function like(text: string, pattern: string): boolean {
  let g = cache.get(pattern);
  if (g === undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    g = compileGlob(pattern);
    cache.set(pattern, g);
  }
  return g.test(text);
}
