// Patterns that start with `.*` (or `.*?`, `.+`, `.+?`), the way many authors write "contains":
// `/.*password.*/`. A backtracking engine runs such a pattern from every position of the input
// and lets `.*` scan to the end of the line each time: quadratic, seconds on a 40 KB line,
// and the checker accepts it (any unanchored search is quadratic at worst).
//
// The rewrite: if `.*X` matches from position p, it also matches from any earlier position q
// of the same line, with `.*` absorbing [q, p) (nothing in X can tell the difference: there is
// no lookbehind, and `^`, `$`, `\b` look at absolute positions). So attempts are needed only
// at line starts (at 0 alone under the `s` flag, where `.` crosses lines) and right after a
// previous match: a sticky regex there finds exactly the matches the unanchored search would,
// in one pass over each line. It applies only when the leading `.*` governs the whole pattern,
// that is when there is no top-level `|`.
import type { Match } from "./detector.ts";

/** True when `pattern` starts with `.*`, `.*?`, `.+` or `.+?` and has no top-level alternation. */
export function startsWithDotStar(pattern: string): boolean {
  if (pattern.charCodeAt(0) !== 46) return false;
  const q = pattern.charCodeAt(1);
  if (q !== 42 && q !== 43) return false;
  let depth = 0;
  let inClass = false;
  for (let i = 2; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    if (c === 92) {
      i++;
      continue;
    }
    if (inClass) {
      if (c === 93) inClass = false;
      continue;
    }
    if (c === 91) inClass = true;
    else if (c === 40) depth++;
    else if (c === 41) depth--;
    else if (c === 124 && depth === 0) return false;
  }
  return true;
}

// What `.` does not match without the `s` flag.
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/g;

// The position after the next line terminator at or after `from`, or -1 when none is left.
function nextLineStart(text: string, from: number): number {
  LINE_TERMINATOR.lastIndex = from;
  const m = LINE_TERMINATOR.exec(text);
  LINE_TERMINATOR.lastIndex = 0;
  return m === null ? -1 : m.index + 1;
}

/** A leading-`.*` pattern run from line starts (and previous match ends) only. */
export interface LineAnchored {
  test(text: string): boolean;
  find(text: string): Match[];
}

/** The line-anchored runner for a pattern `startsWithDotStar` accepted, compiled with `flags`. */
export function lineAnchored(pattern: string, flags: string): LineAnchored {
  const sticky = new RegExp(pattern, `${flags}y`);
  const dotAll = flags.includes("s");
  const unicode = flags.includes("u");
  const attemptAt = (text: string, pos: number): RegExpExecArray | null => {
    sticky.lastIndex = pos;
    const m = sticky.exec(text);
    sticky.lastIndex = 0;
    return m;
  };
  return {
    test(text) {
      for (let pos = 0; pos >= 0; pos = dotAll ? -1 : nextLineStart(text, pos)) {
        if (attemptAt(text, pos) !== null) return true;
      }
      return false;
    },
    find(text) {
      const found: Match[] = [];
      let pos = 0;
      while (pos >= 0 && pos <= text.length) {
        const m = attemptAt(text, pos);
        if (m === null) {
          pos = dotAll ? -1 : nextLineStart(text, pos);
          continue;
        }
        const end = pos + m[0].length;
        if (end > pos) {
          found.push([pos, end]);
          pos = end;
        } else {
          // An empty match: step over one character (a code point under `u`), as a global search does.
          const c = text.charCodeAt(pos);
          pos += unicode && c >= 0xd800 && c <= 0xdbff ? 2 : 1;
        }
      }
      return found;
    },
  };
}
