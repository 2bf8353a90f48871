// String builtins. Lengths and positions count Unicode code points, as a policy author
// counts characters (`len("é😀") == 2`), not UTF-16 code units. A null argument gives null;
// a value of another type is a PolicyRuntimeError (LANGUAGE.md).
import { asNumber, asString, isObject, typeError, type BuiltinImpl, type Value } from "./values.ts";
import { toStringValue } from "./conversions.ts";

/** The number of code points in `s`; no allocation. */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

// The code unit offset of code point `cp` in `s` (clamped to the end).
function offsetOfCodePoint(s: string, cp: number): number {
  let i = 0;
  for (let k = 0; k < cp && i < s.length; k++) {
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
  }
  return i;
}

/** The string builtins, by name. */
export const STRING_BUILTINS: Readonly<Record<string, BuiltinImpl>> = {
  lower: (s) => (s === null ? null : asString("lower", 1, s).toLowerCase()),
  upper: (s) => (s === null ? null : asString("upper", 1, s).toUpperCase()),
  trim: (s) => (s === null ? null : asString("trim", 1, s).trim()),
  len(x) {
    if (x === null) return null;
    if (typeof x === "string") return codePointLength(x);
    if (Array.isArray(x)) return x.length;
    if (isObject(x)) return Object.keys(x).length;
    throw typeError("len", 1, "a string, a list or an object", x);
  },
  split(s, separator) {
    if (s === null || separator === null) return null;
    const str = asString("split", 1, s);
    const sep = asString("split", 2, separator);
    // An empty separator splits into characters (code points), not UTF-16 halves.
    return sep === "" ? Array.from(str) : str.split(sep);
  },
  join(parts, separator) {
    if (parts === null || separator === null) return null;
    if (!Array.isArray(parts)) throw typeError("join", 1, "a list", parts);
    const sep = asString("join", 2, separator);
    let out = "";
    for (let i = 0; i < parts.length; i++) out += (i === 0 ? "" : sep) + toStringValue(parts[i] as Value);
    return out;
  },
  replace(s, old, replacement) {
    if (s === null || old === null || replacement === null) return null;
    const str = asString("replace", 1, s);
    const from = asString("replace", 2, old);
    const to = asString("replace", 3, replacement);
    // Replacing the empty string would insert `to` between every character: nothing to replace.
    return from === "" ? str : str.replaceAll(from, () => to);
  },
  // The function forms of `starts with` / `ends with` answer false for null, as the operators do.
  starts_with: (s, prefix) => (s === null || prefix === null ? false : asString("starts_with", 1, s).startsWith(asString("starts_with", 2, prefix))),
  ends_with: (s, suffix) => (s === null || suffix === null ? false : asString("ends_with", 1, s).endsWith(asString("ends_with", 2, suffix))),
  substring(s, start, end) {
    if (s === null || start === null || end === null) return null;
    const str = asString("substring", 1, s);
    const from = Math.max(0, Math.trunc(asNumber("substring", 2, start)));
    const to = Math.trunc(asNumber("substring", 3, end));
    if (Number.isNaN(from) || Number.isNaN(to) || to <= from) return "";
    const a = offsetOfCodePoint(str, from);
    return str.slice(a, a + (offsetOfCodePoint(str.slice(a), to - from)));
  },
  concat(first, ...more) {
    if (first === null) return null;
    let out = asString("concat", 1, first);
    for (let i = 0; i < more.length; i++) {
      const p = more[i];
      if (p === null) return null;
      out += asString("concat", i + 2, p);
    }
    return out;
  },
  domain: (address) => (address === null ? null : domainOf(asString("domain", 1, address))),
};

// Where a host or an email domain ends inside a larger string (`Ann <ann@acme.com>`, `a@b.com, c@d.com`).
function isHostEnd(c: number): boolean {
  return c === 47 || c === 63 || c === 35 || c === 62 || c === 41 || c === 44 || c === 59 || c === 34 || c === 39 || c <= 32;
}

function finishHost(s: string, start: number, end: number): string | null {
  while (end > start && s.charCodeAt(end - 1) === 46) end--;
  if (end <= start) return null;
  return s.slice(start, end).toLowerCase();
}

/**
 * The lower-cased domain of an email address (after the last `@`) or the host of a URL
 * (without scheme, userinfo, port, path; IPv6 hosts without brackets); a bare host name is
 * its own domain. Null when there is none.
 */
export function domainOf(s: string): string | null {
  const t = s.trim();
  const scheme = t.indexOf("://");
  if (scheme > 0) {
    let start = scheme + 3;
    let end = start;
    while (end < t.length && !isHostEnd(t.charCodeAt(end))) end++;
    const at = t.lastIndexOf("@", end - 1);
    if (at >= start) start = at + 1;
    if (t.charCodeAt(start) === 91) {
      const close = t.indexOf("]", start);
      if (close < 0 || close > end) return null;
      return close - start > 1 ? t.slice(start + 1, close).toLowerCase() : null;
    }
    const colon = t.indexOf(":", start);
    if (colon >= 0 && colon < end) end = colon;
    return finishHost(t, start, end);
  }
  const at = t.lastIndexOf("@");
  const start = at + 1;
  let end = start;
  while (end < t.length && !isHostEnd(t.charCodeAt(end)) && t.charCodeAt(end) !== 58) end++;
  if (at < 0 && end !== t.length) return null;
  const host = finishHost(t, start, end);
  // A bare word is not a domain: a host name without a dot only counts after an `@`.
  return host !== null && (at >= 0 || host.includes(".")) ? host : null;
}
