// What JavaScript's regular expressions answer, as the linear engine and the regex guard must.
import type { Match } from "../detector.ts";

// The global search of JavaScript, skipping empty matches one code point at a time: what
// `find` must return. In unicode mode ECMA-262 never tries a match between the two halves of a
// surrogate pair (AdvanceStringIndex steps over it), but V8 does for some assertions (/\B/u
// matches "a😀a" at 2): such matches are V8's, not the language's, and are passed over.
export function v8All(pattern: string, flags: string, text: string): Match[] {
  const re = new RegExp(pattern, `${flags}g`);
  const found: Match[] = [];
  const unicode = flags.includes("u");
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const end = m.index + m[0].length;
    if (unicode && midPair(text, m.index)) {
      re.lastIndex = m.index + 1;
      continue;
    }
    found.push([m.index, end]);
    if (end === m.index) re.lastIndex = end + (unicode && (text.codePointAt(end) ?? 0) > 0xffff ? 2 : 1);
  }
  return found;
}

function midPair(text: string, i: number): boolean {
  const before = text.charCodeAt(i - 1);
  const at = text.charCodeAt(i);
  return before >= 0xd800 && before <= 0xdbff && at >= 0xdc00 && at <= 0xdfff;
}

export const v8Find = (pattern: string, flags: string, text: string): Match[] => v8All(pattern, flags, text).filter(([a, b]) => b > a);
export const v8Test = (pattern: string, flags: string, text: string): boolean => v8All(pattern, flags, text).length > 0;
